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
use crate::lang::{pick, tr};
use crate::net::{self, Endpoint};
use crate::term::{self, paint, preview, safe, safe_str, say, tell, Lines};

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
    /// speaks (1 to 16 characters, no spaces, no `:`)
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
            End::ServerQuit => say!(
                "{}",
                pick("you ended the conversation (q)", "你结束了这次对话（q）")
            ),
            End::Closed => say!("[lost] {peer} closed the connection without q"),
            End::Failed(err) => tell!("[error] {peer}: {}", hint::describe(&err)),
            End::NoOperator => {
                // Without an operator nobody can answer the next client either.
                tell!("end of input: no one is left to type replies, so the server stops");
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
    // Who is speaking: the connection's first message decides (see `Speaker`).
    let mut speaker = Speaker::default();
    loop {
        // The client's turn. recv() blocks until its message arrives; meanwhile this
        // program reads no keyboard at all.
        if input.interactive() {
            say!(
                "{}",
                pick(
                    "(the client's turn: waiting in recv())",
                    "（轮到客户端说话：在 recv() 里等待）"
                )
            );
        }
        let n = match conn.read(&mut buf) {
            // Ok(0) is the end of the stream: the client closed its side.
            Ok(0) => return End::Closed,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return End::Failed(err),
        };
        // nc sends a newline after each line; the classic Python client sends none.
        let text = speaker.hear(trim_newline(&buf[..n]));
        let who = match speaker.name() {
            Some(name) => safe_str(name),
            None => peer.to_string(),
        };
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
                tell!(
                    "{}",
                    pick(
                        "(an empty reply is 0 bytes and would never arrive: type something, or q)",
                        "（空回复是 0 字节，对方永远收不到：请输入点内容，或输入 q）"
                    )
                );
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
    let name = safe_str(&args.name);
    tell!(
        "{}",
        tr!(
            "connected to {server} from {local} as {name}. You speak first; q quits.",
            "已从 {local} 以 {name} 的身份连接到 {server}。你先说；输入 q 退出。"
        )
    );
    tell!(
        "{}",
        pick(
            "(if the server is busy with another client, your message waits until it accepts you)",
            "（如果服务器正忙着和另一个客户端对话，你的消息会一直等到它 accept 你）"
        )
    );
    let mut input = Lines::from_stdin();
    let mut buf = [0u8; RECV_SIZE];

    loop {
        // Our turn.
        let Some(line) = input.read(">>> ") else {
            // End of input (Ctrl-D, or the end of a piped file) counts as `q`.
            let _ = conn.write_all(b"q");
            say!(
                "{}",
                pick(
                    "end of input: you ended the conversation",
                    "输入结束：你结束了这次对话"
                )
            );
            return Ok(());
        };
        if line.is_empty() {
            tell!(
                "{}",
                pick(
                    "(an empty line is 0 bytes: nothing would arrive. Type something, or q)",
                    "（空行是 0 字节：对方什么也收不到。请输入点内容，或输入 q）"
                )
            );
            continue;
        }
        if is_quit(line.as_bytes()) {
            // A plain `q`, without the name tag: the classic server understands it too.
            conn.write_all(b"q")
                .map_err(|err| server_gone(server, pick("sending q", "发送 q 时"), &err, lab))?;
            say!("{}", pick("you ended the conversation", "你结束了这次对话"));
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
            .map_err(|err| server_gone(server, pick("sending", "发送时"), &err, lab))?;

        // The server's turn: recv() blocks until the reply comes, and we cannot type.
        // If the server dies now, its kernel closes the connection and recv() returns
        // 0 bytes at once (or fails with "reset"): we say so instead of hanging.
        if input.interactive() {
            say!(
                "{}",
                pick(
                    "(the server's turn: waiting for its reply)",
                    "（轮到服务器说话：等待它的回复）"
                )
            );
        }
        let n = loop {
            match conn.read(&mut buf) {
                Ok(n) => break n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => {
                    return Err(server_gone(
                        server,
                        pick("waiting for the reply", "等待回复时"),
                        &err,
                        lab,
                    ))
                }
            }
        };
        if n == 0 {
            anyhow::bail!(hint::server_went_away(server, lab.number));
        }
        let reply = trim_newline(&buf[..n]);
        if is_quit(reply) {
            say!(
                "{}",
                pick(
                    "the server ended the conversation (it sent q)",
                    "服务器结束了这次对话（它发来了 q）"
                )
            );
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

/// The longest name tag, in characters.
const MAX_TAG_CHARS: usize = 16;

/// The name tag at the start of a message: `NAME:` where NAME is 1 to 16 characters
/// of UTF-8 text without spaces. `None` if the message does not start with one.
fn tag_of(message: &[u8]) -> Option<&str> {
    let colon = message.iter().position(|&b| b == b':')?;
    let name = std::str::from_utf8(&message[..colon]).ok()?;
    is_tag(name).then_some(name)
}

fn is_tag(name: &str) -> bool {
    (1..=MAX_TAG_CHARS).contains(&name.chars().count())
        && !name.chars().any(|c| c.is_whitespace() || c == ':')
}

/// Who speaks on one connection, decided by its FIRST message. The classic client
/// puts its name tag in front of every message (`小马过河1234QQ:hi`): if the first
/// message carries a tag, the connection is tagged with that name, and later messages
/// with the same tag show as that name, the tag taken off. Otherwise (nc, a plain
/// Python client) the connection has no name: `note: meet at 5` is text, and `note`
/// never becomes a name. A message whose tag differs from the connection's is shown
/// whole.
#[derive(Debug, Default)]
enum Speaker {
    /// No message yet.
    #[default]
    Undecided,
    /// The first message carried this tag.
    Tagged(String),
    /// The first message carried no tag.
    Untagged,
}

impl Speaker {
    /// The text of `message` to show: without the tag if it carries the connection's
    /// own tag, whole otherwise. The first message decides the connection's tag.
    fn hear<'a>(&mut self, message: &'a [u8]) -> &'a [u8] {
        if let Speaker::Undecided = self {
            *self = match tag_of(message) {
                Some(name) => Speaker::Tagged(name.to_string()),
                None => Speaker::Untagged,
            };
        }
        match (&*self, tag_of(message)) {
            (Speaker::Tagged(name), Some(tag)) if tag == name => &message[tag.len() + 1..],
            _ => message,
        }
    }

    /// The connection's name, if its first message carried a tag.
    fn name(&self) -> Option<&str> {
        match self {
            Speaker::Tagged(name) => Some(name),
            _ => None,
        }
    }
}

/// `--name`: checked before we connect, so that the server always sees it as a tag.
fn parse_name(name: &str) -> Result<String, String> {
    if is_tag(name) && !name.chars().any(char::is_control) {
        Ok(name.to_string())
    } else {
        Err(format!(
            "a name is 1 to {MAX_TAG_CHARS} characters, without spaces, `:` or control characters"
        ))
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
    fn a_name_tag_is_found_at_the_start_of_a_message() {
        assert_eq!(tag_of(b"amy:hello"), Some("amy"));
        assert_eq!(
            tag_of("小马过河1234QQ:你好".as_bytes()),
            Some("小马过河1234QQ")
        );
        // Only the first colon ends the tag: the text may hold more.
        assert_eq!(tag_of(b"amy:at 10:30"), Some("amy"));
        assert_eq!(tag_of(b"amy:"), Some("amy"));
        let sixteen = format!("{}:hi", "x".repeat(16));
        assert_eq!(tag_of(sixteen.as_bytes()), Some(&sixteen[..16]));
    }

    #[test]
    fn a_tag_is_one_to_sixteen_characters_without_spaces() {
        for message in [
            &b"hello"[..],
            b":hello",
            b"two words:hi",
            b" amy:hi",
            b"amy :hi",
            b"\xff\xfe:x",
            b"seventeen_chars_x:hi",
            b"",
        ] {
            assert_eq!(tag_of(message), None, "{message:?}");
        }
    }

    #[test]
    fn a_tagged_first_message_names_the_connection() {
        let mut speaker = Speaker::default();
        assert_eq!(speaker.hear(b"amy:hello"), b"hello");
        assert_eq!(speaker.name(), Some("amy"));
        assert_eq!(speaker.hear(b"amy:at 10:30"), b"at 10:30");
        // The classic client's `amy:q` is a `q`; our client's plain `q` too.
        assert_eq!(speaker.hear(b"amy:q"), b"q");
        assert_eq!(speaker.hear(b"q"), b"q");
    }

    #[test]
    fn a_line_with_another_tag_is_shown_whole_and_never_renames() {
        let mut speaker = Speaker::default();
        speaker.hear(b"amy:hi");
        assert_eq!(speaker.hear(b"note: meet at 5"), b"note: meet at 5");
        assert_eq!(speaker.hear(b"bob:q"), b"bob:q");
        assert_eq!(speaker.name(), Some("amy"));
    }

    #[test]
    fn an_untagged_first_message_leaves_the_connection_without_a_name() {
        let mut speaker = Speaker::default();
        assert_eq!(speaker.hear(b"hello"), b"hello");
        assert_eq!(speaker.hear(b"note: meet at 5"), b"note: meet at 5");
        assert_eq!(speaker.hear(b"bob:q"), b"bob:q");
        assert_eq!(speaker.name(), None);
        // Only the very first line decides: had it been `note: meet at 5`, the
        // connection would be tagged `note` (the rule cannot tell a tag from text).
        let mut speaker = Speaker::default();
        assert_eq!(speaker.hear(b"note: meet at 5"), b" meet at 5");
        assert_eq!(speaker.name(), Some("note"));
    }

    #[test]
    fn a_name_tag_cut_anywhere_never_panics() {
        let message = "尹哲:你好".as_bytes();
        for cut in 0..=message.len() {
            let _ = Speaker::default().hear(&message[..cut]);
            let _ = Speaker::default().hear(&message[cut..]);
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
        assert!(parse_name("two words").is_err());
        assert!(parse_name(&"x".repeat(17)).is_err());
        assert!(parse_name(&"尹".repeat(16)).is_ok());
    }
}
