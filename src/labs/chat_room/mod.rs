//! Lab 6 — chat-room. Many clients, nicknames, messages to everyone or to one, and
//! the server's terminal as the administrator: the chat room the classic tutorials
//! promise, done so that it holds a whole classroom.
//!
//! Run `lab 6 server` in one terminal and `lab 6 client --name alice` and
//! `lab 6 client --name bob` in two more. `nc 127.0.0.1 5555` is a full client too:
//! the protocol is UTF-8 lines ending in `\n` (`\r\n` is accepted, so `nc -C` and
//! telnet work). What the server sends:
//!
//! ```text
//! <alice> hi                  chat: the server writes the sender's nick in front
//! [private] <alice> psst      a /msg, to its target only
//! [private to bob] psst       what the sender of a /msg sees
//! [admin] class ends at 5     an announcement from the server's console
//! * bob joined (3 online)     news from the server
//! ! nickname "bob" is taken   an error, about the line you just sent
//! ```
//!
//! Only the server starts a line with `[`, `*` or `!`; everything a client says
//! arrives after its own `<nick> `. A client typing `<bob> hi` or `* server: x` is
//! shown as `<alice> <bob> hi`: nobody can speak as another client or as the server.
//!
//! | Python (classic broadcast chat)              | here                                        |
//! |----------------------------------------------|---------------------------------------------|
//! | `s.bind(("0.0.0.0", 5555)); s.listen(5)`     | `socket.bind(..)`, `socket.listen(1024)`    |
//! | `conn, addr = s.accept()`                    | `listener.incoming()` (accept in a loop)    |
//! | `clients.append(conn)`                       | `room.members.insert(id, Member { .. })`    |
//! | `Thread(target=receive, args=(conn,)).start()` | `thread::Builder::new().stack_size(..).spawn(..)` |
//! | `data = conn.recv(1024).decode("utf-8")`     | `stream.read(&mut buf)`, `LineFramer`, `String::from_utf8` |
//! | `for c in clients: c.send(msg)`              | `member.outbox.try_send(line)`: never blocks |
//! | `conn.close()`                               | `stream.shutdown(Shutdown::Both)`, drop     |
//!
//! (std's `TcpListener::bind` does socket + SO_REUSEADDR (on Unix) + bind +
//! listen(128) in one call; here the steps are spelled out, as in lab 1, because a
//! lecture hall needs a longer listen queue than 128: see `LISTEN_BACKLOG`.)
//!
//! What it removes from lab 4: there the server answered each client alone. Here
//! clients talk to each other, so one client's bytes must reach every other client,
//! and the classic answer, `for c in clients: c.send(msg)`, has a trap: `send()`
//! blocks when a client stops reading (its buffers are full), and then the thread that
//! is broadcasting, and everyone behind it, waits for that one client for ever.
//!
//! The concurrency model: two threads per client and one lock.
//! - A *reader* thread per client reads its lines and acts on them (say, /msg, /nick).
//! - A *writer* thread per client owns the sending: it takes lines from the client's
//!   *outbox*, a bounded queue (`sync_channel`, 256 lines by default), and writes them.
//! - The room (who is here, their nicks and outboxes) is one `Mutex<Room>`. To
//!   broadcast, a reader locks the room and puts the line into every outbox with
//!   `try_send`, which never waits. A line is shared (`Arc<str>`), not copied.
//! - A full outbox alone does not prove a client is not reading: during a burst its
//!   writer may simply not have had its turn on the CPU yet. So the room also looks
//!   at the writer: stuck inside one send() for half a second means the client's
//!   buffers in the kernel are full too (hundreds of KiB it has not read). Then the
//!   client is dropped, with a log line. If the writer is just busy, the line waits
//!   for room outside the lock, and only the thread that sent it waits.
//! - Nothing blocks while the lock is held: no socket write, no printing (log lines
//!   are collected and printed after the lock is released).
//! - Threads get small stacks (128 KiB for readers, 64 KiB for writers, instead of
//!   the default 2 MiB of address space), so 1,000 clients cost 2,000 mostly idle
//!   threads and under 50 MiB of memory. Why not one thread that polls every socket
//!   (an event loop, as tokio or Python's `selectors` do)? It scales further, but it
//!   hides the socket calls behind a reactor; threads keep each step in plain sight,
//!   and with small stacks and bounded queues they are enough for a lecture hall.
//!
//! Stopping: `/shutdown` on the console (or Ctrl-C, or SIGTERM) tells every client,
//! lets the writers send what is queued (at most 2 s), closes every socket, and then
//! has to stop the main thread, which is blocked in accept(). std cannot cancel a
//! blocking call from another thread, so the server connects to itself once: accept()
//! returns, the loop sees the room is closing, and `run` returns (exit code 0).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use colored::ColoredString;
use socket2::{Domain, Socket, Type};

use crate::hint;
use crate::labs::Lab;
use crate::net::{self, Endpoint};
use crate::term::{paint, safe, safe_str, say, Lines};

/// The longest line a client may send, in bytes (without its `\n`).
pub const MAX_LINE: usize = 4096;
/// The longest nickname, in characters.
pub const MAX_NICK: usize = 16;
/// A reader thread's stack: its 4 KiB read buffer and a few small frames fit easily.
const READER_STACK: usize = 128 * 1024;
/// A writer thread only moves bytes from its queue to its socket.
const WRITER_STACK: usize = 64 * 1024;
/// A writer sends up to this many queued bytes in one send() call.
const WRITER_BATCH: usize = 8 * 1024;
/// A client whose outbox is full while its writer has waited this long inside one
/// send() is not reading: it is dropped.
const STUCK: Duration = Duration::from_millis(500);
/// A client that has not taken a single byte for this long is not reading either,
/// even if the room is too quiet to fill its outbox: dropped.
const STUCK_WRITE: Duration = Duration::from_secs(10);
/// How long /shutdown waits for the writers to send their goodbyes.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

#[derive(Subcommand, Debug)]
pub enum Role {
    /// The chat room: many clients at once, and this terminal is the administrator
    Server(ServerArgs),
    /// A chat client: what others say appears while you type
    Client(ClientArgs),
}

#[derive(Args, Debug)]
pub struct ServerArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// The most clients in the room at once; newcomers over the cap are told the room
    /// is full. Change it while the server runs with /max N (no cap by default)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    max: Option<u32>,

    /// How many lines may wait to be sent to one client (its outbox). A client whose
    /// outbox is full while its last send() has waited over half a second is not
    /// reading, and is dropped
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    queue: u32,

    /// Do not print every chat line (joins, leaves and admin actions still print)
    #[arg(long)]
    quiet: bool,

    /// Seconds a new connection may take to give its nickname. After that it is told
    /// and closed, so a forgotten `nc` window does not hold two threads for ever
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    nick_timeout: u64,
}

#[derive(Args, Debug)]
pub struct ClientArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// Your nickname: 1-16 characters, no spaces. Without it, type it as your first line
    #[arg(long)]
    name: Option<String>,
}

pub fn run(role: Role, lab: &Lab) -> anyhow::Result<()> {
    match role {
        Role::Server(args) => server(args, lab),
        Role::Client(args) => client(args, lab),
    }
}

// ---------------------------------------------------------------------------------
// The protocol: pure functions, unit-tested at the bottom of the file
// ---------------------------------------------------------------------------------

/// Checks a nickname: 1-16 visible characters, no spaces, no control or invisible
/// characters, no `<` or `>` (they frame the nick in `<alice> hi`), not starting with
/// `/` (that is a command). Uniqueness is the room's business, not this function's.
pub fn validate_nick(nick: &str) -> Result<(), String> {
    let count = nick.chars().count();
    if count == 0 {
        return Err("a nickname needs at least one character".to_string());
    }
    if count > MAX_NICK {
        return Err(format!(
            "a nickname has at most {MAX_NICK} characters (that one has {count})"
        ));
    }
    if nick.chars().any(char::is_whitespace) {
        return Err("a nickname cannot contain spaces".to_string());
    }
    if nick.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err("a nickname cannot contain control or invisible characters".to_string());
    }
    if nick.contains(['<', '>']) {
        return Err(
            "a nickname cannot contain < or > (they frame nicks in chat lines)".to_string(),
        );
    }
    if nick.starts_with('/') {
        return Err("a nickname cannot start with / (that starts a command)".to_string());
    }
    if ["server", "admin"].contains(&nick.to_lowercase().as_str()) {
        return Err(format!("\"{nick}\" is reserved"));
    }
    Ok(())
}

/// Characters that print as nothing, or reorder what follows them: with them, `bob`
/// and `b\u{200b}ob` would look the same.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Chat text as the room will pass it on: a tab becomes a space; control characters
/// (escape sequences, a bell, a carriage return) and direction overrides are refused,
/// because `nc` users would get them raw on their terminals.
pub fn check_text(text: &str) -> Result<Cow<'_, str>, &'static str> {
    if text.chars().any(|c| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }) {
        return Err("control characters (such as ESC, a bell or a carriage return) are not allowed in messages");
    }
    if text.contains('\t') {
        return Ok(Cow::Owned(text.replace('\t', " ")));
    }
    Ok(Cow::Borrowed(text))
}

/// What a client's line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// An empty line: nothing to do.
    Nothing,
    /// Plain text for everyone else.
    Say(&'a str),
    /// `/msg NICK text`
    Msg { to: &'a str, text: &'a str },
    /// `/list`
    List,
    /// `/nick NEW`
    Nick(&'a str),
    /// `/help`
    Help,
    /// `/quit`
    Quit,
    /// A known command used the wrong way; holds the right way.
    Usage(&'static str),
    /// `/something` we do not know.
    Unknown(&'a str),
}

/// Reads one line from a client. Commands start with `/` (in any case: `/MSG`);
/// `//text` says `/text` to everyone.
pub fn parse_command(line: &str) -> Command<'_> {
    if line.trim().is_empty() {
        return Command::Nothing;
    }
    if line.starts_with("//") {
        return Command::Say(&line[1..]);
    }
    let Some(command) = line.strip_prefix('/') else {
        return Command::Say(line);
    };
    let (word, rest) = split_word(command);
    match word.to_lowercase().as_str() {
        "msg" => match split_word(rest) {
            (to, text) if !to.is_empty() && !text.trim().is_empty() => Command::Msg { to, text },
            _ => Command::Usage("/msg NICK text"),
        },
        "list" => Command::List,
        "nick" => match rest.trim() {
            "" => Command::Usage("/nick NEWNAME"),
            new => Command::Nick(new),
        },
        "help" => Command::Help,
        "quit" => Command::Quit,
        _ => Command::Unknown(line.split_whitespace().next().unwrap_or(line)),
    }
}

/// What the administrator typed on the server's console.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminCommand<'a> {
    Nothing,
    /// A plain line: an announcement to everyone.
    Announce(&'a str),
    /// `/kick NICK [reason]`
    Kick {
        nick: &'a str,
        reason: Option<&'a str>,
    },
    /// `/max N`, or `/max off` (`Max(None)`): the cap for newcomers.
    Max(Option<usize>),
    /// `/max` alone: show the cap.
    ShowMax,
    /// `/list`
    List,
    /// `/shutdown`
    Shutdown,
    /// `/help`
    Help,
    Usage(&'static str),
    Unknown(&'a str),
}

/// Reads one line from the administrator's console.
pub fn parse_admin(line: &str) -> AdminCommand<'_> {
    let line = line.trim();
    if line.is_empty() {
        return AdminCommand::Nothing;
    }
    if line.starts_with("//") {
        return AdminCommand::Announce(&line[1..]);
    }
    let Some(command) = line.strip_prefix('/') else {
        return AdminCommand::Announce(line);
    };
    let (word, rest) = split_word(command);
    let rest = rest.trim();
    match word.to_lowercase().as_str() {
        "kick" => match split_word(rest) {
            ("", _) => AdminCommand::Usage("/kick NICK [reason]"),
            (nick, reason) => AdminCommand::Kick {
                nick,
                reason: Some(reason.trim()).filter(|r| !r.is_empty()),
            },
        },
        "max" => match rest {
            "" => AdminCommand::ShowMax,
            "off" | "0" => AdminCommand::Max(None),
            n => match n.parse::<usize>() {
                Ok(n) => AdminCommand::Max(Some(n)),
                Err(_) => AdminCommand::Usage("/max N (a number of clients), or /max off"),
            },
        },
        "list" => AdminCommand::List,
        "shutdown" => AdminCommand::Shutdown,
        "help" => AdminCommand::Help,
        _ => AdminCommand::Unknown(line.split_whitespace().next().unwrap_or(line)),
    }
}

/// `"msg bob hi there"` → `("msg", "bob hi there")`: the first word and the rest.
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

/// What the framer found in the bytes so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Framed {
    /// One line, without its `\n` or `\r\n`.
    Line(Vec<u8>),
    /// A line went over the limit. Its bytes were thrown away, up to and including
    /// its `\n`; reported once, as soon as the limit is passed.
    TooLong,
}

/// Cuts a TCP byte stream into lines, keeping at most `limit` bytes of an unfinished
/// line. recv() returns whatever has arrived: half a line, or three lines and a bit
/// (lab 7 shows it), so a partial line waits here for the rest. It never holds more
/// than `limit + 1` bytes, however long a line a client sends.
pub struct LineFramer {
    partial: Vec<u8>,
    limit: usize,
    /// Inside an over-long line: throw bytes away until its `\n`.
    skipping: bool,
}

impl LineFramer {
    pub fn new(limit: usize) -> LineFramer {
        LineFramer {
            partial: Vec::new(),
            limit,
            skipping: false,
        }
    }

    /// Takes the bytes of one recv() and appends the lines they complete to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<Framed>) {
        // One more byte than the limit may wait: it could be the `\r` of `\r\n`.
        let room = self.limit + 1;
        loop {
            let Some(end) = bytes.iter().position(|&b| b == b'\n') else {
                // No newline yet: keep the piece, unless the line is already too long.
                if !self.skipping {
                    if self.partial.len() + bytes.len() > room {
                        self.partial.clear();
                        self.skipping = true;
                        out.push(Framed::TooLong);
                    } else {
                        self.partial.extend_from_slice(bytes);
                    }
                }
                return;
            };
            let piece = &bytes[..end];
            bytes = &bytes[end + 1..];
            if self.skipping {
                // The `\n` that ends the over-long line: back to normal.
                self.skipping = false;
                continue;
            }
            if self.partial.len() + piece.len() > room {
                self.partial.clear();
                out.push(Framed::TooLong);
                continue;
            }
            let mut line = std::mem::take(&mut self.partial);
            line.extend_from_slice(piece);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.len() > self.limit {
                out.push(Framed::TooLong);
            } else {
                out.push(Framed::Line(line));
            }
        }
    }
}

/// `<alice> hi` → `("alice", "hi")`: the nick the server stamped on a chat line.
/// `None` for the server's own lines (`* ...`, `[admin] ...`).
pub fn split_stamp(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = line.strip_prefix(b"<")?;
    let end = rest.windows(2).position(|pair| pair == b"> ")?;
    if end == 0 {
        return None;
    }
    Some((&rest[..end], &rest[end + 2..]))
}

// ---------------------------------------------------------------------------------
// The server: the room
// ---------------------------------------------------------------------------------

/// One connected client, as the room knows it.
struct Member {
    /// `None` while the client is still choosing a nickname: it gets no chat yet.
    nick: Option<String>,
    peer: SocketAddr,
    /// The client's bounded queue of lines to send; its writer thread empties it.
    /// Dropping the last sender tells the writer to send what is left and close.
    outbox: SyncSender<Arc<str>>,
    /// The socket, shared with the client's reader and writer threads. The room keeps
    /// it to be able to cut off a client at once (`shutdown`), even one whose writer
    /// is stuck in a write() that will never finish.
    stream: Arc<TcpStream>,
    writer: JoinHandle<()>,
    /// When the writer's current write() began (ms since the server started), 0 when
    /// it is not writing. A write() that has not returned for a while means the
    /// client's buffers are full: it is not reading.
    writing_since: Arc<AtomicU64>,
}

impl Member {
    /// `alice 127.0.0.1:51234`, or just the address before a nick was chosen.
    fn who(&self) -> String {
        match &self.nick {
            Some(nick) => format!("{nick} {}", self.peer),
            None => self.peer.to_string(),
        }
    }
}

/// Why a client left the room.
enum Gone {
    /// It sent /quit.
    Quit,
    /// It closed the connection (recv() returned 0 bytes).
    Closed,
    /// The connection broke: reset, timed out... (in words)
    Failed(String),
    /// The administrator kicked it, with an optional reason.
    Kicked(Option<String>),
    /// It stopped reading: its outbox filled up, or a write waited too long.
    NotReading(String),
}

/// Who is here. Every method is quick and never blocks: `try_send` on the outboxes,
/// `shutdown` on a socket, nothing else. What should be printed goes into `log` and
/// is printed after the lock is released.
struct Room {
    members: HashMap<u64, Member>,
    next_id: u64,
    /// The cap for newcomers (`--max`, `/max`).
    max: Option<usize>,
    /// Set by /shutdown: no newcomers, and the accept loop stops.
    closing: bool,
    /// Lines that found an outbox full while its writer was still busy sending:
    /// they wait for room after the lock is released (see `Shared::deliver_late`).
    waiting: Vec<Waiting>,
    started: Instant,
}

/// A line for a client whose outbox is full but whose writer is still moving bytes
/// (it has simply not had a turn on the CPU yet, say, during a burst of lines).
struct Waiting {
    id: u64,
    outbox: SyncSender<Arc<str>>,
    writing_since: Arc<AtomicU64>,
    line: Arc<str>,
}

/// What offering a line to an outbox found.
enum Offer {
    /// Queued (or the writer has already ended: the reader cleans that up).
    Taken,
    /// The outbox is full and its writer is stuck in write(): the client is not reading.
    Stuck,
    /// The outbox is full but its writer is making progress: the line must wait.
    Busy,
}

/// Offers a line to a member's outbox without waiting.
fn offer(member: &Member, line: Arc<str>, now: u64) -> Offer {
    match member.outbox.try_send(line) {
        Ok(()) | Err(TrySendError::Disconnected(_)) => Offer::Taken,
        Err(TrySendError::Full(_)) if is_stuck(&member.writing_since, now) => Offer::Stuck,
        Err(TrySendError::Full(_)) => Offer::Busy,
    }
}

/// True when a writer has been inside one write() for `STUCK` or longer.
fn is_stuck(writing_since: &AtomicU64, now: u64) -> bool {
    let since = writing_since.load(Ordering::SeqCst);
    since != 0 && now.saturating_sub(since) >= STUCK.as_millis() as u64
}

/// Milliseconds since `started`, at least 1 (0 means "not writing").
fn millis_since(started: Instant) -> u64 {
    (started.elapsed().as_millis() as u64).max(1)
}

impl Room {
    fn joined(&self) -> impl Iterator<Item = (&u64, &Member, &str)> {
        self.members
            .iter()
            .filter_map(|(id, m)| m.nick.as_deref().map(|nick| (id, m, nick)))
    }

    fn online(&self) -> usize {
        self.joined().count()
    }

    /// The id of the member called `nick`, in any case (nicks are unique that way).
    fn find(&self, nick: &str) -> Option<u64> {
        let wanted = nick.to_lowercase();
        self.joined()
            .find(|(_, _, n)| n.to_lowercase() == wanted)
            .map(|(id, _, _)| *id)
    }

    /// `alice, bob, carol`, sorted.
    fn nick_list(&self) -> String {
        let mut nicks: Vec<&str> = self.joined().map(|(_, _, n)| n).collect();
        nicks.sort_by_key(|n| n.to_lowercase());
        nicks.join(", ")
    }

    /// Queues `line` (a `\n` is added) for one member.
    fn send(&mut self, id: u64, line: &str, log: &mut Vec<String>) {
        let mut stuck = Vec::new();
        self.offer_to(id, format!("{line}\n").into(), &mut stuck);
        self.drop_not_reading(stuck, log);
    }

    /// Queues `line` for every member who has a nick, except `except`.
    fn broadcast(&mut self, line: &str, except: Option<u64>, log: &mut Vec<String>) {
        let mut stuck = Vec::new();
        self.deliver(format!("{line}\n").into(), except, &mut stuck);
        self.drop_not_reading(stuck, log);
    }

    /// The fan-out itself: one shared copy of the line, offered to every outbox.
    /// Nobody is waited for here: stuck clients are noted in `stuck`, and lines
    /// for busy ones are set aside in `waiting`.
    fn deliver(&mut self, line: Arc<str>, except: Option<u64>, stuck: &mut Vec<u64>) {
        let ids: Vec<u64> = self.joined().map(|(id, _, _)| *id).collect();
        for id in ids {
            if Some(id) != except {
                self.offer_to(id, Arc::clone(&line), stuck);
            }
        }
    }

    fn offer_to(&mut self, id: u64, line: Arc<str>, stuck: &mut Vec<u64>) {
        let Some(member) = self.members.get(&id) else {
            return;
        };
        match offer(member, Arc::clone(&line), millis_since(self.started)) {
            Offer::Taken => {}
            Offer::Stuck => stuck.push(id),
            Offer::Busy => self.waiting.push(Waiting {
                id,
                outbox: member.outbox.clone(),
                writing_since: Arc::clone(&member.writing_since),
                line,
            }),
        }
    }

    /// Drops each member whose outbox was full. Telling the others may fill more
    /// outboxes, so this is a work list, not a recursion.
    fn drop_not_reading(&mut self, mut stuck: Vec<u64>, log: &mut Vec<String>) {
        while let Some(id) = stuck.pop() {
            if let Some(notice) = self.remove(id, not_reading(), log) {
                self.deliver(format!("{notice}\n").into(), None, &mut stuck);
            }
        }
    }

    /// Takes a member out of the room and logs why. Returns what the others should be
    /// told, if the member had joined (the caller broadcasts it). `None` if the member
    /// was already gone: whoever noticed first (reader, writer, admin) did the work.
    fn remove(&mut self, id: u64, gone: Gone, log: &mut Vec<String>) -> Option<String> {
        let member = self.members.remove(&id)?;
        if let Gone::NotReading(_) = gone {
            // Its writer may be stuck in write() for good: cut the connection now.
            // Its reader and writer see the socket shut and end.
            let _ = member.stream.shutdown(Shutdown::Both);
        }
        // Otherwise dropping `member` drops the outbox's sender: the writer sends
        // what is still queued (a goodbye, say) and then closes the socket.
        let who = member.who();
        let online = self.online();
        let (log_line, notice) = match &gone {
            Gone::Quit => (format!("[leave] {who}: said /quit"), "left"),
            Gone::Closed => (format!("[leave] {who}: closed the connection"), "left"),
            Gone::Failed(why) => (format!("[lost] {who}: {why}"), "lost the connection"),
            Gone::Kicked(reason) => {
                let reason = reason.as_deref().unwrap_or("no reason given");
                (
                    format!("[kick] {who}: {reason}"),
                    "was kicked by the administrator",
                )
            }
            Gone::NotReading(why) => (
                format!("[dropped] {who}: {why}"),
                "was dropped: not reading",
            ),
        };
        log.push(format!("{log_line} ({online} online)"));
        let nick = member.nick?;
        let notice = match gone {
            Gone::Kicked(Some(reason)) => format!("* {nick} {notice}: {reason} ({online} online)"),
            _ => format!("* {nick} {notice} ({online} online)"),
        };
        Some(notice)
    }
}

fn not_reading() -> Gone {
    Gone::NotReading(format!(
        "its outbox is full and its last send() has waited over {} ms: it is not reading",
        STUCK.as_millis()
    ))
}

/// What every thread of the server shares.
struct Shared {
    room: Mutex<Room>,
    /// The outbox size, in lines.
    queue: usize,
    /// `--quiet`: do not log every chat line.
    quiet: bool,
    /// `--nick-timeout`: how long a newcomer may take to choose a nickname.
    nick_timeout: Duration,
    /// Where to connect to wake our own accept() at shutdown.
    wake: SocketAddr,
    started: Instant,
}

impl Shared {
    /// True once member `id` has chosen its nickname.
    fn has_nick(&self, id: u64) -> bool {
        self.lock()
            .members
            .get(&id)
            .is_some_and(|member| member.nick.is_some())
    }

    /// The room, locked. If a thread panicked while holding the lock, the room may be
    /// half updated; we say so and carry on rather than take the whole room down.
    fn lock(&self) -> MutexGuard<'_, Room> {
        self.room.lock().unwrap_or_else(|poisoned| {
            eprintln!("warning: a client's thread crashed while holding the room lock");
            poisoned.into_inner()
        })
    }

    /// Runs `change` with the room locked, then prints what it logged, unlocked.
    fn with_room<T>(&self, change: impl FnOnce(&mut Room, &mut Vec<String>) -> T) -> T {
        let mut log = Vec::new();
        let (result, waiting) = {
            let mut room = self.lock();
            let result = change(&mut room, &mut log);
            (result, std::mem::take(&mut room.waiting))
        };
        for line in log {
            say!("{line}");
        }
        for line in waiting {
            self.deliver_late(line);
        }
        result
    }

    /// A line for a client whose outbox was full while its writer was busy: wait
    /// (unlocked) until there is room. The writer is running, so this is short; if
    /// it gets stuck in write() meanwhile, the client is not reading and is dropped.
    /// Only the thread that sent the line waits (it is behind a flood of lines, or
    /// the flooder itself); every other client already has its copy.
    fn deliver_late(&self, waiting: Waiting) {
        let Waiting {
            id,
            outbox,
            writing_since,
            mut line,
        } = waiting;
        loop {
            match outbox.try_send(line) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(back)) => line = back,
            }
            if is_stuck(&writing_since, millis_since(self.started)) {
                self.leave(id, not_reading());
                return;
            }
            thread::sleep(Duration::from_millis(1));
        }
    }

    fn send(&self, id: u64, line: &str) {
        self.with_room(|room, log| room.send(id, line, log));
    }

    /// Takes a member out (if still there) and tells the others.
    fn leave(&self, id: u64, gone: Gone) {
        self.with_room(|room, log| {
            if let Some(notice) = room.remove(id, gone, log) {
                room.broadcast(&notice, None, log);
            }
        });
    }

    fn closing(&self) -> bool {
        self.lock().closing
    }
}

// ---------------------------------------------------------------------------------
// The server: accepting clients
// ---------------------------------------------------------------------------------

/// How many connected clients the kernel may queue before accept() takes them.
/// std's `TcpListener::bind` uses 128; when a whole lecture hall connects in the same
/// second, a full queue makes Linux drop the handshake's last packet, and those
/// clients hang for a second or more until it is resent. Linux caps this number at
/// net.core.somaxconn (4096 on current kernels).
const LISTEN_BACKLOG: i32 = 1024;

/// socket() + setsockopt(SO_REUSEADDR) + bind() + listen(1024): what std's
/// `TcpListener::bind` does in one call, but with a queue long enough for a classroom
/// (lab 1 shows these steps one by one).
fn listen_for_a_lecture_hall(addr: SocketAddr, lab: &Lab) -> anyhow::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)
        .context("could not create a TCP socket")?;
    // Bind again at once after a restart. (On Windows the option lets a second server
    // share the port, so there it stays off, as std leaves it.)
    #[cfg(unix)]
    socket
        .set_reuse_address(true)
        .context("setsockopt(SO_REUSEADDR) failed")?;
    socket
        .bind(&addr.into())
        .map_err(|err| hint::bind_failed(err, addr, lab.protocol))?;
    socket.listen(LISTEN_BACKLOG).context("listen() failed")?;
    Ok(socket.into())
}

fn server(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;
    let listener = listen_for_a_lecture_hall(addr, lab)?;
    let local = listener
        .local_addr()
        .context("the listening socket has no address")?;
    net::announce_listening(local, lab.protocol);

    let started = Instant::now();
    let shared = Arc::new(Shared {
        room: Mutex::new(Room {
            members: HashMap::new(),
            next_id: 1,
            max: args.max.map(|n| n as usize),
            closing: false,
            waiting: Vec::new(),
            started,
        }),
        started,
        queue: args.queue as usize,
        quiet: args.quiet,
        nick_timeout: Duration::from_secs(args.nick_timeout),
        wake: wake_address(local),
    });
    say!(
        "administrator console: type a line to announce it to everyone; /help lists the \
         commands (/kick, /max, /list, /shutdown)"
    );

    // Ctrl-C and SIGTERM do what /shutdown does. The handler runs on a thread of its
    // own (the ctrlc crate's), so it may take the lock like any other thread.
    let on_signal = Arc::clone(&shared);
    let handler = ctrlc::set_handler(move || {
        if on_signal.closing() {
            // A second Ctrl-C while we are already closing: stop waiting.
            std::process::exit(0);
        }
        say!("[signal] Ctrl-C or SIGTERM: shutting down, as /shutdown does");
        shut_down(&on_signal);
    });
    if let Err(err) = handler {
        say!("(Ctrl-C will stop the server without telling the clients: {err})");
    }

    // The console: a thread of its own, so the main thread can sit in accept().
    let console = Arc::clone(&shared);
    thread::Builder::new()
        .name("console".to_string())
        .spawn(move || administer(&console))
        .context("could not start the console thread")?;

    accept_clients(&listener, &shared);
    say!("[shutdown] the room is closed");
    Ok(())
}

/// The address /shutdown connects to, to wake accept(): the listening address, or
/// loopback when listening on every interface (0.0.0.0 or ::).
fn wake_address(local: SocketAddr) -> SocketAddr {
    let ip = match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, local.port())
}

/// accept() in a loop: each client gets a reader and a writer thread. Returns when
/// the room is closing.
fn accept_clients(listener: &TcpListener, shared: &Arc<Shared>) {
    for accepted in listener.incoming() {
        if shared.closing() {
            // This is /shutdown's wake-up call (or a client arriving too late).
            return;
        }
        let stream = match accepted {
            Ok(stream) => stream,
            Err(err) => {
                // Usually "too many open files": every descriptor is in use. Pause a
                // moment instead of spinning, then try again.
                say!("accept() failed: {}; trying again", hint::describe(&err));
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        // A client that connected and reset at once has no address any more: skip it.
        let Ok(peer) = stream.peer_addr() else {
            continue;
        };
        if let Err(err) = admit(shared, stream, peer) {
            say!("[error] {peer}: {err:#}");
        }
    }
}

/// Lets a newcomer in (or tells it the room is full) and starts its two threads.
fn admit(shared: &Arc<Shared>, stream: TcpStream, peer: SocketAddr) -> anyhow::Result<()> {
    let admitted = shared.with_room(|room, log| {
        let here = room.members.len();
        match room.max {
            // /shutdown has begun: this newcomer just closes with the rest.
            _ if room.closing => Err(None),
            Some(max) if here >= max => {
                log.push(format!(
                    "[full] {peer} turned away: the room is full ({here} of {max})"
                ));
                Err(Some(max))
            }
            _ => {
                room.next_id += 1;
                Ok(room.next_id)
            }
        }
    });
    let id = match admitted {
        Ok(id) => id,
        Err(Some(max)) => {
            turn_away(&stream, max);
            return Ok(());
        }
        Err(None) => return Ok(()),
    };

    // One socket, three owners: the reader, the writer and the room. `&TcpStream`
    // reads and writes, so an `Arc` shares it without dup()ing the descriptor.
    let stream = Arc::new(stream);
    let (outbox, queued) = mpsc::sync_channel(shared.queue);
    let writing_since = Arc::new(AtomicU64::new(0));

    let writer = {
        let (shared, stream) = (Arc::clone(shared), Arc::clone(&stream));
        let writing_since = Arc::clone(&writing_since);
        thread::Builder::new()
            .name(format!("writer {peer}"))
            .stack_size(WRITER_STACK)
            .spawn(move || write_queued(&shared, id, &stream, queued, &writing_since))
            .context("could not start a thread for this client (too many threads?)")?
    };
    let count = shared.with_room(|room, log| {
        room.members.insert(
            id,
            Member {
                nick: None,
                peer,
                outbox,
                stream: Arc::clone(&stream),
                writer,
                writing_since,
            },
        );
        log.push(format!("[connect] {peer} (choosing a nickname)"));
        room.online()
    });
    shared.send(
        id,
        &format!(
            "* welcome to the chat room ({count} online). Choose a nickname: 1-{MAX_NICK} \
             characters, no spaces"
        ),
    );

    let reader = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name(format!("reader {peer}"))
        .stack_size(READER_STACK)
        .spawn(move || serve_client(&reader, id, &stream));
    if let Err(err) = spawned {
        shared.leave(
            id,
            Gone::Failed("the server could not start a thread for it".to_string()),
        );
        return Err(err).context("could not start a thread for this client (too many threads?)");
    }
    Ok(())
}

/// Tells a newcomer the room is full and closes. The socket is new and its send
/// buffer empty, so this short write does not wait (the timeout is a safety net).
fn turn_away(mut stream: &TcpStream, max: usize) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let line = format!("! the room is full ({max} at most); try again later\n");
    let _ = stream.write_all(line.as_bytes());
    // shutdown(Write) sends FIN after the line, so the client reads it, then EOF.
    let _ = stream.shutdown(Shutdown::Write);
}

/// A client's writer thread: takes lines from its outbox and writes them, a batch
/// per write() when several are waiting. Ends when the room drops the outbox (the
/// client left) or a write fails; then it shuts the socket, which also ends the reader.
fn write_queued(
    shared: &Shared,
    id: u64,
    mut stream: &TcpStream,
    queued: Receiver<Arc<str>>,
    writing_since: &AtomicU64,
) {
    // A write() that waits this long means the client has not read anything for that
    // long while its buffers are full: it is not reading, so it is dropped.
    let _ = stream.set_write_timeout(Some(STUCK_WRITE));
    while let Ok(first) = queued.recv() {
        // Usually one line is waiting: it is sent as it is. After a burst, what else
        // is queued (up to WRITER_BATCH bytes) goes in the same send(): fewer system
        // calls. The batch is freed afterwards, so an idle client holds no buffer.
        let mut batch: Option<Vec<u8>> = None;
        while batch.as_ref().map_or(first.len(), Vec::len) < WRITER_BATCH {
            match queued.try_recv() {
                Ok(next) => batch
                    .get_or_insert_with(|| first.as_bytes().to_vec())
                    .extend_from_slice(next.as_bytes()),
                Err(_) => break,
            }
        }
        let bytes = batch.as_deref().unwrap_or(first.as_bytes());
        // send(): returns once the kernel has taken the bytes. It waits only when the
        // client's receive buffer and our send buffer are both full.
        writing_since.store(millis_since(shared.started), Ordering::SeqCst);
        let written = stream.write_all(bytes);
        writing_since.store(0, Ordering::SeqCst);
        if let Err(err) = written {
            let gone = match err.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Gone::NotReading(format!(
                    "it took no bytes for {} s: it is not reading",
                    STUCK_WRITE.as_secs()
                )),
                _ => Gone::Failed(hint::describe(&err)),
            };
            shared.leave(id, gone);
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// What the reader does next.
enum Flow {
    Continue,
    Quit,
    /// The client is no longer in the room (kicked, dropped): stop reading.
    Gone,
}

/// A client's reader thread: reads lines and acts on them until the client leaves.
fn serve_client(shared: &Shared, id: u64, mut stream: &TcpStream) {
    let mut framer = LineFramer::new(MAX_LINE);
    let mut buf = [0u8; 4096];
    let mut lines = Vec::new();
    // Until it has a nickname, recv() waits at most `nick_timeout` (SO_RCVTIMEO): a
    // connection that never says who it is must not hold its threads for ever. Once
    // it has joined, it may stay silent as long as it likes.
    let mut named = false;
    let _ = stream.set_read_timeout(Some(shared.nick_timeout));
    let gone = 'reading: loop {
        // recv(): blocks until bytes arrive. Ok(0) is the client closing its side.
        let n = match stream.read(&mut buf) {
            Ok(0) => break Gone::Closed,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) if !named && is_timeout(&err) => {
                let secs = shared.nick_timeout.as_secs();
                shared.send(id, &format!("! no nickname after {secs} s; closing"));
                break Gone::Failed(format!("gave no nickname in {secs} s"));
            }
            Err(err) => break Gone::Failed(hint::describe(&err)),
        };
        framer.push(&buf[..n], &mut lines);
        for framed in lines.drain(..) {
            match on_line(shared, id, framed) {
                Flow::Continue => {}
                Flow::Quit => break 'reading Gone::Quit,
                Flow::Gone => return,
            }
        }
        if !named && shared.has_nick(id) {
            named = true;
            let _ = stream.set_read_timeout(None);
        }
    };
    shared.leave(id, gone);
}

/// A read timeout shows as WouldBlock on Unix and TimedOut on Windows.
fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// One line from a client: a nickname while it has none, then chat and commands.
fn on_line(shared: &Shared, id: u64, framed: Framed) -> Flow {
    let bytes = match framed {
        Framed::Line(bytes) => bytes,
        Framed::TooLong => {
            shared.send(
                id,
                &format!("! that line was longer than {MAX_LINE} bytes; it was dropped"),
            );
            return Flow::Continue;
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        shared.send(
            id,
            "! that line was not UTF-8 text (this room speaks UTF-8; a GBK terminal? see lab 2); \
             it was dropped",
        );
        return Flow::Continue;
    };
    let nick = match shared.lock().members.get(&id) {
        None => return Flow::Gone,
        Some(member) => member.nick.clone(),
    };
    match nick {
        None => choose_nick(shared, id, text.trim()),
        Some(nick) => act(shared, id, &nick, parse_command(&text)),
    }
}

/// The first lines: the client's nickname.
fn choose_nick(shared: &Shared, id: u64, wanted: &str) -> Flow {
    if wanted.eq_ignore_ascii_case("/quit") {
        shared.send(id, "* bye");
        return Flow::Quit;
    }
    if wanted.is_empty() {
        return Flow::Continue;
    }
    if let Err(why) = validate_nick(wanted) {
        let text = if wanted.starts_with('/') {
            "first choose a nickname (or /quit)".to_string()
        } else {
            why
        };
        shared.send(id, &format!("! {text}. Choose a nickname:"));
        return Flow::Continue;
    }
    shared.with_room(|room, log| {
        if room.find(wanted).is_some() {
            room.send(
                id,
                &format!("! nickname \"{wanted}\" is taken. Choose another:"),
                log,
            );
            return;
        }
        let Some(member) = room.members.get_mut(&id) else {
            return;
        };
        member.nick = Some(wanted.to_string());
        let peer = member.peer;
        let online = room.online();
        log.push(format!("[join] {wanted} {peer} ({online} online)"));
        let here = room.nick_list();
        room.send(
            id,
            &format!("* welcome, {wanted}! Online ({online}): {here}. /help lists the commands"),
            log,
        );
        room.broadcast(
            &format!("* {wanted} joined ({online} online)"),
            Some(id),
            log,
        );
    });
    Flow::Continue
}

/// A line from a client who has joined.
fn act(shared: &Shared, id: u64, nick: &str, command: Command) -> Flow {
    match command {
        Command::Nothing => {}
        Command::Say(text) => match check_text(text) {
            Err(why) => shared.send(id, &format!("! {why}; the line was dropped")),
            Ok(text) => {
                // The stamp: the server, not the client, writes who is speaking.
                let line = format!("<{nick}> {text}");
                shared.with_room(|room, log| room.broadcast(&line, Some(id), log));
                if !shared.quiet {
                    say!("{}", safe_str(&line));
                }
            }
        },
        Command::Msg { to, text } => match check_text(text) {
            Err(why) => shared.send(id, &format!("! {why}; the line was dropped")),
            Ok(text) => shared.with_room(|room, log| {
                let Some(target) = room.find(to) else {
                    let line = format!("! nobody called \"{to}\" is here; /list shows who is");
                    room.send(id, &line, log);
                    return;
                };
                let to = room.members[&target].nick.clone().unwrap_or_default();
                room.send(target, &format!("[private] <{nick}> {text}"), log);
                room.send(id, &format!("[private to {to}] {text}"), log);
                // The administrator sees that it happened, not what was said.
                log.push(format!("[private] {nick} -> {to} ({} bytes)", text.len()));
            }),
        },
        Command::List => shared.with_room(|room, log| {
            let line = format!("* online ({}): {}", room.online(), room.nick_list());
            room.send(id, &line, log);
        }),
        Command::Nick(new) => change_nick(shared, id, nick, new),
        Command::Help => shared.send(id, CLIENT_HELP),
        Command::Quit => {
            shared.send(id, &format!("* bye, {nick}"));
            return Flow::Quit;
        }
        Command::Usage(usage) => shared.send(id, &format!("! usage: {usage}")),
        Command::Unknown(word) => shared.send(
            id,
            &format!(
                "! unknown command {word}; /help lists the commands (start a line with // \
                 to say something that begins with /)"
            ),
        ),
    }
    Flow::Continue
}

const CLIENT_HELP: &str = "* commands:
*   text             say text to everyone
*   /msg NICK text   say text to NICK only
*   /list            who is here
*   /nick NEWNAME    change your nickname
*   /help            this list
*   /quit            leave
*   //text           say a line that starts with /";

fn change_nick(shared: &Shared, id: u64, old: &str, new: &str) {
    if let Err(why) = validate_nick(new) {
        shared.send(id, &format!("! {why}; you are still {old}"));
        return;
    }
    shared.with_room(|room, log| {
        // Taken by someone else? (alice may become Alice: that is still her.)
        if room.find(new).is_some_and(|other| other != id) {
            room.send(
                id,
                &format!("! nickname \"{new}\" is taken; you are still {old}"),
                log,
            );
            return;
        }
        let Some(member) = room.members.get_mut(&id) else {
            return;
        };
        member.nick = Some(new.to_string());
        log.push(format!("[nick] {old} is now {new}"));
        room.send(id, &format!("* you are now {new}"), log);
        room.broadcast(&format!("* {old} is now known as {new}"), Some(id), log);
    });
}

// ---------------------------------------------------------------------------------
// The server: the administrator's console
// ---------------------------------------------------------------------------------

/// Reads the administrator's lines from stdin until its end.
fn administer(shared: &Shared) {
    let mut console = Lines::from_stdin();
    while let Some(line) = console.read("") {
        match parse_admin(&line) {
            AdminCommand::Nothing => {}
            AdminCommand::Announce(text) => match check_text(text) {
                Err(why) => say!("not sent: {why}"),
                Ok(text) => {
                    let count = shared.with_room(|room, log| {
                        room.broadcast(&format!("[admin] {text}"), None, log);
                        room.online()
                    });
                    say!("[admin] {text} (sent to {count})");
                }
            },
            AdminCommand::Kick { nick, reason } => kick(shared, nick, reason),
            AdminCommand::Max(max) => {
                let here = shared.with_room(|room, _| {
                    room.max = max;
                    room.members.len()
                });
                match max {
                    Some(max) => say!(
                        "max set to {max}: newcomers are turned away while {max} are connected \
                         (now {here}; nobody is sent away)"
                    ),
                    None => say!("max off: no cap on the room (now {here} connected)"),
                }
            }
            AdminCommand::ShowMax => {
                let (max, here) = shared.with_room(|room, _| (room.max, room.members.len()));
                match max {
                    Some(max) => say!("max {max} ({here} connected now)"),
                    None => say!("no max ({here} connected now); /max N sets one"),
                }
            }
            AdminCommand::List => list_for_admin(shared),
            AdminCommand::Shutdown => {
                shut_down(shared);
                return;
            }
            AdminCommand::Help => say!("{ADMIN_HELP}"),
            AdminCommand::Usage(usage) => say!("usage: {usage}"),
            AdminCommand::Unknown(word) => {
                say!(
                    "unknown command {}; /help lists the commands",
                    safe_str(word)
                )
            }
        }
    }
    // stdin ended: started with `< /dev/null`, from a pipe, or Ctrl-D. A server is
    // often run like that (in the background, from a script), so it keeps serving.
    say!(
        "console: end of input (stdin closed). The room keeps running without an \
         administrator; Ctrl-C or SIGTERM shuts it down"
    );
}

const ADMIN_HELP: &str = "administrator commands:
  text                 announce text to everyone, as [admin] text
  /kick NICK [reason]  tell NICK why, close its connection, tell the others
  /max N               turn newcomers away while N clients are connected (/max off: no cap)
  /max                 show the cap
  /list                who is connected, with address:port
  /shutdown            tell everyone, close every connection, exit (Ctrl-C does the same)
  //text               announce a line that starts with /";

fn kick(shared: &Shared, nick: &str, reason: Option<&str>) {
    let kicked = shared.with_room(|room, log| {
        let Some(id) = room.find(nick) else {
            return false;
        };
        let line = match reason {
            Some(reason) => format!("[admin] you were kicked by the administrator: {reason}"),
            None => "[admin] you were kicked by the administrator".to_string(),
        };
        room.send(id, &line, log);
        if let Some(notice) = room.remove(id, Gone::Kicked(reason.map(str::to_string)), log) {
            room.broadcast(&notice, None, log);
        }
        true
    });
    if !kicked {
        say!(
            "nobody called \"{}\" is here; /list shows who is",
            safe_str(nick)
        );
    }
}

fn list_for_admin(shared: &Shared) {
    let (lines, max) = shared.with_room(|room, _| {
        let mut lines: Vec<(String, SocketAddr)> = room
            .members
            .values()
            .map(|m| {
                (
                    m.nick
                        .clone()
                        .unwrap_or_else(|| "(choosing a nickname)".into()),
                    m.peer,
                )
            })
            .collect();
        lines.sort_by_key(|(nick, _)| nick.to_lowercase());
        (lines, room.max)
    });
    let max = max.map(|m| format!(", max {m}")).unwrap_or_default();
    say!("connected: {}{max}", lines.len());
    for (nick, peer) in lines {
        // The address first: a nick such as 尹哲 is wider on screen than its
        // character count, so padding it would leave the column crooked.
        say!("  {:<22} {nick}", peer.to_string());
    }
}

/// /shutdown, Ctrl-C, SIGTERM: tell everyone, let the writers send it, close every
/// connection, and wake the accept loop so `run` returns and the process exits 0.
fn shut_down(shared: &Shared) {
    let members = {
        let mut room = shared.lock();
        if room.closing {
            return;
        }
        room.closing = true;
        std::mem::take(&mut room.members)
    };
    say!(
        "[shutdown] telling everyone ({} connected) and closing every connection",
        members.len()
    );
    let goodbye: Arc<str> = "[admin] the server is shutting down. Goodbye!\n".into();
    let mut closing = Vec::new();
    for member in members.into_values() {
        let Member {
            outbox,
            stream,
            writer,
            ..
        } = member;
        if outbox.try_send(Arc::clone(&goodbye)).is_err() {
            // No room for the goodbye: this one was not reading anyway.
            let _ = stream.shutdown(Shutdown::Both);
        }
        // Dropping the outbox: its writer sends what is queued, then closes.
        drop(outbox);
        closing.push((writer, stream));
    }
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while Instant::now() < deadline && closing.iter().any(|(writer, _)| !writer.is_finished()) {
        thread::sleep(Duration::from_millis(10));
    }
    // Writers still stuck in write() after the grace period: cut them off.
    for (_, stream) in &closing {
        let _ = stream.shutdown(Shutdown::Both);
    }

    // The main thread is blocked in accept(). A connection of our own wakes it; it
    // then sees `closing` and returns. If even that fails, end the process here.
    if TcpStream::connect_timeout(&shared.wake, Duration::from_secs(1)).is_err() {
        say!("[shutdown] the room is closed");
        std::process::exit(0);
    }
}

// ---------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------

fn client(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    // socket() + connect(), to each address --host stands for until one answers
    // (Python: socket.create_connection((host, port))).
    let (stream, server) = args.endpoint.connect_tcp(lab)?;
    let mut sending = &stream;

    // The nickname goes first. If the server refuses it, it says why, and the next
    // line typed is the next try: the server keeps that state, the client just sends.
    if let Some(name) = &args.name {
        writeln!(sending, "{name}").map_err(|err| connection_broke(server, &err))?;
    }

    // Full duplex: a reader thread prints what arrives while this thread waits for the
    // keyboard. (Lab 3's client could do only one at a time.)
    let leaving = Arc::new(AtomicBool::new(false));
    let reader = {
        let incoming = stream
            .try_clone()
            .context("could not share the socket with a thread")?;
        let leaving = Arc::clone(&leaving);
        let own = args.name.clone();
        thread::Builder::new()
            .name("reader".to_string())
            .spawn(move || show_incoming(incoming, server, &leaving, own))
            .context("could not start the reader thread")?
    };

    let mut input = Lines::from_stdin();
    if input.interactive() {
        say!("connected to {server}. Type a line and press Enter; /help lists the commands, /quit leaves");
    }
    loop {
        // End of input (Ctrl-D, the end of a piped file) leaves like /quit.
        let line = input.read("").unwrap_or_else(|| "/quit".to_string());
        let quitting = line.trim().eq_ignore_ascii_case("/quit");
        if quitting {
            // From now on, the server closing the connection is what we asked for.
            leaving.store(true, Ordering::SeqCst);
        }
        if let Err(err) = writeln!(sending, "{line}") {
            if quitting {
                break;
            }
            return Err(connection_broke(server, &err));
        }
        if quitting {
            break;
        }
    }

    // Wait (briefly) for the server's goodbye and its close, so the last lines show.
    let deadline = Instant::now() + Duration::from_secs(3);
    while !reader.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

fn connection_broke(server: SocketAddr, err: &io::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "the connection to the chat room at {server} broke: {}",
        hint::describe(err)
    )
}

/// The client's reader thread: prints each line from the server. If the server goes
/// away while we are not leaving, says so and ends the whole client with exit code 1
/// (the main thread is blocked reading the keyboard and cannot notice).
fn show_incoming(
    mut stream: TcpStream,
    server: SocketAddr,
    leaving: &AtomicBool,
    own: Option<String>,
) {
    // Server lines can be long (a /list of a full lecture hall), but not unbounded.
    let mut framer = LineFramer::new(256 * 1024);
    let mut colors = NickColors::default();
    if let Some(own) = own {
        colors.paint(own.as_bytes()); // you get the first colour
    }
    let mut buf = [0u8; 8192];
    let mut lines = Vec::new();
    // The last line, if it was the server explaining itself (`[admin] you were
    // kicked`, `! the room is full`): that is why it closes, and worth repeating.
    let mut last_word = None;
    let why = loop {
        match stream.read(&mut buf) {
            Ok(0) => break None,
            Ok(n) => {
                framer.push(&buf[..n], &mut lines);
                for framed in lines.drain(..) {
                    match framed {
                        Framed::Line(line) => {
                            say!("{}", show_line(&line, &mut colors));
                            let explains = line.starts_with(b"[admin] ") || line.starts_with(b"! ");
                            last_word = explains.then(|| safe(&line));
                        }
                        Framed::TooLong => say!("(the server sent a line too long to show)"),
                    }
                }
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => break Some(err),
        }
    };
    if leaving.load(Ordering::SeqCst) {
        return;
    }
    match (why, last_word) {
        (None, Some(word)) => {
            eprintln!("error: the chat room at {server} closed the connection after: {word}")
        }
        (None, None) => eprintln!(
            "error: the chat room at {server} closed the connection: the server stopped. \
             Start `lab 6 server` again and reconnect"
        ),
        (Some(err), _) => eprintln!("error: {}", connection_broke(server, &err)),
    }
    std::process::exit(1);
}

/// A line from the server, ready for the terminal: the sender's nick in its colour,
/// everything else made safe (no escape sequence, bell or carriage return gets
/// through raw, even from a server that does not filter them).
fn show_line(line: &[u8], colors: &mut NickColors) -> String {
    let (private, rest) = match line.strip_prefix(b"[private] ") {
        Some(rest) => ("[private] ", rest),
        None => ("", line),
    };
    match split_stamp(rest) {
        Some((nick, text)) => format!("{private}{} {}", colors.paint(nick), safe(text)),
        None => safe(line),
    }
}

/// A colour per nick, handed out in the order nicks first appear.
#[derive(Default)]
struct NickColors {
    seen: HashMap<Vec<u8>, usize>,
}

impl NickColors {
    fn paint(&mut self, nick: &[u8]) -> ColoredString {
        let next = self.seen.len();
        let n = *self.seen.entry(nick.to_vec()).or_insert(next);
        paint(&format!("<{}>", safe(nick)), n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_nicks_are_accepted_including_chinese_ones() {
        for nick in ["alice", "Bob_2", "尹哲", "a", "sixteen_chars_ok"] {
            assert_eq!(validate_nick(nick), Ok(()), "{nick}");
        }
    }

    #[test]
    fn nicks_are_refused_with_a_reason() {
        let refused = |nick: &str| validate_nick(nick).expect_err(nick);
        assert!(refused("").contains("at least one"));
        assert!(refused("seventeen_chars_x").contains("at most 16"));
        assert!(refused("a b").contains("spaces"));
        assert!(refused("a\tb").contains("spaces"));
        assert!(refused("bad\x1b[31m").contains("control"));
        assert!(refused("b\u{200b}ob").contains("invisible"));
        assert!(refused("<bob>").contains("< or >"));
        assert!(refused("/quit").contains("start with /"));
        assert!(refused("Server").contains("reserved"));
    }

    #[test]
    fn a_nick_is_counted_in_characters_not_bytes() {
        // 16 Chinese characters are 48 bytes in UTF-8, and still a fine nickname.
        assert_eq!(validate_nick(&"尹".repeat(16)), Ok(()));
        assert!(validate_nick(&"尹".repeat(17)).is_err());
    }

    #[test]
    fn plain_text_is_said_and_slash_lines_are_commands() {
        assert_eq!(parse_command("hello all"), Command::Say("hello all"));
        assert_eq!(parse_command("<bob> hi"), Command::Say("<bob> hi"));
        assert_eq!(parse_command("   "), Command::Nothing);
        assert_eq!(parse_command("//slash"), Command::Say("/slash"));
        assert_eq!(parse_command("/list"), Command::List);
        assert_eq!(parse_command("/LIST"), Command::List);
        assert_eq!(parse_command("/help"), Command::Help);
        assert_eq!(parse_command("/quit"), Command::Quit);
        assert_eq!(parse_command("/nick  al "), Command::Nick("al"));
        assert_eq!(parse_command("/nick"), Command::Usage("/nick NEWNAME"));
        assert_eq!(parse_command("/dance now"), Command::Unknown("/dance"));
    }

    #[test]
    fn msg_takes_a_nick_and_the_rest_of_the_line() {
        assert_eq!(
            parse_command("/msg bob  see you at 5 "),
            Command::Msg {
                to: "bob",
                text: "see you at 5 "
            }
        );
        assert_eq!(parse_command("/msg bob"), Command::Usage("/msg NICK text"));
        assert_eq!(parse_command("/msg"), Command::Usage("/msg NICK text"));
        assert_eq!(
            parse_command("/msg bob   "),
            Command::Usage("/msg NICK text")
        );
    }

    #[test]
    fn admin_lines_are_announcements_or_commands() {
        assert_eq!(
            parse_admin("class ends at 5"),
            AdminCommand::Announce("class ends at 5")
        );
        assert_eq!(parse_admin(""), AdminCommand::Nothing);
        assert_eq!(
            parse_admin("/kick bob spamming the room"),
            AdminCommand::Kick {
                nick: "bob",
                reason: Some("spamming the room")
            }
        );
        assert_eq!(
            parse_admin("/kick bob"),
            AdminCommand::Kick {
                nick: "bob",
                reason: None
            }
        );
        assert_eq!(
            parse_admin("/kick"),
            AdminCommand::Usage("/kick NICK [reason]")
        );
        assert_eq!(parse_admin("/max 3"), AdminCommand::Max(Some(3)));
        assert_eq!(parse_admin("/max off"), AdminCommand::Max(None));
        assert_eq!(parse_admin("/max"), AdminCommand::ShowMax);
        assert!(matches!(parse_admin("/max lots"), AdminCommand::Usage(_)));
        assert_eq!(parse_admin("/list"), AdminCommand::List);
        assert_eq!(parse_admin("/shutdown"), AdminCommand::Shutdown);
        assert_eq!(parse_admin("/help"), AdminCommand::Help);
        assert_eq!(parse_admin("/ban bob"), AdminCommand::Unknown("/ban"));
        assert_eq!(
            parse_admin("//kick is a command"),
            AdminCommand::Announce("/kick is a command")
        );
    }

    #[test]
    fn chat_text_with_control_characters_is_refused_and_tabs_become_spaces() {
        assert_eq!(check_text("你好 hi").as_deref(), Ok("你好 hi"));
        assert_eq!(check_text("a\tb").as_deref(), Ok("a b"));
        assert!(check_text("\x1b[2Jgotcha").is_err());
        assert!(check_text("ding\x07").is_err());
        assert!(check_text("over\rwrite").is_err());
        assert!(check_text("abc\u{202e}def").is_err());
    }

    fn frame_all(chunks: &[&[u8]], limit: usize) -> Vec<Framed> {
        let mut framer = LineFramer::new(limit);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk, &mut out);
        }
        out
    }

    fn line(text: &str) -> Framed {
        Framed::Line(text.as_bytes().to_vec())
    }

    #[test]
    fn lines_end_at_newlines_with_or_without_carriage_returns() {
        assert_eq!(
            frame_all(&[b"hi\nthere\r\n\nhalf"], 16),
            vec![line("hi"), line("there"), line("")]
        );
    }

    #[test]
    fn a_line_longer_than_the_limit_is_reported_once_and_the_next_line_is_kept() {
        assert_eq!(
            frame_all(&[b"12345678\n1234567890123\nok\n"], 8),
            vec![line("12345678"), Framed::TooLong, line("ok")]
        );
        // Reported as soon as the limit is passed, before the newline arrives.
        assert_eq!(frame_all(&[b"1234567890123"], 8), vec![Framed::TooLong]);
        // A `\r\n` line of exactly the limit is fine.
        assert_eq!(frame_all(&[b"12345678\r\n"], 8), vec![line("12345678")]);
    }

    #[test]
    fn framing_is_the_same_wherever_the_bytes_are_split() {
        // Chinese text (split inside a character too), CRLF, an over-long line.
        let input = "尹哲 hi\r\nabcdefghijklmnop\nok\n\nend\r\n".as_bytes();
        let whole = frame_all(&[input], 10);
        assert_eq!(
            whole,
            vec![
                line("尹哲 hi"),
                Framed::TooLong,
                line("ok"),
                line(""),
                line("end")
            ]
        );
        for i in 0..=input.len() {
            assert_eq!(
                frame_all(&[&input[..i], &input[i..]], 10),
                whole,
                "split at {i}"
            );
            for j in i..=input.len() {
                let parts = [&input[..i], &input[i..j], &input[j..]];
                assert_eq!(frame_all(&parts, 10), whole, "split at {i} and {j}");
            }
        }
    }

    #[test]
    fn a_huge_line_without_newline_never_grows_the_buffer_past_the_limit() {
        let mut framer = LineFramer::new(MAX_LINE);
        let mut out = Vec::new();
        for _ in 0..1000 {
            framer.push(&[b'x'; 1024], &mut out);
            assert!(framer.partial.len() <= MAX_LINE + 1);
        }
        assert_eq!(out, vec![Framed::TooLong]);
    }

    #[test]
    fn the_stamp_is_split_from_chat_lines_only() {
        assert_eq!(
            split_stamp(b"<alice> <bob> hi"),
            Some((&b"alice"[..], &b"<bob> hi"[..]))
        );
        assert_eq!(split_stamp(b"* alice joined"), None);
        assert_eq!(split_stamp(b"[admin] hi"), None);
        assert_eq!(split_stamp(b"<> x"), None);
        assert_eq!(split_stamp(b"<alice>"), None);
    }

    /// The text without colour codes (the tests must not depend on the terminal).
    fn without_colour(shown: &str) -> String {
        let mut plain = String::new();
        let mut chars = shown.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                // Our own colour codes are `ESC [ digits ; ... m`.
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                plain.push(c);
            }
        }
        plain
    }

    #[test]
    fn shown_lines_keep_the_text_and_escape_control_bytes() {
        let mut colors = NickColors::default();
        let mut show = |line: &[u8]| without_colour(&show_line(line, &mut colors));
        assert_eq!(show(b"<alice> hi"), "<alice> hi");
        assert_eq!(show(b"[private] <bob> psst"), "[private] <bob> psst");
        assert_eq!(show(b"* \x1b[2J joined"), "* \\e[2J joined");
        assert_eq!(show(b"<eve> \x1b]0;pwned\x07"), "<eve> \\e]0;pwned\\x07");
        // The peer's bytes themselves never carry an ESC through.
        assert!(!show_line(b"<e\x1bve> \x1b[31mred", &mut colors).contains("\x1b[31mred"));
    }

    #[test]
    fn each_nick_keeps_its_colour() {
        let mut colors = NickColors::default();
        colors.paint(b"alice");
        colors.paint(b"bob");
        colors.paint(b"alice");
        assert_eq!(colors.seen[&b"alice".to_vec()], 0);
        assert_eq!(colors.seen[&b"bob".to_vec()], 1);
    }
}
