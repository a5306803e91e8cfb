//! Lab 10 — async. Lab 6's chat room once more, now with async/await (tokio). The
//! code reads like lab 6's, a reader and a writer per client, but they are *tasks*,
//! not threads: small state machines that tokio runs on a couple of threads, each
//! parked where it `.await`s until its socket is ready. Underneath is lab 9's event
//! loop (tokio's reactor is mio), hidden behind `.await`.
//!
//! Same protocol as labs 6 and 9 (from `src/chat_protocol.rs`): `lab 6 client --port
//! 5510`, `nc 127.0.0.1 5510` and `lab 9 swarm --port 5510` all work.
//!
//! | Python (`asyncio`)                                  | here (tokio)                                |
//! |-----------------------------------------------------|---------------------------------------------|
//! | `asyncio.run(main())`                               | `Runtime::new()`, `runtime.block_on(..)`    |
//! | `server = await asyncio.start_server(handle, ..)`   | `TcpListener::from_std(..)`, `listener.accept().await` |
//! | `asyncio.create_task(handle(reader, writer))`       | `tokio::spawn(read_lines(..))`              |
//! | `data = await reader.read(4096)`                    | `reader.readable().await`, `reader.try_read(..)` |
//! | `writer.write(data); await writer.drain()`          | `writer.write_all(..).await`                |
//! | `asyncio.Queue(maxsize=256)`, `put_nowait`          | `mpsc::channel(256)`, `try_send`            |
//! | `asyncio.wait_for(coro, timeout)`                   | `tokio::time::timeout(..)`                  |
//! | `task.cancel()`                                     | `AbortHandle::abort()`                      |
//!
//! The concurrency model (compare lab 6):
//! - A **reader task** per client reads its lines and acts on them; a **writer
//!   task** per client takes lines from its **outbox** (a bounded channel, 256
//!   lines) and writes them. Tasks, not threads: 10,000 clients are 20,000 tasks of a
//!   few hundred bytes each, run by tokio's worker threads (one per core).
//! - The room is one `std::sync::Mutex<Room>`, as in lab 6. It is held for quick
//!   changes only: never across an `.await` (a task that waits while holding it
//!   would stall every other task that wants it), and nothing is printed while it
//!   is held (the log lines are printed after, by `Shared::with_room`).
//! - To broadcast, a task puts the line into every outbox with `try_send`, which
//!   never waits. An outbox that is full is given half a second, outside the lock
//!   (only the sender's task waits); still full then, the client is not reading and
//!   is dropped, its tasks aborted.
//! - A reader task holds no buffer while it waits: it awaits *readiness*
//!   (`readable()`), then reads into a buffer on the stack that does not live across
//!   the `.await`, so it is not part of the task's saved state.
//!
//! Three more threads: the console's stdin reader, the Ctrl-C handler (both reach the
//! room through a channel, as in lab 9) and the main thread, waiting in `block_on`.
//!
//! Where to read what, in this order:
//! - `src/chat_protocol.rs` (the shared floor): the protocol's pure rules;
//! - `room.rs`: the room behind one lock, the fan-out, news in batches;
//! - `server.rs`: the runtime, accept, each client's reader and writer tasks,
//!   shutting down;
//! - `console.rs`: the administrator's commands.

mod console;
mod room;
mod server;

use clap::{Args, Subcommand};

use crate::labs::Lab;
use crate::net::Endpoint;

#[derive(Subcommand, Debug)]
pub enum Role {
    /// Lab 6's chat room with async/await (tokio): a task per client, not a thread
    Server(ServerArgs),
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
    /// outbox stays full for half a second is not reading: it is dropped
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    queue: u32,

    /// Do not print every chat line (joins, leaves and admin actions still print)
    #[arg(long)]
    quiet: bool,

    /// Seconds a new connection may take to give its nickname; then it is told and
    /// closed
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    nick_timeout: u64,

    /// Worker threads that run the tasks (default: one per core)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=64))]
    workers: Option<u32>,
}

pub fn run(role: Role, lab: &Lab) -> anyhow::Result<()> {
    match role {
        Role::Server(args) => server::server(args, lab),
    }
}
