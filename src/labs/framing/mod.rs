//! Lab 7 — framing. TCP is a byte stream: messages stick together and split apart
//! (粘包, "sticky packets"), and two ways to get every message back whole.
//!
//! Run `lab 7 server --framing none` in one terminal and
//! `lab 7 client --framing none --burst 5` in another. The client sends 5 short
//! messages back to back and then one large one (100 000 bytes), each with its own
//! send(). The server prints every recv(): a few short messages arrive stuck together
//! in one recv(), and the large one arrives cut into many pieces. Then run both sides
//! again with `--framing line` or `--framing length`: the recv() calls are cut just as
//! arbitrarily, yet every message comes back whole.
//!
//! | Python                                            | here                                           |
//! |---------------------------------------------------|------------------------------------------------|
//! | `data = conn.recv(1024)` (taken as one message)   | `conn.read(&mut buf)`: *some* bytes            |
//! | `conn.sendall(msg + b"\n")`                       | `conn.write_all(&frame(Framing::Line, msg))`   |
//! | `conn.sendall(struct.pack('>I', len(msg)) + msg)` | `conn.write_all(&frame(Framing::Length, msg))` |
//! | `line, _, buf = buf.partition(b"\n")`             | `LineReader::push` + `next_message`            |
//! | `(n,) = struct.unpack('>I', buf[:4])`             | `u32::from_be_bytes(*prefix)`                  |
//! | `s.shutdown(socket.SHUT_WR)`                      | `stream.shutdown(Shutdown::Write)`             |
//!
//! Why: TCP promises that the bytes arrive, in order, once. It promises nothing about
//! how they are cut. Five send() calls may come out as one recv(), and one send() as
//! twenty; how it happens to be cut depends on timing, buffer sizes and the network.
//! A "message" exists only if both sides agree where one ends: a newline at the end
//! (`line`), or the length written in front (`length`, 4 bytes, big-endian).
//!
//! The limit it removes: labs 1 to 5 quietly assume that one recv() returns one
//! message. That holds while a person types slowly, and breaks as soon as a program
//! sends quickly or a message is larger than the recv() buffer. (Lab 6's chat room
//! already cuts its stream at newlines; this lab shows why it has to.)
//!
//! How the server learns how many messages were sent, whatever the framing under
//! test: before its messages the client sends a fixed-size *count header* of 8 bytes,
//! `LAB7` and the count as 4 bytes big-endian. The server reads those 8 bytes first,
//! before any framing, so the number it reports never depends on the framing it tests.
//! A peer without the header (`nc`, your own Python program) works too; the server then
//! says it does not know how many were sent.
//!
//! Like lab 1 the server takes one client at a time; std's `TcpListener::bind` does
//! socket + SO_REUSEADDR (on Unix) + bind + listen(128) in one call.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};

use crate::hint;
use crate::labs::Lab;
use crate::net::{self, Endpoint};
use crate::term::{self, paint, preview, say};

#[derive(Subcommand, Debug)]
pub enum Role {
    /// The server: prints every recv() and every message it recovers from the stream
    Server(ServerArgs),
    /// The client: sends a burst of short messages and one large one, back to back
    Client(ClientArgs),
}

#[derive(Args, Debug)]
pub struct ServerArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// How the stream is cut into messages: none (each recv() is taken as one message),
    /// line (each message ends with \n) or length (a 4-byte big-endian length in front)
    #[arg(long, value_enum, default_value_t = Framing::None)]
    framing: Framing,

    /// recv() buffer size: the most bytes one recv() may return. Change it and watch
    /// the number of recv() calls change while the messages stay the same
    #[arg(long, value_name = "BYTES", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    bufsize: u32,

    /// The longest message accepted, in bytes. A longer line, or a length prefix
    /// announcing more, is refused: the client is told and disconnected
    #[arg(long, value_name = "BYTES", default_value_t = MAX_MESSAGE, value_parser = clap::value_parser!(u32).range(1..=67_108_864))]
    max: u32,
}

#[derive(Args, Debug)]
pub struct ClientArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// How each message is marked on the wire: none, line (\n at the end) or length
    /// (4-byte big-endian length in front). Use the same as the server
    #[arg(long, value_enum, default_value_t = Framing::None)]
    framing: Framing,

    /// How many short messages to send back to back before the large one
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    burst: u32,

    /// Size of the large message, in bytes. Over the server's --max, it is refused
    #[arg(long, value_name = "BYTES", default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=16_777_216))]
    size: u32,

    /// Milliseconds to wait after each send(), as a person typing would. Try 200 with
    /// --framing none: the short messages now seem to arrive one per recv()
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    pause: u64,
}

pub fn run(role: Role, lab: &Lab) -> anyhow::Result<()> {
    match role {
        Role::Server(args) => server(args, lab),
        Role::Client(args) => client(args, lab),
    }
}

/// The longest message the server accepts unless told otherwise: 1 MiB.
pub const MAX_MESSAGE: u32 = 1_048_576;

// ---------------------------------------------------------------------------------
// Framing: pure byte logic, no sockets (the unit tests at the bottom feed it bytes)
// ---------------------------------------------------------------------------------

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
    fn describe(self) -> &'static str {
        match self {
            Framing::None => "none (each recv() is taken as one message)",
            Framing::Line => "line (each message ends with \\n)",
            Framing::Length => "length (each message starts with its length, 4 bytes big-endian)",
        }
    }

    /// A reader that cuts this framing's stream into messages of at most `max` bytes.
    fn reader(self, max: usize) -> Box<dyn MessageReader> {
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

// ---------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------

fn server(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;
    // socket + SO_REUSEADDR + bind + listen(128), in one call (lab 1 shows each step).
    let listener =
        TcpListener::bind(addr).map_err(|err| hint::bind_failed(err, addr, lab.protocol))?;
    net::announce_listening(listener.local_addr()?, lab.protocol);

    // Ctrl-C or SIGTERM ends the server with a word and exit code 0. The OS closes its
    // sockets: a connected client's recv() returns 0 bytes, and the port is free again.
    term::stop_on_ctrl_c()?;
    say!("framing: {}", args.framing.describe());
    say!(
        "recv() buffer: {} bytes; longest message accepted: {} bytes",
        args.bufsize,
        args.max
    );

    // One client at a time, for ever (Ctrl-C stops the server).
    for nth in 0.. {
        let (mut conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(err) => {
                say!(
                    "accept() failed: {}; waiting for the next client",
                    hint::describe(&err)
                );
                continue;
            }
        };
        say!("{}", paint(&format!("accept() -> {peer}"), nth));

        let (tally, end) = receive_messages(&mut conn, &args);
        let summary = tally.summary();
        match &end {
            End::Closed => {}
            End::Broken(err) => say!("  {err}"),
            End::Failed(err) => say!("  recv() failed: {}", hint::describe(err)),
        }
        say!("{}", paint(&summary, nth));
        if matches!(end, End::Closed) {
            say!("  {}", tally.verdict(args.framing));
        }

        // Tell the client what we saw (and what went wrong), then close. If it has
        // already gone, there is nobody to tell: that is fine.
        let mut reply = String::new();
        if let End::Broken(err) = &end {
            reply.push_str(&format!("error: {err}\n"));
        }
        reply.push_str(&summary);
        reply.push('\n');
        let _ = conn.write_all(reply.as_bytes());
        if matches!(end, End::Broken(_)) {
            discard_the_rest(&mut conn);
        }
        drop(conn);
        say!("close() {peer}; waiting for the next client (Ctrl-C stops the server)");
    }
    Ok(())
}

/// What the server counted on one connection.
#[derive(Default)]
struct Tally {
    /// The count the client declared in its header, if it sent one.
    declared: Option<u32>,
    /// recv() calls that returned bytes.
    recv_calls: u64,
    messages: u64,
}

impl Tally {
    /// `sent N messages, recv() calls: R, messages recovered: M`
    fn summary(&self) -> String {
        let sent = match self.declared {
            Some(n) => format!("sent {n} messages"),
            None => "sent ? messages (no count header)".to_string(),
        };
        format!(
            "{sent}, recv() calls: {}, messages recovered: {}",
            self.recv_calls, self.messages
        )
    }

    /// One line that says what the numbers mean.
    fn verdict(&self, framing: Framing) -> String {
        match (self.declared, framing) {
            (None, _) => "(the client did not say how many it sent, so there is nothing to \
                          compare)"
                .to_string(),
            (Some(n), Framing::None) if u64::from(n) == self.messages => format!(
                "M = N = {n} this time, but only by luck: check the previews above, and try \
                 a bigger --burst or --size"
            ),
            (Some(n), Framing::None) => format!(
                "M ≠ N: {n} messages were sent, {} came out. recv() returns bytes, not \
                 messages: look above for messages stuck together (粘包) and cut apart",
                self.messages
            ),
            (Some(n), _) if u64::from(n) == self.messages => {
                format!("M = N = {n}: every message came back whole, however recv() cut the bytes")
            }
            (Some(n), _) => format!(
                "M ≠ N: {n} declared, {} recovered: the client sent fewer or more messages \
                 than it declared",
                self.messages
            ),
        }
    }
}

/// Why a connection ended.
enum End {
    /// The client closed its side and every byte belonged to a whole message.
    Closed,
    /// The stream broke the framing rules: a message over the limit, or the client
    /// closed in the middle of one.
    Broken(FrameError),
    /// recv() itself failed (a reset, say).
    Failed(io::Error),
}

/// recv() until the client closes: print each recv() and each message recovered.
fn receive_messages(conn: &mut TcpStream, args: &ServerArgs) -> (Tally, End) {
    let mut tally = Tally::default();
    let mut reader = args.framing.reader(args.max as usize);
    let mut buf = vec![0u8; args.bufsize as usize];
    // The first bytes, kept until we know whether they start with a count header.
    let mut start: Option<Vec<u8>> = Some(Vec::new());

    loop {
        // recv(): returns whatever bytes have arrived, at most `bufsize`; where they
        // are cut has nothing to do with where the client's send() calls began.
        // Ok(0) means the client closed its side (end of stream).
        let data = match conn.read(&mut buf) {
            Ok(0) => {
                say!("recv() -> 0 bytes: the client closed its side");
                if let Some(undecided) = start.take() {
                    reader.push(&undecided); // too short to be a header: message bytes
                    if let Err(err) = take_messages(&mut *reader, &mut tally) {
                        return (tally, End::Broken(err));
                    }
                }
                let end = match reader.finish() {
                    Ok(()) => End::Closed,
                    Err(err) => End::Broken(err),
                };
                return (tally, end);
            }
            Ok(n) => &buf[..n],
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return (tally, End::Failed(err)),
        };
        tally.recv_calls += 1;
        say!(
            "recv() #{} -> {} bytes: {}",
            tally.recv_calls,
            data.len(),
            preview(data, 48)
        );

        // Before any framing: the fixed-size count header, if the client sent one.
        let body = match start.as_mut() {
            None => data.to_vec(),
            Some(seen) => {
                seen.extend_from_slice(data);
                match read_count_header(seen) {
                    CountHeader::NeedMore => continue,
                    CountHeader::Count(n) => {
                        say!("  count header (8 bytes): the client says it sends {n} messages");
                        tally.declared = Some(n);
                        let rest = seen.split_off(COUNT_HEADER_LEN);
                        start = None;
                        rest
                    }
                    CountHeader::Absent => {
                        let all = std::mem::take(seen);
                        start = None;
                        all
                    }
                }
            }
        };

        reader.push(&body);
        if let Err(err) = take_messages(&mut *reader, &mut tally) {
            return (tally, End::Broken(err));
        }
        if reader.waiting() > 0 {
            say!(
                "  ({} bytes kept: a message not complete yet, waiting for the next recv())",
                reader.waiting()
            );
        }
    }
}

/// After refusing a client that may still be sending: shutdown(SHUT_WR) (our answer is
/// complete), then read and throw away what it still sends, for a bounded time. If we
/// closed with its bytes unread, our kernel would answer with a reset (RST), and a
/// reset can make the client's kernel throw our answer away before the client reads it.
fn discard_the_rest(conn: &mut TcpStream) {
    let _ = conn.shutdown(Shutdown::Write);
    if conn
        .set_read_timeout(Some(Duration::from_millis(500)))
        .is_err()
    {
        return;
    }
    let until = Instant::now() + Duration::from_secs(2);
    let mut buf = [0u8; 65536];
    while Instant::now() < until {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Takes every complete message out of the reader and prints it.
fn take_messages(reader: &mut dyn MessageReader, tally: &mut Tally) -> Result<(), FrameError> {
    while let Some(message) = reader.next_message()? {
        tally.messages += 1;
        say!(
            "  message {} ({} bytes): {}",
            tally.messages,
            message.len(),
            preview(&message, 40)
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------

fn client(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    // socket() + connect(), to each address --host stands for until one answers
    // (Python: socket.create_connection((host, port))).
    let (mut stream, server) = args.endpoint.connect_tcp(lab)?;
    let local = stream.local_addr()?;
    say!(
        "connect({server}) -> connected, from local port {}",
        local.port()
    );
    say!("framing: {}", args.framing.describe());

    let messages = burst_messages(args.burst, args.size as usize);
    // --burst stops at 100 000, so the count always fits in the header's 4 bytes.
    let count = u32::try_from(messages.len()).expect("at most 100 001 messages");

    // What each send() did. Printing to a terminal takes far longer than a send(), so
    // without --pause the lines wait until the burst is out: printing between the
    // sends would space them out and hide the very effect this lab shows.
    let mut log = SendLog::new(args.pause == 0);

    // The count header goes first, outside any framing: 8 bytes, always.
    let header = count_header(count);
    send(&mut stream, &header, server)?;
    log.line(format!(
        "send({} bytes): count header {} (not a message)",
        header.len(),
        preview(&header, 40)
    ));

    // Every message its own send(), back to back: nothing on the wire says where one
    // ends unless the framing writes it there.
    let mut total = header.len();
    for (i, message) in messages.iter().enumerate() {
        let wire = frame(args.framing, message);
        if let Err(err) = send(&mut stream, &wire, server) {
            log.flush();
            // The server may have said why before it closed; show it if it did.
            let said = read_reply(&mut stream, Duration::from_millis(500));
            let said = if said.is_empty() {
                String::new()
            } else {
                format!(". The server said: {}", said.join(" / "))
            };
            anyhow::bail!("{err} (at message {} of {count}){said}", i + 1);
        }
        log.line(format!(
            "send({} bytes): {}",
            wire.len(),
            preview(&wire, 40)
        ));
        total += wire.len();
        if args.pause > 0 {
            std::thread::sleep(Duration::from_millis(args.pause));
        }
    }
    log.flush();
    say!(
        "sent {count} messages ({} short + 1 large of {} bytes): {total} bytes with {} send() calls",
        args.burst,
        args.size,
        count + 1
    );

    // shutdown(SHUT_WR): "no more bytes from me". The server's recv() returns 0, and
    // we can still read its answer. close() would throw the answer away.
    if let Err(err) = stream.shutdown(Shutdown::Write) {
        // Every byte was handed to our kernel, but the server has gone meanwhile.
        let said = read_reply(&mut stream, Duration::from_millis(500));
        anyhow::bail!(
            "the server at {server} closed the connection before it read everything: {}{}",
            hint::describe(&err),
            if said.is_empty() {
                ". Look at the server's terminal: it may have refused a message over its limit"
                    .to_string()
            } else {
                format!(". The server said: {}", said.join(" / "))
            }
        );
    }
    say!("shutdown(write): the server's recv() now returns 0; waiting for its answer");
    let answer = read_reply(&mut stream, Duration::from_secs(10));
    if answer.is_empty() {
        say!("(no answer from the server: it closed without one, or said nothing for 10 s)");
    }
    for line in answer {
        say!("server says: {line}");
    }
    Ok(())
}

/// The client's `send(...)` lines: printed at once, or kept until the burst is out.
struct SendLog {
    later: Option<Vec<String>>,
}

impl SendLog {
    fn new(hold: bool) -> SendLog {
        SendLog {
            later: hold.then(Vec::new),
        }
    }

    fn line(&mut self, line: String) {
        match self.later.as_mut() {
            Some(lines) => lines.push(line),
            None => say!("{line}"),
        }
    }

    fn flush(&mut self) {
        for line in self.later.iter_mut().flat_map(std::mem::take) {
            say!("{line}");
        }
    }
}

/// send() may take only part of the bytes; write_all loops until all are handed to the
/// kernel (Python's sendall() does the same).
fn send(stream: &mut TcpStream, bytes: &[u8], server: SocketAddr) -> anyhow::Result<()> {
    stream.write_all(bytes).map_err(|err| {
        anyhow::anyhow!(
            "the connection to {server} broke while sending: {}. The server stopped, or \
             refused a message over its limit: look at its terminal",
            hint::describe(&err)
        )
    })
}

/// The lines the server wrote back (made safe to print), read until it closes or
/// `wait` passes without a byte.
fn read_reply(stream: &mut TcpStream, wait: Duration) -> Vec<String> {
    if stream.set_read_timeout(Some(wait)).is_err() {
        return Vec::new();
    }
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    // A bounded read: our server's answer is a line or two.
    while reply.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
        }
    }
    reply
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| preview(line, 400))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
