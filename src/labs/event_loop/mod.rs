//! Lab 9 — event-loop. Lab 6's chat room, served by ONE thread. Lab 6 gives every
//! client two threads that sit blocked in recv() and send(); 10,000 clients would
//! need 20,000 threads. Here one thread asks the OS "which of my sockets can I use
//! without waiting?", does exactly that, and asks again: an event loop, what
//! Python's `selectors`, Node.js and tokio (lab 10) are built on.
//!
//! The room speaks the same protocol as lab 6 (from `src/chat_protocol.rs`), so
//! `lab 6 client --port 5509`, `nc 127.0.0.1 5509` and lab 6's Python peers all work.
//!
//! | Python (`selectors`, the classic event loop)          | here (mio)                              |
//! |-------------------------------------------------------|-----------------------------------------|
//! | `sel = selectors.DefaultSelector()` (epoll on Linux)  | `Poll::new()`                           |
//! | `sock.setblocking(False)`                             | mio sockets are always non-blocking     |
//! | `sel.register(sock, EVENT_READ, data)`                | `registry.register(&mut sock, Token(n), Interest::READABLE)` |
//! | `sel.modify(sock, EVENT_READ \| EVENT_WRITE)`         | `registry.reregister(.., READABLE \| WRITABLE)` |
//! | `for key, mask in sel.select(timeout):`               | `poll.poll(&mut events, timeout)`, `for event in &events` |
//! | `conn.recv(4096)` → `BlockingIOError`                 | `stream.read(..)` → `ErrorKind::WouldBlock` |
//! | `n = conn.send(data)` (may be less than `len(data)`)  | `stream.write_vectored(..)` → `Ok(n)`   |
//! | `sel.unregister(sock); sock.close()`                  | `registry.deregister(..)`, drop         |
//!
//! The rules of the loop, which the code follows everywhere:
//! - **Nothing may block.** While the one thread waits for one client, nobody else
//!   is served. So every socket is non-blocking: recv() on an empty socket and send()
//!   on a full one return `WouldBlock` at once instead of waiting. (The one blocking
//!   call left is printing the log to the terminal; `--quiet` keeps it short.)
//! - **Readiness, not completion.** `poll()` says a socket *can* be read or written
//!   now. mio's readiness is edge-triggered (epoll's `EPOLLET`): it is reported once
//!   when it appears, so after "readable" the loop reads until `WouldBlock`, or it
//!   remembers to come back (`again`), because the OS will not say it twice.
//! - **A write may be partial.** send() takes what fits in the kernel's buffer and
//!   returns how many bytes that was. The rest is the loop's to keep: each client has
//!   an outbox of lines (and how much of the first one is already sent). While it is
//!   not empty the loop asks for "writable" too, and sends more when the OS says so.
//! - **Bounded.** A client that stops reading fills its kernel buffers, then its
//!   outbox (`--queue` lines): it is dropped, as in lab 6, so it cannot make the
//!   server hold megabytes for it. An unfinished line is kept up to 4 KiB
//!   (`LineFramer`), then refused.
//!
//! Three threads in all: the loop (every socket), the console's stdin reader (a
//! terminal cannot be polled on every OS), and the Ctrl-C handler (the ctrlc
//! crate's). The other two reach the loop through a channel and a `Waker`: a
//! registered token the loop's `poll()` reports as ready.
//!
//! Where to read what, in this order:
//! - `src/chat_protocol.rs` (the shared floor): the protocol's pure rules;
//! - `server.rs`: the loop: poll, accept, read, write, timers, shutting down;
//! - `room.rs`: what a client's line does (nick, say, /msg, /list), the fan-out that
//!   queues a line in every outbox, and joins announced in batches;
//! - `console.rs`: the administrator's commands, arriving through the waker;
//! - `swarm.rs`: `lab 9 swarm`, the event loop as a client: N chat clients in one
//!   thread, to fill a room.

mod console;
mod room;
mod server;
mod swarm;

use clap::{Args, Subcommand};

use crate::labs::Lab;
use crate::net::Endpoint;

#[derive(Subcommand, Debug)]
pub enum Role {
    /// Lab 6's chat room in one thread: an event loop over every socket
    Server(ServerArgs),
    /// N chat clients driven by one thread (the event loop as a client), with a report
    Swarm(SwarmArgs),
}

#[derive(Args, Debug)]
pub struct ServerArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// The most clients in the room at once; newcomers over the cap are told the room
    /// is full. Change it while the server runs with /max N (no cap by default)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    max: Option<u32>,

    /// How many lines may wait in one client's outbox once the kernel's buffers for
    /// it are full. A client whose outbox overflows is not reading: it is dropped
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    queue: u32,

    /// Do not print every chat line (joins, leaves and admin actions still print)
    #[arg(long)]
    quiet: bool,

    /// Seconds a new connection may take to give its nickname; then it is told and
    /// closed
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    nick_timeout: u64,

    /// Print, for every turn of the loop, what poll() reported ready and what the
    /// loop did with it (for a few clients: a big room prints a lot)
    #[arg(long)]
    trace: bool,
}

#[derive(Args, Debug)]
pub struct SwarmArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// How many chat clients to run (all in this one thread)
    #[arg(short = 'n', long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=60_000))]
    clients: u32,

    /// How many times the first client says a line, each time waiting until every
    /// other client has it (or 10 s)
    #[arg(long, default_value_t = 5)]
    rounds: u32,

    /// Seconds to stay in the room after the rounds (to look at the server meanwhile)
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    hold: u64,

    /// Seconds to wait for everyone to join before going on with those who did
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    join_timeout: u64,

    /// Nicknames are PREFIX0, PREFIX1, ... (at most 16 characters in all)
    #[arg(long, value_name = "PREFIX", default_value = "sw")]
    prefix: String,
}

pub fn run(role: Role, lab: &Lab) -> anyhow::Result<()> {
    match role {
        Role::Server(args) => server::server(args, lab),
        Role::Swarm(args) => swarm::swarm(args, lab),
    }
}
