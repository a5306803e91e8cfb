//! Lab 3 — half-duplex. A turn-taking chat: the server's operator and one client.
//!
//! Run `lab 3 server` in one terminal and `lab 3 client --name amy` in another. The
//! client speaks first; then the server's operator answers at the `>>> ` prompt; then
//! the client again. Only one side may speak at a time, like a walkie-talkie: that is
//! what "half-duplex" means. `q` from either side ends the conversation, and the
//! server goes back to accept() for the next client, who gets a new colour.
//!
//! This retells the classic Python chat on port 9000 (`Q` to quit, a name tag in front
//! of each message, a colour per friend) and fixes what it gets wrong:
//! - the classic client, waiting in recv() for a reply from a server that died, hangs
//!   or crashes; ours notices at once (recv() returns 0 bytes, or a reset) and says so;
//! - the classic named client sends `name:q`, which the classic server does not see as
//!   `q`; ours sends a plain `q`, and our server understands both;
//! - an empty line is 0 bytes, and sending 0 bytes sends nothing, so the other side
//!   would wait for ever: we refuse to send it.
//!
//! | Python                                   | here                                      |
//! |------------------------------------------|-------------------------------------------|
//! | `sk.bind(("127.0.0.1", 9000))`, `sk.listen()` | `TcpListener::bind(addr)` (both at once) |
//! | `conn, addr = sk.accept()`               | `let (conn, peer) = listener.accept()?`   |
//! | `ret = conn.recv(1024)`                  | `conn.read(&mut buf)`                     |
//! | `msg = input(">>>")`                     | `input.read(">>> ")`                      |
//! | `conn.send(msg.encode("utf-8"))`         | `conn.write_all(reply.as_bytes())`        |
//! | `if ret.upper() == "Q": break`           | `if is_quit(text) { ... }`                |
//! | `conn.close()`                           | `drop(conn)`                              |
//! | `sk.connect(("127.0.0.1", 9000))`        | `TcpStream::connect(addr)`                |
//!
//! Why half-duplex: each program does one blocking thing at a time. While the server
//! waits in recv() for the client, it is not reading the keyboard: whatever the
//! operator types waits in the terminal and is taken as the next reply. While the
//! client waits for the reply, its user cannot send. And while the server talks to
//! one client, the next one waits in the listen queue, its connect() already done.
//! Lab 4 removes both limits: a thread per client, and a reader thread in the client.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use clap::{Args, Subcommand};

use crate::hint;
use crate::labs::Lab;
use crate::net::{self, Endpoint};
use crate::term::{self, paint, preview, safe, safe_str, say, Lines};

/// The most bytes one recv() takes, as in the classic `recv(1024)`. One turn is one
/// recv(), so the client never sends a longer message: a longer one could arrive in
/// two pieces and put the turns out of step (lab 7 is about exactly that).
const RECV_SIZE: usize = 1024;

#[derive(Subcommand, Debug)]
pub enum Role {
    /// The server: talks with one client at a time, taking turns; you type the replies
    Server(ServerArgs),
    /// The client: sends NAME:text, then waits for the server's reply; `q` quits
    Client(ClientArgs),
}

#[derive(Args, Debug)]
pub struct ServerArgs {
    #[command(flatten)]
    endpoint: Endpoint,
}

#[derive(Args, Debug)]
pub struct ClientArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// Your name tag: each message goes out as NAME:text, so the server knows who
    /// speaks (1 to 32 characters, no `:`)
    #[arg(long, default_value = "guest", value_parser = parse_name)]
    name: String,
}

pub fn run(role: Role, lab: &Lab) -> anyhow::Result<()> {
    match role {
        Role::Server(args) => server(args, lab),
        Role::Client(args) => client(args, lab),
    }
}

// ---------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------

fn server(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;
    // std's TcpListener::bind does in one call what lab 1 does in four:
    // socket() + setsockopt(SO_REUSEADDR) (not on Windows) + bind() + listen(128).
    let listener =
        TcpListener::bind(addr).map_err(|err| hint::bind_failed(err, addr, lab.protocol))?;
    // Ctrl-C or SIGTERM ends the server with a word and exit code 0. The OS closes its
    // sockets: a connected client's recv() returns 0 bytes, and the port is free again.
    // Installed before we say we listen: a signal that comes right after that line
    // (a script, a test) must find the handler already in place.
    term::stop_on_ctrl_c()?;
    net::announce_listening(listener.local_addr()?, lab.protocol);

    let mut input = Lines::from_stdin();

    // One client after another. `number` picks each client's colour.
    let mut accept_failures = net::AcceptFailures::default();
    for number in 0.. {
        say!("waiting for a client (accept)...");
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
        say!(
            "[connect] {peer} (client #{}); the client speaks first",
            number + 1
        );

        let end = converse(&conn, peer, number, &mut input);
        // close(): the client's recv() returns 0 bytes from now on.
        drop(conn);
        match end {
            End::ClientQuit(who) => say!("{who} ended the conversation (q)"),
            End::ServerQuit => say!("you ended the conversation (q)"),
            End::Closed => say!("[lost] {peer} closed the connection without q"),
            End::Failed(err) => say!("[error] {peer}: {}", hint::describe(&err)),
            End::NoOperator => {
                // Without an operator nobody can answer the next client either.
                say!("end of input: no one is left to type replies, so the server stops");
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Why a conversation ended.
enum End {
    /// The client sent `q`; the name it used (or its address).
    ClientQuit(String),
    /// The operator typed `q`.
    ServerQuit,
    /// recv() returned 0 bytes: the client closed the connection without saying `q`.
    Closed,
    /// recv() or send() failed, typically "connection reset".
    Failed(io::Error),
    /// The server's stdin ended (Ctrl-D, or the end of a piped file): like `q`.
    NoOperator,
}

/// The turns: recv the client's message, print it, read the operator's reply, send it.
fn converse(mut conn: &TcpStream, peer: SocketAddr, number: usize, input: &mut Lines) -> End {
    let mut buf = [0u8; RECV_SIZE];
    // Who is speaking: the address until the client's first name tag arrives. (Our
    // client's `q` has no tag, so the name is remembered for it.)
    let mut who = peer.to_string();
    loop {
        // The client's turn. recv() blocks until its message arrives; meanwhile this
        // program reads no keyboard at all.
        if input.interactive() {
            say!("(the client's turn: waiting in recv())");
        }
        let n = match conn.read(&mut buf) {
            // Ok(0) is the end of the stream: the client closed its side.
            Ok(0) => return End::Closed,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return End::Failed(err),
        };
        // nc sends a newline after each line; the classic Python client sends none.
        let message = trim_newline(&buf[..n]);
        let (name, text) = split_name(message);
        if let Some(name) = name {
            who = safe_str(name);
        }
        if is_quit(text) {
            return End::ClientQuit(who);
        }
        say!("{}: {}", paint(&who, number), preview(text, 400));

        // Our turn. Whatever the operator typed while we waited is read now.
        let reply = loop {
            let Some(line) = input.read(">>> ") else {
                // Tell the client, so it does not wait for a reply for ever.
                let _ = conn.write_all(b"q");
                return End::NoOperator;
            };
            if line.is_empty() {
                // send(b"") sends nothing: the client would wait for ever.
                say!("(an empty reply is 0 bytes and would never arrive: type something, or q)");
                continue;
            }
            if line.len() > RECV_SIZE {
                say!(
                    "(that is {} bytes; one turn holds at most {RECV_SIZE}: say less)",
                    line.len()
                );
                continue;
            }
            break line;
        };
        // send(): Python's send() may send only part of the bytes; write_all() loops
        // until every byte is handed to the kernel, like Python's sendall().
        if let Err(err) = conn.write_all(reply.as_bytes()) {
            return End::Failed(err);
        }
        if is_quit(reply.as_bytes()) {
            return End::ServerQuit;
        }
    }
}

// ---------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------

fn client(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    // socket() + connect(), to each address --host stands for until one answers
    // (Python: socket.create_connection((host, port))).
    let (mut conn, server) = args.endpoint.connect_tcp(lab.number)?;
    let local = conn.local_addr()?;
    say!(
        "connected to {server} from {local} as {}. You speak first; q quits.",
        safe_str(&args.name)
    );
    say!("(if the server is busy with another client, your message waits until it accepts you)");
    let mut input = Lines::from_stdin();
    let mut buf = [0u8; RECV_SIZE];

    loop {
        // Our turn.
        let Some(line) = input.read(">>> ") else {
            // End of input (Ctrl-D, or the end of a piped file) counts as `q`.
            let _ = conn.write_all(b"q");
            say!("end of input: you ended the conversation");
            return Ok(());
        };
        if line.is_empty() {
            say!("(an empty line is 0 bytes: nothing would arrive. Type something, or q)");
            continue;
        }
        if is_quit(line.as_bytes()) {
            // A plain `q`, without the name tag: the classic server understands it too.
            conn.write_all(b"q")
                .map_err(|err| server_gone(server, "sending q", &err, lab))?;
            say!("you ended the conversation");
            return Ok(());
        }
        let message = format!("{}:{line}", args.name);
        if message.len() > RECV_SIZE {
            say!(
                "(that is {} bytes with your name; one turn holds at most {RECV_SIZE}: say less)",
                message.len()
            );
            continue;
        }
        conn.write_all(message.as_bytes())
            .map_err(|err| server_gone(server, "sending", &err, lab))?;

        // The server's turn: recv() blocks until the reply comes, and we cannot type.
        // If the server dies now, its kernel closes the connection and recv() returns
        // 0 bytes at once (or fails with "reset"): we say so instead of hanging.
        if input.interactive() {
            say!("(the server's turn: waiting for its reply)");
        }
        let n = loop {
            match conn.read(&mut buf) {
                Ok(n) => break n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(server_gone(server, "waiting for the reply", &err, lab)),
            }
        };
        if n == 0 {
            anyhow::bail!(hint::server_went_away(server, lab.number));
        }
        let reply = trim_newline(&buf[..n]);
        if is_quit(reply) {
            say!("the server ended the conversation (it sent q)");
            return Ok(());
        }
        say!("server: {}", safe(reply));
    }
}

fn server_gone(server: SocketAddr, doing: &str, err: &io::Error, lab: &Lab) -> anyhow::Error {
    anyhow::anyhow!(hint::server_connection_broke(
        server, doing, err, lab.number
    ))
}

// ---------------------------------------------------------------------------------
// The bytes of a turn (pure functions, tested below)
// ---------------------------------------------------------------------------------

/// `q` or `Q` (with or without spaces around it) ends the conversation.
fn is_quit(text: &[u8]) -> bool {
    text.trim_ascii().eq_ignore_ascii_case(b"q")
}

/// The message without the `\n` or `\r\n` that nc and some clients add.
fn trim_newline(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    bytes.strip_suffix(b"\r").unwrap_or(bytes)
}

/// Splits the name tag off `NAME:text`. A name is 1 to 32 characters of UTF-8 text
/// with no control characters; anything else (no colon, or something that cannot be
/// a name) gives `None` and the whole message as text.
fn split_name(message: &[u8]) -> (Option<&str>, &[u8]) {
    let Some(colon) = message.iter().position(|&b| b == b':') else {
        return (None, message);
    };
    match std::str::from_utf8(&message[..colon]) {
        Ok(name) if is_name(name) => (Some(name), &message[colon + 1..]),
        _ => (None, message),
    }
}

fn is_name(name: &str) -> bool {
    let chars = name.chars().count();
    (1..=32).contains(&chars)
        && !name.trim().is_empty()
        && !name.chars().any(|c| c.is_control() || c == ':')
}

/// `--name`: checked before we connect, so the server can always split it off.
fn parse_name(name: &str) -> Result<String, String> {
    if is_name(name) {
        Ok(name.to_string())
    } else {
        Err("a name is 1 to 32 characters, without `:` or control characters".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_in_either_case_with_or_without_spaces_quits() {
        for text in [&b"q"[..], b"Q", b" q ", b"q\r\n"] {
            assert!(is_quit(text), "{text:?}");
        }
        for text in [&b"qq"[..], b"quit", b"", b"amy:q"] {
            assert!(!is_quit(text), "{text:?}");
        }
    }

    #[test]
    fn the_newline_nc_adds_is_removed_once() {
        assert_eq!(trim_newline(b"hi\n"), b"hi");
        assert_eq!(trim_newline(b"hi\r\n"), b"hi");
        assert_eq!(trim_newline(b"hi\n\n"), b"hi\n");
        assert_eq!(trim_newline(b"hi"), b"hi");
    }

    #[test]
    fn a_name_tag_is_split_off_the_message() {
        assert_eq!(split_name(b"amy:hello"), (Some("amy"), &b"hello"[..]));
        assert_eq!(
            split_name("小马过河1234QQ:你好".as_bytes()),
            (Some("小马过河1234QQ"), "你好".as_bytes())
        );
        // Only the first colon separates: the text may hold more.
        assert_eq!(split_name(b"amy:at 10:30"), (Some("amy"), &b"at 10:30"[..]));
        assert_eq!(split_name(b"amy:q"), (Some("amy"), &b"q"[..]));
    }

    #[test]
    fn a_message_without_a_name_is_kept_whole() {
        assert_eq!(split_name(b"hello"), (None, &b"hello"[..]));
        assert_eq!(split_name(b":hello"), (None, &b":hello"[..]));
        assert_eq!(split_name(b"\x1b[2J:x"), (None, &b"\x1b[2J:x"[..]));
        assert_eq!(split_name(b"\xff\xfe:x"), (None, &b"\xff\xfe:x"[..]));
        let long = format!("{}:x", "a".repeat(33));
        assert_eq!(split_name(long.as_bytes()).0, None);
    }

    #[test]
    fn a_name_tag_cut_anywhere_never_panics() {
        let message = "尹哲:你好".as_bytes();
        for cut in 0..=message.len() {
            let _ = split_name(&message[..cut]);
            let _ = split_name(&message[cut..]);
        }
    }

    #[test]
    fn names_are_checked_before_connecting() {
        assert!(parse_name("amy").is_ok());
        assert!(parse_name("小郭吹雪").is_ok());
        assert!(parse_name("").is_err());
        assert!(parse_name("a:b").is_err());
        assert!(parse_name("  ").is_err());
        assert!(parse_name("a\u{1b}b").is_err());
    }
}
