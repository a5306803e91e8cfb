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
//! | `s.settimeout(10)` (bounds sendall too)           | `stream.set_write_timeout(Some(10 s))`         |
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
//!
//! Where to read what, in this order:
//! - `mod.rs` (this file): the lesson, the options of each role, `run`.
//! - `readers.rs`: the framing itself, pure byte logic with no sockets. `frame` puts a
//!   message on the wire; the readers take the bytes of each recv() and give whole
//!   messages back; the count header; the client's messages. Its unit tests feed them
//!   bytes, cut at every position.
//! - `server.rs`: one client at a time; prints every recv() and every message it
//!   recovers, and answers with the summary (with `--echo`: sends each message back).
//! - `client.rs`: the burst, each message its own send(); then shutdown(SHUT_WR) and
//!   the server's answer.

mod client;
mod readers;
mod server;

use clap::{Args, Subcommand};

use crate::labs::Lab;
use crate::lang::tr;
use crate::net::Endpoint;

use readers::Framing;

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

    /// Milliseconds to wait after accept() before the first recv(), as a busy server
    /// would. What the client sends meanwhile waits in the kernel, and the first
    /// recv() takes it together: try 500 with --framing none
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    delay: u64,

    /// Send every message recovered back to the client, framed the same way, and no
    /// summary at the end: the task `lab check 7 server` checks (use with line or length)
    #[arg(long)]
    echo: bool,
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

    /// Seconds a send() may wait for a server that stopped reading before the client
    /// gives up (without a limit it would wait for ever)
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
    send_timeout: std::time::Duration,
}

/// `--send-timeout 0.5`: seconds, more than 0 and at most an hour.
fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 3600.0 => Ok(std::time::Duration::from_secs_f64(secs)),
        _ => Err(tr!(
            "`{text}` is not a number of seconds from more than 0 up to 3600 (try 10 or 0.5)",
            "`{text}` 不是一个大于 0、不超过 3600 的秒数（试试 10 或 0.5）"
        )),
    }
}

pub fn run(role: Role, lab: &Lab) -> anyhow::Result<()> {
    match role {
        Role::Server(args) => server::run(args, lab),
        Role::Client(args) => client::run(args, lab),
    }
}

/// The longest message the server accepts unless told otherwise: 1 MiB.
pub const MAX_MESSAGE: u32 = 1_048_576;
