//! The room: who is here, their nicknames and outboxes, behind one `Mutex`, as in
//! lab 6. Every method is quick and never waits: `try_send` on the outboxes, nothing
//! else. Lines for a full outbox are set aside (`waiting`) and delivered after the
//! lock is released (`Shared::deliver_late`, which may wait, since it is async).

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::Sender;
use tokio::task::{AbortHandle, JoinHandle};

use crate::chat_protocol::{news, some_names, thousands, NAMES_SHOWN};
use crate::term::say;

/// A full outbox gets this long to make room before its client counts as not
/// reading.
pub(super) const STUCK: Duration = Duration::from_millis(500);
/// Joins and plain leaves: the first `NEWS_BURST` in each `NEWS_EVERY` are
/// announced at once (only one in a room of more than `QUIET_ROOM`), the rest
/// gathered into one line (`* 37 joined (9,999 online)`).
pub(super) const NEWS_EVERY: Duration = Duration::from_secs(1);
const NEWS_BURST: u32 = 3;
/// Up to this many members a room counts as quiet (news at once, `NEWS_BURST`).
const QUIET_ROOM: usize = 100;

/// One connected client, as the room knows it.
pub(super) struct Member {
    /// `None` while the client is still choosing a nickname: it gets no chat yet.
    pub(super) nick: Option<String>,
    pub(super) peer: SocketAddr,
    /// Its bounded queue of lines; its writer task empties it. Dropping the sender
    /// tells the writer to send what is left and close.
    pub(super) outbox: Sender<Arc<str>>,
    pub(super) writer: JoinHandle<()>,
    /// Its reader task, to stop it when the room drops or kicks the client.
    pub(super) reader: Option<AbortHandle>,
}

/// Why a client left the room.
pub(super) enum Gone {
    Quit,
    Closed,
    Failed(String),
    Kicked(Option<String>),
    NotReading(String),
}

/// A line for a member whose outbox was full: delivered after the lock is released.
pub(super) struct Waiting {
    pub(super) id: u64,
    pub(super) outbox: Sender<Arc<str>>,
    pub(super) line: Arc<str>,
}

#[derive(Default)]
pub(super) struct News {
    joined: Vec<(u64, String)>,
    left: Vec<String>,
    window: Option<Instant>,
    sent: u32,
}

impl News {
    pub(super) fn due(&self, online: usize) -> Option<Instant> {
        if self.joined.is_empty() && self.left.is_empty() {
            return None;
        }
        // In a big room one news line is thousands of writes: one per window.
        let burst = if online <= QUIET_ROOM { NEWS_BURST } else { 1 };
        match self.window {
            Some(start) if self.sent >= burst => Some(start + NEWS_EVERY),
            _ => Some(Instant::now()),
        }
    }

    fn count_one(&mut self) {
        let now = Instant::now();
        match self.window {
            Some(start) if now < start + NEWS_EVERY => self.sent += 1,
            _ => {
                self.window = Some(now);
                self.sent = 1;
            }
        }
    }
}

pub(super) struct Room {
    /// Every connected client by id, in order of arrival: a fan-out wakes the
    /// writers in the order their sockets were opened, which the kernel's caches
    /// like better than a hash table's scattered order.
    pub(super) members: BTreeMap<u64, Member>,
    /// Joined members by lowercased nickname, in order.
    pub(super) nicks: BTreeMap<String, u64>,
    pub(super) next_id: u64,
    pub(super) max: Option<usize>,
    pub(super) closing: bool,
    pub(super) news: News,
    /// Lines that found an outbox full (see `Waiting`).
    pub(super) waiting: Vec<Waiting>,
    /// What to print, printed once the lock is released (printing can block on a
    /// slow terminal, and nobody may wait for that while holding the room).
    pub(super) log: Vec<String>,
}

impl Room {
    pub(super) fn online(&self) -> usize {
        self.nicks.len()
    }

    pub(super) fn find(&self, nick: &str) -> Option<u64> {
        self.nicks.get(&nick.to_lowercase()).copied()
    }

    /// `alice, bob and 9,998 more`, sorted without regard to case.
    pub(super) fn member_names(&self) -> String {
        let nicks = self
            .nicks
            .values()
            .filter_map(|id| self.members.get(id)?.nick.as_deref());
        some_names(nicks, self.nicks.len(), NAMES_SHOWN)
    }

    /// Queues `line` (a `\n` is added) for one member.
    pub(super) fn send(&mut self, id: u64, line: &str) {
        self.offer(id, format!("{line}\n").into());
    }

    /// Queues `line` for every joined member except `except`. Pending news goes
    /// first, so nobody hears of a join after the newcomer's first words.
    pub(super) fn broadcast(&mut self, line: &str, except: Option<u64>) -> usize {
        self.flush_news();
        self.fan_out(format!("{line}\n").into(), |id| Some(id) == except)
    }

    /// The fan-out: one shared copy of the line, offered to every outbox.
    fn fan_out(&mut self, line: Arc<str>, skip: impl Fn(u64) -> bool) -> usize {
        let mut reached = 0;
        for (&id, member) in &self.members {
            if member.nick.is_none() || skip(id) {
                continue;
            }
            reached += 1;
            match member.outbox.try_send(Arc::clone(&line)) {
                Ok(()) | Err(TrySendError::Closed(_)) => {}
                Err(TrySendError::Full(line)) => self.waiting.push(Waiting {
                    id,
                    outbox: member.outbox.clone(),
                    line,
                }),
            }
        }
        reached
    }

    fn offer(&mut self, id: u64, line: Arc<str>) {
        let Some(member) = self.members.get(&id) else {
            return;
        };
        if let Err(TrySendError::Full(line)) = member.outbox.try_send(line) {
            self.waiting.push(Waiting {
                id,
                outbox: member.outbox.clone(),
                line,
            });
        }
    }

    /// A member chose its nickname: welcome it and (now or soon) tell the others.
    pub(super) fn join(&mut self, id: u64, nick: &str) {
        let Some(member) = self.members.get_mut(&id) else {
            return;
        };
        member.nick = Some(nick.to_string());
        let peer = member.peer;
        self.nicks.insert(nick.to_lowercase(), id);
        let online = thousands(self.online());
        self.log
            .push(format!("[join] {nick} {peer} ({online} online)"));
        let here = self.member_names();
        self.send(
            id,
            &format!("* welcome, {nick}! Online ({online}): {here}. /help lists the commands"),
        );
        self.news.joined.push((id, nick.to_string()));
        self.news_maybe_now();
    }

    pub(super) fn news_maybe_now(&mut self) {
        if self
            .news
            .due(self.online())
            .is_some_and(|due| due <= Instant::now())
        {
            self.flush_news();
        }
    }

    /// `* bob joined (2 online)` or `* 37 joined (9,999 online)`; the same for leaves.
    pub(super) fn flush_news(&mut self) {
        if self.news.due(self.online()).is_none() {
            return;
        }
        self.news.count_one();
        let online = self.online();
        let joined = std::mem::take(&mut self.news.joined);
        if !joined.is_empty() {
            let names: Vec<&str> = joined.iter().map(|(_, n)| n.as_str()).collect();
            let line = news(&names, "joined", online);
            let newcomers: HashSet<u64> = joined.iter().map(|(id, _)| *id).collect();
            self.fan_out(format!("{line}\n").into(), |id| newcomers.contains(&id));
        }
        let left = std::mem::take(&mut self.news.left);
        if !left.is_empty() {
            let names: Vec<&str> = left.iter().map(String::as_str).collect();
            let line = news(&names, "left", online);
            self.fan_out(format!("{line}\n").into(), |_| false);
        }
    }

    /// Takes a member out, logs why, and tells the others (now, or in the next news
    /// for a plain leave). Its outbox sender is dropped: its writer sends what is
    /// queued, then closes. A client that is not reading, or kicked, also has its
    /// tasks stopped.
    pub(super) fn remove(&mut self, id: u64, gone: Gone) {
        let Some(member) = self.members.remove(&id) else {
            return;
        };
        match &gone {
            Gone::NotReading(_) => {
                // Its writer may be stuck in a write that never ends: stop both.
                member.writer.abort();
                if let Some(reader) = &member.reader {
                    reader.abort();
                }
            }
            Gone::Kicked(_) => {
                if let Some(reader) = &member.reader {
                    reader.abort();
                }
            }
            _ => {}
        }
        if let Some(nick) = &member.nick {
            self.nicks.remove(&nick.to_lowercase());
        }
        let who = match &member.nick {
            Some(nick) => format!("{nick} {}", member.peer),
            None => member.peer.to_string(),
        };
        let online = thousands(self.online());
        let (log, notice) = match &gone {
            Gone::Quit => (format!("[leave] {who}: said /quit"), "left"),
            Gone::Closed => (format!("[leave] {who}: closed the connection"), "left"),
            Gone::Failed(why) => (format!("[lost] {who}: {why}"), "lost the connection"),
            Gone::Kicked(reason) => (
                format!(
                    "[kick] {who}: {}",
                    reason.as_deref().unwrap_or("no reason given")
                ),
                "was kicked by the administrator",
            ),
            Gone::NotReading(why) => (
                format!("[dropped] {who}: {why}"),
                "was dropped: not reading",
            ),
        };
        self.log.push(format!("{log} ({online} online)"));
        let Some(nick) = member.nick else {
            return;
        };
        match gone {
            Gone::Quit | Gone::Closed => {
                self.news.left.push(nick);
                self.news_maybe_now();
            }
            Gone::Kicked(Some(reason)) => {
                let line = format!("* {nick} {notice}: {reason} ({online} online)");
                self.broadcast(&line, None);
            }
            _ => {
                self.broadcast(&format!("* {nick} {notice} ({online} online)"), None);
            }
        }
    }
}

/// What every task shares.
pub(super) struct Shared {
    pub(super) room: Mutex<Room>,
    pub(super) queue: usize,
    pub(super) quiet: bool,
    pub(super) nick_timeout: Duration,
}

impl Shared {
    /// The room, locked. Never held across an `.await`.
    pub(super) fn lock(&self) -> MutexGuard<'_, Room> {
        self.room.lock().unwrap_or_else(|poisoned| {
            eprintln!("warning: a task panicked while holding the room lock");
            poisoned.into_inner()
        })
    }

    /// Runs `change` with the room locked; then, unlocked, prints its log and
    /// delivers the lines that found an outbox full.
    pub(super) async fn with_room<T>(&self, change: impl FnOnce(&mut Room) -> T) -> T {
        let (result, waiting, log) = {
            let mut room = self.lock();
            let result = change(&mut room);
            let waiting = std::mem::take(&mut room.waiting);
            (result, waiting, std::mem::take(&mut room.log))
        };
        for line in log {
            say!("{line}");
        }
        for waiting in waiting {
            self.deliver_late(waiting).await;
        }
        result
    }

    /// A line for a full outbox: wait (unlocked, only this task) up to `STUCK` for
    /// room. Still full: the client is not reading, and is dropped.
    async fn deliver_late(&self, waiting: Waiting) {
        let Waiting { id, outbox, line } = waiting;
        // Ok(Err(_)): the writer has ended (the client left): nothing to do.
        if tokio::time::timeout(STUCK, outbox.send(line))
            .await
            .is_err()
        {
            let why = format!(
                "its outbox of {} lines stayed full for {} ms: it is not reading",
                self.queue,
                STUCK.as_millis()
            );
            Box::pin(self.with_room(|room| room.remove(id, Gone::NotReading(why)))).await;
        }
    }

    pub(super) async fn send(&self, id: u64, line: &str) {
        self.with_room(|room| room.send(id, line)).await;
    }

    pub(super) async fn leave(&self, id: u64, gone: Gone) {
        self.with_room(|room| room.remove(id, gone)).await;
    }

    pub(super) fn closing(&self) -> bool {
        self.lock().closing
    }
}
