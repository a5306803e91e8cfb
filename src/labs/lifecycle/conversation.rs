//! One connection, driven by two things at once: the lines you type and the bytes that
//! arrive. Both sides of lab 8 (server and client) use it; only the server answers.
//!
//! One thread owns the socket. A second thread only reads the keyboard and hands each
//! line over a channel. The socket has a short read timeout (50 ms), so the loop goes:
//! any typed line? handle it; then recv() for at most 50 ms; again. That way `/close`
//! really closes the socket at once: no other thread is blocked in recv() on it.
//!
//! After each step, `OsView` asks the OS for our sockets' rows (src/tcp_table.rs) and
//! prints each with what its state means now. Between steps it keeps watching, and
//! prints a socket again when the OS moves it to another state by itself (TIME-WAIT
//! ending, a peer's FIN arriving while we are not reading).

use std::io::{self, ErrorKind, Read};
use std::net::{Shutdown, SocketAddr};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use socket2::Socket;

use crate::hint;
use crate::lang::{pick, tr};
use crate::tcp_table::{self, TcpSocket, TcpState};
use crate::term::{preview, say, Lines};

/// How long one recv() waits before the loop looks at the keyboard again.
const TICK: Duration = Duration::from_millis(50);

/// How long a send() may wait for room in the peer's receive window (a peer that has
/// stopped reading). Then it fails, instead of freezing the lab.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// A line longer than this without a newline is answered as it is, so a peer that
/// never sends a newline cannot make the server remember without limit.
const MAX_LINE: usize = 4096;

/// Which end of the connection this program is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Server,
    Client,
}

impl Side {
    /// How this side names the other one.
    fn peer(self) -> &'static str {
        match self {
            Side::Server => "client",
            Side::Client => "server",
        }
    }

    /// The other side's name in the student's language, inside a sentence.
    fn peer_named(self) -> &'static str {
        match self {
            Side::Server => pick("client", "客户端"),
            Side::Client => pick("server", "服务器"),
        }
    }
}

/// The commands both sides understand, one per line.
pub const COMMANDS_HELP: &str = "commands:
  /shutdown  half-close: shutdown(SHUT_WR), stop sending but keep reading
  /close     close() the connection
  /reset     SO_LINGER 0, then close(): a reset (RST) instead of a goodbye
  /stop      stop calling recv() (what arrives waits in the OS); /read reads again
  /states    ask the OS again for our sockets' states";

/// [`COMMANDS_HELP`] in Chinese.
const COMMANDS_HELP_ZH: &str = "命令：
  /shutdown  半关闭：shutdown(SHUT_WR)，不再发送，但继续读取
  /close     close() 这个连接
  /reset     先设 SO_LINGER 0，再 close()：用重置（RST）代替正常的告别
  /stop      停止调用 recv()（到达的数据留在操作系统里）；/read 恢复读取
  /states    再问一次操作系统：我们这些套接字处于什么状态";

/// The commands, in the student's language.
pub fn commands_help() -> &'static str {
    pick(COMMANDS_HELP, COMMANDS_HELP_ZH)
}

// ---------------------------------------------------------------------------------
// The keyboard
// ---------------------------------------------------------------------------------

/// What the keyboard gave, if anything.
pub enum Typed {
    Line(String),
    /// End of input: Ctrl-D, or the end of a piped file.
    End,
    Nothing,
}

/// The lines typed at stdin, read by a thread of their own.
pub struct Keyboard {
    lines: Receiver<String>,
    ended: bool,
}

impl Keyboard {
    pub fn start() -> Keyboard {
        let (tx, lines) = mpsc::channel();
        thread::Builder::new()
            .name("keyboard".to_string())
            .spawn(move || {
                let mut input = Lines::from_stdin();
                while let Some(line) = input.read("") {
                    if tx.send(line).is_err() {
                        return;
                    }
                }
                // Dropping `tx` tells the loop that input has ended.
            })
            .expect("the OS starts a thread");
        Keyboard {
            lines,
            ended: false,
        }
    }

    /// The next typed line, waiting at most `wait`.
    pub fn poll(&mut self, wait: Duration) -> Typed {
        if self.ended {
            thread::sleep(wait);
            return Typed::Nothing;
        }
        match self.lines.recv_timeout(wait) {
            Ok(line) => Typed::Line(line),
            Err(RecvTimeoutError::Timeout) => Typed::Nothing,
            Err(RecvTimeoutError::Disconnected) => {
                self.ended = true;
                Typed::End
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// The conversation
// ---------------------------------------------------------------------------------

/// What happened to the connection in one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Still connected (or half-closed).
    Going,
    /// Our socket is closed (by /close or /reset, or after a reset from the peer).
    Closed,
}

/// One connected socket and what we have done with it.
pub struct Conversation {
    side: Side,
    /// `None` once we have closed it.
    socket: Option<Socket>,
    pub local: SocketAddr,
    pub peer: SocketAddr,
    /// False after `/stop`: we no longer call recv(), and the bytes pile up in the
    /// OS's receive queue.
    reading: bool,
    /// We called shutdown(SHUT_WR).
    shut_down: bool,
    /// recv() returned 0: the peer will send nothing more.
    peer_finished: bool,
    /// The server's bytes of a line not complete yet.
    partial: Vec<u8>,
}

impl Conversation {
    pub fn new(
        side: Side,
        socket: Socket,
        local: SocketAddr,
        peer: SocketAddr,
    ) -> io::Result<Self> {
        // recv() waits at most one tick, so the keyboard is never kept waiting.
        socket.set_read_timeout(Some(TICK))?;
        socket.set_write_timeout(Some(SEND_TIMEOUT))?;
        Ok(Conversation {
            side,
            socket: Some(socket),
            local,
            peer,
            reading: true,
            shut_down: false,
            peer_finished: false,
            partial: Vec::new(),
        })
    }

    pub fn is_open(&self) -> bool {
        self.socket.is_some()
    }

    /// Handles one typed line: a command, or (on the client) a message to send.
    pub fn typed(&mut self, line: &str, view: &mut OsView) -> Step {
        match line.trim() {
            "/help" => say!("{}", commands_help()),
            "/states" => view.show(self),
            "/shutdown" => self.shutdown_writing(view),
            "/close" => return self.close(view),
            "/reset" => return self.reset(view),
            "/stop" => {
                // Nothing to call: we simply stop calling recv(). What the peer sends
                // now waits in our receive queue (recv-q) until we read again.
                self.reading = false;
                say!("stopped reading: no more recv() calls; what arrives waits in the OS");
                view.show(self);
            }
            "/read" => {
                self.reading = true;
                say!("reading again: recv() takes what waited in the receive queue");
            }
            cmd if cmd.starts_with('/') => say!(
                "{}",
                tr!(
                    "unknown command {cmd:?}; /help lists the commands",
                    "未知命令 {cmd:?}；/help 列出所有命令"
                )
            ),
            _ if self.side == Side::Server => say!(
                "{}",
                pick(
                    "(the server only answers; type a command, or /help)",
                    "（服务器只回答，不发起：请输入一条命令，或 /help）"
                )
            ),
            "" => say!("(an empty line sends nothing)"),
            _ => self.send_line(line, view),
        }
        Step::Going
    }

    /// `s.shutdown(socket.SHUT_WR)`: we send FIN, "I will send nothing more", and keep
    /// reading. The peer's recv() returns 0 once it has read everything before it.
    fn shutdown_writing(&mut self, view: &mut OsView) {
        let Some(socket) = &self.socket else {
            return say!("the socket is closed already: nothing to shut down");
        };
        match socket.shutdown(Shutdown::Write) {
            Ok(()) => {
                self.shut_down = true;
                say!("shutdown(SHUT_WR) -> ok: FIN sent; we can still recv()");
            }
            Err(err) => say!("shutdown(SHUT_WR) -> {}", hint::describe(&err)),
        }
        view.show(self);
    }

    /// `s.close()`: we give the socket back to the OS. If the peer is still open, the
    /// OS sends FIN for us and keeps the connection's record (FIN-WAIT, TIME-WAIT).
    /// Bytes that arrived but were never read make the OS send a reset instead.
    pub fn close(&mut self, view: &mut OsView) -> Step {
        let Some(socket) = self.socket.take() else {
            say!("the socket is closed already");
            return Step::Closed;
        };
        let unread = unread_bytes(&socket);
        drop(socket); // close()
        if unread > 0 {
            say!(
                "close() -> ok, with {unread} bytes unread: the OS answers that with a \
                 reset (RST), not a FIN"
            );
        } else {
            say!("close() -> ok: our descriptor is gone; the OS finishes the goodbye");
        }
        // Unread bytes turn close() into a reset: no TIME-WAIT follows.
        view.closed(self.local, self.peer, unread > 0, self.peer_finished);
        view.show(self);
        Step::Closed
    }

    /// SO_LINGER with a zero timeout, then close(): the OS throws the connection away
    /// at once and sends RST (reset) instead of FIN. No TIME-WAIT on our side; the
    /// peer's next recv() fails with ECONNRESET.
    fn reset(&mut self, view: &mut OsView) -> Step {
        let Some(socket) = self.socket.take() else {
            say!("the socket is closed already");
            return Step::Closed;
        };
        if let Err(err) = socket.set_linger(Some(Duration::ZERO)) {
            say!("setsockopt(SO_LINGER, 0) -> {}", hint::describe(&err));
        }
        drop(socket); // close(), which now sends RST
        say!("setsockopt(SO_LINGER, on, 0 s); close() -> ok: RST sent");
        view.closed(self.local, self.peer, true, false);
        view.show(self);
        Step::Closed
    }

    /// The client sends a typed line (with its newline) and does not wait: the reply
    /// is printed when it arrives.
    fn send_line(&mut self, line: &str, view: &mut OsView) {
        let Some(socket) = &self.socket else {
            return say!("the socket is closed (close() was called): nothing to send with");
        };
        let bytes = format!("{line}\n");
        match send_all(socket, bytes.as_bytes()) {
            Ok(()) => say!("send({} bytes)", bytes.len()),
            // Our own shutdown(SHUT_WR) closed the sending direction: the OS refuses.
            Err(err) if self.shut_down && err.kind() == ErrorKind::BrokenPipe => say!(
                "send({} bytes) -> EPIPE (os error {}): we shut down our sending side \
                 (/shutdown), so this socket can only receive now",
                bytes.len(),
                err.raw_os_error().unwrap_or(0)
            ),
            Err(err) => {
                say!("send({} bytes) -> {}", bytes.len(), hint::describe(&err));
                view.show(self);
            }
        }
    }

    /// One recv() (waiting at most a tick), and what follows from it.
    pub fn receive(&mut self, view: &mut OsView) -> Step {
        let Some(socket) = &self.socket else {
            thread::sleep(TICK);
            return Step::Closed;
        };
        if !self.reading || self.peer_finished {
            thread::sleep(TICK);
            return Step::Going;
        }
        let mut buf = [0u8; 4096];
        let n = match (&*socket).read(&mut buf) {
            // Ok(0): the peer sent FIN. It will send nothing more (it may still read).
            Ok(0) => {
                self.peer_finished = true;
                say!(
                    "recv() -> 0 bytes: the {} closed its sending side (its FIN arrived)",
                    self.side.peer()
                );
                view.show(self);
                return Step::Going;
            }
            Ok(n) => n,
            // No bytes within the tick: nothing happened, look at the keyboard again.
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Step::Going;
            }
            Err(err) => {
                // A reset: the OS has already thrown the connection away. Our
                // descriptor is all that is left; close it.
                say!("recv() -> {}", hint::describe(&err));
                let reset = err.kind() == ErrorKind::ConnectionReset;
                self.socket = None;
                say!("close() -> ok: the connection was already gone; this frees the descriptor");
                view.closed(self.local, self.peer, reset, false);
                view.show(self);
                return Step::Closed;
            }
        };
        let data = &buf[..n];
        say!("recv() -> {n} bytes: {}", preview(data, 60));
        if self.side == Side::Server {
            self.answer(data, view);
        }
        Step::Going
    }

    /// The server answers each complete line with `echo: LINE`.
    fn answer(&mut self, data: &[u8], view: &mut OsView) {
        self.partial.extend_from_slice(data);
        let mut lines = Vec::new();
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            lines.push(line);
        }
        if self.partial.len() > MAX_LINE {
            lines.push(std::mem::take(&mut self.partial));
        }
        for line in lines {
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            let mut reply = b"echo: ".to_vec();
            reply.extend_from_slice(text);
            reply.push(b'\n');
            let Some(socket) = &self.socket else { return };
            match send_all(socket, &reply) {
                Ok(()) => say!("send({} bytes): {}", reply.len(), preview(&reply, 60)),
                Err(err) => {
                    say!("send({} bytes) -> {}", reply.len(), hint::describe(&err));
                    view.show(self);
                    return;
                }
            }
        }
    }
}

/// send() may take fewer bytes than it was given; loop until all are handed over.
fn send_all(socket: &Socket, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        let sent = socket.send(bytes)?;
        bytes = &bytes[sent..];
    }
    Ok(())
}

/// How many received bytes wait unread in the socket (peek, without taking them).
fn unread_bytes(socket: &Socket) -> usize {
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 65536];
    let _ = socket.set_nonblocking(true);
    let n = socket.peek(&mut buf).unwrap_or(0);
    let _ = socket.set_nonblocking(false);
    n
}

// ---------------------------------------------------------------------------------
// The OS's view of our sockets
// ---------------------------------------------------------------------------------

/// What we last saw of one socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Row(TcpState),
    Gone,
}

/// One socket of ours that we watch in the OS's table.
struct Watched {
    local: SocketAddr,
    /// `None` for the listening socket.
    remote: Option<SocketAddr>,
    /// We called close(): the OS now holds the connection alone.
    closed: bool,
    /// We closed with a reset.
    reset: bool,
    /// We closed after the peer had closed (we were CLOSE-WAIT).
    second: bool,
    last: Option<Seen>,
}

/// Our sockets as the OS reports them.
pub struct OsView {
    side: Side,
    watched: Vec<Watched>,
    /// Set when the table cannot be read on this machine: said once, then left alone.
    unreadable: bool,
    next_look: Instant,
}

/// How often the OS's table is read between steps: often enough for a person to see
/// a change as it happens, rarely enough to cost nothing on a busy machine (the whole
/// table is read each time: every socket of the machine; elsewhere it means running
/// netstat).
const LOOK_EVERY: Duration = Duration::from_millis(1000);

/// Connections (open or closing) watched at once; the oldest is forgotten first.
const MAX_WATCHED: usize = 4;

impl OsView {
    pub fn new(side: Side) -> OsView {
        OsView {
            side,
            watched: Vec::new(),
            unreadable: false,
            next_look: Instant::now(),
        }
    }

    pub fn watch_listener(&mut self, local: SocketAddr) {
        self.watched.insert(
            0,
            Watched {
                local,
                remote: None,
                closed: false,
                reset: false,
                second: false,
                last: None,
            },
        );
    }

    /// The listening socket was closed by us.
    pub fn listener_closed(&mut self) {
        for w in self.watched.iter_mut().filter(|w| w.remote.is_none()) {
            w.closed = true;
        }
    }

    pub fn watch_connection(&mut self, local: SocketAddr, remote: SocketAddr) {
        let connections = self.watched.iter().filter(|w| w.remote.is_some()).count();
        if connections >= MAX_WATCHED {
            if let Some(oldest) = self.watched.iter().position(|w| w.remote.is_some()) {
                self.watched.remove(oldest);
            }
        }
        self.watched.push(Watched {
            local,
            remote: Some(remote),
            closed: false,
            reset: false,
            second: false,
            last: None,
        });
    }

    /// We closed this connection: with a reset, or after the peer (`second`).
    fn closed(&mut self, local: SocketAddr, remote: SocketAddr, reset: bool, second: bool) {
        for w in self
            .watched
            .iter_mut()
            .filter(|w| w.local == local && w.remote == Some(remote))
        {
            w.closed = true;
            w.reset = reset;
            w.second = second;
        }
    }

    /// The rows of our sockets now, or `None` if the table cannot be read.
    fn look(&mut self) -> Option<Vec<Seen>> {
        if self.unreadable {
            return None;
        }
        match tcp_table::read() {
            Ok(table) => Some(self.watched.iter().map(|w| seen_in(&table, w).0).collect()),
            Err(err) => {
                say!("(the OS's socket table cannot be read here: {err})");
                self.unreadable = true;
                None
            }
        }
    }

    /// After a step: wait until the states stop changing (a loopback handshake or
    /// goodbye takes microseconds, but it is not instant), then print every socket
    /// we watch with what its state means now.
    pub fn show(&mut self, conversation: &Conversation) {
        self.show_with(Some(conversation));
    }

    /// [`show`](Self::show), when there is no connection (a server waiting in accept()).
    pub fn show_listener_only(&mut self) {
        self.show_with(None);
    }

    fn show_with(&mut self, conversation: Option<&Conversation>) {
        let deadline = Instant::now() + Duration::from_millis(500);
        let mut before = self.look();
        while Instant::now() < deadline {
            thread::sleep(Duration::from_millis(25));
            let now = self.look();
            if now == before {
                break;
            }
            before = now;
        }
        let Ok(table) = tcp_table::read() else { return };
        let side = self.side;
        for w in &mut self.watched {
            let (seen, row) = seen_in(&table, w);
            say!("{}", row_line(w, row));
            say_reading(&reading(side, w, row, conversation));
            w.last = Some(seen);
        }
        self.forget_gone();
        self.next_look = Instant::now() + LOOK_EVERY;
    }

    /// Between steps: prints the sockets whose state the OS changed by itself.
    pub fn changes(&mut self, conversation: Option<&Conversation>) {
        if self.unreadable || Instant::now() < self.next_look || self.watched.is_empty() {
            return;
        }
        self.next_look = Instant::now() + LOOK_EVERY;
        let Ok(table) = tcp_table::read() else { return };
        let side = self.side;
        for w in &mut self.watched {
            let (seen, row) = seen_in(&table, w);
            if w.last.is_some_and(|last| last != seen) {
                say!("{}", row_line(w, row).replacen("os:", "os, changed:", 1));
                say_reading(&reading(side, w, row, conversation));
            }
            w.last = Some(seen);
        }
        self.forget_gone();
    }

    /// A socket reported gone is not watched any more.
    fn forget_gone(&mut self) {
        self.watched.retain(|w| w.last != Some(Seen::Gone));
    }
}

/// The reading under a row, indented and wrapped to fit 80 columns.
fn say_reading(text: &str) {
    for line in super::wrap(text, 72) {
        say!("      {line}");
    }
}

/// The row of a watched socket in the table, if it is there.
fn seen_in<'t>(table: &'t [TcpSocket], w: &Watched) -> (Seen, Option<&'t TcpSocket>) {
    let row = match w.remote {
        Some(remote) => tcp_table::find_connection(table, w.local, remote),
        None => tcp_table::find_listener(table, w.local),
    };
    (row.map_or(Seen::Gone, |r| Seen::Row(r.state)), row)
}

/// `  os: 127.0.0.1:8888 -> 127.0.0.1:51234  ESTABLISHED  send-q 0  recv-q 0`
fn row_line(w: &Watched, row: Option<&TcpSocket>) -> String {
    let who = match w.remote {
        Some(remote) => format!("{} -> {remote}", w.local),
        None => format!("{} (listening)", w.local),
    };
    let Some(row) = row else {
        return format!("  os: {who}  (not in the table any more)");
    };
    let queue = |q: Option<u32>| q.map_or("-".to_string(), |n| n.to_string());
    if row.is_listener() {
        format!(
            "  os: {who}  {}  accept queue {}",
            row.state,
            queue(row.recv_queue)
        )
    } else {
        format!(
            "  os: {who}  {}  send-q {} recv-q {}",
            row.state,
            queue(row.send_queue),
            queue(row.recv_queue)
        )
    }
}

/// What the state means now, for this side, in one line.
fn reading(side: Side, w: &Watched, row: Option<&TcpSocket>, now: Option<&Conversation>) -> String {
    let peer = side.peer_named();
    // Is `now` the conversation on this very socket?
    let this = now.filter(|c| Some(c.peer) == w.remote && c.local == w.local && c.is_open());
    let Some(row) = row else {
        return match (w.remote, w.closed) {
            (None, _) => pick(
                "gone: nobody listens on this port now; a new connect() is refused",
                "已消失：现在没有人在这个端口上监听；新的 connect() 会被拒绝",
            )
            .to_string(),
            (Some(_), true) if w.reset => pick(
                "gone at once: a reset leaves no TIME-WAIT; the OS has forgotten the \
                 connection",
                "立即消失：重置不会留下 TIME-WAIT；操作系统已经忘掉了这个连接",
            )
            .to_string(),
            (Some(_), true) if w.second => tr!(
                "gone: we closed second (the {peer} had closed first), so after LAST-ACK, \
                 the wait for the ACK of our FIN (microseconds on loopback), nothing is \
                 left: no TIME-WAIT on this side",
                "已消失：我们是后关闭的一方（{peer}先关闭了），所以 LAST-ACK（等对方确认\
                 我们的 FIN，在回环接口上只要几微秒）之后就什么也不剩了：这一端没有 TIME-WAIT"
            ),
            (Some(_), true) => pick(
                "gone: the OS has forgotten the connection (the goodbye is over, or a reset \
                 ended it)",
                "已消失：操作系统已经忘掉了这个连接（告别已经完成，或者被重置终止了）",
            )
            .to_string(),
            (Some(_), false) => pick(
                "gone from the table: the connection was reset (or timed out); our \
                 descriptor stays open until close()",
                "已从表中消失：连接被重置了（或者超时了）；我们的描述符在 close() 之前一直打开着",
            )
            .to_string(),
        };
    };
    let unread = row.recv_queue.unwrap_or(0);
    let unacked = row.send_queue.unwrap_or(0);
    match row.state {
        TcpState::Listen => {
            let queued = row
                .recv_queue
                .map_or(pick("some", "若干").to_string(), |n| n.to_string());
            tr!(
                "listening: {queued} connected client(s) wait in the accept queue for accept()",
                "监听中：accept 队列里有 {queued} 个已连接的客户端在等 accept()"
            )
        }
        TcpState::Established if this.is_some_and(|c| !c.reading) && unread > 0 => tr!(
            "open; {unread} bytes have arrived that we have not read (recv() is stopped): \
             they wait in our receive queue",
            "打开：有 {unread} 字节已经到达，我们还没读（recv() 已停止）：它们在我们的接收缓冲区里等着"
        ),
        TcpState::Established if unacked > 0 => tr!(
            "open; {unacked} bytes sent that the {peer} has not acknowledged yet (its \
             receive window is full?)",
            "打开：已发送的 {unacked} 字节{peer}还没有确认（它的接收窗口满了？）"
        ),
        TcpState::Established => pick(
            "open: both sides may send and receive",
            "打开：双方都可以发送和接收",
        )
        .to_string(),
        // Linux counts the FIN in the receive queue as one byte until recv() returns 0.
        TcpState::CloseWait if unread > u32::from(cfg!(target_os = "linux")) => tr!(
            "the {peer} closed its side, and {} bytes of data wait unread: close() now \
             would send a reset. Read them (/read), then /close",
            "{peer}关闭了它那一端，还有 {} 字节数据没有读：现在 close() 会发送重置（RST）。\
             先读取它们（/read），再 /close",
            unread - u32::from(cfg!(target_os = "linux"))
        ),
        TcpState::CloseWait => tr!(
            "the {peer} closed its side; we have not: until we close() (/close) this \
             socket stays in CLOSE-WAIT for ever: the classic socket leak",
            "{peer}关闭了它那一端，我们还没有：在我们 close()（/close）之前，这个套接字会\
             永远停在 CLOSE-WAIT：这就是经典的套接字泄漏"
        ),
        TcpState::FinWait1 => pick(
            "our FIN is on its way; the peer has not acknowledged it yet",
            "我们的 FIN 正在路上；对端还没有确认它",
        )
        .to_string(),
        TcpState::FinWait2 if w.closed => tr!(
            "we closed; the {peer} acknowledged our FIN but has not closed yet (the OS \
             gives up after tcp_fin_timeout, 60 s on Linux)",
            "我们已经关闭；{peer}确认了我们的 FIN，但自己还没关闭（操作系统等到 \
             tcp_fin_timeout 就放弃，Linux 上是 60 秒）"
        ),
        TcpState::FinWait2 => tr!(
            "half-closed: we send nothing more, and still read what the {peer} sends \
             until it closes too",
            "半关闭：我们不再发送，但仍然读取{peer}发来的数据，直到它也关闭"
        ),
        TcpState::LastAck => tr!(
            "we closed after the {peer} did; the OS waits for the ACK of our FIN",
            "{peer}先关闭，我们随后关闭；操作系统在等对方确认我们的 FIN"
        ),
        TcpState::TimeWait => pick(
            "our FIN went first, so the OS keeps this address pair for 2 x MSL (60 s on \
             Linux): late packets die out. Nothing to do; it is not a leak",
            "我们的 FIN 先发出，所以操作系统把这对地址保留 2 x MSL（Linux 上是 60 秒），\
             让迟到的数据包消失。什么也不用做；这不是泄漏",
        )
        .to_string(),
        TcpState::Closing => pick(
            "both sides sent FIN at once; waiting for the ACK of ours",
            "双方同时发送了 FIN；正在等对方确认我们的 FIN",
        )
        .to_string(),
        state => state.meaning().to_string(),
    }
}
