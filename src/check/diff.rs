//! The byte diff a failed stage shows: the bytes expected and the bytes received,
//! escaped as the floor escapes a peer's bytes (`\n`, `\xff`, ...), cut to a window
//! around the first difference, with a `^` under the first byte that differs.
//!
//! ```text
//!   expected: "Mon Nov 23 03:47:53 2026 hello"
//!   received: "Mon Nov 23 03:47:53 2026 Hello"
//!                                        ^ first difference: byte 25
//! ```

use unicode_width::UnicodeWidthStr;

use crate::lang::{pick, tr};
use crate::term;

/// How many characters of each side are shown before the marker at most.
const BEFORE: usize = 30;
/// ... and after it.
const AFTER: usize = 40;

/// The index of the first byte where `a` and `b` differ (the shorter one's length if
/// one is the start of the other), or `None` if they are equal.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    if a == b {
        return None;
    }
    Some(a.iter().zip(b).take_while(|(x, y)| x == y).count())
}

/// Three lines: expected, received, and the marker under the first difference.
/// Each line starts with `indent`.
pub fn show(expected: &[u8], received: &[u8], indent: &str) -> String {
    let Some(at) = first_difference(expected, received) else {
        let same = pick("expected and received: ", "期望的与收到的相同：");
        return format!("{indent}{same}{}\n", quoted(expected));
    };
    let (exp_line, exp_col) = window(expected, at);
    let (rec_line, rec_col) = window(received, at);
    let mut out = String::new();
    out.push_str(&format!("{indent}{}{exp_line}\n", expected_label()));
    out.push_str(&format!("{indent}{}{rec_line}\n", received_label()));
    let col = exp_col.max(rec_col);
    let what = if at == received.len() && at < expected.len() {
        tr!(
            "the received bytes stop here: {} of {} expected",
            "收到的字节到此为止：只有 {} 字节，期望 {} 字节",
            at,
            expected.len()
        )
    } else if at == expected.len() {
        tr!(
            "{} more byte(s) than expected, from byte {at}",
            "比期望的多出 {} 字节，从字节 {at} 起",
            received.len() - at
        )
    } else {
        tr!("first difference: byte {at}", "第一处不同：字节 {at}")
    };
    // Both labels are as wide: the marker sits under the bytes of either line.
    out.push_str(&format!(
        "{indent}{}^ {what}\n",
        " ".repeat(received_label().width() + col)
    ));
    out
}

/// `expected: ` before the expected bytes; as wide as [`received_label`].
pub fn expected_label() -> &'static str {
    pick("expected: ", "期望：")
}

/// `received: ` before the received bytes.
pub fn received_label() -> &'static str {
    pick("received: ", "收到：")
}

/// `bytes` escaped and quoted, cut to a window around byte `at`; and the column (in
/// terminal cells, counting from the opening quote) of the piece holding byte `at`.
fn window(bytes: &[u8], at: usize) -> (String, usize) {
    let pieces: Vec<(String, usize)> = term::safe_pieces(bytes).collect();
    // The piece that holds byte `at` (or the end).
    let mut offset = 0;
    let mut index = pieces.len();
    for (i, (_, len)) in pieces.iter().enumerate() {
        if offset + len > at {
            index = i;
            break;
        }
        offset += len;
    }
    let start = index.saturating_sub(BEFORE);
    let end = (index + AFTER).min(pieces.len());
    let mut line = String::new();
    if start > 0 {
        line.push('…');
    }
    line.push('"');
    for (piece, _) in &pieces[start..index] {
        line.push_str(piece);
    }
    let col = UnicodeWidthStr::width(line.as_str());
    for (piece, _) in &pieces[index..end] {
        line.push_str(piece);
    }
    line.push('"');
    if end < pieces.len() {
        line.push('…');
    }
    (line, col)
}

/// Bytes escaped and quoted, whole: `"hello\n"`.
pub fn quoted(bytes: &[u8]) -> String {
    format!("\"{}\"", term::safe(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_difference_is_found() {
        assert_eq!(first_difference(b"hello", b"hello"), None);
        assert_eq!(first_difference(b"hello", b"hallo"), Some(1));
        assert_eq!(first_difference(b"hello", b"hello\n"), Some(5));
        assert_eq!(first_difference(b"hello", b"he"), Some(2));
    }

    #[test]
    fn the_marker_stands_under_the_first_differing_byte() {
        let shown = show(b"abc hello", b"abc Hello", "");
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[0], "expected: \"abc hello\"");
        assert_eq!(lines[1], "received: \"abc Hello\"");
        let marker = lines[2].find('^').unwrap();
        assert_eq!(&lines[1][marker..marker + 1], "H");
    }

    #[test]
    fn escapes_and_wide_characters_move_the_marker() {
        // "你" is two cells wide; "\n" is two characters as shown.
        let shown = show("你\nX".as_bytes(), "你\nY".as_bytes(), "");
        let lines: Vec<&str> = shown.lines().collect();
        let marker = lines[2].find('^').unwrap();
        // `received: "` (11) + 你 (2) + \n (2) = 15
        assert_eq!(marker, 15);
        assert!(lines[1].contains("\\n"));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_hex() {
        let shown = show(b"\xd2\xfc", b"\xe5\xb0\xb9", "");
        assert!(shown.contains("\\xd2\\xfc"), "{shown}");
        assert!(shown.contains("byte 0"), "{shown}");
    }

    #[test]
    fn missing_and_extra_bytes_are_named() {
        assert!(show(b"hello", b"hel", "").contains("stop here: 3 of 5"));
        assert!(show(b"hello", b"hello\n", "").contains("1 more byte(s)"));
    }

    #[test]
    fn a_long_message_is_cut_around_the_difference() {
        let mut a = vec![b'a'; 500];
        let mut b = a.clone();
        b[300] = b'b';
        a.extend_from_slice(b"end");
        b.extend_from_slice(b"end");
        let shown = show(&a, &b, "");
        assert!(shown.lines().all(|l| l.chars().count() < 100), "{shown}");
        assert!(shown.contains('…'));
    }
}
