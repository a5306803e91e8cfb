//! Lab 4 — threads. One thread per client: many clients at once, and a server that
//! knows who came, who said what, and how each one left.
//!
//! Run `lab 4 server` in one terminal, then `lab 4 client` in two or three others (or
//! `lab 4 swarm -n 20` for twenty at once). The server logs
//! `[connect] 127.0.0.1:50312 (3 online)`, every message as `127.0.0.1:50312: text`,
//! and exactly one end line per client:
//! `[disconnect] ADDR:PORT said exit`, `[lost] ADDR:PORT closed without exit` or
//! `[error] ADDR:PORT connection reset`. Type `/help` in the server's terminal for its
//! console: list the clients, send a line to one or to all, shut down.
//!
//! This retells the classic Python thread-per-client server on port 12000 and removes
//! the limits its own report lists: the server now replies by itself instead of asking
//! the operator for each answer (so the display no longer mixes up who is answered),
//! the operator can pick the client to write to, and the server can be shut down from
//! its console (or Ctrl-C) with every client told and every thread joined.
//!
//! | Python                                          | here                                          |
//! |-------------------------------------------------|-----------------------------------------------|
//! | `s.bind(("0.0.0.0", 12000))`, `s.listen(5)`     | `listen_for_a_classroom(addr)` (listen(1024)) |
//! | `conn, addr = s.accept()`                       | `listener.accept()`                           |
//! | `threading.Thread(target=handle_client, ...)`   | `thread::Builder::new().name(..).spawn(..)`   |
//! | `data = conn.recv(2048)`; `if data == b"": ...` | `stream.read(&mut buf)`; `Ok(0)` = closed     |
//! | `except ConnectionResetError`                   | `Err(e) if e.kind() == ConnectionReset`       |
//! | a global list + `threading.Lock()`              | `Mutex<Vec<Arc<Peer>>>`                       |
//! | `conn.send(msg.encode())`                       | `(&stream).write_all(line.as_bytes())`        |
//!
//! What lab 3 could not do, this lab does: lab 3's server serves one client while the
//! next waits in the listen queue; here the main thread only accepts and hands each
//! client to a thread of its own, so a silent client blocks nobody but its own thread.
//! And lab 3's client can only listen or type; ours has a reader thread, so what the
//! server sends appears while you type (full duplex).
//!
//! Surviving a classroom: a whole class connecting in the same second overflows
//! the usual listen queue, so this server asks for a longer one (`LISTEN_BACKLOG`),
//! and each client thread gets a small stack (`CLIENT_STACK`). See
//! `listen_for_a_classroom` in server.rs and the guide's "Surviving a classroom". A
//! client that sends nothing for `--idle-timeout` seconds (300) is told and closed,
//! so sockets left open in forgotten windows cannot hold the places of
//! `--max-clients`.
//!
//! The price of threads is shared state. The list of clients online sits behind one
//! `Mutex`; every thread holds it only to add, remove or copy out the list, and never
//! while it waits for the network.
//!
//! Where to read what, in this order:
//! - `mod.rs` (this file): the lesson, the three roles and their options;
//! - `clients.rs`: what the threads share (the list of clients online, one `Mutex`);
//! - `server.rs`: the accept loop, one thread per client, the shutdown;
//! - `messages.rs`: how one recv() is cut into messages (pure bytes, unit-tested);
//! - `console.rs`: the operator's commands, their parser, the console thread;
//! - `client.rs`: the full-duplex client and its reader thread;
//! - `swarm.rs`: `lab 4 swarm`, the load tool that opens N clients at once (not the
//!   lesson: read it last).

mod client;
mod clients;
mod console;
mod messages;
mod server;
mod swarm;

use clap::{Args, Subcommand};

use crate::labs::Lab;
use crate::net::Endpoint;

/// The most bytes one recv() takes. It is also all the memory a client's messages
/// can take on the server: a longer line simply arrives over several recv() calls.
const RECV_SIZE: usize = 1024;

/// How the server's line to an idle client begins (`... 300 s, so the server closes
/// this connection`); the client recognises it, to say why the connection ended.
const IDLE_NOTICE: &str = "you sent nothing for";

#[derive(Subcommand, Debug)]
pub enum Role {
    /// The server: a thread per client, a log of who comes and goes, a console (/help)
    Server(ServerArgs),
    /// The client: prints what arrives while you type (full duplex); `exit` leaves
    Client(ClientArgs),
    /// Opens N clients at once; they talk, then leave in each of the three ways
    Swarm(SwarmArgs),
}

#[derive(Args, Debug)]
pub struct ServerArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// The most clients online at once; one more is told the server is full and closed
    /// (each client costs a thread and a file descriptor)
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    max_clients: u32,

    /// Seconds a client may send nothing before the server tells it and closes the
    /// connection, so forgotten windows cannot hold the places of --max-clients
    /// (0: never)
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    idle_timeout: u64,
}

#[derive(Args, Debug)]
pub struct ClientArgs {
    #[command(flatten)]
    endpoint: Endpoint,
}

#[derive(Args, Debug)]
pub struct SwarmArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// How many clients to open at once (1 to 200)
    #[arg(short = 'n', long = "clients", value_name = "N", default_value_t = 9,
          value_parser = clap::value_parser!(u32).range(1..=200))]
    clients: u32,

    /// How many messages each client sends before it leaves (1 to 50)
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    messages: u32,
}

pub fn run(role: Role, lab: &Lab) -> anyhow::Result<()> {
    match role {
        Role::Server(args) => server::server(args, lab),
        Role::Client(args) => client::client(args, lab),
        Role::Swarm(args) => swarm::swarm(args, lab),
    }
}
