//! Lab 5 — udp. Datagrams: one socket for many peers, no accept, no connection.
//!
//! Run `lab 5 server` in one terminal and `lab 5 client --name alice` in another (and
//! `lab 5 client --name bob` in a third: the same server socket answers both). Each
//! line you type travels as one datagram; the server prints who sent it and answers
//! that sender. Then run `lab 5 errors` to watch the classic UDP mistakes happen.
//!
//! | Python                                        | here                                          |
//! |-----------------------------------------------|-----------------------------------------------|
//! | `s = socket(type=SOCK_DGRAM)`, `s.bind(addr)` | `UdpSocket::bind(addr)?`                      |
//! | `data, addr = s.recvfrom(1024)`               | `let (n, addr) = socket.recv_from(&mut buf)?` |
//! | `s.sendto(data, addr)`                        | `socket.send_to(&data, addr)?`                |
//! | `s.connect(addr)`, `s.send(data)`             | `socket.connect(addr)?`, `socket.send(&data)?`|
//! | `data = s.recv(1024)`                         | `let n = socket.recv(&mut buf)?`              |
//! | `s.settimeout(3)`                             | `socket.set_read_timeout(Some(3 s))?`         |
//!
//! What UDP changes, compared with the TCP labs:
//! - There is no listen() and no accept(): the server's one socket receives every
//!   client's datagrams, and recvfrom() says who sent each one. Lab 4 needed a thread
//!   per client because each TCP connection is a socket of its own; here one loop
//!   serves everyone.
//! - There is no connection, so nothing tells the server that a client came or went,
//!   and nothing tells a client that the server is missing: no reply looks the same
//!   as a lost datagram. That is why the client waits with a timeout.
//! - A datagram arrives whole or not at all: one sendto() is one recvfrom(), never
//!   two messages stuck together (lab 7 shows TCP doing exactly that).
//! - Nothing numbers the datagrams: a reply that comes after the client stopped
//!   waiting looks just like the answer to its next message. The client keeps the
//!   messages left unanswered and shows such a reply as `late reply` (see
//!   `Unanswered`).
//!
//! `connect()` on a UDP socket sends nothing. It only fixes the peer address, so that
//! send()/recv() work without one and the kernel can hand us errors about that peer
//! (an ICMP "port unreachable" comes back as "connection refused"). The client's
//! `--connect` shows the difference.

mod errors;

use std::io::{self, ErrorKind};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::hint;
use crate::labs::Lab;
use crate::lang::{pick, tr};
use crate::net::{self, Endpoint};
use crate::term::{self, paint, preview, safe, safe_str, say, tell, Lines};

/// The largest UDP payload over IPv4: 65,535 (the IP packet's size field) minus 20
/// bytes of IPv4 header and 8 of UDP header. A buffer this big never cuts a datagram.
pub const MAX_DATAGRAM: usize = 65_507;

/// The receive buffer of the server and the client: bigger than any UDP datagram,
/// over IPv4 or IPv6 (65,527 bytes), so none is ever cut short.
const RECV_BUFFER: usize = 65_536;

#[derive(Subcommand, Debug)]
pub enum Role {
    /// The UDP server: one socket, each datagram printed with its sender and answered
    Server(ServerArgs),
    /// The client: each line you type is one datagram; shows who replied
    Client(ClientArgs),
    /// Makes the classic UDP mistakes live on loopback and checks what the OS did
    Errors(errors::ErrorsArgs),
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

    /// Your name tag: each datagram is sent as `NAME:text`, so the server can tell
    /// friends apart
    #[arg(long, default_value = "guest", value_parser = parse_name)]
    name: String,

    /// connect() the socket to the server first and use send()/recv() instead of
    /// sendto()/recvfrom(): errors about the server (nobody listening) then reach you
    #[arg(long)]
    connect: bool,

    /// Seconds to wait for each reply before saying nobody answered (UDP never tells
    /// you the server is missing, so without a limit the client could wait for ever)
    #[arg(long, value_name = "SECS", default_value = "3", value_parser = parse_timeout)]
    timeout: Duration,
}

pub fn run(role: Role, lab: &Lab) -> anyhow::Result<()> {
    match role {
        Role::Server(args) => server(args, lab),
        Role::Client(args) => client(args, lab),
        Role::Errors(args) => errors::run(args, lab),
    }
}

// ---------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------

fn server(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;

    // socket(AF_INET, SOCK_DGRAM) + bind() in one call. That is the whole setup: no
    // listen() (there are no connections to queue) and no accept() (there is no
    // per-client socket). std sets no SO_REUSEADDR on UDP sockets, so a second server
    // on the same port fails here with "already in use".
    let socket = UdpSocket::bind(addr).map_err(|err| hint::bind_failed(err, addr, lab.protocol))?;
    // Ctrl-C or SIGTERM ends the server with a word and exit code 0. The OS closes its
    // sockets: a connected client's recv() returns 0 bytes, and the port is free again.
    // Installed before we say we listen: a signal that comes right after that line
    // (a script, a test) must find the handler already in place.
    term::stop_on_ctrl_c()?;
    net::announce_listening(socket.local_addr()?, lab.protocol);

    tell!(
        "{}",
        pick(
            "(no accept(): every datagram says who sent it; one socket answers everyone. Ctrl-C stops the server.)",
            "（没有 accept()：每个数据报都带着发送者的地址；一个套接字回答所有人。Ctrl-C 停止服务器。）"
        )
    );

    let mut peers = Peers::default();
    // Big enough for any datagram, so none is cut short (`lab 5 errors --only 7`
    // shows what a 1024-byte buffer, as in the classic program, does to a longer one).
    let mut buf = vec![0u8; RECV_BUFFER];
    let mut failures_in_a_row = 0;
    loop {
        // recvfrom(): blocks until a datagram arrives from anyone. It returns one
        // whole datagram and the address and port of whoever sent it.
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => {
                failures_in_a_row = 0;
                got
            }
            Err(err) => {
                // On Windows, when an earlier sendto() reached a client that has gone,
                // the ICMP "port unreachable" surfaces HERE, on the server's next
                // recvfrom(), as WinError 10054, even though the socket is not
                // connected. The classic Python server dies of it; we carry on.
                failures_in_a_row += 1;
                tell!("recvfrom() failed: {}; carrying on", hint::describe(&err));
                if failures_in_a_row >= 100 {
                    return Err(err).context("recvfrom() failed 100 times in a row");
                }
                continue;
            }
        };
        let datagram = &buf[..n];
        let (number, first_time) = peers.number_of(peer);
        if first_time {
            say!(
                "{}",
                paint(
                    &format!(
                        "new peer {peer}: no accept(), its first datagram is all we know of it"
                    ),
                    number
                )
            );
        }

        let (name, text) = split_name_tag(datagram);
        if let Some(name) = name {
            peers.remember_name(peer, name);
        }
        let who = match name {
            Some(name) => format!("{peer} {}:", safe_str(name)),
            None => format!("{peer}:"),
        };
        say!(
            "{} {}  ({})",
            paint(&who, number),
            preview(text, 200),
            bytes(n)
        );

        // The classic chat ends with `q`. UDP has no close(), so this datagram is the
        // only way the server can learn that a client has left. No reply to it.
        // Our client sends a plain `q` (as the classic client does), so the name is
        // the one this peer used before.
        if text.trim_ascii().eq_ignore_ascii_case(b"q") {
            let known = match peers.name_of(peer) {
                Some(name) => format!("{peer} {}", safe_str(name)),
                None => peer.to_string(),
            };
            let leaving = format!("{known} said q: leaving (UDP itself would never tell us)");
            say!("{}", paint(&leaving, number));
            continue;
        }

        // sendto(): the reply goes to the address recvfrom() gave us, from the same
        // socket. That is all a "connection" is in UDP: an address we remember.
        let reply = reply_to(peer, datagram);
        match socket.send_to(&reply, peer) {
            Ok(sent) => say!("  sendto({peer}) -> {sent} bytes"),
            Err(err) => say!(
                "{}",
                term::wrap_hanging(
                    &format!("  sendto({peer}) failed: {}", hint::describe(&err)),
                    2
                )
            ),
        }
    }
}

/// `1 byte`, `8 bytes`.
fn bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}

/// What the server sends back: the sender's address as the server saw it, the byte
/// count, and the datagram itself (as bytes, whatever they are).
fn reply_to(peer: SocketAddr, datagram: &[u8]) -> Vec<u8> {
    let mut reply = format!("heard you ({peer}, {} bytes): ", datagram.len()).into_bytes();
    // Keep the reply within one datagram even when the message was as large as UDP allows.
    let room = MAX_DATAGRAM - reply.len();
    reply.extend_from_slice(&datagram[..datagram.len().min(room)]);
    reply
}

/// The peers the server has heard from, numbered in order of their first datagram
/// (the number picks their colour). A peer is just an address and port: the same
/// person restarting the client comes back with a new port, so as a new peer.
#[derive(Default)]
struct Peers {
    /// Each peer's number and the last name tag it used.
    seen: std::collections::HashMap<SocketAddr, (usize, Option<String>)>,
}

impl Peers {
    /// Anyone can send us datagrams from made-up addresses, so the memory kept per
    /// peer is capped.
    const MAX_REMEMBERED: usize = 10_000;

    /// The peer's number, and whether this is its first datagram.
    fn number_of(&mut self, peer: SocketAddr) -> (usize, bool) {
        if let Some((number, _)) = self.seen.get(&peer) {
            return (*number, false);
        }
        let number = self.seen.len();
        if number < Self::MAX_REMEMBERED {
            self.seen.insert(peer, (number, None));
        }
        (number, true)
    }

    /// Notes the name tag a peer used (a tag is at most 32 characters).
    fn remember_name(&mut self, peer: SocketAddr, name: &str) {
        if let Some((_, known)) = self.seen.get_mut(&peer) {
            if known.as_deref() != Some(name) {
                *known = Some(name.to_string());
            }
        }
    }

    /// The last name tag the peer used, if any.
    fn name_of(&self, peer: SocketAddr) -> Option<&str> {
        self.seen.get(&peer).and_then(|(_, name)| name.as_deref())
    }
}

/// Splits the classic name tag off a datagram: `alice:hi` is ("alice", "hi").
/// A tag is 1 to 32 characters of valid UTF-8 before the first `:`, with no control
/// characters; anything else is not a tag, and the whole datagram is the text.
pub fn split_name_tag(datagram: &[u8]) -> (Option<&str>, &[u8]) {
    const MAX_NAME_CHARS: usize = 32;
    let Some(colon) = datagram.iter().position(|&b| b == b':') else {
        return (None, datagram);
    };
    let name = match std::str::from_utf8(&datagram[..colon]) {
        Ok(name) => name,
        Err(_) => return (None, datagram),
    };
    let chars = name.chars().count();
    let plausible = (1..=MAX_NAME_CHARS).contains(&chars)
        && !name.trim().is_empty()
        && !name.chars().any(char::is_control);
    if !plausible {
        return (None, datagram);
    }
    (Some(name), &datagram[colon + 1..])
}

// ---------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------

fn client(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    let server = args.endpoint.resolve_one()?;
    let mut input = Lines::from_stdin();

    // Python's client never calls bind(): its first sendto() binds the socket to any
    // free port by itself. std has no unbound UdpSocket, so we bind to port 0 (any
    // free port) ourselves: the same thing, in plain sight. The server will see
    // this port as our address.
    let any: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(any).context("could not open a UDP socket")?;
    say!(
        "socket(SOCK_DGRAM) bound to {} (the OS picked the port)",
        socket.local_addr()?
    );

    if args.connect {
        // connect() on UDP sends no packet and waits for no one: it only remembers
        // the server's address. From now on send()/recv() need no address, datagrams
        // from anyone else are dropped, and ICMP errors about the server reach us.
        socket
            .connect(server)
            .context(format!("connect({server}) failed"))?;
        say!("connect({server}): no packet sent; this socket now talks only to {server}");
    }
    if input.interactive() {
        tell!(
            "{}",
            tr!(
                "Type a message and press Enter; `q` leaves. Each line is one datagram to {server}.",
                "输入一条消息，按 Enter 发送；输入 `q` 离开。每一行都是发往 {server} 的一个数据报。",
            )
        );
    }

    let mut waiting = Waiting {
        socket: &socket,
        server,
        connected: args.connect,
        timeout: args.timeout,
        unanswered: Unanswered::default(),
    };
    loop {
        let Some(line) = input.read(&format!("{}> ", safe_str(&args.name))) else {
            // End of input (Ctrl-D, or the end of a piped file). There is no
            // connection to close: the server never learns we left.
            if input.interactive() {
                say!(""); // end the prompt's line
            }
            return Ok(());
        };
        waiting.show_late_replies();

        // Each datagram carries our name tag, but `q` goes out plain, as the classic
        // client's does: the classic UDP server only stops on a datagram that is `q`.
        let quitting = line.trim().eq_ignore_ascii_case("q");
        let datagram = if quitting {
            line.trim().to_string()
        } else {
            format!("{}:{line}", args.name)
        };
        // sendto() hands one datagram to the kernel. It succeeds as soon as the
        // datagram has left; whether anyone receives it, UDP never says.
        let sent = if args.connect {
            socket.send(datagram.as_bytes())
        } else {
            socket.send_to(datagram.as_bytes(), server)
        };
        let call = if args.connect {
            "send()".to_string()
        } else {
            format!("sendto({server})")
        };
        match sent {
            Ok(n) => say!("{call} -> {}", bytes(n)),
            Err(err) if is_port_unreachable(&err) => {
                // A connected socket can learn of an earlier "port unreachable" on send.
                tell!("{call} failed: {}", nobody_listening(server, &err, lab));
                continue;
            }
            Err(err) => {
                tell!("{call} failed: {}", hint::describe(&err));
                continue;
            }
        }

        if quitting {
            tell!(
                "{}",
                pick(
                    "sent q: the server learns we left only because we told it",
                    "已发送 q：服务器知道我们离开了，只因为我们告诉了它"
                )
            );
            return Ok(());
        }

        match waiting.for_reply(datagram.as_bytes()) {
            Reply::From(from, bytes) => say!("reply from {from}: {}", safe(&bytes)),
            Reply::Silence => {
                // Its reply may still come: it is then shown as a late reply.
                waiting.unanswered.push(datagram.into_bytes());
                tell!(
                    "{}",
                    tr!(
                        "nobody answered within {:?}. UDP cannot tell \"no server\" from \"a lost \
                         datagram\": both are silence. Is `lab {} server` running on {server}? \
                         (`--connect` would hear this machine's \"port unreachable\".) A reply \
                         that comes later is shown as a late reply; if a person types the \
                         server's answers, give them time: `--timeout 60`.",
                        "{:?} 内没有人回答。UDP 分不清“没有服务器”和“数据报丢了”：两者都是一片沉默。\
                         `lab {} server` 在 {server} 上运行了吗？（加上 `--connect` 就能收到本机的\
                         “端口不可达”。）之后才到的回复会显示为迟到的回复；如果服务器的回答是人\
                         在输入，请多给些时间：`--timeout 60`。",
                        args.timeout,
                        lab.number,
                    )
                )
            }
            Reply::Refused(err) => tell!("{}", nobody_listening(server, &err, lab)),
            Reply::Failed(err) => tell!("recv failed: {}", hint::describe(&err)),
        }
    }
}

/// What came back while the client waited.
enum Reply {
    From(SocketAddr, Vec<u8>),
    Silence,
    /// ICMP "port unreachable": nothing listens on the server's port.
    Refused(io::Error),
    Failed(io::Error),
}

/// The client's socket, and how it waits for replies.
struct Waiting<'a> {
    socket: &'a UdpSocket,
    server: SocketAddr,
    connected: bool,
    timeout: Duration,
    /// Our messages whose wait for a reply ran out.
    unanswered: Unanswered,
}

impl Waiting<'_> {
    /// recvfrom() until the server's reply to `sent` arrives or the timeout runs out.
    /// An unconnected socket takes datagrams from anyone, so one from somebody else is
    /// shown and we keep waiting for the server; so is a late reply to an earlier
    /// message.
    fn for_reply(&mut self, sent: &[u8]) -> Reply {
        let deadline = Instant::now() + self.timeout;
        let mut buf = vec![0u8; RECV_BUFFER];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Reply::Silence;
            }
            // The read timeout makes recvfrom() give up after `left` instead of
            // blocking for ever (Python: s.settimeout(3)).
            if let Err(err) = self.socket.set_read_timeout(Some(left)) {
                return Reply::Failed(err);
            }
            match self.receive(&mut buf) {
                Ok((n, from)) if from == self.server => {
                    match self.unanswered.answer_to(&buf[..n], Some(sent)) {
                        Answer::ToThis => return Reply::From(from, buf[..n].to_vec()),
                        answer => show_late(from, &buf[..n], &answer),
                    }
                }
                Ok((n, from)) => say!(
                    "a datagram from {from}, not the server: {}",
                    preview(&buf[..n], 200)
                ),
                // A timeout is WouldBlock on Unix (EAGAIN) and TimedOut on Windows.
                Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Reply::Silence;
                }
                Err(err) if is_port_unreachable(&err) => return Reply::Refused(err),
                Err(err) => return Reply::Failed(err),
            }
        }
    }

    /// A reply that came after we stopped waiting is still queued in the socket.
    /// Show it now, so it is not mistaken for the answer to the next message.
    fn show_late_replies(&mut self) {
        if self.socket.set_nonblocking(true).is_err() {
            return;
        }
        let mut buf = vec![0u8; RECV_BUFFER];
        // Bounded: a flood of datagrams cannot keep us here.
        for _ in 0..100 {
            match self.receive(&mut buf) {
                Ok((n, from)) if from == self.server => {
                    let answer = self.unanswered.answer_to(&buf[..n], None);
                    show_late(from, &buf[..n], &answer);
                }
                Ok((n, from)) => say!(
                    "a datagram from {from}, not the server: {}",
                    preview(&buf[..n], 200)
                ),
                // WouldBlock: the queue is empty. Any other error belongs to an
                // earlier message and was already reported or is stale.
                Err(_) => break,
            }
        }
        // If this fails the next recvfrom() fails too, and says why.
        let _ = self.socket.set_nonblocking(false);
    }

    /// recv() on a connected socket (the sender can only be the server: the kernel
    /// drops anyone else's datagrams), recvfrom() otherwise.
    fn receive(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        if self.connected {
            Ok((self.socket.recv(buf)?, self.server))
        } else {
            self.socket.recv_from(buf)
        }
    }
}

/// Prints a reply from the server that does not answer the message we wait for.
fn show_late(from: SocketAddr, reply: &[u8], answer: &Answer) {
    match answer {
        Answer::Late(earlier) => say!(
            "late reply from {from} (to \"{}\", which we had stopped waiting for): {}",
            preview(earlier, 40),
            safe(reply)
        ),
        Answer::InOrder(earlier) => say!(
            "late reply from {from} (it does not say to what; in order, to \"{}\"): {}",
            preview(earlier, 40),
            safe(reply)
        ),
        Answer::ToThis | Answer::Unasked => say!(
            "a reply from {from} to no message we are waiting for: {}",
            safe(reply)
        ),
    }
}

/// What a reply from the server answers.
#[derive(Debug, PartialEq)]
enum Answer {
    /// The message we are waiting for now.
    ToThis,
    /// An earlier message, whose wait had run out: the reply quotes it.
    Late(Vec<u8>),
    /// Taken as the answer to this earlier message because replies come in order:
    /// the reply quotes nothing (a lost datagram would make this guess wrong).
    InOrder(Vec<u8>),
    /// Nothing we sent (we are not waiting, and nothing was left unanswered).
    Unasked,
}

/// Our messages whose wait for a reply ran out, oldest first. A datagram carries no
/// message number, so a reply is matched by what it quotes (our server's reply ends
/// with the message it answers) or, failing that, in order: the oldest unanswered
/// message first (the classic server answers one datagram at a time, in order).
#[derive(Debug, Default)]
struct Unanswered {
    sent: std::collections::VecDeque<Vec<u8>>,
}

impl Unanswered {
    /// Only the last few are kept: a reply after that many timeouts is very late.
    const KEPT: usize = 16;

    fn push(&mut self, datagram: Vec<u8>) {
        if self.sent.len() == Self::KEPT {
            self.sent.pop_front();
        }
        self.sent.push_back(datagram);
    }

    /// What `reply` answers, while we wait for the reply to `waiting_for` (`None`:
    /// not waiting). An earlier message that it answers is taken off the list.
    fn answer_to(&mut self, reply: &[u8], waiting_for: Option<&[u8]>) -> Answer {
        let quotes = |sent: &[u8]| !sent.is_empty() && reply.ends_with(sent);
        if let Some(i) = self.sent.iter().position(|sent| quotes(sent)) {
            return Answer::Late(self.sent.remove(i).unwrap_or_default());
        }
        if waiting_for.is_some_and(quotes) {
            return Answer::ToThis;
        }
        match self.sent.pop_front() {
            Some(earlier) => Answer::InOrder(earlier),
            None if waiting_for.is_some() => Answer::ToThis,
            None => Answer::Unasked,
        }
    }
}

/// The ICMP "port unreachable" that comes back when nothing listens on a UDP port:
/// ECONNREFUSED on a connected socket (Linux, macOS); WinError 10054 on Windows,
/// even on an unconnected one.
fn is_port_unreachable(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
    )
}

fn nobody_listening(server: SocketAddr, err: &io::Error, lab: &Lab) -> String {
    let code = err
        .raw_os_error()
        .map(|c| format!(", os error {c} here"))
        .unwrap_or_default();
    format!(
        "nobody is listening on {server} (udp): that machine answered \"port unreachable\", \
         which the socket reports as connection refused [ECONNREFUSED{code}; WinError 10054 \
         on Windows]. Start `lab {} server` first; this client carries on",
        lab.number
    )
}

/// `--name`: 1 to 32 characters, no `:` (it ends the tag) and no control characters,
/// so the server always recognises the tag (see [`split_name_tag`]).
fn parse_name(text: &str) -> Result<String, String> {
    let chars = text.chars().count();
    if !(1..=32).contains(&chars) || text.trim().is_empty() {
        return Err("a name is 1 to 32 characters, not only spaces".to_string());
    }
    if text.contains(':') || text.chars().any(char::is_control) {
        return Err(
            "a name has no `:` (it ends the name tag) and no control characters".to_string(),
        );
    }
    Ok(text.to_string())
}

/// `--timeout 2.5`: seconds, more than 0 and at most an hour.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds (try 3 or 0.5)"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(format!(
            "the timeout must be more than 0 and at most 3600 seconds, not {text}"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_tag_is_split_off_at_the_first_colon() {
        assert_eq!(split_name_tag(b"alice:hi"), (Some("alice"), &b"hi"[..]));
        assert_eq!(split_name_tag(b"alice:a:b"), (Some("alice"), &b"a:b"[..]));
        assert_eq!(split_name_tag(b"alice:"), (Some("alice"), &b""[..]));
    }

    #[test]
    fn a_chinese_name_tag_is_kept() {
        let datagram = "小马过河1234QQ:xiao".as_bytes();
        assert_eq!(
            split_name_tag(datagram),
            (Some("小马过河1234QQ"), &b"xiao"[..])
        );
    }

    #[test]
    fn without_a_plausible_tag_the_whole_datagram_is_the_text() {
        for datagram in [
            &b"hello"[..],
            b":no name",
            b"   :blank name",
            b"\x1b[2J:escape in the name",
            b"\xc4\xe3:gbk bytes in the name",
            b"a name far longer than thirty-two characters:text",
            b"",
        ] {
            assert_eq!(split_name_tag(datagram), (None, datagram), "{datagram:?}");
        }
    }

    #[test]
    fn a_name_tag_is_found_whatever_the_text_after_it() {
        // Cut a message at every position: the tag never depends on the rest.
        let text = "hi: 尹哲 \x1b[31m".as_bytes();
        for cut in 0..=text.len() {
            let mut datagram = b"bob:".to_vec();
            datagram.extend_from_slice(&text[..cut]);
            assert_eq!(split_name_tag(&datagram), (Some("bob"), &text[..cut]));
        }
    }

    #[test]
    fn the_reply_names_the_sender_and_carries_the_datagram() {
        let peer: SocketAddr = "127.0.0.1:51234".parse().expect("a valid address");
        assert_eq!(
            reply_to(peer, b"alice:hi"),
            b"heard you (127.0.0.1:51234, 8 bytes): alice:hi"
        );
    }

    #[test]
    fn the_reply_to_the_largest_datagram_still_fits_in_one() {
        let peer: SocketAddr = "[::1]:51234".parse().expect("a valid address");
        assert_eq!(
            reply_to(peer, &vec![b'x'; MAX_DATAGRAM]).len(),
            MAX_DATAGRAM
        );
    }

    #[test]
    fn peers_are_numbered_in_order_of_their_first_datagram() {
        let mut peers = Peers::default();
        let a: SocketAddr = "127.0.0.1:1000".parse().expect("a valid address");
        let b: SocketAddr = "127.0.0.1:1001".parse().expect("a valid address");
        assert_eq!(peers.number_of(a), (0, true));
        assert_eq!(peers.number_of(b), (1, true));
        assert_eq!(peers.number_of(a), (0, false));
    }

    #[test]
    fn a_name_the_client_accepts_is_a_tag_the_server_recognises() {
        for name in ["alice", "小马过河1234QQ", "a b", &"x".repeat(32)] {
            let name = parse_name(name).expect("a good name");
            let datagram = format!("{name}:hi");
            assert_eq!(
                split_name_tag(datagram.as_bytes()),
                (Some(name.as_str()), &b"hi"[..])
            );
        }
        for bad in ["", "  ", "a:b", "\x1b[2J", &"x".repeat(33)] {
            assert!(parse_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_reply_that_quotes_an_earlier_message_is_late_and_one_that_quotes_this_is_the_answer() {
        let mut unanswered = Unanswered::default();
        unanswered.push(b"alice:first".to_vec());
        let late = b"heard you (127.0.0.1:5000, 11 bytes): alice:first";
        let this = b"heard you (127.0.0.1:5000, 12 bytes): alice:second";
        assert_eq!(
            unanswered.answer_to(late, Some(b"alice:second")),
            Answer::Late(b"alice:first".to_vec())
        );
        assert_eq!(
            unanswered.answer_to(this, Some(b"alice:second")),
            Answer::ToThis
        );
    }

    #[test]
    fn the_answer_to_this_message_does_not_use_up_an_earlier_one() {
        let mut unanswered = Unanswered::default();
        unanswered.push(b"alice:first".to_vec());
        let this = b"heard you (127.0.0.1:5000, 12 bytes): alice:second";
        assert_eq!(
            unanswered.answer_to(this, Some(b"alice:second")),
            Answer::ToThis
        );
        // The first one's reply, if it ever comes, is still recognised as late.
        let late = b"heard you (127.0.0.1:5000, 11 bytes): alice:first";
        assert_eq!(
            unanswered.answer_to(late, None),
            Answer::Late(b"alice:first".to_vec())
        );
    }

    #[test]
    fn replies_that_quote_nothing_are_matched_in_order_oldest_first() {
        // The classic server: a person types each answer; nothing is quoted.
        let mut unanswered = Unanswered::default();
        unanswered.push(b"amy:one".to_vec());
        unanswered.push(b"amy:two".to_vec());
        assert_eq!(
            unanswered.answer_to(b"hello", Some(b"amy:three")),
            Answer::InOrder(b"amy:one".to_vec())
        );
        assert_eq!(
            unanswered.answer_to(b"fine", None),
            Answer::InOrder(b"amy:two".to_vec())
        );
        assert_eq!(
            unanswered.answer_to(b"bye", Some(b"amy:three")),
            Answer::ToThis
        );
        assert_eq!(unanswered.answer_to(b"what?", None), Answer::Unasked);
    }

    #[test]
    fn only_the_last_few_unanswered_messages_are_kept() {
        let mut unanswered = Unanswered::default();
        for i in 0..100 {
            unanswered.push(format!("m{i}").into_bytes());
        }
        assert_eq!(unanswered.sent.len(), Unanswered::KEPT);
        assert_eq!(
            unanswered.answer_to(b"x", None),
            Answer::InOrder(format!("m{}", 100 - Unanswered::KEPT).into_bytes())
        );
    }

    #[test]
    fn a_peer_is_remembered_by_the_last_name_it_used() {
        let mut peers = Peers::default();
        let a: SocketAddr = "127.0.0.1:1000".parse().expect("a valid address");
        peers.number_of(a);
        assert_eq!(peers.name_of(a), None);
        peers.remember_name(a, "bob");
        assert_eq!(peers.name_of(a), Some("bob"));
    }

    #[test]
    fn the_timeout_takes_fractions_and_refuses_zero_or_nonsense() {
        assert_eq!(parse_timeout("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("3"), Ok(Duration::from_secs(3)));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("-1").is_err());
        assert!(parse_timeout("NaN").is_err());
        assert!(parse_timeout("soon").is_err());
    }
}
