//! A lab's guide (Markdown) laid out for a terminal: `lab N guide` on a terminal.
//!
//! [`render`] is a pure function of the Markdown, the width and colour on or off.
//! The guides use a small part of Markdown: headings, fenced code, paragraphs, lists,
//! tables, and `code`, **bold** and *italic* in a sentence. termimad was tried and
//! left: it cuts table cells inside words (`SO|CK_STREAM`) and breaks a line beside
//! `code` (a lone `.` on the next line), and the floor's wrap already does the rest.
//! - Tables are drawn in boxes fitted to the width; a column narrows down to its
//!   longest word before any word is cut (a Chinese character takes two columns).
//! - Paragraphs and list items are joined (a guide written at 85 columns then fills
//!   an 80-column screen, without a short line after every source line) and wrapped
//!   by the floor's wrap (`term::wrap_to`: at spaces and between Chinese characters,
//!   never inside a word such as `--timeout`), then their `code`, **bold** and
//!   *italic* become styles.
//! - Code blocks are printed line for line, never re-wrapped: a command or a Python
//!   line cut in two would no longer be the command. A code line wider than the
//!   screen overflows (the terminal or the pager shows the rest on the next row).
//!
//! With colours off the Markdown marks stay, as they carry the meaning: a heading's
//! `#`, a code block's fences, the backticks around `code` in a sentence.
//!
//! [`show`] sends the result through a pager when it is longer than the screen, as
//! git does: `$PAGER`, else `less -R` (with `LESS=FRX` if `LESS` is unset); none
//! when `PAGER` is empty or `cat`, and plain output when the pager cannot start.

use std::io::{self, Write};
use std::process::{Command, Stdio};

/// Set this to `1` to lay the guide out even on a pipe (tests, or
/// `SOCKET_LAB_RENDER=1 SOCKET_LAB_COLUMNS=80 lab 1 guide | less -R`); `0` prints the
/// Markdown as it is even on a terminal.
pub const RENDER_VAR: &str = "SOCKET_LAB_RENDER";

/// `markdown` laid out in `width` columns, with or without colours and styles.
pub fn render(markdown: &str, width: usize, color: bool) -> String {
    let width = width.max(20);
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
            flush_prose(&mut out, &mut prose, width, color);
            let marks = &trimmed[..trimmed.len() - trimmed.trim_start_matches(['`', '~']).len()];
            fence = Some(marks);
            if !color {
                out.push_str(line);
                out.push('\n');
            }
        } else if line.starts_with('#') {
            flush_prose(&mut out, &mut prose, width, color);
            out.push_str(&heading(line, width, color));
            out.push('\n');
        } else {
            join_into(&mut prose, line);
        }
    }
    flush_prose(&mut out, &mut prose, width, color);
    out
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

/// Adds a source line of prose to `prose`, joining it to the line before when it
/// continues a paragraph or a list item: with a space, or with nothing between two
/// Chinese characters (Chinese puts no space between words) and next to Chinese
/// punctuation (`，`code`` not `， `code``), which carries its own spacing.
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
        // Full-width punctuation: 。，、；：？！（）《》「」 (only Chinese text has them).
        let punctuation = |c: Option<char>| {
            c.is_some_and(|c| matches!(c, '\u{3000}'..='\u{303f}' | '\u{ff01}'..='\u{ff20}'))
        };
        let (before, after) = (prose.chars().next_back(), line.trim().chars().next());
        let chinese = wide(before) && wide(after);
        if !(chinese || punctuation(before) || punctuation(after)) {
            prose.push(' ');
        }
        prose.push_str(line.trim());
    } else {
        prose.push_str(line);
    }
    prose.push('\n');
}

/// Lays out the prose gathered so far and empties it: paragraphs and list items
/// one by one, the rows of a table together.
fn flush_prose(out: &mut String, prose: &mut String, width: usize, color: bool) {
    let mut rows: Vec<&str> = Vec::new();
    for line in prose.lines() {
        if line.trim_start().starts_with('|') {
            rows.push(line);
            continue;
        }
        if !rows.is_empty() {
            out.push_str(&table(&rows, width, color));
            rows.clear();
        }
        out.push_str(&paragraph(line, width, color));
        out.push('\n');
    }
    if !rows.is_empty() {
        out.push_str(&table(&rows, width, color));
    }
    prose.clear();
}

/// A table's cells, split at the `|` that are not in `code` nor escaped (`\\|`).
fn cells(row: &str) -> Vec<String> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    let mut cells = vec![String::new()];
    let (mut code, mut escaped) = (false, false);
    for c in row.chars() {
        match c {
            '|' if !code && !escaped => cells.push(String::new()),
            _ => {
                if c == '`' {
                    code = !code;
                }
                let cell = cells.last_mut().expect("one cell at least");
                if escaped && c == '|' {
                    cell.pop(); // the backslash
                }
                cell.push(c);
            }
        }
        escaped = c == '\\' && !escaped;
    }
    cells
        .into_iter()
        .map(|cell| cell.trim().to_string())
        .collect()
}

/// A table in boxes, fitted to `width`: each column as wide as its widest cell, and
/// when the table is too wide the widest column gives a column back, again and
/// again, down to its longest word; only then are words cut.
fn table(rows: &[&str], width: usize, color: bool) -> String {
    use unicode_width::UnicodeWidthStr;
    let is_rule = |cells: &[String]| {
        cells
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|c| matches!(c, '-' | ':' | ' ')))
    };
    let mut header = None;
    let mut grid: Vec<Vec<String>> = Vec::new();
    for row in rows {
        let row = cells(row);
        if is_rule(&row) && grid.len() == 1 {
            header = Some(1);
        } else {
            grid.push(row);
        }
    }
    let columns = grid.iter().map(Vec::len).max().unwrap_or(0);
    for row in &mut grid {
        row.resize(columns, String::new());
    }
    let column = |i: usize| grid.iter().map(move |row| row[i].as_str());
    let mut widths: Vec<usize> = (0..columns)
        .map(|i| column(i).map(|c| c.width()).max().unwrap_or(0).max(1))
        .collect();
    let floors: Vec<usize> = (0..columns)
        .map(|i| {
            column(i)
                .flat_map(str::split_whitespace)
                .map(|w| w.width())
                .max()
                .unwrap_or(1)
        })
        .collect();
    let room = width.saturating_sub(columns + 1).max(columns);
    for floor_matters in [true, false] {
        while widths.iter().sum::<usize>() > room {
            let widest = (0..columns)
                .filter(|&i| widths[i] > 1 && (!floor_matters || widths[i] > floors[i]))
                .max_by_key(|&i| widths[i]);
            let Some(widest) = widest else { break };
            widths[widest] -= 1;
        }
    }
    let rule = |left: &str, middle: &str, right: &str| {
        let bars: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
        format!("{left}{}{right}\n", bars.join(middle))
    };
    let mut out = rule("┌", "┬", "┐");
    for (r, row) in grid.iter().enumerate() {
        if Some(r) == header {
            out.push_str(&rule("├", "┼", "┤"));
        }
        let wrapped: Vec<Vec<String>> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| cell_lines(cell, *w, color))
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for l in 0..height {
            out.push('│');
            for (lines, w) in wrapped.iter().zip(&widths) {
                let line = lines.get(l).map(String::as_str).unwrap_or("");
                let shown = if color {
                    plain_width(line)
                } else {
                    line.width()
                };
                out.push_str(line);
                out.push_str(&" ".repeat(w.saturating_sub(shown)));
                out.push('│');
            }
            out.push('\n');
        }
    }
    out.push_str(&rule("└", "┴", "┘"));
    out
}

/// A cell's text in lines of at most `width` columns: wrapped at spaces, and a word
/// wider than the column cut (only when the columns could not be made wide enough).
fn cell_lines(cell: &str, width: usize, color: bool) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let mut lines = Vec::new();
    for line in crate::term::wrap_to(cell, Some(width), 0).lines() {
        let mut part = String::new();
        let mut used = 0;
        for c in line.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                lines.push(std::mem::take(&mut part));
                used = 0;
            }
            part.push(c);
            used += w;
        }
        lines.push(part);
    }
    if color {
        let mut state = Inline::default();
        lines = lines.iter().map(|line| state.style(line)).collect();
    }
    lines
}

/// The columns `styled` takes on screen, its escape sequences left out.
fn plain_width(styled: &str) -> usize {
    use unicode_width::UnicodeWidthChar;
    let mut escape = false;
    let mut width = 0;
    for c in styled.chars() {
        match c {
            '\x1b' => escape = true,
            'm' if escape => escape = false,
            _ if escape => {}
            _ => width += c.width().unwrap_or(0),
        }
    }
    width
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
        assert!(text.contains("│`conn, addr = s.accept()`"), "{text}");
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
    fn a_table_is_boxed_in_the_width_with_whole_words_and_pipes_in_code_kept() {
        let markdown = "| call | Python |\n|---|:--|\n| `a|b` | 中文的说明，比较长的一段话 |\n";
        for color in [false, true] {
            let text = plain(&render(markdown, 30, color));
            let lines: Vec<&str> = text.lines().collect();
            assert!(lines.len() >= 5, "{text}");
            for line in &lines {
                assert_eq!(line.width(), lines[0].width(), "{text}");
                assert!(line.width() <= 30, "{text}");
            }
            assert!(text.contains("a|b"), "{text}");
            assert!(lines[2].starts_with('├'), "{text}");
        }
        assert_eq!(cells("| `x|y` | a\\|b |"), ["`x|y`", "a|b"]);
    }

    #[test]
    fn chinese_lines_join_without_a_space_and_english_ones_with_one() {
        let text = render("粘包是\n两条消息 stuck\ntogether.\n", 80, false);
        assert_eq!(text, "粘包是两条消息 stuck together.\n");
        // Beside Chinese punctuation, no space either; beside a Chinese word, one.
        let text = render(
            "先运行，\n`lab 1 server`\n（服务器）再运行\n`nc`。\n",
            80,
            false,
        );
        assert_eq!(text, "先运行，`lab 1 server`（服务器）再运行 `nc`。\n");
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
