//! Lab 7's framing: pure byte logic, no sockets. Bytes in, messages out.
//!
//! Read `Framing` and `frame` first (how a message is marked on the wire), then the
//! `MessageReader` trait and its three readers, one per `--framing`: each takes the
//! bytes of one recv() and gives back whole messages, or `Ok(None)` for "need more
//! bytes". Then the count header and the client's messages. The unit tests at the
//! bottom feed them bytes: all at once, byte by byte, and split at every position.

use std::collections::VecDeque;
use std::fmt;

use clap::ValueEnum;

/// How a stream of bytes is cut into messages.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No framing: whatever one recv() returns is taken as one message
    None,
    /// Each message ends with a newline, \n
    Line,
    /// Each message starts with its length: 4 bytes, big-endian
    Length,
}

impl Framing {
    pub(super) fn describe(self) -> &'static str {
        match self {
            Framing::None => "none (each recv() is taken as one message)",
            Framing::Line => "line (each message ends with \\n)",
            Framing::Length => "length (each message starts with its length, 4 bytes big-endian)",
        }
    }

    /// A reader that cuts this framing's stream into messages of at most `max` bytes.
    pub(super) fn reader(self, max: usize) -> Box<dyn MessageReader> {
        match self {
            Framing::None => Box::new(EachRecv::default()),
            Framing::Line => Box::new(LineReader::new(max)),
            Framing::Length => Box::new(LengthReader::new(max)),
        }
    }
}

impl fmt::Display for Framing {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Framing::None => "none",
            Framing::Line => "line",
            Framing::Length => "length",
        })
    }
}

/// One message as it goes on the wire. With `line` the message itself must not
/// contain `\n` (ours never do); with `length` it must be shorter than 4 GiB.
pub fn frame(framing: Framing, message: &[u8]) -> Vec<u8> {
    match framing {
        Framing::None => message.to_vec(),
        Framing::Line => [message, b"\n"].concat(),
        Framing::Length => {
            // The client's --size stops at 16 MiB, far below u32::MAX.
            let len = u32::try_from(message.len()).expect("messages are under 4 GiB");
            [&len.to_be_bytes()[..], message].concat()
        }
    }
}

/// Bytes in, messages out. Push whatever one recv() returned, then take messages out
/// until `Ok(None)`, which means "need more bytes": a normal state, not an error.
pub trait MessageReader {
    /// Adds the bytes of one recv().
    fn push(&mut self, bytes: &[u8]);
    /// The next complete message, `Ok(None)` if it has not fully arrived yet, or an
    /// error if the stream breaks the rules (after which it cannot be trusted).
    fn next_message(&mut self) -> Result<Option<Vec<u8>>, FrameError>;
    /// The peer closed. Bytes still waiting belong to a message that never finished.
    fn finish(&self) -> Result<(), FrameError>;
    /// How many bytes are kept, waiting for the rest of their message.
    fn waiting(&self) -> usize;
}

/// What can go wrong while cutting a stream into messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// More than `max` bytes arrived without a newline.
    LineTooLong { max: usize },
    /// A length prefix announced a message over the limit.
    TooLong { prefix: [u8; 4], max: usize },
    /// The peer closed after part of a length prefix.
    TruncatedPrefix { got: usize },
    /// The peer closed after `got` bytes of a message (`expected`, if a prefix said).
    Truncated { got: usize, expected: Option<usize> },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            FrameError::LineTooLong { max } => write!(
                f,
                "more than {max} bytes arrived without a newline: the line is over the limit \
                 of {max} bytes"
            ),
            FrameError::TooLong { prefix, max } => {
                write!(
                    f,
                    "the length prefix {} announces a message of {} bytes, over the limit of \
                     {max} bytes (nothing was allocated for it)",
                    prefix.map(|b| format!("{b:02x}")).join(" "),
                    u32::from_be_bytes(*prefix)
                )?;
                // Text where a prefix should be: the sender is not using length framing.
                if prefix.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
                    let text: String = prefix.iter().map(|&b| char::from(b)).collect();
                    write!(
                        f,
                        ". As text these 4 bytes read {text:?}: does the other side really \
                         send a length prefix (--framing length)?"
                    )?;
                }
                Ok(())
            }
            FrameError::TruncatedPrefix { got } => write!(
                f,
                "truncated message: the peer closed after {got} of the 4 bytes of a length prefix"
            ),
            FrameError::Truncated {
                got,
                expected: Some(len),
            } => write!(
                f,
                "truncated message: the peer closed after {got} of the {len} bytes its length \
                 prefix announced"
            ),
            FrameError::Truncated {
                got,
                expected: None,
            } => write!(
                f,
                "truncated message: the peer closed after {got} bytes with no newline at the end"
            ),
        }
    }
}

impl std::error::Error for FrameError {}

/// `--framing none`: each recv() is taken as one message, as the classic programs do.
/// It never fails and never waits for more: that is exactly its mistake.
#[derive(Default)]
pub struct EachRecv {
    chunks: VecDeque<Vec<u8>>,
}

impl MessageReader for EachRecv {
    fn push(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.chunks.push_back(bytes.to_vec());
        }
    }

    fn next_message(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        Ok(self.chunks.pop_front())
    }

    fn finish(&self) -> Result<(), FrameError> {
        Ok(())
    }

    fn waiting(&self) -> usize {
        0 // nothing ever waits: that is the mistake
    }
}

/// `--framing line`: a message ends at `\n`. Keeps the bytes after the last newline
/// until the rest of the line arrives. A `\r` before the `\n` is dropped too, so
/// telnet and Windows programs that end lines with `\r\n` work.
pub struct LineReader {
    buf: Vec<u8>,
    /// How much of `buf` is known to hold no newline, so it is not searched again.
    searched: usize,
    max: usize,
}

impl LineReader {
    pub fn new(max: usize) -> LineReader {
        LineReader {
            buf: Vec::new(),
            searched: 0,
            max,
        }
    }
}

impl MessageReader for LineReader {
    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn next_message(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let Some(at) = self.buf[self.searched..].iter().position(|&b| b == b'\n') else {
            // No newline yet. Without a limit a peer that never sends one would make
            // us keep every byte it sends, for ever.
            self.searched = self.buf.len();
            if self.buf.len() > self.max {
                return Err(FrameError::LineTooLong { max: self.max });
            }
            return Ok(None);
        };
        let end = self.searched + at;
        self.searched = 0;
        if end > self.max {
            return Err(FrameError::LineTooLong { max: self.max });
        }
        let mut line: Vec<u8> = self.buf.drain(..=end).collect();
        line.pop(); // the \n
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(Some(line))
    }

    fn finish(&self) -> Result<(), FrameError> {
        match self.buf.len() {
            0 => Ok(()),
            got => Err(FrameError::Truncated {
                got,
                expected: None,
            }),
        }
    }

    fn waiting(&self) -> usize {
        self.buf.len()
    }
}

/// `--framing length`: each message starts with its length as 4 bytes, big-endian
/// (Python: `struct.pack('>I', len(msg))`). Waits until the prefix and then the whole
/// message have arrived.
pub struct LengthReader {
    buf: Vec<u8>,
    max: usize,
}

/// The length prefix: 4 bytes, so a message can announce up to 4 GiB. That is why the
/// reader checks the limit *before* waiting for (or allocating) what was announced.
pub const PREFIX_LEN: usize = 4;

impl LengthReader {
    pub fn new(max: usize) -> LengthReader {
        LengthReader {
            buf: Vec::new(),
            max,
        }
    }
}

impl MessageReader for LengthReader {
    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    fn next_message(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let Some(prefix) = self.buf.first_chunk::<PREFIX_LEN>() else {
            return Ok(None); // not even the prefix yet
        };
        let len = u32::from_be_bytes(*prefix) as usize;
        if len > self.max {
            // ff ff ff ff would be 4 GiB. We refuse it here; the buffer only ever
            // holds bytes that really arrived, never what a prefix claims.
            return Err(FrameError::TooLong {
                prefix: *prefix,
                max: self.max,
            });
        }
        if self.buf.len() < PREFIX_LEN + len {
            return Ok(None); // the prefix is here, the message not yet whole
        }
        let message = self.buf[PREFIX_LEN..PREFIX_LEN + len].to_vec();
        self.buf.drain(..PREFIX_LEN + len);
        Ok(Some(message))
    }

    fn finish(&self) -> Result<(), FrameError> {
        match self.buf.first_chunk::<PREFIX_LEN>() {
            None if self.buf.is_empty() => Ok(()),
            None => Err(FrameError::TruncatedPrefix {
                got: self.buf.len(),
            }),
            Some(prefix) => Err(FrameError::Truncated {
                got: self.buf.len() - PREFIX_LEN,
                expected: Some(u32::from_be_bytes(*prefix) as usize),
            }),
        }
    }

    fn waiting(&self) -> usize {
        self.buf.len()
    }
}

/// The count header's first 4 bytes. As a length prefix `LAB7` would announce
/// 1 279 344 183 bytes, far over any limit, so it is never mistaken for a real one.
pub const COUNT_MAGIC: &[u8; 4] = b"LAB7";
/// The count header: `LAB7` and the number of messages, 4 bytes big-endian.
pub const COUNT_HEADER_LEN: usize = 8;

/// The 8 bytes the client sends first: how many messages follow.
pub fn count_header(count: u32) -> [u8; COUNT_HEADER_LEN] {
    let mut header = [0u8; COUNT_HEADER_LEN];
    header[..4].copy_from_slice(COUNT_MAGIC);
    header[4..].copy_from_slice(&count.to_be_bytes());
    header
}

/// What the first bytes of a connection say about the count header.
#[derive(Debug, PartialEq, Eq)]
pub enum CountHeader {
    /// Too few bytes to tell yet.
    NeedMore,
    /// The client declared how many messages it sends.
    Count(u32),
    /// The stream does not start with `LAB7`: a peer without a header.
    Absent,
}

/// Reads the count header from the first bytes of a stream. A fixed size is itself a
/// framing: the server knows the header ends after exactly 8 bytes.
pub fn read_count_header(start: &[u8]) -> CountHeader {
    let seen = start.len().min(COUNT_MAGIC.len());
    if start[..seen] != COUNT_MAGIC[..seen] {
        return CountHeader::Absent;
    }
    match start.get(COUNT_MAGIC.len()..COUNT_HEADER_LEN) {
        Some(&[a, b, c, d]) => CountHeader::Count(u32::from_be_bytes([a, b, c, d])),
        _ => CountHeader::NeedMore,
    }
}

/// The messages of one run: `burst` short numbered ones, then one of `size` bytes
/// (printable, no newline, so every framing can carry it).
pub fn burst_messages(burst: u32, size: usize) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = (1..=burst)
        .map(|i| format!("msg {i}").into_bytes())
        .collect();
    let mut large = format!("large message of {size} bytes: ").into_bytes();
    large.extend(
        b"0123456789"
            .iter()
            .cycle()
            .take(size.saturating_sub(large.len())),
    );
    large.truncate(size);
    messages.push(large);
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::framing::MAX_MESSAGE;

    const MAX: usize = 1024;

    /// Feeds `wire` to a reader in the given pieces; returns the messages and the result
    /// of `finish`.
    fn read_in_pieces(
        framing: Framing,
        pieces: &[&[u8]],
    ) -> (Vec<Vec<u8>>, Result<(), FrameError>) {
        let mut reader = framing.reader(MAX);
        let mut messages = Vec::new();
        for piece in pieces {
            reader.push(piece);
            while let Some(message) = reader.next_message().expect("valid stream") {
                messages.push(message);
            }
        }
        (messages, reader.finish())
    }

    fn sample() -> Vec<Vec<u8>> {
        vec![
            b"msg 1".to_vec(),
            Vec::new(), // an empty message is a message too
            "尹哲".as_bytes().to_vec(),
            vec![b'x'; 300],
        ]
    }

    fn wire(framing: Framing, messages: &[Vec<u8>]) -> Vec<u8> {
        messages.iter().flat_map(|m| frame(framing, m)).collect()
    }

    #[test]
    fn line_and_length_recover_every_message_whether_fed_all_at_once_or_byte_by_byte() {
        for framing in [Framing::Line, Framing::Length] {
            let wire = wire(framing, &sample());
            let (all_at_once, end) = read_in_pieces(framing, &[&wire]);
            assert_eq!(all_at_once, sample(), "{framing}");
            assert_eq!(end, Ok(()));

            let bytes: Vec<&[u8]> = wire.chunks(1).collect();
            let (byte_by_byte, end) = read_in_pieces(framing, &bytes);
            assert_eq!(byte_by_byte, sample(), "{framing}");
            assert_eq!(end, Ok(()));
        }
    }

    #[test]
    fn line_and_length_recover_every_message_split_at_every_position() {
        for framing in [Framing::Line, Framing::Length] {
            let wire = wire(framing, &sample());
            for cut in 0..=wire.len() {
                let (messages, end) = read_in_pieces(framing, &[&wire[..cut], &wire[cut..]]);
                assert_eq!(messages, sample(), "{framing}, cut at {cut}");
                assert_eq!(end, Ok(()), "{framing}, cut at {cut}");
            }
        }
    }

    #[test]
    fn need_more_bytes_is_a_normal_state_not_an_error() {
        let mut reader = LengthReader::new(MAX);
        reader.push(&[0, 0]);
        assert_eq!(reader.next_message(), Ok(None));
        reader.push(&[0, 3, b'a']);
        assert_eq!(reader.next_message(), Ok(None));
        reader.push(b"bc");
        assert_eq!(reader.next_message(), Ok(Some(b"abc".to_vec())));
        assert_eq!(reader.next_message(), Ok(None));
    }

    #[test]
    fn without_framing_each_recv_is_one_message_so_boundaries_are_lost() {
        let wire = wire(Framing::None, &sample());
        let (messages, end) = read_in_pieces(Framing::None, &[&wire[..7], &wire[7..]]);
        assert_eq!(messages, vec![wire[..7].to_vec(), wire[7..].to_vec()]);
        assert_eq!(end, Ok(()));
    }

    #[test]
    fn a_crlf_line_ending_is_one_line_ending() {
        let (messages, _) = read_in_pieces(Framing::Line, &[b"hello\r\nbye\n"]);
        assert_eq!(messages, vec![b"hello".to_vec(), b"bye".to_vec()]);
    }

    #[test]
    fn a_prefix_of_ff_ff_ff_ff_is_refused_without_allocating_4_gib() {
        let mut reader = LengthReader::new(MAX);
        reader.push(&[0xff, 0xff, 0xff, 0xff, b'a']);
        let err = reader.next_message().unwrap_err();
        assert_eq!(
            err,
            FrameError::TooLong {
                prefix: [0xff; 4],
                max: MAX
            }
        );
        assert!(err.to_string().contains("4294967295 bytes"), "{err}");
        assert!(
            reader.buf.capacity() < 1024,
            "the buffer grew to {}",
            reader.buf.capacity()
        );
    }

    #[test]
    fn a_message_of_exactly_the_limit_passes_and_one_byte_more_is_refused() {
        let mut reader = LengthReader::new(MAX);
        reader.push(&frame(Framing::Length, &vec![b'a'; MAX]));
        assert_eq!(
            reader.next_message().map(|m| m.map(|m| m.len())),
            Ok(Some(MAX))
        );
        reader.push(&frame(Framing::Length, &vec![b'a'; MAX + 1]));
        assert!(matches!(
            reader.next_message(),
            Err(FrameError::TooLong { .. })
        ));

        let mut reader = LineReader::new(MAX);
        reader.push(&frame(Framing::Line, &vec![b'a'; MAX]));
        assert_eq!(
            reader.next_message().map(|m| m.map(|m| m.len())),
            Ok(Some(MAX))
        );
        reader.push(&vec![b'a'; MAX + 1]);
        assert_eq!(
            reader.next_message(),
            Err(FrameError::LineTooLong { max: MAX })
        );
    }

    #[test]
    fn an_overlong_line_is_refused_before_its_newline_arrives() {
        let mut reader = LineReader::new(MAX);
        for _ in 0..MAX {
            reader.push(b"a");
            assert_eq!(reader.next_message(), Ok(None));
        }
        reader.push(b"a");
        assert_eq!(
            reader.next_message(),
            Err(FrameError::LineTooLong { max: MAX })
        );
    }

    #[test]
    fn a_peer_closing_mid_message_is_reported_as_truncated() {
        let (_, end) = read_in_pieces(Framing::Line, &[b"one\ntw"]);
        assert_eq!(
            end,
            Err(FrameError::Truncated {
                got: 2,
                expected: None
            })
        );

        let (_, end) = read_in_pieces(Framing::Length, &[&[0, 0, 0, 10, b'a', b'b', b'c']]);
        assert_eq!(
            end,
            Err(FrameError::Truncated {
                got: 3,
                expected: Some(10)
            })
        );

        let (_, end) = read_in_pieces(Framing::Length, &[&[0, 0]]);
        assert_eq!(end, Err(FrameError::TruncatedPrefix { got: 2 }));
        assert!(end
            .unwrap_err()
            .to_string()
            .starts_with("truncated message"));
    }

    #[test]
    fn the_count_header_is_read_at_any_split_and_a_stream_without_it_is_recognised() {
        let header = count_header(6);
        assert_eq!(&header, b"LAB7\x00\x00\x00\x06");
        for cut in 0..COUNT_HEADER_LEN {
            assert_eq!(
                read_count_header(&header[..cut]),
                CountHeader::NeedMore,
                "cut {cut}"
            );
        }
        assert_eq!(read_count_header(&header), CountHeader::Count(6));
        assert_eq!(
            read_count_header(b"LAB7\0\0\0\x06msg 1"),
            CountHeader::Count(6)
        );
        assert_eq!(read_count_header(b"hello\n"), CountHeader::Absent);
        assert_eq!(read_count_header(b"LA\n"), CountHeader::Absent);
        assert_eq!(read_count_header(&[0, 0, 0, 5]), CountHeader::Absent);
    }

    #[test]
    fn the_count_header_read_as_a_length_prefix_is_over_any_limit() {
        let mut reader = LengthReader::new(MAX_MESSAGE as usize * 64);
        reader.push(&count_header(6));
        assert!(matches!(
            reader.next_message(),
            Err(FrameError::TooLong { .. })
        ));
    }

    #[test]
    fn a_burst_is_short_numbered_messages_then_one_large_one_without_newlines() {
        let messages = burst_messages(3, 100_000);
        assert_eq!(messages.len(), 4);
        assert_eq!(messages[0], b"msg 1");
        assert_eq!(messages[2], b"msg 3");
        assert_eq!(messages[3].len(), 100_000);
        assert!(!messages[3].contains(&b'\n'));
        assert_eq!(burst_messages(0, 5), vec![b"large".to_vec()]);
    }
}
