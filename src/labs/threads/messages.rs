//! How lab 4 cuts what one recv() returned into messages: pure byte logic, no socket,
//! unit-tested below. Read it when server.rs's `talk` (or client.rs's reader) calls
//! `messages`.

/// Cuts what one recv() returned into messages: one per line, without the `\r\n`;
/// empty lines are skipped, and text after the last newline counts as a message too
/// (the classic Python client sends no newline at all).
///
/// A line cut across two recv() calls counts as two messages. With short lines on one
/// machine that does not happen; lab 7 shows when it does, and how framing fixes it.
pub(super) fn messages(chunk: &[u8]) -> impl Iterator<Item = &[u8]> {
    chunk
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunk: &[u8]) -> Vec<&[u8]> {
        messages(chunk).collect()
    }

    #[test]
    fn each_line_of_a_recv_is_a_message_without_its_newline() {
        assert_eq!(all(b"hello\n"), [&b"hello"[..]]);
        assert_eq!(all(b"one\r\ntwo\n"), [&b"one"[..], b"two"]);
        assert_eq!(all(b"no newline"), [&b"no newline"[..]]);
    }

    #[test]
    fn empty_lines_are_not_messages() {
        assert!(all(b"").is_empty());
        assert!(all(b"\n\r\n\n").is_empty());
    }

    #[test]
    fn a_line_cut_across_two_recvs_arrives_as_two_pieces_and_no_byte_is_lost() {
        let sent = b"hello\nworld\n";
        for cut in 0..=sent.len() {
            let pieces: Vec<u8> = all(&sent[..cut])
                .into_iter()
                .chain(all(&sent[cut..]))
                .flatten()
                .copied()
                .collect();
            assert_eq!(pieces, b"helloworld", "cut at {cut}");
        }
    }
}
