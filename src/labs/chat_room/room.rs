//! The room: who is here, their nicknames and outboxes, behind one `Mutex`. Read it
//! after src/chat_protocol.rs. `Room` is the state and its quick, never-blocking
//! changes (`broadcast` offers a line to every outbox with `try_send`); `Shared` is
//! what every thread of the server holds: the room's lock, and `with_room`, which
//! prints the log only after the lock is released; `shut_down` closes the room. The
//! server (server.rs) and the administrator's console (console.rs) both act on the
//! room through these; neither needs the other.

use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::chat_protocol::{name_members, NickKey};
use crate::term::say;

/// A client whose outbox is full while its writer has waited this long inside one
/// send() is not reading: it is dropped.
const STUCK: Duration = Duration::from_millis(500);
/// How long /shutdown waits for the writers to send their goodbyes.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// One connected client, as the room knows it.
pub(super) struct Member {
    /// `None` while the client is still choosing a nickname: it gets no chat yet.
    pub(super) nick: Option<String>,
    /// What the nick is compared by (case, lookalike letters); set with the nick.
    pub(super) key: Option<NickKey>,
    pub(super) peer: SocketAddr,
    /// The client's bounded queue of lines to send; its writer thread empties it.
    /// Dropping the last sender tells the writer to send what is left and close.
    pub(super) outbox: SyncSender<Arc<str>>,
    /// The socket, shared with the client's reader and writer threads. The room keeps
    /// it to be able to cut off a client at once (`shutdown`), even one whose writer
    /// is stuck in a write() that will never finish.
    pub(super) stream: Arc<TcpStream>,
    pub(super) writer: JoinHandle<()>,
    /// When the writer's current write() began (ms since the server started), 0 when
    /// it is not writing. A write() that has not returned for a while means the
    /// client's buffers are full: it is not reading.
    pub(super) writing_since: Arc<AtomicU64>,
}

impl Member {
    /// The member's nickname from now on.
    pub(super) fn set_nick(&mut self, nick: &str) {
        self.nick = Some(nick.to_string());
        self.key = Some(NickKey::of(nick));
    }

    /// `alice 127.0.0.1:51234`, or just the address before a nick was chosen.
    fn who(&self) -> String {
        match &self.nick {
            Some(nick) => format!("{nick} {}", self.peer),
            None => self.peer.to_string(),
        }
    }
}

/// Why a client left the room.
pub(super) enum Gone {
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
    /// The room filled up (`--max`, `/max`) while it was choosing a nickname.
    Full(usize),
}

/// Who is here. Every method is quick and never blocks: `try_send` on the outboxes,
/// `shutdown` on a socket, nothing else. What should be printed goes into `log` and
/// is printed after the lock is released.
pub(super) struct Room {
    pub(super) members: HashMap<u64, Member>,
    pub(super) next_id: u64,
    /// The cap for newcomers (`--max`, `/max`).
    pub(super) max: Option<usize>,
    /// Set by /shutdown: no newcomers, and the accept loop stops.
    pub(super) closing: bool,
    /// Lines that found an outbox full while its writer was still busy sending:
    /// they wait for room after the lock is released (see `Shared::deliver_late`).
    pub(super) waiting: Vec<Waiting>,
    pub(super) started: Instant,
}

/// A line for a client whose outbox is full but whose writer is still moving bytes
/// (it has simply not had a turn on the CPU yet, say, during a burst of lines).
pub(super) struct Waiting {
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
pub(super) fn millis_since(started: Instant) -> u64 {
    (started.elapsed().as_millis() as u64).max(1)
}

impl Room {
    fn joined(&self) -> impl Iterator<Item = (&u64, &Member, &str)> {
        self.members
            .iter()
            .filter_map(|(id, m)| m.nick.as_deref().map(|nick| (id, m, nick)))
    }

    /// The members who have a nickname: the room proper. Connections still choosing
    /// a nickname are not counted, here or against `--max`: their deadline
    /// (`--nick-timeout`) bounds them, so they cannot fill the room.
    pub(super) fn online(&self) -> usize {
        self.joined().count()
    }

    /// The id of the member called `nick`, in any case (nicks are unique that way).
    pub(super) fn find(&self, nick: &str) -> Option<u64> {
        let wanted = NickKey::of(nick);
        self.members
            .iter()
            .find(|(_, m)| m.key.as_ref().is_some_and(|key| key.same_name(&wanted)))
            .map(|(id, _)| *id)
    }

    /// A member other than `except` whose nick looks like `nick` (the same letters in
    /// another case, or confusable ones: `aIice` for `alice`): its id and nick.
    pub(super) fn lookalike(&self, nick: &str, except: u64) -> Option<(u64, &str)> {
        let wanted = NickKey::of(nick);
        self.members
            .iter()
            .find_map(|(id, m)| match (&m.key, &m.nick) {
                (Some(key), Some(nick)) if *id != except && key.looks_like(&wanted) => {
                    Some((*id, nick.as_str()))
                }
                _ => None,
            })
    }

    /// `alice, bob, carol`, sorted; in a crowd, the first 50 and how many more.
    pub(super) fn nick_list(&self) -> String {
        name_members(self.joined().map(|(_, _, n)| n))
    }

    /// Queues `line` (a `\n` is added) for one member.
    pub(super) fn send(&mut self, id: u64, line: &str, log: &mut Vec<String>) {
        let mut stuck = Vec::new();
        self.offer_to(id, format!("{line}\n").into(), &mut stuck);
        self.drop_not_reading(stuck, log);
    }

    /// Queues `line` for every member who has a nick, except `except`.
    pub(super) fn broadcast(&mut self, line: &str, except: Option<u64>, log: &mut Vec<String>) {
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
    pub(super) fn remove(&mut self, id: u64, gone: Gone, log: &mut Vec<String>) -> Option<String> {
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
            Gone::Full(max) => (
                format!("[full] {who} turned away: the room filled up (max {max}) while it chose a nickname"),
                "left",
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
pub(super) struct Shared {
    pub(super) room: Mutex<Room>,
    /// The outbox size, in lines.
    pub(super) queue: usize,
    /// `--quiet`: do not log every chat line.
    pub(super) quiet: bool,
    /// `--nick-timeout`: how long a newcomer may take to choose a nickname.
    pub(super) nick_timeout: Duration,
    /// Set when `shut_down` has finished: the accept loop sees it and returns.
    pub(super) closed: AtomicBool,
    pub(super) started: Instant,
}

impl Shared {
    /// True once member `id` has chosen its nickname.
    pub(super) fn has_nick(&self, id: u64) -> bool {
        self.lock()
            .members
            .get(&id)
            .is_some_and(|member| member.nick.is_some())
    }

    /// The room, locked. If a thread panicked while holding the lock, the room may be
    /// half updated; we say so and carry on rather than take the whole room down.
    pub(super) fn lock(&self) -> MutexGuard<'_, Room> {
        self.room.lock().unwrap_or_else(|poisoned| {
            eprintln!("warning: a client's thread crashed while holding the room lock");
            poisoned.into_inner()
        })
    }

    /// Runs `change` with the room locked, then prints what it logged, unlocked.
    pub(super) fn with_room<T>(&self, change: impl FnOnce(&mut Room, &mut Vec<String>) -> T) -> T {
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

    pub(super) fn send(&self, id: u64, line: &str) {
        self.with_room(|room, log| room.send(id, line, log));
    }

    /// Takes a member out (if still there) and tells the others.
    pub(super) fn leave(&self, id: u64, gone: Gone) {
        self.with_room(|room, log| {
            if let Some(notice) = room.remove(id, gone, log) {
                room.broadcast(&notice, None, log);
            }
        });
    }

    pub(super) fn closing(&self) -> bool {
        self.lock().closing
    }

    /// True once `shut_down` is done: every client told and closed.
    pub(super) fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

/// /shutdown, Ctrl-C, SIGTERM: tell everyone, let the writers send it, and close every
/// connection. Then `closed` is set, and the accept loop (which looks at it between
/// accept() calls) returns, so the process exits 0.
pub(super) fn shut_down(shared: &Shared) {
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
    shared.closed.store(true, Ordering::SeqCst);
}
