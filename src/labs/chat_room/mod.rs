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
//! lecture hall needs a longer listen queue than 128: see `LISTEN_BACKLOG` in
//! server.rs.)
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
//! has to stop the main thread, which waits for newcomers in accept(). std cannot
//! cancel a blocking call from another thread, so the listener is non-blocking and
//! the accept loop looks every 50 ms whether the room has closed; then `run` returns
//! (exit code 0). Lab 4 stops the same way; `accept_clients` in server.rs says why.
//!
//! Nicknames cannot impersonate: besides control and invisible characters, the rules
//! in src/chat_protocol.rs refuse fullwidth forms, mixed alphabets and names that
//! read like the server, and the room refuses a name whose Unicode "skeleton" (TR39)
//! is a member's: `aIice` (capital i) while `alice` is here.
//!
//! Where to read what, in this order:
//! - `src/chat_protocol.rs` (in the shared floor, because labs 9 and 10 serve the same
//!   room): the protocol as pure functions: nicknames, chat text, commands, and
//!   the line framer that cuts a TCP byte stream into lines (with their unit tests);
//! - `room.rs`: the room (who is here, their outboxes) behind one `Mutex`, and the
//!   fan-out that never waits for a slow client;
//! - `server.rs`: listen and accept, each client's writer and reader threads, what a
//!   client's line does, and shutting down;
//! - `console.rs`: the administrator's commands, typed in the server's terminal;
//! - `client.rs`: the full-duplex client;
//! - `tui.rs`: the same client as a chat window (`lab 6 client --tui`).

mod client;
mod console;
mod room;
mod server;
mod tui;

use clap::{Args, Subcommand};

use crate::labs::Lab;
use crate::net::Endpoint;

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

    /// The most members in the room at once; newcomers over the cap are told the room
    /// is full (connections still choosing a nickname do not count). Change it while
    /// the server runs with /max N (no cap by default)
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

    /// Seconds a new connection may take, from its connect, to give its nickname. After
    /// that it is told and closed, so a forgotten `nc` window does not hold two threads
    /// for ever (1 to 86400, a day)
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    nick_timeout: u64,
}

#[derive(Args, Debug)]
pub struct ClientArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// Your nickname: 1-16 characters, no spaces. Without it, type it as your first line
    #[arg(long)]
    name: Option<String>,

    /// A chat window in the terminal: messages above, who is online on the side, and
    /// the line you type below, which arriving messages never overwrite (tui.rs)
    #[arg(long)]
    tui: bool,
}

pub fn run(role: Role, lab: &Lab) -> anyhow::Result<()> {
    match role {
        Role::Server(args) => server::server(args, lab),
        Role::Client(args) if args.tui => tui::client(args, lab),
        Role::Client(args) => client::client(args, lab),
    }
}
