//! Lab 2 — encoding. A socket carries bytes, not text: UTF-8 vs GBK.
//!
//! Run `lab 2 server` in one terminal and `lab 2 client` in another, then type `尹哲`.
//! The client turns the line into bytes (UTF-8 by default, `--encoding gbk` for GBK)
//! and sends them; the server shows, for every recv(), the bytes it got and what they
//! say when read as UTF-8 and when read as GBK. `lab 2 demo 尹哲` shows the same
//! without a network.
//!
//! | Python                                       | here                                      |
//! |----------------------------------------------|-------------------------------------------|
//! | `s.bind(("127.0.0.1", 12345))`, `s.listen()` | `TcpListener::bind(addr)`                 |
//! | `conn, addr = s.accept()`                    | `let (conn, peer) = listener.accept()?`   |
//! | `data = conn.recv(1024)`                     | `conn.read(&mut buf)`                     |
//! | `data.decode("utf-8")`                       | `UTF_8.decode_without_bom_handling(data)` |
//! | `data.decode("gbk")`                         | `GBK.decode_without_bom_handling(data)`   |
//! | `codecs.getincrementaldecoder("gbk")()`      | `GBK.new_decoder_without_bom_handling()`  |
//! | `"尹哲".encode("gbk")`                       | `GBK.encode("尹哲")`                      |
//! | `c.sendall(data)`                            | `stream.write_all(&data)`                 |
//! | `c.settimeout(10)` (bounds sendall too)      | `stream.set_write_timeout(Some(10 s))`    |
//!
//! Three lessons:
//! 1. The same text is different bytes in different encodings: `尹哲` is 6 bytes in
//!    UTF-8 (3 per character) and 4 in GBK (2 per character).
//! 2. Bytes read with the wrong encoding give wrong text. UTF-8's `e5 b0 b9 e5 93 b2`
//!    happens to be valid GBK, so it reads as `灏瑰摬` without any error (mojibake,
//!    乱码). GBK's `d2 fc d5 dc` is not valid UTF-8 at all: Python's
//!    `data.decode("utf-8")` raises UnicodeDecodeError and the classic server dies;
//!    here the bad bytes show as replacement marks (�) and the server goes on.
//! 3. TCP does not know where a character ends. A recv() may return half of one
//!    (`lab 2 client --chunk 1`, or `lab 2 server --bufsize 2`); decoding each recv()
//!    on its own breaks it. `--stream` uses a streaming decoder, which keeps the
//!    unfinished character and completes it with the next recv().
//!
//! The decoding is done by the `encoding_rs` crate (what Firefox uses), never by hand.
//! Like lab 1, the server serves one client at a time.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use encoding_rs::{CoderResult, Decoder, Encoding, GBK, UTF_8};

use crate::hint;
use crate::labs::Lab;
use crate::lang::{pick, tr};
use crate::net::{self, Endpoint};
use crate::term::{self, paint, preview, say, tell, Lines};

#[derive(Subcommand, Debug)]
pub enum Role {
    /// The server: shows each recv()'s bytes in hex, read as UTF-8 and as GBK
    Server(ServerArgs),
    /// The client: sends each line you type as UTF-8 or GBK bytes
    Client(ClientArgs),
    /// No network: a text's bytes in UTF-8 and GBK, each read both ways
    Demo(DemoArgs),
}

#[derive(Args, Debug)]
pub struct ServerArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// recv() buffer size: the most bytes one recv() may return. A small one (2)
    /// splits characters across recv() calls
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    bufsize: u32,

    /// Decode with a streaming decoder per connection, which carries an unfinished
    /// character over to the next recv() (without it, each recv() is decoded alone)
    #[arg(long)]
    stream: bool,

    /// The task of `lab check 2 server`: print only the text, every complete character
    /// as it arrives, one line per recv(), decoded with this encoding (a streaming
    /// decoder). No hex, no second encoding
    #[arg(long, value_enum, value_name = "ENCODING")]
    print: Option<TextEncoding>,
}

#[derive(Args, Debug)]
pub struct ClientArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// How to turn your text into bytes
    #[arg(long, value_enum, default_value_t = TextEncoding::Utf8)]
    encoding: TextEncoding,

    /// Send N bytes at a time, with a pause between sends, so characters arrive
    /// split across the server's recv() calls
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    chunk: Option<u32>,

    /// The pause between two chunks, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pause: u64,

    /// Seconds a send() may wait for a server that stopped reading before the client
    /// gives up (without a limit it would wait for ever)
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
    send_timeout: Duration,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// The text to show as bytes (several words are joined with spaces)
    #[arg(value_name = "TEXT", required = true)]
    text: Vec<String>,
}

/// The two encodings of this lab.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8: every language; a Chinese character is 3 bytes
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// GBK: simplified Chinese (Windows' code page 936); a Chinese character is 2 bytes
    #[value(name = "gbk")]
    Gbk,
}

impl TextEncoding {
    fn encoding(self) -> &'static Encoding {
        match self {
            TextEncoding::Utf8 => UTF_8,
            TextEncoding::Gbk => GBK,
        }
    }
}

pub fn run(role: Role, lab: &Lab) -> anyhow::Result<()> {
    match role {
        Role::Server(args) => server(args, lab),
        Role::Client(args) => client(args, lab),
        Role::Demo(args) => {
            demo(&args.text.join(" "));
            Ok(())
        }
    }
}

/// How many bytes of a recv() are shown in hex: enough for a few characters, short
/// enough that a 1 MiB burst stays readable.
const HEX_SHOWN: usize = 32;

/// How many characters of decoded text are shown per recv().
const TEXT_SHOWN: usize = 60;

// ---------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------

fn server(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;
    // std's bind() is socket() + setsockopt(SO_REUSEADDR, on Unix) + bind() +
    // listen(128) in one call (lab 1 shows those steps one by one).
    let listener =
        TcpListener::bind(addr).map_err(|err| hint::bind_failed(err, addr, lab.protocol))?;
    let local = listener
        .local_addr()
        .context("the listening socket has no address")?;
    // Ctrl-C or SIGTERM ends the server with a word and exit code 0. The OS closes its
    // sockets: a connected client's recv() returns 0 bytes, and the port is free again.
    // Installed before we say we listen: a signal that comes right after that line
    // (a script, a test) must find the handler already in place.
    term::stop_on_ctrl_c()?;
    net::announce_listening(local, lab.protocol);

    if let Some(encoding) = args.print {
        return print_only_text(listener, encoding, &args);
    }
    if args.stream {
        tell!(
            "--stream: one streaming decoder per encoding per connection; a character split \
             across recv() calls is completed when its last byte arrives"
        );
    } else {
        tell!(
            "each recv() is decoded on its own (as Python's data.decode() does): a character \
             split across two recv() calls shows as replacement marks (try --stream)"
        );
    }

    // One client at a time, for ever (Ctrl-C stops the server).
    let mut accept_failures = net::AcceptFailures::default();
    for n in 0.. {
        say!("accept() waiting...");
        // accept() fails when the server runs out of file descriptors (every socket
        // is one) or memory. The client stays queued, so accept() would fail again at
        // once: the floor says why once, pauses, and we try again.
        let (conn, peer) = loop {
            match listener.accept() {
                Ok(accepted) => break accepted,
                Err(err) => accept_failures.failed(&err),
            }
        };
        accept_failures.recovered();
        let who = paint(&peer.to_string(), n);
        say!("accept() -> {who}");

        let summary = serve_one_client(conn, &args);
        let how = match &summary.end {
            End::Closed => "closed by the client".to_string(),
            End::Failed(err) if err.kind() == ErrorKind::ConnectionReset => {
                format!("reset: {}", hint::describe(err))
            }
            End::Failed(err) => format!("error: {}", hint::describe(err)),
        };
        say!(
            "[end] {who}: {} in {}; {how}",
            plural(summary.bytes, "byte"),
            plural(summary.recvs, "recv() call")
        );
    }
    Ok(())
}

/// `--print ENCODING`: the student's task in `lab check 2 server`. One client after
/// another; each recv() prints one line: the characters it completed. A character
/// split across two recv() calls is held by the streaming decoder and printed whole
/// with the second; bytes that are not valid show as replacement marks (�).
fn print_only_text(
    listener: TcpListener,
    encoding: TextEncoding,
    args: &ServerArgs,
) -> anyhow::Result<()> {
    let mut buf = vec![0u8; args.bufsize as usize];
    loop {
        let Ok((mut conn, _)) = listener.accept() else {
            // A failed accept() (too many open files, say): pause rather than spin.
            thread::sleep(Duration::from_millis(100));
            continue;
        };
        let mut decoder = StreamDecoder::new(encoding.encoding());
        // recv() until the client closes (Ok(0)) or the connection breaks.
        while let Ok(n) = conn.read(&mut buf) {
            if n == 0 {
                break;
            }
            say!("{}", term::safe_str(&decoder.feed(&buf[..n]).text));
        }
    }
}

/// What one connection amounted to, for the line printed when it ends.
struct Summary {
    bytes: usize,
    /// recv() calls that brought bytes. The last one, which returns 0 bytes because
    /// the client closed, is not counted: every lab counts recv() calls this way.
    recvs: usize,
    end: End,
}

/// How a connection ended: the client closed it (recv() returned 0), or an error
/// (a reset: the client vanished without the normal goodbye).
enum End {
    Closed,
    Failed(std::io::Error),
}

/// recv() and show, until the client closes or the connection breaks. Nothing a
/// client sends can stop the server: bad bytes are shown, errors end this connection.
fn serve_one_client(mut conn: TcpStream, args: &ServerArgs) -> Summary {
    let mut buf = vec![0u8; args.bufsize as usize];
    // With --stream, one decoder per encoding lives as long as the connection, so an
    // unfinished character at the end of one recv() is finished by the next.
    let encodings = [(UTF_8, "UTF-8"), (GBK, "GBK")];
    let mut streams = encodings.map(|(encoding, _)| StreamDecoder::new(encoding));
    let mut summary = Summary {
        bytes: 0,
        recvs: 0,
        end: End::Closed,
    };
    loop {
        // recv() returns whatever has arrived, at most `bufsize` bytes. Where it cuts
        // has nothing to do with where characters (or messages) end.
        let n = match conn.read(&mut buf) {
            Ok(n) => n,
            Err(err) => {
                summary.end = End::Failed(err);
                break;
            }
        };
        if n == 0 {
            // Ok(0): the client closed its side (EOF), not "no data yet".
            say!("recv({}) -> 0 bytes: the client closed", args.bufsize);
            break;
        }
        summary.recvs += 1;
        let data = &buf[..n];
        summary.bytes += n;
        say!(
            "recv({}) -> {}: {}",
            args.bufsize,
            plural(n, "byte"),
            hex(data, HEX_SHOWN)
        );
        for ((encoding, name), stream) in encodings.into_iter().zip(&mut streams) {
            let decoded = if args.stream {
                stream.feed(data)
            } else {
                decode_alone(data, encoding)
            };
            say!("  {}", decoding_line(name, &decoded));
        }
    }

    // The connection is over. A streaming decoder still holding part of a character
    // will never see the rest: flushing it turns those bytes into a replacement mark.
    if args.stream {
        for ((_, name), stream) in encodings.into_iter().zip(&mut streams) {
            let rest = stream.finish();
            if !rest.text.is_empty() {
                say!(
                    "  the connection ended in the middle of a character: {}",
                    decoding_line(name, &rest)
                );
            }
        }
    }
    summary
}

// ---------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------

fn client(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    let mut input = Lines::from_stdin();
    // socket() + connect(), to each address --host stands for until one answers
    // (Python: socket.create_connection((host, port))).
    let (mut stream, server) = args.endpoint.connect_tcp(lab.number)?;
    // TCP_NODELAY: send each send() at once instead of waiting to gather more bytes
    // (Nagle's algorithm), so with --chunk every piece leaves on its own.
    stream
        .set_nodelay(true)
        .context("setsockopt(TCP_NODELAY) failed")?;
    // A server that stops reading fills its receive buffer, then ours; send() would
    // then block for ever. The write timeout bounds each send() (Python:
    // s.settimeout(10), which bounds sendall() as well as recv()).
    stream
        .set_write_timeout(Some(args.send_timeout))
        .context("setsockopt(SO_SNDTIMEO) failed")?;
    let name = encoding_name(args.encoding);
    say!(
        "{}",
        tr!(
            "connected to {server}; each line is sent as {name} bytes, without a newline",
            "已连接到 {server}；每一行都按 {name} 编码成字节发送，不带换行符",
        )
    );
    if input.interactive() {
        say!(
            "{}",
            pick(
                "Type a line (try 尹哲) and press Enter; Ctrl-D ends.",
                "输入一行文字（试试 尹哲），按 Enter 发送；Ctrl-D 结束。"
            )
        );
    }

    loop {
        let Some(line) = input.read("> ") else {
            // End of input (Ctrl-D, or the end of a piped file): close, and the
            // server's recv() returns 0 bytes.
            say!("end of input: close()");
            return Ok(());
        };
        if line.is_empty() {
            say!(
                "{}",
                pick(
                    "(an empty line is 0 bytes: nothing to send, so nothing is sent)",
                    "（空行是 0 字节：没有内容可发，所以什么也不发送）"
                )
            );
            continue;
        }

        // Python: line.encode("gbk"). Characters GBK has no code for do not raise
        // an error in encoding_rs: it writes them as HTML references like &#128512;.
        let (bytes, _, unmappable) = args.encoding.encoding().encode(&line);
        if unmappable {
            let missing = unmappable_chars(&line, args.encoding.encoding());
            tell!(
                "note: {name} has no code for {missing}. encoding_rs writes such a character \
                 as an HTML reference, plain ASCII bytes, and that is what is sent \
                 (Python's encode(\"gbk\") would raise UnicodeEncodeError instead)."
            );
        }

        let pieces: Vec<&[u8]> = match args.chunk {
            None => vec![&bytes[..]],
            Some(size) => {
                say!(
                    "{:?} in {name} is {}: {}; sending {} at a time",
                    line,
                    plural(bytes.len(), "byte"),
                    hex(&bytes, HEX_SHOWN),
                    plural(size as usize, "byte")
                );
                bytes.chunks(size as usize).collect()
            }
        };
        for (i, piece) in pieces.iter().enumerate() {
            if i > 0 {
                // Without a pause the pieces could still arrive together in one recv().
                thread::sleep(Duration::from_millis(args.pause));
            }
            // write_all() is Python's sendall(): it calls send() until every byte is out.
            stream.write_all(piece).map_err(|err| {
                hint::send_stalled(&err, server, args.send_timeout)
                    .unwrap_or_else(|| server_gone(server, &err, lab))
            })?;
            say!(
                "send({}): {}",
                plural(piece.len(), "byte"),
                hex(piece, HEX_SHOWN)
            );
        }
    }
}

/// `--send-timeout 0.5`: seconds, more than 0 and at most an hour.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 3600.0 => Ok(Duration::from_secs_f64(secs)),
        _ => Err(tr!(
            "`{text}` is not a number of seconds from more than 0 up to 3600 (try 10 or 0.5)",
            "`{text}` 不是一个大于 0、不超过 3600 的秒数（试试 10 或 0.5）"
        )),
    }
}

fn server_gone(server: SocketAddr, err: &std::io::Error, lab: &Lab) -> anyhow::Error {
    anyhow::anyhow!(hint::server_connection_broke(
        server,
        pick("sending", "发送时"),
        err,
        lab.number
    ))
}

fn encoding_name(encoding: TextEncoding) -> &'static str {
    match encoding {
        TextEncoding::Utf8 => "UTF-8",
        TextEncoding::Gbk => "GBK",
    }
}

/// The characters of `text` that `encoding` has no code for, each shown once with
/// what encoding_rs writes instead: `😀 (U+1F600, written as &#128512;)`.
fn unmappable_chars(text: &str, encoding: &'static Encoding) -> String {
    let mut missing: Vec<char> = Vec::new();
    for c in text.chars() {
        let (_, _, unmappable) = encoding.encode(c.encode_utf8(&mut [0; 4]));
        if unmappable && !missing.contains(&c) {
            missing.push(c);
        }
    }
    let shown: Vec<String> = missing
        .iter()
        .map(|&c| {
            let code = c as u32;
            let shown = preview(c.to_string().as_bytes(), 1);
            format!("{shown} (U+{code:04X}, written as &#{code};)")
        })
        .collect();
    shown.join(", ")
}

// ---------------------------------------------------------------------------------
// The demo (no network)
// ---------------------------------------------------------------------------------

fn demo(text: &str) {
    say!("{:?}: {}", text, plural(text.chars().count(), "character"));
    for (from, from_name) in [(UTF_8, "UTF-8"), (GBK, "GBK")] {
        let (bytes, _, unmappable) = from.encode(text);
        say!("");
        say!(
            "{from_name} bytes ({}): {}",
            bytes.len(),
            hex(&bytes, usize::MAX)
        );
        if unmappable {
            say!(
                "  ({from_name} has no code for {})",
                unmappable_chars(text, from)
            );
        }
        for (to, to_name) in [(UTF_8, "UTF-8"), (GBK, "GBK")] {
            let decoded = decode_alone(&bytes, to);
            let verdict = if decoded.text == text {
                "the text you gave".to_string()
            } else if decoded.failed {
                "Python's decode() would raise UnicodeDecodeError".to_string()
            } else if unmappable {
                format!("not your text: {from_name} could not hold all of it")
            } else {
                format!("valid {to_name}, but not your text: mojibake (乱码)")
            };
            say!("  read {}  <- {verdict}", decoding_line(to_name, &decoded));
        }
    }
}

// ---------------------------------------------------------------------------------
// Bytes and decoding (pure functions, tested below)
// ---------------------------------------------------------------------------------

/// Bytes in hex, `e5 b0 b9`, at most `max` of them, then `… (+N more)`.
fn hex(bytes: &[u8], max: usize) -> String {
    let shown: Vec<String> = bytes.iter().take(max).map(|b| format!("{b:02x}")).collect();
    let mut text = shown.join(" ");
    if bytes.len() > max {
        text.push_str(&format!(" … (+{} more)", bytes.len() - max));
    }
    text
}

/// `1 byte`, `6 bytes`.
fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// What a decoder made of some bytes.
#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    text: String,
    /// Some bytes were not valid in this encoding; each bad spot is a U+FFFD (�) in `text`.
    failed: bool,
    /// Bytes of an unfinished character the streaming decoder keeps for the next recv().
    held: usize,
}

/// Decodes one recv()'s bytes on their own, as Python's `data.decode(...)` does, but
/// with replacement marks (�) where Python would raise UnicodeDecodeError. A character
/// cut at either end of `bytes` is broken.
fn decode_alone(bytes: &[u8], encoding: &'static Encoding) -> Decoded {
    let (text, failed) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        failed,
        held: 0,
    }
}

/// A streaming decoder for one connection: bytes go in as they arrive, text comes out
/// as soon as each character is complete. Python: `codecs.getincrementaldecoder`.
struct StreamDecoder {
    encoding: &'static Encoding,
    decoder: Decoder,
    /// Bytes since the decoder last produced a character: an unfinished character.
    held: usize,
}

impl StreamDecoder {
    fn new(encoding: &'static Encoding) -> StreamDecoder {
        StreamDecoder {
            encoding,
            decoder: encoding.new_decoder_without_bom_handling(),
            held: 0,
        }
    }

    /// Decodes the next bytes of the stream. An unfinished character at the end is
    /// kept inside the decoder, and finished by the next call.
    fn feed(&mut self, bytes: &[u8]) -> Decoded {
        let mut text = String::new();
        // The bulk goes in one call, as a real program does. The last four bytes go one
        // at a time, only so that we can tell the student how many bytes the decoder is
        // holding: those after it last produced a character. (An unfinished character
        // is at most 3 bytes, in UTF-8 and in GBK, so four bytes always produce one.)
        let (bulk, tail) = bytes.split_at(bytes.len().saturating_sub(4));
        let mut failed = self.decode_into(bulk, &mut text, false);
        for &byte in tail {
            let before = text.len();
            failed |= self.decode_into(&[byte], &mut text, false);
            self.held = if text.len() == before {
                self.held + 1
            } else if text.ends_with('\u{FFFD}') && self.starts_a_character(byte) {
                // The byte showed that the bytes before it were broken (one �), and
                // the decoder started over with it as the first byte of a character.
                1
            } else {
                0
            };
        }
        Decoded {
            text,
            failed,
            held: self.held,
        }
    }

    /// True if `byte` on its own is the start of an unfinished character (a fresh
    /// decoder would keep it and wait for more).
    fn starts_a_character(&self, byte: u8) -> bool {
        let mut fresh = self.encoding.new_decoder_without_bom_handling();
        let mut text = String::with_capacity(16);
        let _ = fresh.decode_to_string(&[byte], &mut text, false);
        text.is_empty()
    }

    /// The stream has ended: an unfinished character still held becomes a
    /// replacement mark, since its missing bytes will never come.
    fn finish(&mut self) -> Decoded {
        let mut text = String::new();
        let failed = self.decode_into(&[], &mut text, true);
        self.held = 0;
        Decoded {
            text,
            failed,
            held: 0,
        }
    }

    /// encoding_rs writes into the String's spare capacity; make room and repeat until
    /// every byte is in. Returns true if a replacement mark was written.
    fn decode_into(&mut self, mut bytes: &[u8], text: &mut String, last: bool) -> bool {
        let mut failed = false;
        loop {
            let room = self
                .decoder
                .max_utf8_buffer_length(bytes.len())
                .unwrap_or(bytes.len().saturating_mul(3));
            text.reserve(room.max(4));
            let (result, read, replaced) = self.decoder.decode_to_string(bytes, text, last);
            failed |= replaced;
            bytes = &bytes[read..];
            if result == CoderResult::InputEmpty {
                return failed;
            }
        }
    }
}

/// One line per decoding: `as UTF-8 ✓ 2 characters: "尹哲"`. The ✓/✗ says whether
/// every byte was valid in that encoding (never colour alone). The text is made safe
/// to print (a peer's bytes could hold terminal escape sequences) and cut if long.
fn decoding_line(name: &str, decoded: &Decoded) -> String {
    let chars = plural(decoded.text.chars().count(), "character");
    let mut line = if decoded.failed {
        let marks = decoded.text.matches('\u{FFFD}').count();
        format!("as {name:<5} ✗ {chars} ({marks} � = bytes not valid in {name})")
    } else {
        format!("as {name:<5} ✓ {chars}")
    };
    line.push_str(&format!(
        ": \"{}\"",
        preview(decoded.text.as_bytes(), TEXT_SHOWN)
    ));
    if decoded.held > 0 {
        line.push_str(&format!(
            " + {} of an unfinished character, kept for the next recv()",
            plural(decoded.held, "byte")
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    // 尹哲 in UTF-8 (3 bytes a character) and in GBK (2 bytes a character).
    const YIN_ZHE_UTF8: &[u8] = b"\xe5\xb0\xb9\xe5\x93\xb2";
    const YIN_ZHE_GBK: &[u8] = b"\xd2\xfc\xd5\xdc";

    #[test]
    fn yin_zhe_is_six_bytes_in_utf8_and_four_in_gbk() {
        assert_eq!(&UTF_8.encode("尹哲").0[..], YIN_ZHE_UTF8);
        assert_eq!(&GBK.encode("尹哲").0[..], YIN_ZHE_GBK);
    }

    #[test]
    fn utf8_bytes_read_as_gbk_are_valid_but_wrong_text() {
        let decoded = decode_alone(YIN_ZHE_UTF8, GBK);
        assert_eq!(decoded.text, "灏瑰摬");
        assert!(!decoded.failed);
    }

    #[test]
    fn gbk_bytes_read_as_utf8_fail_with_replacement_marks() {
        let decoded = decode_alone(YIN_ZHE_GBK, UTF_8);
        assert!(decoded.failed);
        assert!(
            decoded.text.chars().all(|c| c == '\u{FFFD}'),
            "{:?}",
            decoded.text
        );
        assert_eq!(decode_alone(YIN_ZHE_GBK, GBK).text, "尹哲");
    }

    #[test]
    fn a_character_cut_in_two_recvs_breaks_when_each_is_decoded_alone() {
        let (first, second) = YIN_ZHE_UTF8.split_at(2);
        let a = decode_alone(first, UTF_8);
        let b = decode_alone(second, UTF_8);
        assert!(a.failed && b.failed);
        assert_eq!(a.text, "\u{FFFD}");
        assert_eq!(b.text, "\u{FFFD}哲");
    }

    /// Feeds `bytes` to a streaming decoder in two reads, cut at `at`.
    fn stream_in_two(bytes: &[u8], encoding: &'static Encoding, at: usize) -> String {
        let mut stream = StreamDecoder::new(encoding);
        let (first, second) = bytes.split_at(at);
        let a = stream.feed(first);
        let b = stream.feed(second);
        let end = stream.finish();
        assert!(!a.failed && !b.failed && !end.failed, "cut at {at}");
        format!("{}{}{}", a.text, b.text, end.text)
    }

    #[test]
    fn a_streaming_decoder_joins_a_character_cut_at_any_position() {
        let text = "a尹哲b 你好";
        for encoding in [UTF_8, GBK] {
            let bytes = encoding.encode(text).0;
            for at in 0..=bytes.len() {
                assert_eq!(
                    stream_in_two(&bytes, encoding, at),
                    text,
                    "{}",
                    encoding.name()
                );
            }
        }
    }

    #[test]
    fn a_streaming_decoder_holds_exactly_the_bytes_of_a_character_cut_at_any_position() {
        let text = "a尹哲b 你好";
        for encoding in [UTF_8, GBK] {
            let bytes = encoding.encode(text).0;
            // Where each character's bytes end.
            let mut ends = vec![0];
            for c in text.chars() {
                let last = ends[ends.len() - 1];
                ends.push(last + encoding.encode(c.encode_utf8(&mut [0; 4])).0.len());
            }
            for at in 0..=bytes.len() {
                let whole = ends.iter().filter(|&&end| end <= at).max().copied();
                let held = StreamDecoder::new(encoding).feed(&bytes[..at]).held;
                assert_eq!(Some(at - held), whole, "{} cut at {at}", encoding.name());
            }
        }
    }

    #[test]
    fn a_streaming_decoder_joins_bytes_arriving_one_at_a_time() {
        for encoding in [UTF_8, GBK] {
            let mut stream = StreamDecoder::new(encoding);
            let bytes = encoding.encode("尹哲").0;
            let text: String = bytes.iter().map(|&b| stream.feed(&[b]).text).collect();
            assert_eq!(text, "尹哲", "{}", encoding.name());
        }
    }

    #[test]
    fn the_streaming_decoder_says_how_many_bytes_it_holds() {
        let mut stream = StreamDecoder::new(UTF_8);
        let first = stream.feed(b"\xe5\xb0");
        assert_eq!((first.text.as_str(), first.held), ("", 2));
        let second = stream.feed(b"\xb9\xe5");
        assert_eq!((second.text.as_str(), second.held), ("尹", 1));
        let third = stream.feed(b"\x93\xb2");
        assert_eq!((third.text.as_str(), third.held), ("哲", 0));

        let mut stream = StreamDecoder::new(GBK);
        let first = stream.feed(b"\xd2");
        assert_eq!((first.text.as_str(), first.held), ("", 1));
        let second = stream.feed(b"\xfc\xd5\xdc");
        assert_eq!((second.text.as_str(), second.held), ("尹哲", 0));
    }

    #[test]
    fn a_byte_that_breaks_the_previous_character_and_starts_a_new_one_is_counted_as_held() {
        // GBK's 哲 (d5 dc) read as UTF-8: d5 starts a character, dc is no continuation
        // of it (one �) but starts a character of its own.
        let mut stream = StreamDecoder::new(UTF_8);
        assert_eq!(stream.feed(b"\xd5").held, 1);
        let second = stream.feed(b"\xdc");
        assert_eq!((second.text.as_str(), second.held), ("\u{FFFD}", 1));
        let third = stream.feed(b"h");
        assert_eq!((third.text.as_str(), third.held), ("\u{FFFD}h", 0));
        // A byte that is invalid on its own is not held.
        let fourth = stream.feed(b"\xd5\xff");
        assert_eq!((fourth.text.as_str(), fourth.held), ("\u{FFFD}\u{FFFD}", 0));
    }

    #[test]
    fn held_bytes_are_counted_in_a_long_read_too() {
        let mut bytes = vec![b'x'; 100];
        bytes.extend_from_slice(b"\xe5\xb0");
        let decoded = StreamDecoder::new(UTF_8).feed(&bytes);
        assert_eq!(decoded.held, 2);
        assert_eq!(decoded.text.len(), 100);
    }

    #[test]
    fn a_stream_ending_mid_character_turns_the_rest_into_a_replacement_mark() {
        let mut stream = StreamDecoder::new(UTF_8);
        assert_eq!(stream.feed(b"ok\xe5\xb0").text, "ok");
        let end = stream.finish();
        assert!(end.failed);
        assert_eq!(end.text, "\u{FFFD}");

        let mut stream = StreamDecoder::new(UTF_8);
        stream.feed(b"ok");
        assert_eq!(stream.finish().text, "");
    }

    #[test]
    fn invalid_bytes_in_a_stream_are_marked_and_decoding_goes_on() {
        let mut stream = StreamDecoder::new(UTF_8);
        let decoded = stream.feed(b"\xff\xfe hi");
        assert!(decoded.failed);
        assert_eq!(decoded.text, "\u{FFFD}\u{FFFD} hi");
        assert_eq!(stream.feed("尹".as_bytes()).text, "尹");
    }

    #[test]
    fn hex_shows_every_byte_up_to_the_limit_and_counts_the_rest() {
        assert_eq!(hex(YIN_ZHE_UTF8, 32), "e5 b0 b9 e5 93 b2");
        assert_eq!(hex(YIN_ZHE_UTF8, 2), "e5 b0 … (+4 more)");
        assert_eq!(hex(b"", 32), "");
    }

    #[test]
    fn a_decoding_line_marks_failures_and_counts_characters() {
        let good = decode_alone(YIN_ZHE_UTF8, UTF_8);
        assert_eq!(
            decoding_line("UTF-8", &good),
            "as UTF-8 ✓ 2 characters: \"尹哲\""
        );
        let bad = decode_alone(b"\xd2\xfc", UTF_8);
        assert_eq!(
            decoding_line("UTF-8", &bad),
            "as UTF-8 ✗ 2 characters (2 � = bytes not valid in UTF-8): \"��\""
        );
    }

    #[test]
    fn decoded_text_is_printed_safely() {
        let decoded = decode_alone(b"\x1b[2Jhi", UTF_8);
        assert_eq!(
            decoding_line("UTF-8", &decoded),
            "as UTF-8 ✓ 6 characters: \"\\e[2Jhi\""
        );
    }

    #[test]
    fn gbk_cannot_encode_an_emoji_and_says_which_character() {
        let (bytes, _, unmappable) = GBK.encode("a😀");
        assert!(unmappable);
        assert_eq!(&bytes[..], b"a&#128512;");
        assert_eq!(
            unmappable_chars("a😀😀", GBK),
            "😀 (U+1F600, written as &#128512;)"
        );
    }
}
