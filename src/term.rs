//! The terminal side every lab shares: printing a peer's bytes safely, a colour per
//! peer, printing a line without panicking when stdout is closed, wrapping sentences
//! to the terminal's width, and reading the user's lines from stdin.
//!
//! Nothing here touches a socket. The labs do that themselves, in plain sight.

use std::fmt;
use std::io::{self, BufRead, IsTerminal, Write};

use colored::{Color, ColoredString, Colorize};

use crate::lang::{pick, tr};

/// `println!` that ends the program quietly when stdout has been closed
/// (`lab 1 server | head -3`), instead of panicking with "failed printing to stdout".
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::term::say_line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// Writes one line to stdout (what `say!` expands to). One `writeln!` on the locked
/// stdout, so lines printed by different threads never mix mid-line.
pub fn say_line(args: fmt::Arguments) {
    let mut out = io::stdout().lock();
    if let Err(err) = writeln!(out, "{args}").and_then(|()| out.flush()) {
        if err.kind() == io::ErrorKind::BrokenPipe {
            // Whoever read our output has gone (`| head`). That is a normal end.
            std::process::exit(0);
        }
        // Any other failure to write to the terminal: nothing sensible to print it to.
        std::process::exit(1);
    }
}

/// [`say!`] for sentences: the text is wrapped at word boundaries to the terminal's
/// width (see [`wrap`]); on a pipe it is printed as it is. Not for socket trace lines
/// (`recv(1024) -> 5 bytes`) or a peer's text: those are printed with `say!`, as is.
macro_rules! tell {
    ($($arg:tt)*) => {
        $crate::term::say_line(format_args!("{}", $crate::term::wrap(&format!($($arg)*))))
    };
}
pub(crate) use tell;

/// Writes `text` (no newline) and flushes: for prompts like `>>> `.
pub fn prompt(text: &str) {
    let mut out = io::stdout().lock();
    // A prompt that cannot be written is not worth stopping for.
    let _ = write!(out, "{text}").and_then(|()| out.flush());
}

/// Ctrl-C (SIGINT) or SIGTERM: print one line and exit with code 0, instead of being
/// killed without a word (exit code 130). For the servers that hold nothing but their
/// sockets, which the OS closes as the process ends. (Labs 4 and 6 handle Ctrl-C
/// themselves: they tell every client first.) Call it before `net::announce_listening`:
/// a signal sent the moment the server says it listens must find the handler.
pub fn stop_on_ctrl_c() -> anyhow::Result<()> {
    ctrlc::set_handler(|| {
        say!(
            "{}",
            pick(
                "stopped (Ctrl-C or SIGTERM); the server's sockets are closed",
                "已停止（Ctrl-C 或 SIGTERM）；服务器的套接字已关闭"
            )
        );
        std::process::exit(0)
    })
    .map_err(|err| {
        anyhow::anyhow!(tr!(
            "could not install the Ctrl-C handler: {err}",
            "无法安装 Ctrl-C 的处理函数：{err}"
        ))
    })
}

/// True when a person is typing at stdin (not a pipe or a file).
pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// Makes bytes from a peer safe to print on a terminal.
///
/// Anything a peer sends is untrusted. Printed raw, `ESC [ 2 J` clears the screen,
/// `ESC ] ...` can rename the window, BEL rings the bell, and a carriage return lets
/// one line pretend to be another. So:
/// - printable characters (Chinese included) are kept as they are;
/// - control characters are shown as escapes: `\n`, `\r`, `\t`, `\e` (ESC), `\x07`;
/// - C1 controls and the Unicode direction overrides are shown as `\u{..}`;
/// - bytes that are not valid UTF-8 are shown as `\xNN`.
pub fn safe(bytes: &[u8]) -> String {
    let mut shown = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_safe_char(&mut shown, c);
        }
        for b in chunk.invalid() {
            shown.push_str(&format!("\\x{b:02x}"));
        }
    }
    shown
}

/// [`safe`] for text that is already a `String` (for example a decoded message).
pub fn safe_str(text: &str) -> String {
    safe(text.as_bytes())
}

/// True when [`safe_str`] would show `text` as it is (backslashes aside): nothing in it
/// that a terminal would act on. For text the student typed, such as arguments.
pub fn prints_as_is(text: &str) -> bool {
    text.chars().all(|c| {
        let mut shown = String::new();
        push_safe_char(&mut shown, c);
        c == '\\' || shown.len() == c.len_utf8()
    })
}

/// [`safe`], cut to at most `max_chars` characters with a note of how many *bytes*
/// were left out, so a 1 MiB message prints as one readable line. The cut never falls
/// inside an escape: `\x00` is shown whole or not at all.
pub fn preview(bytes: &[u8], max_chars: usize) -> String {
    let mut shown = String::new();
    let mut shown_chars = 0;
    let mut bytes_shown = 0;
    for (piece, byte_len) in safe_pieces(bytes) {
        let piece_chars = piece.chars().count();
        if shown_chars + piece_chars > max_chars {
            return format!("{shown}… (+{} more)", bytes.len() - bytes_shown);
        }
        shown.push_str(&piece);
        shown_chars += piece_chars;
        bytes_shown += byte_len;
    }
    shown
}

/// [`safe`] one character (or one invalid byte) at a time: each piece as shown, and
/// how many of the original bytes it stands for.
pub(crate) fn safe_pieces(bytes: &[u8]) -> impl Iterator<Item = (String, usize)> + '_ {
    bytes.utf8_chunks().flat_map(|chunk| {
        let valid = chunk.valid().chars().map(|c| {
            let mut piece = String::new();
            push_safe_char(&mut piece, c);
            (piece, c.len_utf8())
        });
        let invalid = chunk.invalid().iter().map(|b| (format!("\\x{b:02x}"), 1));
        valid.chain(invalid)
    })
}

fn push_safe_char(shown: &mut String, c: char) {
    match c {
        '\n' => shown.push_str("\\n"),
        '\r' => shown.push_str("\\r"),
        '\t' => shown.push_str("\\t"),
        '\x1b' => shown.push_str("\\e"),
        '\\' => shown.push_str("\\\\"),
        c if unsafe_to_print(c) => {
            let code = c as u32;
            if code < 0x80 {
                shown.push_str(&format!("\\x{code:02x}"));
            } else {
                shown.push_str(&format!("\\u{{{code:x}}}"));
            }
        }
        c => shown.push(c),
    }
}

// ---------------------------------------------------------------------------------
// Wrapping sentences to the terminal's width
// ---------------------------------------------------------------------------------

/// Set this to a number of columns to wrap at that width even on a pipe (tests, or
/// `SOCKET_LAB_COLUMNS=80 lab 5 errors | less`). `0` turns wrapping off.
pub const COLUMNS_VAR: &str = "SOCKET_LAB_COLUMNS";

/// Where a text is printed; each may be a terminal or a pipe on its own.
#[derive(Debug, Clone, Copy)]
pub enum Out {
    Stdout,
    Stderr,
}

/// The width to wrap text printed to `out` at: the override in [`COLUMNS_VAR`] if
/// set, else the terminal's width, else `None` (a pipe or a file: not wrapped).
pub fn width_of(out: Out) -> Option<usize> {
    if let Some(columns) = std::env::var(COLUMNS_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        return (columns > 0).then_some(columns);
    }
    let size = match out {
        Out::Stdout => terminal_size::terminal_size_of(io::stdout()),
        Out::Stderr => terminal_size::terminal_size_of(io::stderr()),
    };
    size.map(|(terminal_size::Width(w), _)| usize::from(w))
}

/// `text` wrapped for stdout (see [`wrap_to`]).
pub fn wrap(text: &str) -> String {
    wrap_to(text, width_of(Out::Stdout), 0)
}

/// `text` wrapped for stdout, its lines after the first indented by `hang` spaces
/// (`  fix       use sendto()` with the rest of the sentence under `use`).
pub fn wrap_hanging(text: &str, hang: usize) -> String {
    wrap_to(text, width_of(Out::Stdout), hang)
}

/// `text` wrapped for stderr (errors).
pub fn wrap_err(text: &str, hang: usize) -> String {
    wrap_to(text, width_of(Out::Stderr), hang)
}

/// Wraps `text` to `width` display columns (a Chinese character takes two), breaking
/// only where a line may break: at spaces, and between Chinese characters as Unicode
/// line breaking (UAX #14) allows. A word is never cut, not even at a hyphen or a
/// slash (`--timeout`, `labs/05-udp` stay whole); a word wider than the line gets a
/// line of its own. Newlines in `text` are kept. `None`: returned as it is.
pub fn wrap_to(text: &str, width: Option<usize>, hang: usize) -> String {
    let Some(width) = width else {
        return text.to_string();
    };
    let indent = " ".repeat(hang.min(width / 2));
    let options = textwrap::Options::new(width.max(1))
        .subsequent_indent(&indent)
        .break_words(false)
        // Fill each line as far as it goes, as a person would (not balanced lines).
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .word_separator(textwrap::WordSeparator::Custom(line_break_words));
    textwrap::wrap(text, options).join("\n")
}

/// `line` cut to at most `width` display columns, ending in `…` when it was cut: for
/// one-line choices in a menu, where a wrapped line would break the menu's layout.
pub fn fit_line(line: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if line.width() <= width {
        return line.to_string();
    }
    let mut fitted = String::new();
    let mut used = 0;
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        fitted.push(c);
        used += w;
    }
    fitted.push('…');
    fitted
}

/// The pieces of `line` that a line may end after: a break opportunity of Unicode
/// line breaking, kept only after a space or beside a wide (CJK) character, so that
/// English words and command lines are never split while Chinese text can be.
fn line_break_words(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    use unicode_width::UnicodeWidthChar;
    let wide = |c: Option<char>| c.and_then(|c| c.width()) == Some(2);
    let mut start = 0;
    let pieces = unicode_linebreak::linebreaks(line).filter_map(move |(end, _)| {
        let before = line[..end].chars().next_back();
        let after = line[end..].chars().next();
        let breakable = end == line.len() || before == Some(' ') || wide(before) || wide(after);
        if !breakable || end == start {
            return None;
        }
        let piece = &line[start..end];
        start = end;
        Some(textwrap::core::Word::from(piece))
    });
    Box::new(pieces)
}

/// The one definition of a character that must not reach a terminal raw: control
/// characters (C0 such as ESC, BEL, CR; DEL; C1) and the bidirectional overrides and
/// isolates, which reorder what is printed after them. [`safe`] escapes them, and the
/// chat room refuses them in nicknames and messages (`src/chat_protocol.rs`).
pub fn unsafe_to_print(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The colours peers are told apart by, in the order they are handed out.
const PEER_COLORS: [Color; 6] = [
    Color::Cyan,
    Color::Yellow,
    Color::Magenta,
    Color::Green,
    Color::Blue,
    Color::Red,
];

/// The colour of the `n`th peer (0, 1, 2, ...), cycling through a small palette.
pub fn peer_color(n: usize) -> Color {
    PEER_COLORS[n % PEER_COLORS.len()]
}

/// `text` in the `n`th peer's colour. With colours off (`--no-color`, `NO_COLOR`, or
/// not a terminal) it is plain text: colour never carries meaning on its own.
pub fn paint(text: &str, n: usize) -> ColoredString {
    text.color(peer_color(n))
}

/// The lines a person types (or a script pipes in), one input per line.
pub struct Lines {
    stdin: io::StdinLock<'static>,
    interactive: bool,
}

impl Lines {
    pub fn from_stdin() -> Lines {
        Lines {
            stdin: io::stdin().lock(),
            interactive: stdin_is_terminal(),
        }
    }

    /// True when a person is typing (so prompts and pauses make sense).
    pub fn interactive(&self) -> bool {
        self.interactive
    }

    /// Shows `prompt` (on a terminal only) and reads one line without its `\r\n`.
    /// `None` at the end of input (Ctrl-D, or the end of a piped file).
    ///
    /// Bytes that are not UTF-8 (a terminal set to another encoding) become U+FFFD
    /// rather than an error: a typo must never end a lab.
    pub fn read(&mut self, prompt_text: &str) -> Option<String> {
        if self.interactive && !prompt_text.is_empty() {
            prompt(prompt_text);
        }
        let mut raw = Vec::new();
        match self.stdin.read_until(b'\n', &mut raw) {
            Ok(0) | Err(_) => {
                if self.interactive {
                    // Ctrl-D leaves the cursor after the prompt; end that line.
                    say!("");
                }
                None
            }
            Ok(_) => {
                while raw.last() == Some(&b'\n') || raw.last() == Some(&b'\r') {
                    raw.pop();
                }
                Some(String::from_utf8_lossy(&raw).into_owned())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_and_chinese_are_kept() {
        assert_eq!(safe("hello 尹哲".as_bytes()), "hello 尹哲");
    }

    #[test]
    fn escape_sequences_never_reach_the_terminal_raw() {
        let shown = safe(b"\x1b[2J\x1b]0;pwned\x07bye");
        assert_eq!(shown, "\\e[2J\\e]0;pwned\\x07bye");
        assert!(!shown.contains('\x1b'));
        assert!(!shown.contains('\x07'));
    }

    #[test]
    fn newlines_tabs_and_carriage_returns_are_shown_as_escapes() {
        assert_eq!(safe(b"a\r\nb\tc"), "a\\r\\nb\\tc");
    }

    #[test]
    fn invalid_utf8_is_shown_as_hex_bytes() {
        // GBK for 你好 is not UTF-8.
        assert_eq!(safe(b"\xc4\xe3\xba\xc3"), "\\xc4\\xe3\\xba\\xc3");
    }

    #[test]
    fn a_character_cut_in_half_shows_its_bytes() {
        // 尹 is e5 b0 b9 in UTF-8; the first two bytes alone are not a character.
        assert_eq!(safe(b"\xe5\xb0"), "\\xe5\\xb0");
    }

    #[test]
    fn c1_controls_and_direction_overrides_are_escaped() {
        assert_eq!(safe_str("a\u{9b}b\u{202e}c"), "a\\u{9b}b\\u{202e}c");
    }

    #[test]
    fn typed_text_prints_as_is_unless_a_terminal_would_act_on_it() {
        assert!(prints_as_is("尹哲 C:\\Users\\amy --port 0"));
        assert!(!prints_as_is("\x1b[2Jevil"));
        assert!(!prints_as_is("a\rb"));
        assert!(!prints_as_is("abc\u{202e}"));
    }

    #[test]
    fn a_backslash_is_doubled_so_escapes_stay_unambiguous() {
        assert_eq!(safe(b"\\x1b"), "\\\\x1b");
    }

    #[test]
    fn a_long_preview_is_cut_and_says_how_much_more_there_was() {
        assert_eq!(preview(b"abcdefghij", 4), "abcd… (+6 more)");
        assert_eq!(preview(b"abc", 4), "abc");
    }

    #[test]
    fn a_preview_counts_the_bytes_left_out_and_never_cuts_an_escape() {
        // "\x00" takes four characters on screen but stands for one byte.
        assert_eq!(preview(b"\0\0\0\x05msg", 6), "\\x00… (+6 more)");
        assert_eq!(preview("你好吗".as_bytes(), 2), "你好… (+3 more)");
        assert_eq!(preview(b"\xffab", 5), "\\xffa… (+1 more)");
    }

    /// The display width of each line of `text`.
    fn widths(text: &str) -> Vec<usize> {
        use unicode_width::UnicodeWidthStr;
        text.lines().map(UnicodeWidthStr::width).collect()
    }

    #[test]
    fn on_a_pipe_text_is_not_wrapped() {
        let text = "a long sentence ".repeat(20);
        assert_eq!(wrap_to(&text, None, 4), text);
    }

    #[test]
    fn wrapping_breaks_at_spaces_within_the_width_and_keeps_every_word() {
        let text = "the connection to 127.0.0.1:9000 broke while sending: the other side \
                    reset the connection [ECONNRESET; WinError 10054 on Windows]";
        for width in 20..=100 {
            let wrapped = wrap_to(text, Some(width), 0);
            assert!(widths(&wrapped).iter().all(|&w| w <= width), "{wrapped}");
            assert_eq!(wrapped.replace('\n', " "), text, "width {width}");
        }
    }

    #[test]
    fn words_with_hyphens_and_slashes_are_never_cut() {
        let text = "run it with --timeout 60 and read labs/05-udp/README.md or half-duplex";
        for width in 10..=60 {
            let wrapped = wrap_to(text, Some(width), 0);
            for word in ["--timeout", "labs/05-udp/README.md", "half-duplex"] {
                assert!(wrapped.contains(word), "{word} cut at {width}: {wrapped}");
            }
        }
    }

    #[test]
    fn a_word_wider_than_the_line_gets_a_line_of_its_own() {
        let long = "x".repeat(30);
        let wrapped = wrap_to(&format!("see {long} here"), Some(10), 0);
        assert_eq!(wrapped, format!("see\n{long}\nhere"));
    }

    #[test]
    fn chinese_text_breaks_between_characters_counting_two_columns_each() {
        let text = "服务器已经关闭了连接，请重新启动服务器再试一次";
        let wrapped = wrap_to(text, Some(10), 0);
        assert!(wrapped.lines().count() > 1, "{wrapped}");
        assert!(widths(&wrapped).iter().all(|&w| w <= 10), "{wrapped}");
        assert_eq!(wrapped.replace('\n', ""), text);
        // No line starts with the comma: Unicode line breaking keeps it on the line before.
        assert!(
            wrapped.lines().all(|line| !line.starts_with('，')),
            "{wrapped}"
        );
    }

    #[test]
    fn continuation_lines_hang_under_the_text_and_newlines_are_kept() {
        let wrapped = wrap_to("fix:  one two three four\nfive", Some(16), 6);
        assert_eq!(wrapped, "fix:  one two\n      three four\n      five");
    }

    #[test]
    fn a_menu_line_is_cut_to_the_width_with_an_ellipsis() {
        assert_eq!(fit_line("server   The server", 80), "server   The server");
        assert_eq!(fit_line("abcdefghij", 6), "abcde…");
        // 尹哲 takes four columns: a cut never leaves half a character.
        assert_eq!(fit_line("ab尹哲cd", 5), "ab尹…");
    }

    #[test]
    fn peer_colours_cycle() {
        assert_eq!(peer_color(0), peer_color(PEER_COLORS.len()));
        assert_ne!(peer_color(0), peer_color(1));
    }
}
