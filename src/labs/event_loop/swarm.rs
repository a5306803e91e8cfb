//! `lab 9 swarm -n N`: the event loop as a client. N chat clients, every one a
//! non-blocking socket in the same `poll()`, all driven by this one thread: connect
//! (at most `IN_FLIGHT` handshakes at a time, so the server's listen queue never
//! overflows), send a nickname, wait for the welcome; then (in a room of more than
//! 100, after 1.5 s for the news of the last joins) the first client says
//! `swarm round K` a few times, and every other client notes when the line arrives.
//! The report says what happened, whatever it was: joined, turned away, lines
//! received, round lines lost, clients the server dropped. It talks to any server
//! of the chat-room protocol: `--port 5555` fills lab 6's room, `--port 5510` lab 10's.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::bail;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::SwarmArgs;
use crate::chat_protocol::{thousands, Framed, LineFramer, MAX_NICK};
use crate::hint;
use crate::labs::Lab;
use crate::lang::tr;
use crate::net;
use crate::term::{safe, say};

/// Connections that have not joined yet, at most: a whole room connecting in the
/// same millisecond overflows a listen queue (lab 4's guide tells that story).
const IN_FLIGHT: usize = 256;
/// How long one round may take to reach everyone.
const ROUND_WAIT: Duration = Duration::from_secs(10);
/// Rooms bigger than this announce joins in batches, a second apart: before the
/// rounds, the swarm reads for `SETTLE` so the last batch is not in round 1.
const SETTLE_ABOVE: usize = 100;
const SETTLE: Duration = Duration::from_millis(1500);
/// A server line may be long (lab 6 names every member in its welcome): the swarm
/// keeps up to this much of one line.
const LONGEST_LINE: usize = 1 << 20;
/// A progress line while joining, this often.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

#[derive(PartialEq, Eq)]
enum State {
    /// connect() is under way.
    Connecting,
    /// Connected, nickname sent, no welcome yet.
    Choosing,
    Joined,
    /// Turned away, or the nickname was refused: the server's line says why.
    Refused,
    /// The connection ended: the server closed it, or it failed.
    Ended,
}

struct Member {
    /// `None` once the connection is over (the socket is closed then).
    stream: Option<TcpStream>,
    state: State,
    framer: LineFramer,
    /// Bytes still to send (the nickname, or a round line).
    out: Vec<u8>,
    /// Round lines this member received.
    rounds: usize,
}

/// Everything the swarm's loop keeps.
struct Swarm {
    members: Vec<Member>,
    sender_nick: String,
    prefix: String,
    joined: usize,
    refused: usize,
    failed: usize,
    /// The first reason a connection was refused or failed, to show.
    first_problem: Option<String>,
    first_error: Option<io::Error>,
    /// Clients whose connection the server ended after they had joined.
    dropped: usize,
    lines: u64,
    /// For each round: when it was sent, how many members should and did get it.
    sent_at: Vec<Instant>,
    expected: Vec<usize>,
    got: Vec<usize>,
    latencies: Vec<Duration>,
    /// The last line a dropped member saw (often the reason).
    last_words: Option<String>,
    buf: Vec<u8>,
}

pub(super) fn swarm(args: SwarmArgs, lab: &Lab) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;
    let n = args.clients as usize;
    let longest = format!("{}{}", args.prefix, n - 1);
    if longest.chars().count() > MAX_NICK || args.prefix.is_empty() {
        bail!(tr!(
            "--prefix {:?} makes nicknames like {longest:?}: they must be 1-{MAX_NICK} \
             characters; choose a shorter prefix",
            "--prefix {:?} 生成的昵称形如 {longest:?}：昵称必须是 1-{MAX_NICK} 个字符；\
             请换一个更短的前缀",
            args.prefix
        ));
    }
    let files = net::raise_open_file_limit();
    if let Some(files) = files.filter(|&f| (f as usize) < n + 16) {
        bail!(tr!(
            "{n} clients need {n} open files, but this process may open only {files}; \
             raise the limit first (`ulimit -n {}` in this shell; see the guide)",
            "{n} 个客户端需要 {n} 个打开的文件，但这个进程最多只能打开 {files} 个；\
             请先调高上限（在这个 shell 里执行 `ulimit -n {}`；见指南）",
            n + 100
        ));
    }
    say!(
        "swarm: {} chat clients to {addr}, all in this one thread (an event loop, as the \
         server's)",
        thousands(n)
    );

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut swarm = Swarm {
        members: Vec::with_capacity(n),
        sender_nick: format!("{}0", args.prefix),
        prefix: args.prefix.clone(),
        joined: 0,
        refused: 0,
        failed: 0,
        first_problem: None,
        first_error: None,
        dropped: 0,
        lines: 0,
        sent_at: Vec::new(),
        expected: Vec::new(),
        got: Vec::new(),
        latencies: Vec::new(),
        last_words: None,
        buf: vec![0; 64 * 1024],
    };

    // 1. Join: keep IN_FLIGHT handshakes going until all N have an answer.
    let started = Instant::now();
    let join_deadline = started + Duration::from_secs(args.join_timeout);
    let mut next_progress = started + PROGRESS_EVERY;
    while swarm.answered() < n && Instant::now() < join_deadline {
        while swarm.members.len() < n && swarm.waiting() < IN_FLIGHT {
            swarm.connect(&poll, addr);
        }
        swarm.turn(&mut poll, &mut events, Duration::from_millis(100))?;
        if Instant::now() >= next_progress {
            say!(
                "joining: {}/{} joined ({} s)",
                thousands(swarm.joined),
                thousands(n),
                started.elapsed().as_secs()
            );
            next_progress += PROGRESS_EVERY;
        }
    }
    let join_time = started.elapsed();
    if swarm.joined == 0 {
        if let Some(err) = swarm.first_error.take() {
            return Err(hint::connect_failed(err, addr, lab.number));
        }
    }
    let unanswered = n - swarm.answered();
    say!(
        "joined: {}/{} in {:.1} ms ({} turned away or refused, {} failed, {} no answer)",
        thousands(swarm.joined),
        thousands(n),
        join_time.as_secs_f64() * 1000.0,
        swarm.refused,
        swarm.failed,
        unanswered
    );
    if let Some(problem) = &swarm.first_problem {
        say!("  first problem: {problem}");
    }

    // The news of the last joins: a big room sends it within a second (one line to
    // everyone). Let it pass, still reading, so the rounds measure the fan-out alone.
    if n > SETTLE_ABOVE {
        let settled = Instant::now() + SETTLE;
        while Instant::now() < settled {
            swarm.turn(&mut poll, &mut events, Duration::from_millis(50))?;
        }
    }

    // 2. Rounds: the first member says a line; wait until every other joined member
    //    has it (or ROUND_WAIT).
    let sender = swarm.members.iter().position(|m| m.state == State::Joined);
    if let Some(sender) = sender.filter(|_| args.rounds > 0) {
        swarm.sender_nick = format!("{}{sender}", args.prefix);
        for k in 0..args.rounds as usize {
            let receivers = swarm
                .members
                .iter()
                .enumerate()
                .filter(|(i, m)| *i != sender && m.state == State::Joined)
                .count();
            swarm.expected.push(receivers);
            swarm.got.push(0);
            swarm.sent_at.push(Instant::now());
            swarm.say(sender, &format!("swarm round {k}\n"));
            let until = Instant::now() + ROUND_WAIT;
            while swarm.got[k] < swarm.expected[k] && Instant::now() < until {
                swarm.turn(&mut poll, &mut events, Duration::from_millis(50))?;
            }
            let took = swarm.sent_at[k].elapsed();
            say!(
                "round {}: {}/{} got it in {:.1} ms",
                k + 1,
                thousands(swarm.got[k]),
                thousands(swarm.expected[k]),
                took.as_secs_f64() * 1000.0
            );
        }
    }

    // 3. Stay a while, still reading, so the room can be looked at full.
    let hold_until = Instant::now() + Duration::from_secs(args.hold);
    if args.hold > 0 {
        say!("holding the room for {} s", args.hold);
    }
    while Instant::now() < hold_until {
        swarm.turn(&mut poll, &mut events, Duration::from_millis(100))?;
    }
    swarm.report();
    Ok(())
}

impl Swarm {
    /// Members whose joining is over: joined, refused, failed, or dropped since.
    fn answered(&self) -> usize {
        self.joined + self.refused + self.failed + self.dropped
    }

    /// Members still connecting or choosing.
    fn waiting(&self) -> usize {
        self.members.len().saturating_sub(self.answered())
    }

    /// connect(), non-blocking: it returns at once and the handshake goes on in the
    /// kernel; poll() reports the socket writable when it is done (or failed).
    fn connect(&mut self, poll: &Poll, addr: SocketAddr) {
        let i = self.members.len();
        let mut stream = match TcpStream::connect(addr) {
            Ok(stream) => stream,
            Err(err) => {
                // No socket at all (too many open files?): count it and go on.
                self.note_problem(format!("connect() failed: {}", hint::describe(&err)));
                self.first_error.get_or_insert(err);
                self.failed += 1;
                self.members.push(Member::ended());
                return;
            }
        };
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(err) = poll.registry().register(&mut stream, Token(i), interest) {
            self.note_problem(format!(
                "poll() cannot watch a socket: {}",
                hint::describe(&err)
            ));
            self.failed += 1;
            self.members.push(Member::ended());
            return;
        }
        self.members.push(Member {
            stream: Some(stream),
            state: State::Connecting,
            framer: LineFramer::new(LONGEST_LINE),
            out: format!("{}{i}\n", self.prefix).into_bytes(),
            rounds: 0,
        });
    }

    fn note_problem(&mut self, problem: String) {
        self.first_problem.get_or_insert(problem);
    }

    /// One turn of the loop: wait up to `timeout`, then serve what is ready.
    fn turn(
        &mut self,
        poll: &mut Poll,
        events: &mut Events,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        if let Err(err) = poll.poll(events, Some(timeout)) {
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err.into());
            }
        }
        for event in events.iter() {
            let i = event.token().0;
            if event.is_writable() {
                self.on_writable(i);
            }
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                self.on_readable(i);
            }
        }
        Ok(())
    }

    fn on_writable(&mut self, i: usize) {
        let member = &mut self.members[i];
        let Some(stream) = member.stream.as_ref() else {
            return;
        };
        if member.state == State::Connecting {
            // Writable after a connect(): the handshake is over. Did it work?
            match stream.take_error() {
                Ok(None) => {}
                Ok(Some(err)) | Err(err) => {
                    self.connect_failed(i, err);
                    return;
                }
            }
            match stream.peer_addr() {
                Ok(_) => member.state = State::Choosing,
                Err(err) if err.kind() == io::ErrorKind::NotConnected => return,
                Err(err) => {
                    self.connect_failed(i, err);
                    return;
                }
            }
        }
        self.flush(i);
    }

    fn connect_failed(&mut self, i: usize, err: io::Error) {
        self.note_problem(format!("connect() failed: {}", hint::describe(&err)));
        self.first_error.get_or_insert(err);
        self.failed += 1;
        self.members[i].state = State::Ended;
        self.members[i].stream = None;
    }

    /// Sends what the member has to send, as far as the socket takes it.
    fn flush(&mut self, i: usize) {
        let member = &mut self.members[i];
        let Some(stream) = member.stream.as_mut() else {
            return;
        };
        while !member.out.is_empty() && member.state != State::Connecting {
            match stream.write(&member.out) {
                Ok(n) => {
                    member.out.drain(..n);
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return, // the read side will see the end and count it
            }
        }
    }

    /// The sender says a line.
    fn say(&mut self, i: usize, line: &str) {
        self.members[i].out.extend_from_slice(line.as_bytes());
        self.flush(i);
    }

    fn on_readable(&mut self, i: usize) {
        let mut lines = Vec::new();
        let mut ended = false;
        {
            let member = &mut self.members[i];
            let Some(stream) = member.stream.as_mut() else {
                return;
            };
            loop {
                match stream.read(&mut self.buf) {
                    Ok(0) => {
                        ended = true;
                        break;
                    }
                    Ok(n) => member.framer.push(&self.buf[..n], &mut lines),
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) if member.state == State::Connecting => {
                        self.connect_failed(i, err);
                        return;
                    }
                    Err(_) => {
                        ended = true;
                        break;
                    }
                }
            }
        }
        let now = Instant::now();
        for framed in lines {
            self.lines += 1;
            if let Framed::Line(line) = framed {
                self.on_line(i, &line, now);
            }
        }
        if ended {
            self.on_end(i);
        }
    }

    fn on_line(&mut self, i: usize, line: &[u8], now: Instant) {
        let member = &mut self.members[i];
        match member.state {
            State::Choosing | State::Connecting => {
                if line.starts_with(b"* welcome,") {
                    member.state = State::Joined;
                    self.joined += 1;
                } else if line.starts_with(b"! ") && !line.starts_with(b"! no nickname") {
                    // Turned away (room full) or the nickname refused (taken by a
                    // client of another swarm?): the server's own words say why.
                    member.state = State::Refused;
                    self.refused += 1;
                    self.note_problem(format!("the server said: {}", safe(line)));
                }
            }
            State::Joined => {
                let round = line
                    .strip_prefix(b"<")
                    .and_then(|rest| rest.strip_prefix(self.sender_nick.as_bytes()))
                    .and_then(|rest| rest.strip_prefix(b"> swarm round "))
                    .and_then(|k| std::str::from_utf8(k).ok()?.parse::<usize>().ok());
                if let Some(k) = round.filter(|&k| k < self.sent_at.len()) {
                    member.rounds += 1;
                    self.got[k] += 1;
                    self.latencies.push(now - self.sent_at[k]);
                }
                member_last_words(&mut self.last_words, line);
            }
            State::Refused | State::Ended => {}
        }
    }

    /// The server closed a member's connection.
    fn on_end(&mut self, i: usize) {
        let member = &mut self.members[i];
        match member.state {
            State::Joined => {
                self.dropped += 1;
                self.joined -= 1;
                // Rounds it will now never get are not "lost": it is not there.
                let rounds_sent = self.sent_at.len();
                if member.rounds < rounds_sent {
                    if let Some(expected) = self.expected.last_mut() {
                        *expected = expected.saturating_sub(1);
                    }
                }
            }
            State::Connecting | State::Choosing => {
                self.failed += 1;
                self.first_problem
                    .get_or_insert("the server closed the connection before the welcome".into());
            }
            State::Refused | State::Ended => {}
        }
        member.state = State::Ended;
        member.stream = None;
    }

    fn report(&self) {
        let receipts = self.latencies.len();
        let expected: usize = self.expected.iter().sum();
        if receipts > 0 {
            let mut sorted = self.latencies.clone();
            sorted.sort();
            let p = |q: usize| sorted[(sorted.len() * q / 100).min(sorted.len() - 1)];
            say!(
                "fan-out: {} rounds, {} receipts: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms \
                 (from the sender's send() to each receiver's read)",
                self.sent_at.len(),
                thousands(receipts),
                p(50).as_secs_f64() * 1000.0,
                p(99).as_secs_f64() * 1000.0,
                sorted[sorted.len() - 1].as_secs_f64() * 1000.0
            );
        }
        say!(
            "lines received: {} in all; lost: {} of {} round lines; dropped by the server: {}",
            thousands(self.lines as usize),
            thousands(expected.saturating_sub(receipts)),
            thousands(expected),
            self.dropped
        );
        if let Some(words) = &self.last_words {
            if self.dropped > 0 {
                say!("  a dropped client's last line: {words}");
            }
        }
        say!("leaving: closing every connection");
    }
}

/// Remembers the last server line (`*`, `!` or `[`) a member saw: when the server
/// drops it, that is usually the reason.
fn member_last_words(last: &mut Option<String>, line: &[u8]) {
    if matches!(line.first(), Some(b'*' | b'!' | b'[')) {
        *last = Some(safe(line));
    }
}

impl Member {
    /// A member whose connect() failed at once: no socket, but it keeps its place,
    /// so a member's index is its token.
    fn ended() -> Member {
        Member {
            stream: None,
            state: State::Ended,
            framer: LineFramer::new(0),
            out: Vec::new(),
            rounds: 0,
        }
    }
}
