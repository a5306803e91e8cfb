//! What the threads of lab 4's server share: the list of clients online behind one
//! `Mutex` (`Shared`), and each client's socket (`Peer`). Read it after mod.rs; the
//! server (server.rs) and the operator's console (console.rs) both work on these, and
//! neither needs the other's code.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::term::say;

/// What every thread of the server shares.
pub(super) struct Shared {
    /// The clients online, in the order they came. The one lock of the server.
    clients: Mutex<Vec<Arc<Peer>>>,
    /// Set by `/shutdown` or Ctrl-C; the accept loop sees it and shuts down.
    stopping: AtomicBool,
    /// `--idle-timeout`: how long a client may send nothing before it is closed
    /// (`None`: for ever).
    pub(super) idle_timeout: Option<Duration>,
}

/// One connected client, as every thread sees it.
pub(super) struct Peer {
    /// #1, #2, ... in order of arrival; also picks its colour in the log.
    pub(super) number: usize,
    pub(super) addr: SocketAddr,
    pub(super) stream: TcpStream,
    /// Taken while one line is written, so a reply (from the client's thread) and a
    /// console message (from the console thread) never mix mid-line on the wire.
    sending: Mutex<()>,
}

impl Peer {
    pub(super) fn new(number: usize, addr: SocketAddr, stream: TcpStream) -> Peer {
        Peer {
            number,
            addr,
            stream,
            sending: Mutex::new(()),
        }
    }

    /// Sends one line. Waits at most SEND_TIMEOUT if the client does not read.
    pub(super) fn send_line(&self, line: &str) -> io::Result<()> {
        // `()` has nothing a panic could leave half-changed, so a poisoned turn is
        // still a good turn.
        let _turn = self.sending.lock().unwrap_or_else(PoisonError::into_inner);
        // One write_all of the whole line (Python's sendall).
        (&self.stream).write_all(format!("{line}\n").as_bytes())
    }
}

impl Shared {
    pub(super) fn new(idle_timeout: Option<Duration>) -> Shared {
        Shared {
            clients: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
            idle_timeout,
        }
    }

    pub(super) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    pub(super) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// The locked list of clients. Hold it briefly: add, remove or copy, then let go.
    pub(super) fn clients(&self) -> MutexGuard<'_, Vec<Arc<Peer>>> {
        self.clients.lock().unwrap_or_else(|poisoned| {
            // A thread panicked while it held the list. Every change to the list is a
            // single push or remove, so the list itself is whole: say so and go on,
            // rather than let one thread's panic take the whole server down.
            say!("[error] a thread panicked while it held the client list; carrying on");
            self.clients.clear_poison();
            poisoned.into_inner()
        })
    }

    /// A copy of the list, so the caller can send to clients without holding the lock.
    pub(super) fn online(&self) -> Vec<Arc<Peer>> {
        self.clients().clone()
    }

    /// Takes `peer` off the list.
    pub(super) fn remove(&self, peer: &Peer) {
        self.clients().retain(|p| p.number != peer.number);
    }
}
