//! A lab's guide (Markdown) laid out for a terminal: `lab N guide` on a terminal.
//!
//! [`render`] is a pure function of the Markdown, the width and colour on or off.
//! - Tables go through termimad, which fits them to the width by wrapping their
//!   cells (a Chinese character takes two columns).
//! - Paragraphs and list items are joined (a guide written at 85 columns then fills
//!   an 80-column screen, without a short line after every source line) and wrapped
//!   by the floor's wrap (`term::wrap_to`: at spaces and between Chinese characters,
//!   never inside a word such as `--timeout`), then their `code`, **bold** and
//!   *italic* become styles.
//! - Code blocks are printed line for line, never re-wrapped: a command or a Python
//!   line cut in two would no longer be the command. A code line wider than the
//!   screen overflows (the terminal or the pager shows the rest on the next row).
//!
//! With colours off the marks that carry meaning stay: a heading's `#`, a code
//! block's fences and the backticks around `code` in a sentence.
//!
//! [`show`] sends the result through a pager when it is longer than the screen, as
//! git does: `$PAGER`, else `less -R` (with `LESS=FRX` if `LESS` is unset).

use std::io::{self, Write};
use std::process::{Command, Stdio};

use termimad::crossterm::style::Color;
use termimad::MadSkin;

/// Set this to `1` to lay the guide out even on a pipe (tests, or
/// `SOCKET_LAB_RENDER=1 SOCKET_LAB_COLUMNS=80 lab 1 guide | less -R`); `0` prints the
/// Markdown as it is even on a terminal.
pub const RENDER_VAR: &str = "SOCKET_LAB_RENDER";

/// `markdown` laid out in `width` columns, with or without colours and styles.
pub fn render(markdown: &str, width: usize, color: bool) -> String {
    let width = width.max(20);
    let skin = skin(color);
    let mut out = String::new();
    let mut prose = String::new();
    let mut fence: Option<&str> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if let Some(marks) = fence {
            if trimmed.starts_with(marks) && trimmed.trim_end() == marks {
                fence = None;
                if !color {
                    out.push_str(line);
                    out.push('\n');
                }
            } else {
                out.push_str(&code_line(line, color));
                out.push('\n');
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            flush_prose(&mut out, &mut prose, &skin, width, color);
            let marks = &trimmed[..trimmed.len() - trimmed.trim_start_matches(['`', '~']).len()];
            fence = Some(marks);
            if !color {
                out.push_str(line);
                out.push('\n');
            }
        } else if line.starts_with('#') {
            flush_prose(&mut out, &mut prose, &skin, width, color);
            out.push_str(&heading(line, width, color));
            out.push('\n');
        } else {
            join_into(&mut prose, line);
        }
    }
    flush_prose(&mut out, &mut prose, &skin, width, color);
    out
}

/// termimad's styles: its default ones, or none at all.
fn skin(color: bool) -> MadSkin {
    if !color {
        return MadSkin::no_style();
    }
    let mut skin = MadSkin::default();
    skin.inline_code.set_fg(Color::Yellow);
    skin
}

/// A line of a code block, as it is (only tabs become spaces: they would widen it).
fn code_line(line: &str, color: bool) -> String {
    let line = line.replace('\t', "    ");
    if color {
        format!("\x1b[33m{line}\x1b[0m")
    } else {
        line
    }
}

/// A heading, wrapped: bold and coloured without its `#` marks, or as written.
fn heading(line: &str, width: usize, color: bool) -> String {
    if !color {
        return crate::term::wrap_to(line, Some(width), 0);
    }
    let text = line.trim_start_matches('#').trim();
    // Bold cyan; the lab's title (`#`) underlined too.
    let style = if line.starts_with("##") {
        "\x1b[1;36m"
    } else {
        "\x1b[1;4;36m"
    };
    crate::term::wrap_to(text, Some(width), 0)
        .lines()
        .map(|part| format!("{style}{part}\x1b[0m"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `line` with the backticks of its inline code escaped, so that termimad shows
/// them rather than styling the code (with colours off it has no style to show it
/// with). The marks termimad reads inside them are escaped too: `*args` stays.
fn visible_backticks(line: &str) -> String {
    let mut shown = String::with_capacity(line.len() + 8);
    let mut in_code = false;
    for c in line.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                shown.push_str("\\`");
            }
            '*' | '~' | '|' | '\\' if in_code => {
                shown.push('\\');
                shown.push(c);
            }
            _ => shown.push(c),
        }
    }
    shown
}

/// Adds a source line of prose to `prose`, joining it to the line before when it
/// continues a paragraph or a list item: with a space, or with nothing between two
/// Chinese characters (Chinese puts no space between words).
fn join_into(prose: &mut String, line: &str) {
    let last = prose.lines().next_back().unwrap_or("");
    let starts_block = |l: &str| {
        let t = l.trim_start();
        t.is_empty()
            || t.starts_with('|')
            || t.starts_with('>')
            || t.starts_with("* ")
            || t.starts_with("- ")
            || t.starts_with("+ ")
            || t.starts_with("---")
            || t.split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let last_t = last.trim_start();
    let continues = !prose.is_empty()
        && !last_t.is_empty()
        && !last_t.starts_with('|')
        && !last_t.starts_with("---")
        && !starts_block(line);
    if continues {
        use unicode_width::UnicodeWidthChar;
        prose.pop(); // the newline
        let wide = |c: Option<char>| c.and_then(|c| c.width()) == Some(2);
        if !(wide(prose.chars().next_back()) && wide(line.trim().chars().next())) {
            prose.push(' ');
        }
        prose.push_str(line.trim());
    } else {
        prose.push_str(line);
    }
    prose.push('\n');
}

/// Lays out the prose gathered so far and empties it: tables through termimad,
/// paragraphs and list items wrapped here (at spaces and between Chinese characters
/// only: termimad also breaks beside `code`, leaving a lone `.` on a line).
fn flush_prose(out: &mut String, prose: &mut String, skin: &MadSkin, width: usize, color: bool) {
    let mut table = String::new();
    for line in prose.lines() {
        if line.trim_start().starts_with('|') {
            // With colours off termimad has no style for `code`: its backticks stay.
            table.push_str(&if color {
                line.to_string()
            } else {
                visible_backticks(line)
            });
            table.push('\n');
            continue;
        }
        flush_table(out, &mut table, skin, width);
        out.push_str(&paragraph(line, width, color));
        out.push('\n');
    }
    flush_table(out, &mut table, skin, width);
    prose.clear();
}

fn flush_table(out: &mut String, table: &mut String, skin: &MadSkin, width: usize) {
    if table.is_empty() {
        return;
    }
    let text = termimad::FmtText::from(skin, table, Some(width)).to_string();
    for line in text.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    table.clear();
}

/// A paragraph or a list item (one joined line), wrapped with its text under its
/// text (`- ` or `1. ` hangs), then styled.
fn paragraph(line: &str, width: usize, color: bool) -> String {
    let body = line.trim_start();
    let indent = line.len() - body.len();
    let marker = ["- ", "* ", "+ "]
        .iter()
        .find(|m| body.starts_with(**m))
        .map(|m| m.len())
        .or_else(|| {
            let (n, _) = body.split_once(". ")?;
            (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(n.len() + 2)
        })
        .unwrap_or(0);
    let wrapped = crate::term::wrap_to(line, Some(width), indent + marker);
    if !color {
        return wrapped;
    }
    let mut styled = String::new();
    let mut state = Inline::default();
    for (i, part) in wrapped.lines().enumerate() {
        if i > 0 {
            styled.push('\n');
        }
        let part = if i == 0 && marker == 2 && !body.starts_with(|c: char| c.is_ascii_digit()) {
            format!("{}• {}", &line[..indent], &part[indent + 2..])
        } else {
            part.to_string()
        };
        styled.push_str(&state.style(&part));
    }
    styled
}

/// Inline Markdown marks turned into terminal styles, line by line: `code` in
/// yellow, **bold**, *italic*. A style open at the end of a line is closed there and
/// opened again on the next, so that a pager shows each line right on its own.
#[derive(Default)]
struct Inline {
    code: bool,
    bold: bool,
    italic: bool,
}

impl Inline {
    fn sgr(&self) -> String {
        let mut on = String::new();
        if self.code {
            on.push_str("\x1b[33m");
        }
        if self.bold {
            on.push_str("\x1b[1m");
        }
        if self.italic {
            on.push_str("\x1b[3m");
        }
        on
    }

    fn style(&mut self, line: &str) -> String {
        let mut out = self.sgr();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '`' => self.code = !self.code,
                '*' if !self.code && chars.peek() == Some(&'*') => {
                    chars.next();
                    self.bold = !self.bold;
                }
                '*' if !self.code
                    && (self.italic || chars.peek().is_some_and(|n| !n.is_whitespace())) =>
                {
                    self.italic = !self.italic;
                }
                _ => {
                    out.push(c);
                    continue;
                }
            }
            out.push_str("\x1b[0m");
            out.push_str(&self.sgr());
        }
        out.push_str("\x1b[0m");
        out
    }
}

/// Whether `lab N guide` lays the guide out: on a terminal, or when [`RENDER_VAR`]
/// says so.
pub fn wanted(stdout_is_terminal: bool) -> bool {
    match std::env::var(RENDER_VAR).ok().as_deref().map(str::trim) {
        Some("1") => true,
        Some("0") => false,
        _ => stdout_is_terminal,
    }
}

/// Prints `text` (already laid out), through a pager when stdout is a terminal and
/// the text is longer than the screen. Without a pager that starts, it is printed.
pub fn show(text: &str, stdout_is_terminal: bool, out: &mut impl Write) -> io::Result<()> {
    let rows = terminal_size::terminal_size_of(io::stdout()).map(|(_, h)| usize::from(h.0));
    let long = rows.is_some_and(|rows| text.lines().count() >= rows);
    if stdout_is_terminal && long && page(text) {
        return Ok(());
    }
    out.write_all(text.as_bytes())
}

/// Runs `$PAGER` (else `less -R`) on `text`; false when it could not be started or
/// `PAGER` is empty or `cat` (no pager, as for git).
fn page(text: &str) -> bool {
    let pager = match std::env::var("PAGER") {
        Ok(pager) => pager,
        Err(_) => "less -R".to_string(),
    };
    if pager.trim().is_empty() || pager.trim() == "cat" {
        return false;
    }
    let mut words = pager.split_whitespace();
    let Some(program) = words.next() else {
        return false;
    };
    let mut command = Command::new(program);
    command.args(words).stdin(Stdio::piped());
    if std::env::var_os("LESS").is_none() {
        command.env("LESS", "FRX");
    }
    let Ok(mut child) = command.spawn() else {
        return false;
    };
    // Ctrl-C in the pager reaches us too: we wait for the pager to end rather than
    // leave it fighting the shell for the terminal (it may be set already: fine).
    let _ = ctrlc::set_handler(|| {});
    if let Some(mut stdin) = child.stdin.take() {
        // The student may quit the pager before the end: a broken pipe is fine.
        let _ = stdin.write_all(text.as_bytes());
    }
    let _ = child.wait();
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    const GUIDE: &str = "# Lab 1 — echo: the socket steps, one client at a time\n\
\n\
The first socket program everyone writes: a server that waits for a client, reads\n\
what it sends and answers. This one answers with the time in front of your text, like\n\
the classic Python `ctime` server on port 6666, and 粘包 and 乱码 are Chinese words\n\
that take two columns each: 中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文.\n\
\n\
## Run it\n\
\n\
```console\n\
$ python3 -c 'import socket; s = socket.create_connection((\"127.0.0.1\", 6666)); s.sendall(b\"hello\")'\n\
```\n\
\n\
- a list item that is long enough to be wrapped at eighty columns, and its\n  second line\n\
- 第二项：中文的列表项，也要在八十列之内折行，不能超出终端的宽度，否则布局就乱了。\n\
\n\
| Python | Rust |\n\
|---|---|\n\
| `s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)` | `let listener = TcpListener::bind(addr)?; // socket, bind and listen in one call` |\n\
| `conn, addr = s.accept()` | `let (stream, peer) = listener.accept()?;` |\n";

    fn code_lines(markdown: &str) -> Vec<&str> {
        let mut inside = false;
        let mut lines = Vec::new();
        for line in markdown.lines() {
            if line.starts_with("```") {
                inside = !inside;
            } else if inside {
                lines.push(line);
            }
        }
        lines
    }

    #[test]
    fn no_line_is_wider_than_the_screen_but_code_lines_stay_whole() {
        for color in [false, true] {
            let text = render(GUIDE, 80, color);
            let code = code_lines(GUIDE);
            for line in plain(&text).lines() {
                if code.contains(&line) {
                    continue;
                }
                assert!(line.width() <= 80, "{} columns: {line:?}", line.width());
            }
            for line in code {
                assert!(text.contains(line), "code line changed: {line}\n{text}");
            }
        }
    }

    #[test]
    fn headings_list_items_and_table_cells_are_kept() {
        let text = render(GUIDE, 80, false);
        assert!(text.contains("# Lab 1 — echo"), "{text}");
        assert!(text.contains("## Run it"), "{text}");
        assert!(text.contains("second line"), "{text}");
        for cell in [
            "Python",
            "Rust",
            "conn, addr = s.accept()",
            "TcpListener::bind",
        ] {
            assert!(text.contains(cell), "{cell}: {text}");
        }
        // The paragraph's lines are joined, then wrapped: more words on a line.
        assert!(text.contains("reads what it sends"), "{text}");
    }

    #[test]
    fn without_colour_the_marks_that_carry_meaning_stay() {
        let text = render(GUIDE, 80, false);
        assert!(text.contains("Python `ctime` server"), "{text}");
        assert!(text.contains("```console\n$ python3"), "{text}");
        assert!(
            text.contains("`let (stream, peer) = listener.accept()?;`"),
            "{text}"
        );
        let starred = render("Python's `f(*args)` and `a|b`, then *this*.\n", 80, false);
        assert_eq!(starred, "Python's `f(*args)` and `a|b`, then *this*.\n");
        let colored = render(GUIDE, 80, true);
        assert!(
            !colored.contains("`ctime`") && !colored.contains("```"),
            "{colored}"
        );
    }

    /// `text` without its escape sequences (SGR only: `ESC [ ... m`).
    fn plain(text: &str) -> String {
        let mut plain = String::new();
        let mut escape = false;
        for c in text.chars() {
            match c {
                '\x1b' => escape = true,
                'm' if escape => escape = false,
                _ if escape => {}
                _ => plain.push(c),
            }
        }
        plain
    }

    #[test]
    fn with_colour_the_marks_become_styles_and_a_list_gets_bullets() {
        let markdown = "Python's `f(*args)` and **the `b*` part**, then *this*.\n\n- one\n";
        let text = render(markdown, 80, true);
        assert_eq!(
            plain(&text),
            "Python's f(*args) and the b* part, then this.\n\n• one\n"
        );
        assert!(text.contains("\x1b[33mf(*args)"), "{text:?}");
        // A long sentence in colour wraps within the width too.
        for line in plain(&render(GUIDE, 60, true)).lines() {
            if !code_lines(GUIDE).contains(&line) {
                assert!(line.width() <= 60, "{} columns: {line:?}", line.width());
            }
        }
    }

    #[test]
    fn without_colour_there_is_no_escape_and_with_colour_there_is() {
        assert!(!render(GUIDE, 80, false).contains('\x1b'));
        assert!(render(GUIDE, 80, true).contains('\x1b'));
    }

    #[test]
    fn chinese_lines_join_without_a_space_and_english_ones_with_one() {
        let text = render("粘包是\n两条消息 stuck\ntogether.\n", 80, false);
        assert_eq!(text, "粘包是两条消息 stuck together.\n");
    }

    #[test]
    fn the_layout_follows_the_width() {
        let narrow = render(GUIDE, 40, false);
        let code = code_lines(GUIDE);
        for line in narrow.lines().filter(|l| !code.contains(l)) {
            assert!(line.width() <= 40, "{} columns: {line:?}", line.width());
        }
    }
}
