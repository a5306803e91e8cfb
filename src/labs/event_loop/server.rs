//! The loop itself: one thread, one `poll()`, every socket. Set up (signals, listen,
//! console), then turn after turn: ask the OS what is ready, accept, read, write,
//! check the clocks. What a client's line *means* is in room.rs.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use socket2::{Domain, Socket, Type};

use super::room::News;
use super::ServerArgs;
use crate::chat_protocol::{thousands, LineFramer, MAX_LINE, MAX_NICK};
use crate::hint;
use crate::labs::Lab;
use crate::lang::pick;
use crate::net;
use crate::term::{say, Lines};

/// The token poll() reports for the listening socket, and for the waker.
const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
/// Client tokens count up from here and are never reused, so a token in the trace
/// always means the same client.
const FIRST_CLIENT: usize = 2;

/// One read() takes at most this much. One buffer for the whole loop: a client keeps
/// only its unfinished line (its `LineFramer`), not a buffer of its own.
const READ_SIZE: usize = 16 * 1024;
/// At most this many read()s for one client per turn, so one client sending
/// megabytes cannot keep the loop from everyone else. If it has more, the loop comes
/// back next turn (`again`): edge-triggered readiness will not be reported twice.
const READS_PER_TURN: usize = 4;
/// At most this many queued lines go into one write() (a "gather" write: writev).
const LINES_PER_WRITE: usize = 64;
/// A client whose outbox has waited this long without the kernel taking a single
/// byte is not reading, even if the room is too quiet to fill its outbox.
const STUCK_WRITE: Duration = Duration::from_secs(10);
/// The news window: in a busy room, joins (and plain leaves) beyond the first few in
/// a window are gathered into one line, `* 37 joined (9,999 online)` (room.rs).
pub(super) const NEWS_EVERY: Duration = Duration::from_secs(1);
/// How long /shutdown waits for the goodbyes to be sent.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// After accept() fails (usually "too many open files"), wait this long.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// The listen queue, as in lab 6: a lecture hall connects in the same second.
const LISTEN_BACKLOG: i32 = 1024;
/// An outbox that grew past this many lines for a burst is freed once empty.
const OUTBOX_KEPT: usize = 64;
/// The administrator's /list names at most this many connections.
const ADMIN_LIST_SHOWN: usize = 50;

/// What the console thread and the Ctrl-C handler send to the loop.
pub(super) enum Wake {
    Console(String),
    ConsoleEnd,
    Signal,
}

/// Why a client left the room.
pub(super) enum Gone {
    Quit,
    Closed,
    Failed(String),
    Kicked(Option<String>),
    NotReading(String),
}

/// One connected client, as the loop knows it: its socket, and what is unfinished
/// in each direction.
pub(super) struct Client {
    pub(super) stream: TcpStream,
    pub(super) peer: SocketAddr,
    /// `None` while it is still choosing a nickname: it gets no chat yet.
    pub(super) nick: Option<String>,
    /// The read side: bytes of a line that has not ended yet.
    framer: LineFramer,
    /// The write side: lines the kernel has not taken yet, and how many bytes of the
    /// first one it did take (a partial write).
    outbox: VecDeque<Arc<str>>,
    sent: usize,
    /// True while registered for WRITABLE as well as READABLE.
    wants_writable: bool,
    /// When the kernel last took bytes for it, or its outbox last became non-empty.
    last_progress: Instant,
}

impl Client {
    /// `#5 alice` or `#5` (for --trace).
    fn label(&self, token: Token) -> String {
        match &self.nick {
            Some(nick) => format!("#{} {nick}", token.0),
            None => format!("#{}", token.0),
        }
    }

    /// Queues one line and, if nothing else was waiting, writes it at once: usually
    /// the kernel takes it whole and the outbox is empty again.
    pub(super) fn offer(&mut self, token: Token, line: Arc<str>, out: &Outlet) -> Result<(), Gone> {
        if self.outbox.len() >= out.queue {
            return Err(Gone::NotReading(format!(
                "{} lines wait in its outbox and the kernel takes no more: it is not reading",
                out.queue
            )));
        }
        if self.outbox.is_empty() {
            self.last_progress = Instant::now();
        } else if self.last_progress.elapsed() >= STUCK_WRITE {
            return Err(Gone::NotReading(format!(
                "it took no bytes for {} s: it is not reading",
                STUCK_WRITE.as_secs()
            )));
        }
        self.outbox.push_back(line);
        if self.outbox.len() == 1 {
            self.flush(token, out)
        } else {
            Ok(())
        }
    }

    /// Writes what the outbox holds until it is empty or the socket is full. Full:
    /// the rest stays here, and the loop asks poll() for "writable". Empty: it stops
    /// asking (or poll() would say "writable" again and again for nothing).
    pub(super) fn flush(&mut self, token: Token, out: &Outlet) -> Result<(), Gone> {
        while !self.outbox.is_empty() {
            let mut slices = [IoSlice::new(&[]); LINES_PER_WRITE];
            let mut count = 0;
            for (slot, line) in slices.iter_mut().zip(&self.outbox) {
                let bytes = line.as_bytes();
                *slot = IoSlice::new(if count == 0 {
                    &bytes[self.sent..]
                } else {
                    bytes
                });
                count += 1;
            }
            let total: usize = slices[..count].iter().map(|s| s.len()).sum();
            // send() (writev: several lines in one call). Non-blocking: it takes what
            // fits in the kernel's buffer, maybe less than `total`, and never waits.
            match self.stream.write_vectored(&slices[..count]) {
                Ok(0) => return Err(Gone::Failed("the connection takes no more bytes".into())),
                Ok(n) => {
                    self.last_progress = Instant::now();
                    self.advance(n);
                    if out.trace {
                        let left = match self.outbox.len() {
                            0 => "outbox empty".to_string(),
                            n => format!("{n} line(s) still queued"),
                        };
                        say!(
                            "  {}: wrote {n} of {total} bytes, {left}",
                            self.label(token)
                        );
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    if !self.wants_writable {
                        // Tell me when it can take more: READABLE | WRITABLE.
                        out.registry
                            .reregister(
                                &mut self.stream,
                                token,
                                Interest::READABLE | Interest::WRITABLE,
                            )
                            .map_err(|err| Gone::Failed(hint::describe(&err)))?;
                        self.wants_writable = true;
                    }
                    if out.trace {
                        say!(
                            "  {}: socket full (WouldBlock): {} line(s) wait in its outbox; \
                             asking poll() for writable",
                            self.label(token),
                            self.outbox.len()
                        );
                    }
                    return Ok(());
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(Gone::Failed(hint::describe(&err))),
            }
        }
        if self.wants_writable {
            out.registry
                .reregister(&mut self.stream, token, Interest::READABLE)
                .map_err(|err| Gone::Failed(hint::describe(&err)))?;
            self.wants_writable = false;
        }
        // A burst made the outbox grow: give that memory back now it is empty.
        if self.outbox.capacity() > OUTBOX_KEPT {
            self.outbox = VecDeque::new();
        }
        Ok(())
    }

    /// `n` more bytes were sent: see [`advance`].
    fn advance(&mut self, n: usize) {
        advance(&mut self.outbox, &mut self.sent, n);
    }
}

/// A write took `n` bytes: drop the lines they finish from the outbox, and keep in
/// `sent` how much of the next line went out already (a partial write).
fn advance(outbox: &mut VecDeque<Arc<str>>, sent: &mut usize, mut n: usize) {
    while let Some(line) = outbox.front() {
        let left = line.len() - *sent;
        if n < left {
            *sent += n;
            return;
        }
        n -= left;
        *sent = 0;
        outbox.pop_front();
    }
}

/// What writing to a client needs besides the client: the registry (to ask for
/// writable), the outbox bound, and whether to trace.
pub(super) struct Outlet {
    pub(super) registry: Registry,
    pub(super) queue: usize,
    pub(super) trace: bool,
}

/// Everything the loop owns. Only the loop's thread ever touches it: no lock.
pub(super) struct Server {
    pub(super) out: Outlet,
    listener: Option<TcpListener>,
    /// Every connected client by token, in order of arrival: a fan-out writes to
    /// the sockets in the order they were opened, which the kernel's caches like
    /// better than a hash table's scattered order.
    pub(super) clients: BTreeMap<Token, Client>,
    /// Every joined client by lowercased nickname, in order: unique nicks, /msg, and
    /// the first names of a long list, without scanning 10,000 clients.
    pub(super) nicks: BTreeMap<String, Token>,
    next_token: usize,
    pub(super) max: Option<usize>,
    pub(super) quiet: bool,
    nick_timeout: Duration,
    /// Newcomers in arrival order, with the time they must have a nickname by.
    unnamed: VecDeque<(Instant, Token)>,
    /// Clients that still had bytes to read when their turn ended.
    again: Vec<Token>,
    /// Clients to take out once the current event is handled (the fan-out cannot
    /// remove a client from the map it is walking).
    pub(super) doomed: Vec<(Token, Gone)>,
    pub(super) news: News,
    accept_pause: Option<Instant>,
    /// accept()'s failures, said once (the floor's sentence) until it works again.
    accept_failures: net::AcceptFailures,
    /// Set by /shutdown: when the goodbyes must be out.
    pub(super) closing: Option<Instant>,
    /// Shared with the Ctrl-C handler: a second Ctrl-C during shutdown exits at once.
    stopping: Arc<AtomicBool>,
    wakes: Receiver<Wake>,
    buf: Vec<u8>,
}

pub(super) fn server(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    // Each client is an open file; many systems allow a program 1,024 unless asked.
    let files = net::raise_open_file_limit();

    // The poll instance (epoll on Linux, kqueue on macOS, IOCP on Windows), and a
    // waker: a token other threads can make ready, to wake the loop from poll().
    let mut poll = Poll::new().context("could not create the event loop's poll instance")?;
    let waker =
        Arc::new(Waker::new(poll.registry(), WAKER).context("could not create the loop's waker")?);
    let (wake_tx, wakes) = mpsc::channel();

    // Ctrl-C and SIGTERM: installed before `listening on`, so a signal that arrives
    // as soon as a script sees that line is already handled. The handler runs on
    // the ctrlc crate's thread; it only tells the loop.
    let stopping = Arc::new(AtomicBool::new(false));
    {
        let (tx, waker, stopping) = (wake_tx.clone(), Arc::clone(&waker), Arc::clone(&stopping));
        let handler = ctrlc::set_handler(move || {
            if stopping.load(Ordering::SeqCst) {
                // A second Ctrl-C while the goodbyes are going out: stop waiting.
                std::process::exit(0);
            }
            let _ = tx.send(Wake::Signal);
            let _ = waker.wake();
        });
        if let Err(err) = handler {
            say!("(Ctrl-C will stop the server without telling the clients: {err})");
        }
    }

    let addr = args.endpoint.resolve_one()?;
    let mut listener = listen(addr, lab)?;
    let local = listener
        .local_addr()
        .context("the listening socket has no address")?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .context("could not register the listening socket with poll()")?;
    // Everything that needs a file descriptor is taken before we say we listen: once
    // clients arrive, the descriptors may run out (`ulimit -n`), and then the server
    // must still be whole, saying why accept() fails rather than failing itself.
    let registry = poll
        .registry()
        .try_clone()
        .context("could not clone the poll registry")?;
    net::announce_listening(local, lab.protocol);
    if let Some(files) = files {
        say!(
            "one thread serves every client; open-file limit {} (each client is one)",
            thousands(files as usize)
        );
    }
    say!(
        "{}",
        pick(
            "administrator console: type a line to announce it to everyone; /help lists the \
             commands (/kick, /max, /list, /shutdown)",
            "管理员控制台：输入一行文字即可广播给所有人；/help 列出所有命令\
             （/kick、/max、/list、/shutdown）"
        )
    );

    // The console: a thread of its own, because reading a terminal blocks (and
    // Windows cannot poll() one). Each line goes to the loop through the channel.
    thread::Builder::new()
        .name("console".to_string())
        .spawn(move || read_console(&wake_tx, &waker))
        .context("could not start the console thread")?;

    let mut server = Server {
        out: Outlet {
            registry,
            queue: args.queue as usize,
            trace: args.trace,
        },
        listener: Some(listener),
        clients: BTreeMap::new(),
        nicks: BTreeMap::new(),
        next_token: FIRST_CLIENT,
        max: args.max.map(|n| n as usize),
        quiet: args.quiet,
        nick_timeout: Duration::from_secs(args.nick_timeout),
        unnamed: VecDeque::new(),
        again: Vec::new(),
        doomed: Vec::new(),
        news: News::default(),
        accept_pause: None,
        accept_failures: net::AcceptFailures::default(),
        closing: None,
        stopping,
        wakes,
        buf: vec![0; READ_SIZE],
    };
    server.run(&mut poll)?;
    say!("[shutdown] the room is closed");
    Ok(())
}

/// socket() + SO_REUSEADDR + bind() + listen(1024), as lab 6 does, then handed to
/// mio, which makes it non-blocking: accept() returns WouldBlock when nobody waits.
fn listen(addr: SocketAddr, lab: &Lab) -> anyhow::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)
        .context("could not create a TCP socket")?;
    #[cfg(unix)]
    socket
        .set_reuse_address(true)
        .context("setsockopt(SO_REUSEADDR) failed")?;
    socket
        .bind(&addr.into())
        .map_err(|err| hint::bind_failed(err, addr, lab.protocol))?;
    socket.listen(LISTEN_BACKLOG).context("listen() failed")?;
    socket
        .set_nonblocking(true)
        .context("could not make the listening socket non-blocking")?;
    Ok(TcpListener::from_std(socket.into()))
}

/// The console thread: every line the administrator types goes to the loop.
fn read_console(tx: &Sender<Wake>, waker: &Waker) {
    let mut console = Lines::from_stdin();
    while let Some(line) = console.read("") {
        if tx.send(Wake::Console(line)).is_err() {
            return;
        }
        let _ = waker.wake();
    }
    let _ = tx.send(Wake::ConsoleEnd);
    let _ = waker.wake();
}

impl Server {
    /// The event loop. Returns once /shutdown (or a signal) has closed the room.
    fn run(&mut self, poll: &mut Poll) -> anyhow::Result<()> {
        let mut events = Events::with_capacity(1024);
        loop {
            // Wait until something is ready, or until the next clock is due.
            let timeout = self.next_timeout();
            if let Err(err) = poll.poll(&mut events, timeout) {
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err).context("poll() failed");
            }
            let ready: Vec<(Token, bool, bool)> = events
                .iter()
                .map(|e| {
                    let readable = e.is_readable() || e.is_read_closed() || e.is_error();
                    (e.token(), readable, e.is_writable())
                })
                .collect();
            if self.out.trace {
                self.trace_ready(&ready);
            }

            // Clients that had more to read last turn come first.
            for token in std::mem::take(&mut self.again) {
                self.on_readable(token);
                self.bury_doomed();
            }
            for (token, readable, writable) in ready {
                match token {
                    LISTENER => self.accept_all(),
                    WAKER => self.handle_wakes(),
                    token => {
                        if writable {
                            self.on_writable(token);
                        }
                        if readable {
                            self.on_readable(token);
                        }
                    }
                }
                self.bury_doomed();
            }
            self.clocks();
            self.bury_doomed();

            if let Some(deadline) = self.closing {
                self.close_flushed();
                if self.clients.is_empty() || Instant::now() >= deadline {
                    return Ok(());
                }
            }
        }
    }

    /// `poll() -> 3 ready: #0 readable, #5 readable, #7 writable`
    fn trace_ready(&self, ready: &[(Token, bool, bool)]) {
        const SHOWN: usize = 12;
        let mut parts: Vec<String> = ready
            .iter()
            .take(SHOWN)
            .map(|&(token, r, w)| {
                let name = match token {
                    LISTENER => "#0 (listener)".to_string(),
                    WAKER => "#1 (waker)".to_string(),
                    t => format!("#{}", t.0),
                };
                let how = match (r, w) {
                    (true, true) => "readable+writable",
                    (true, false) => "readable",
                    (false, true) => "writable",
                    (false, false) => "other",
                };
                format!("{name} {how}")
            })
            .collect();
        if ready.len() > SHOWN {
            parts.push(format!("and {} more", ready.len() - SHOWN));
        }
        if ready.is_empty() && self.again.is_empty() {
            say!("poll() -> 0 ready (a clock is due)");
        } else if ready.is_empty() {
            say!("poll() -> 0 ready (back to clients that had more to read)");
        } else {
            say!("poll() -> {} ready: {}", ready.len(), parts.join(", "));
        }
    }

    /// How long poll() may wait: until the earliest clock (a nickname deadline, the
    /// next news, an accept() retry, the shutdown's end), or for ever if none.
    fn next_timeout(&self) -> Option<Duration> {
        if !self.again.is_empty() {
            return Some(Duration::ZERO);
        }
        let clocks = [
            self.unnamed.front().map(|(at, _)| *at),
            self.news.due(self.nicks.len()),
            self.accept_pause,
            self.closing,
        ];
        let next = clocks.into_iter().flatten().min()?;
        Some(next.saturating_duration_since(Instant::now()))
    }

    /// The listening socket is readable: connections wait. Accept them all (until
    /// WouldBlock): the OS reports this readiness once, not once per connection.
    fn accept_all(&mut self) {
        loop {
            let Some(listener) = &self.listener else {
                return;
            };
            match listener.accept() {
                Ok((stream, peer)) => {
                    self.accept_failures.recovered();
                    self.admit(stream, peer)
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    // Usually "too many open files". The connection still waits in the
                    // queue, but the OS will not report it again: retry on a clock.
                    // Said once (the floor's sentence), not once per retry.
                    self.accept_failures.say_once(&err);
                    self.accept_pause = Some(Instant::now() + ACCEPT_PAUSE);
                    return;
                }
            }
        }
    }

    /// A new connection: turned away if the room is full, otherwise registered for
    /// READABLE and asked for its nickname.
    fn admit(&mut self, mut stream: TcpStream, peer: SocketAddr) {
        if let Some(max) = self.max.filter(|&max| self.clients.len() >= max) {
            say!(
                "[full] {peer} turned away: the room is full ({} of {max})",
                self.clients.len()
            );
            // The socket is new and its buffer empty: this short write fits.
            let line = format!("! the room is full ({max} at most); try again later\n");
            let _ = stream.write(line.as_bytes());
            let _ = stream.shutdown(Shutdown::Write);
            return;
        }
        let token = Token(self.next_token);
        self.next_token += 1;
        if let Err(err) = self
            .out
            .registry
            .register(&mut stream, token, Interest::READABLE)
        {
            say!(
                "[error] {peer}: poll() cannot watch it: {}",
                hint::describe(&err)
            );
            return;
        }
        // Chat lines are small and should leave at once, not wait to be merged with
        // the next one (Nagle's algorithm).
        let _ = stream.set_nodelay(true);
        self.clients.insert(
            token,
            Client {
                stream,
                peer,
                nick: None,
                framer: LineFramer::new(MAX_LINE),
                outbox: VecDeque::new(),
                sent: 0,
                wants_writable: false,
                last_progress: Instant::now(),
            },
        );
        self.unnamed
            .push_back((Instant::now() + self.nick_timeout, token));
        if self.out.trace {
            say!("  #0 (listener): accept() -> #{} {peer}", token.0);
        }
        say!("[connect] {peer} (choosing a nickname)");
        let online = thousands(self.nicks.len());
        self.send(
            token,
            &format!(
                "* welcome to the chat room ({online} online). Choose a nickname: \
                 1-{MAX_NICK} characters, no spaces"
            ),
        );
    }

    /// The socket can take bytes again: send what waits in the outbox.
    fn on_writable(&mut self, token: Token) {
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        if let Err(gone) = client.flush(token, &self.out) {
            self.doomed.push((token, gone));
        }
    }

    /// Bytes arrived (or the connection ended): read, cut into lines, act on them.
    fn on_readable(&mut self, token: Token) {
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        let mut lines = Vec::new();
        let mut got = 0;
        let mut ended = None;
        let mut drained = false;
        for _ in 0..READS_PER_TURN {
            // recv(): non-blocking, so WouldBlock means "nothing more for now".
            match client.stream.read(&mut self.buf) {
                Ok(0) => {
                    ended = Some(Gone::Closed);
                    break;
                }
                Ok(n) => {
                    got += n;
                    client.framer.push(&self.buf[..n], &mut lines);
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    drained = true;
                    break;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    ended = Some(Gone::Failed(hint::describe(&err)));
                    break;
                }
            }
        }
        if self.out.trace {
            let end = match (&ended, drained) {
                (Some(Gone::Closed), _) => ", then 0 bytes: the client closed".to_string(),
                (Some(_), _) => ", then an error".to_string(),
                (None, true) => ", then WouldBlock (all read)".to_string(),
                (None, false) => {
                    format!(", more waiting: back next turn ({READS_PER_TURN} reads per turn)")
                }
            };
            say!(
                "  {}: read {got} bytes, {} line(s){end}",
                client.label(token),
                lines.len()
            );
        }
        if ended.is_none() && !drained {
            self.again.push(token);
        }
        for framed in lines {
            if !self.clients.contains_key(&token) || self.on_line(token, framed).is_break() {
                break;
            }
        }
        if let Some(gone) = ended {
            self.doomed.push((token, gone));
        }
    }

    /// Messages from the other two threads.
    fn handle_wakes(&mut self) {
        while let Ok(wake) = self.wakes.try_recv() {
            match wake {
                Wake::Console(line) => self.admin(&line),
                Wake::ConsoleEnd => say!(
                    "{}",
                    pick(
                        "console: end of input (stdin closed). The room keeps running without an \
                         administrator; Ctrl-C or SIGTERM shuts it down",
                        "控制台：输入结束（stdin 已关闭）。聊天室在没有管理员的情况下继续运行；\
                         Ctrl-C 或 SIGTERM 会关闭它"
                    )
                ),
                Wake::Signal => {
                    say!("[signal] Ctrl-C or SIGTERM: shutting down, as /shutdown does");
                    self.shut_down();
                }
            }
        }
    }

    /// The clocks: nickname deadlines, news due, a paused accept().
    fn clocks(&mut self) {
        let now = Instant::now();
        while let Some(&(deadline, token)) = self.unnamed.front() {
            if deadline > now {
                break;
            }
            self.unnamed.pop_front();
            if self.clients.get(&token).is_some_and(|c| c.nick.is_none()) {
                let secs = self.nick_timeout.as_secs();
                self.send(token, &format!("! no nickname after {secs} s; closing"));
                self.doomed
                    .push((token, Gone::Failed(format!("gave no nickname in {secs} s"))));
            }
        }
        if self
            .news
            .due(self.nicks.len())
            .is_some_and(|due| due <= now)
        {
            self.flush_news();
        }
        if self.accept_pause.is_some_and(|at| at <= now) {
            self.accept_pause = None;
            self.accept_all();
        }
    }

    /// Takes out every client marked during the event: each removal may tell the
    /// others, which may find more clients not reading, so this is a work list.
    pub(super) fn bury_doomed(&mut self) {
        while !self.doomed.is_empty() {
            for (token, gone) in std::mem::take(&mut self.doomed) {
                if let Some(notice) = self.remove(token, gone) {
                    self.broadcast(&notice, None);
                }
            }
        }
    }

    /// Takes a client out, closes its socket, logs why. Returns what the others
    /// should be told now (plain leaves go into the next news instead).
    pub(super) fn remove(&mut self, token: Token, gone: Gone) -> Option<String> {
        let mut client = self.clients.remove(&token)?;
        let _ = self.out.registry.deregister(&mut client.stream);
        if self.out.trace {
            say!("  {}: deregistered and closed", client.label(token));
        }
        // FIN after what was sent, so the client reads it, then the end.
        let _ = client.stream.shutdown(Shutdown::Write);
        if let Some(nick) = &client.nick {
            self.nicks.remove(&nick.to_lowercase());
        }
        let who = match &client.nick {
            Some(nick) => format!("{nick} {}", client.peer),
            None => client.peer.to_string(),
        };
        let online = thousands(self.nicks.len());
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
        say!("{log} ({online} online)");
        let nick = client.nick?;
        match gone {
            Gone::Quit | Gone::Closed => {
                self.news.left.push(nick);
                self.news_maybe_now();
                None
            }
            Gone::Kicked(Some(reason)) => {
                Some(format!("* {nick} {notice}: {reason} ({online} online)"))
            }
            _ => Some(format!("* {nick} {notice} ({online} online)")),
        }
    }

    /// /shutdown, Ctrl-C, SIGTERM: stop accepting, queue a goodbye for everyone, and
    /// let the loop send them (at most `SHUTDOWN_GRACE`) before it returns.
    pub(super) fn shut_down(&mut self) {
        if self.closing.is_some() {
            return;
        }
        self.stopping.store(true, Ordering::SeqCst);
        self.closing = Some(Instant::now() + SHUTDOWN_GRACE);
        if let Some(mut listener) = self.listener.take() {
            let _ = self.out.registry.deregister(&mut listener);
        }
        say!(
            "[shutdown] telling everyone ({} connected) and closing every connection",
            thousands(self.clients.len())
        );
        let goodbye: Arc<str> = "[admin] the server is shutting down. Goodbye!\n".into();
        for (token, client) in self.clients.iter_mut() {
            if client
                .offer(*token, Arc::clone(&goodbye), &self.out)
                .is_err()
            {
                // No room even for the goodbye: it was not reading anyway.
                client.outbox.clear();
            }
        }
    }

    /// While shutting down: close every client whose goodbye has been sent.
    fn close_flushed(&mut self) {
        self.clients.retain(|_, client| {
            if !client.outbox.is_empty() {
                return true;
            }
            let _ = client.stream.shutdown(Shutdown::Write);
            false
        });
    }

    /// A line the client must read as `! ...`, and similar: for one client only.
    pub(super) fn send(&mut self, token: Token, line: &str) {
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        if let Err(gone) = client.offer(token, format!("{line}\n").into(), &self.out) {
            self.doomed.push((token, gone));
        }
    }

    /// The fan-out: one shared copy of the line, offered to every joined client
    /// (except `except`) and written at once where the socket has room. A client
    /// whose outbox overflows is marked, and taken out after this event.
    pub(super) fn broadcast(&mut self, line: &str, except: Option<Token>) -> usize {
        self.flush_news();
        self.fan_out(line, |token| Some(token) == except)
    }

    pub(super) fn fan_out(&mut self, line: &str, skip: impl Fn(Token) -> bool) -> usize {
        let line: Arc<str> = format!("{line}\n").into();
        let mut reached = 0;
        for (&token, client) in self.clients.iter_mut() {
            if client.nick.is_none() || skip(token) {
                continue;
            }
            reached += 1;
            if let Err(gone) = client.offer(token, Arc::clone(&line), &self.out) {
                self.doomed.push((token, gone));
            }
        }
        reached
    }

    /// The administrator's /list: who is connected, with address:port (bounded).
    pub(super) fn admin_list(&self) {
        let max = self.max.map(|m| format!(", max {m}")).unwrap_or_default();
        say!("connected: {}{max}", thousands(self.clients.len()));
        let named = self
            .nicks
            .values()
            .filter_map(|t| self.clients.get(t))
            .map(|c| (c.peer, c.nick.as_deref().unwrap_or_default()));
        let unnamed = self
            .clients
            .values()
            .filter(|c| c.nick.is_none())
            .map(|c| (c.peer, "(choosing a nickname)"));
        for (peer, nick) in named.chain(unnamed).take(ADMIN_LIST_SHOWN) {
            say!("  {:<22} {nick}", peer.to_string());
        }
        if self.clients.len() > ADMIN_LIST_SHOWN {
            say!(
                "  ... and {} more",
                thousands(self.clients.len() - ADMIN_LIST_SHOWN)
            );
        }
    }
}

/// `ControlFlow` for "stop reading this client's lines".
pub(super) type Flow = std::ops::ControlFlow<()>;

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(lines: &[&str]) -> VecDeque<Arc<str>> {
        lines.iter().map(|l| Arc::from(*l)).collect()
    }

    #[test]
    fn a_partial_write_keeps_the_rest_of_the_line_for_later() {
        let mut queued = outbox(&["hello\n", "world\n"]);
        let mut sent = 0;
        advance(&mut queued, &mut sent, 4); // "hell"
        assert_eq!((queued.len(), sent), (2, 4));
        advance(&mut queued, &mut sent, 5); // "o\n" and "wor"
        assert_eq!((queued.len(), sent), (1, 3));
        assert_eq!(&queued[0][sent..], "ld\n");
        advance(&mut queued, &mut sent, 3);
        assert_eq!((queued.len(), sent), (0, 0));
    }

    #[test]
    fn a_whole_write_empties_the_outbox() {
        let mut queued = outbox(&["a\n", "bc\n"]);
        let mut sent = 0;
        advance(&mut queued, &mut sent, 5);
        assert!(queued.is_empty());
        assert_eq!(sent, 0);
    }
}
