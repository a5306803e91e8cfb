//! Lab 1 — the playground: `lab 1 playground`. The socket calls of lab 1, one key
//! each, in ANY order you choose, on real sockets: a server pane and a client pane,
//! like the classic tkinter server and client windows with a button per step.
//!
//! `lab 1 server` always makes its calls in the right order. Here you can call
//! recv() before connect(), listen() before bind(), accept() with nobody waiting, and
//! see what the operating system really answers. Each key makes the call at once and
//! logs it with its arguments and its result or error, in words.
//!
//! | Python (classic tkinter windows)          | key | here                                   |
//! |-------------------------------------------|-----|----------------------------------------|
//! | `s = socket.socket(AF_INET, SOCK_STREAM)` | s   | `Socket::new(Domain::IPV4, Type::STREAM, None)` |
//! | `s.bind(("127.0.0.1", 6666))`             | b   | `sock.bind(&addr.into())`              |
//! | `s.listen(5)`                             | l   | `sock.listen(5)`                       |
//! | `conn, addr = s.accept()`                 | a   | `sock.accept()`                        |
//! | `c.connect(("127.0.0.1", 6666))`          | c   | `sock.connect(&addr.into())`           |
//! | `conn.send(text.encode())`                | e   | `sock.send(text.as_bytes())`           |
//! | `conn.recv(1024)`                         | r   | `sock.read(&mut buf)` (socket2's recv) |
//! | `conn.shutdown(SHUT_WR)`                  | h   | `sock.shutdown(Shutdown::Write)`       |
//! | `conn.close()`                            | x   | `drop(sock)`                           |
//! | `c.send(b"#"); c.close()` (the classic's disconnect button) | # | the same two calls |
//!
//! One thing differs from Python on purpose: every socket here is *non-blocking*
//! (`set_nonblocking(true)`, Python's `s.setblocking(False)`), because a blocking
//! accept() or recv() would freeze the whole screen. Where the blocking call would
//! wait, the non-blocking one fails at once with "would block" (EAGAIN/EWOULDBLOCK;
//! WinError 10035), and the log says what a blocking call would have done. Only
//! connect() blocks, as in Python, for at most 2 seconds (on loopback it is answered
//! at once).
//!
//! Each pane also shows its sockets as the OS sees them: the state (LISTEN,
//! ESTABLISHED, CLOSE-WAIT, ...), the addresses, and the bytes waiting in the receive
//! queue, read from the OS's TCP table (src/tcp_table.rs) a few times a second. A
//! third pane ticks off the classic order (server: socket, bind, listen, accept;
//! client: socket, connect), so an exploration out of order shows what that order
//! avoids.

use std::collections::VecDeque;
use std::io::{self, ErrorKind, Read};
use std::net::{Shutdown, SocketAddr};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;
use socket2::{Domain, Socket, Type};

use crate::hint;
use crate::labs::Lab;
use crate::lang::{pick, tr};
use crate::net::Endpoint;
use crate::screen::{self, needs_terminal, next_input, wrap, Input, Screen};
use crate::tcp_table::{self, TcpSocket};
use crate::term::{preview, say};

#[derive(Args, Debug)]
pub struct PlaygroundArgs {
    /// Where the server pane binds and the client pane connects. With --port 0 the
    /// server pane's bind() asks the OS for a free port, and connect() goes there
    #[command(flatten)]
    endpoint: Endpoint,
}

/// The listen() backlog, as in the classic programs.
const BACKLOG: i32 = 5;
/// The most bytes one recv() returns, as in the classic programs.
const BUFSIZE: usize = 1024;
/// The most log lines a pane keeps.
const MAX_LOG: usize = 200;
/// The longest connect() may wait for an answer.
const CONNECT_WAIT: Duration = Duration::from_secs(2);
/// How often the OS's TCP table is read again.
const TABLE_EVERY: Duration = Duration::from_millis(250);

pub fn run(args: PlaygroundArgs, _lab: &Lab) -> anyhow::Result<()> {
    needs_terminal(
        "`lab 1 playground`",
        pick(
            "`lab 1 server` and `lab 1 client`",
            "`lab 1 server` 和 `lab 1 client`",
        ),
    )?;
    let addr = args.endpoint.resolve_one()?;
    let mut play = Playground::new(addr);
    let mut screen = Screen::enter()?;
    let result = play.run(&mut screen);
    drop(screen);
    // Every socket is closed before we go, even the ones the student left open.
    let closed = play.close_everything();
    // A closed window: the sockets are closed, and there is nobody to tell.
    screen::exit_if_terminal_gone(&result);
    say!(
        "{}",
        tr!(
            "playground closed; {closed} socket(s) were still open and are now closed",
            "playground 已关闭；还有 {closed} 个套接字开着，现已全部关闭"
        )
    );
    result
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Server,
    Client,
}

/// One pane: one program's sockets, its log, and its steps of the classic order.
struct Pane {
    side: Side,
    /// What the pane calls its socket, as the classic programs do (`s`, `c`).
    name: &'static str,
    /// The socket that socket() made.
    sock: Option<Socket>,
    /// The connected socket accept() returned, and the client's address.
    conn: Option<(Socket, SocketAddr)>,
    log: VecDeque<Vec<(String, Style)>>,
    /// The classic order's steps for this side, and which have succeeded.
    steps: &'static [&'static str],
    done: Vec<bool>,
}

impl Pane {
    fn new(side: Side) -> Pane {
        let steps: &'static [&'static str] = match side {
            Side::Server => &["socket", "bind", "listen", "accept"],
            Side::Client => &["socket", "connect"],
        };
        Pane {
            side,
            name: match side {
                Side::Server => "s",
                Side::Client => "c",
            },
            sock: None,
            conn: None,
            log: VecDeque::new(),
            steps,
            done: vec![false; steps.len()],
        }
    }

    fn title(&self) -> &'static str {
        match self.side {
            Side::Server => pick("server", "服务器"),
            Side::Client => pick("client", "客户端"),
        }
    }

    fn push(&mut self, shown: Vec<(String, Style)>) {
        self.log.push_back(shown);
        if self.log.len() > MAX_LOG {
            self.log.pop_front();
        }
    }

    /// A call and what came of it: `s.listen(5) -> ok: ...` or `-> error: ...`.
    fn logged(&mut self, call: &str, outcome: Result<String, String>) {
        let call_style = Style::default().add_modifier(Modifier::BOLD);
        let (arrow, text, style) = match outcome {
            Ok(text) => (" -> ", text, Style::default()),
            Err(text) => (
                pick(" -> error: ", " -> 错误："),
                text,
                screen::error_style(),
            ),
        };
        self.push(vec![
            (call.to_string(), call_style),
            (arrow.to_string(), style),
            (text, style),
        ]);
    }

    /// A line of our own, where no call was made.
    fn note(&mut self, text: &str) {
        let style = Style::default().add_modifier(Modifier::ITALIC);
        self.push(vec![(tr!("({text})", "（{text}）"), style)]);
    }

    /// A step of the classic order succeeded: tick it, and say so if it came early.
    fn tick(&mut self, step: &str) {
        let Some(i) = self.steps.iter().position(|s| *s == step) else {
            return;
        };
        if let Some(missing) = (0..i).find(|&j| !self.done[j]) {
            let missing = self.steps[missing];
            self.note(&tr!(
                "out of the classic order: {step}() came before {missing}()",
                "没按经典顺序：{step}() 在 {missing}() 之前调用了"
            ));
        }
        self.done[i] = true;
    }

    /// The socket send/recv/shutdown/close act on: the accepted connection if there
    /// is one, otherwise the pane's own socket. With its name for the log.
    fn target(&self) -> Option<(&Socket, &'static str)> {
        match (&self.conn, &self.sock) {
            (Some((conn, _)), _) => Some((conn, "conn")),
            (None, Some(sock)) => Some((sock, self.name)),
            (None, None) => None,
        }
    }

    fn no_socket(&mut self, call: &str) {
        self.logged(
            &format!("{}.{call}", self.name),
            Err(pick(
                "there is no socket: press s for socket() first (no call was made; \
                 Python would raise NameError, or OSError: [Errno 9] Bad file \
                 descriptor after close())",
                "还没有套接字：先按 s 调用 socket()（这次没有发出调用；Python 会抛出 \
                 NameError，close() 之后则是 OSError: [Errno 9] Bad file descriptor）",
            )
            .to_string()),
        );
    }
}

/// The address of a socket (`getsockname()`), if it is an IP one.
fn local_of(sock: &Socket) -> Option<SocketAddr> {
    sock.local_addr().ok()?.as_socket()
}

/// The peer's address (`getpeername()`): only a connected socket has one.
fn peer_of(sock: &Socket) -> Option<SocketAddr> {
    sock.peer_addr().ok()?.as_socket()
}

/// The error as a sentence, with what it means for this call.
fn explain(call: &str, sock: Option<&Socket>, err: &io::Error) -> String {
    let connected = sock.and_then(peer_of).is_some();
    if err.raw_os_error() == Some(EISCONN) {
        return tr!(
            "this socket is already connected (or listening): a socket connects once; \
             make a new socket() for another connection [EISCONN; WinError 10056] \
             (os error {})",
            "这个套接字已经连接（或在监听）：一个套接字只能连接一次；要另一个连接，\
             请新建一个 socket() [EISCONN; WinError 10056] (os error {})",
            code(err)
        );
    }
    match err.kind() {
        ErrorKind::WouldBlock => match call {
            "accept" => pick(
                "would block: no connection is waiting yet (a blocking accept() would \
                 wait here until a client connects) [EAGAIN; WinError 10035]",
                "会阻塞：还没有连接在等待（阻塞的 accept() 会停在这里，直到有客户端连接）\
                 [EAGAIN; WinError 10035]",
            )
            .to_string(),
            "recv" => pick(
                "would block: no bytes have arrived yet (a blocking recv() would wait \
                 here) [EAGAIN; WinError 10035]",
                "会阻塞：还没有字节到达（阻塞的 recv() 会停在这里等待）\
                 [EAGAIN; WinError 10035]",
            )
            .to_string(),
            _ => tr!(
                "would block: the call cannot finish at once [EAGAIN; WinError 10035] ({})",
                "会阻塞：这个调用无法立即完成 [EAGAIN; WinError 10035]（{}）",
                hint::describe(err)
            ),
        },
        ErrorKind::InvalidInput => {
            let why = match call {
                "accept" => pick(
                    "accept() needs a listening socket: call listen() first",
                    "accept() 需要一个正在监听的套接字：先调用 listen()",
                ),
                "bind" => pick(
                    "this socket already has an address: bind() works once, and listen() \
                     or connect() bind a socket by themselves",
                    "这个套接字已经有地址了：bind() 只能调用一次，而且 listen() 和 \
                     connect() 会自己绑定套接字",
                ),
                "listen" => pick("a connected socket cannot listen", "已连接的套接字不能监听"),
                _ => pick(
                    "the OS refused this call on a socket in this state",
                    "套接字处于这种状态时，操作系统拒绝这个调用",
                ),
            };
            format!("{why} [EINVAL; WinError 10022] (os error {})", code(err))
        }
        // Linux answers send() on a socket that never connected with EPIPE.
        ErrorKind::BrokenPipe if !connected => tr!(
            "the socket is not connected, so there is no one to send to: connect() first \
             (Linux reports EPIPE, Broken pipe, here; Windows WinError 10057) (os error {})",
            "套接字没有连接，所以没有发送的对象：先 connect()（Linux 在这里报告 EPIPE, \
             Broken pipe；Windows 报告 WinError 10057） (os error {})",
            code(err)
        ),
        ErrorKind::NotConnected => tr!(
            "the socket is not connected: {} [ENOTCONN; WinError 10057] (os error {})",
            "套接字没有连接：{} [ENOTCONN; WinError 10057] (os error {})",
            match call {
                "recv" | "send" => pick(
                    "a listening or new socket has no peer; connect() or use accept()'s socket",
                    "正在监听的或新建的套接字没有对端；先 connect()，或者用 accept() 返回的套接字",
                ),
                _ => pick(
                    "connect() first, or use the socket accept() returned",
                    "先 connect()，或者用 accept() 返回的套接字",
                ),
            },
            code(err)
        ),
        ErrorKind::ConnectionRefused => tr!(
            "{}: is the server pane listening? (it needs socket, bind, listen)",
            "{}：服务器窗格在监听吗？（它需要 socket、bind、listen）",
            hint::describe(err)
        ),
        _ => hint::describe(err),
    }
}

/// "Already connected" has no `ErrorKind` of its own in std: its number per platform.
#[cfg(any(target_os = "linux", target_os = "android"))]
const EISCONN: i32 = 106;
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
const EISCONN: i32 = 56;
#[cfg(windows)]
const EISCONN: i32 = 10056;
#[cfg(not(any(unix, windows)))]
const EISCONN: i32 = -1;

fn code(err: &io::Error) -> i32 {
    err.raw_os_error().unwrap_or(0)
}

/// Both panes, the line being typed for send(), and the OS's table.
struct Playground {
    /// `--host`/`--port`: where the server pane binds and the client connects.
    addr: SocketAddr,
    panes: [Pane; 2],
    /// 0: the server pane, 1: the client pane.
    active: usize,
    /// The text for send(), while it is being typed.
    typing: Option<String>,
    /// The OS's TCP table as last read by the reader thread (reading it can take a
    /// moment on a busy machine, so the keys never wait for it).
    table: Arc<Mutex<Result<Vec<TcpSocket>, String>>>,
    /// Tells the table's reader to read again now (after a call), or to stop.
    reread: Option<SyncSender<()>>,
}

impl Playground {
    fn new(addr: SocketAddr) -> Playground {
        let mut play = Playground {
            addr,
            panes: [Pane::new(Side::Server), Pane::new(Side::Client)],
            active: 0,
            typing: None,
            table: Arc::new(Mutex::new(Ok(Vec::new()))),
            reread: None,
        };
        play.panes[0].note(pick(
            "start here: s socket(), b bind(), l listen(), a accept()",
            "从这里开始：s socket()，b bind()，l listen()，a accept()",
        ));
        play.panes[1].note(pick(
            "then here (Tab): s socket(), c connect(), e send(), r recv()",
            "然后到这里（Tab）：s socket()，c connect()，e send()，r recv()",
        ));
        play
    }

    fn run(&mut self, screen: &mut Screen) -> anyhow::Result<()> {
        self.reread = Some(self.start_table_reader()?);
        loop {
            screen.draw(|frame| self.view(frame))?;
            match next_input(Duration::from_millis(100))? {
                Input::Key(key) => {
                    if self.key(key) {
                        return Ok(());
                    }
                    // The table again at once, so the call's effect shows soon.
                    if let Some(reread) = &self.reread {
                        let _ = reread.try_send(());
                    }
                }
                Input::Resized | Input::Nothing => {}
            }
        }
    }

    /// A thread that reads the OS's TCP table a few times a second, and at once when
    /// asked. It ends when the playground drops its sender.
    fn start_table_reader(&self) -> anyhow::Result<SyncSender<()>> {
        let (reread, asked) = mpsc::sync_channel::<()>(1);
        let table = Arc::clone(&self.table);
        thread::Builder::new()
            .name("os-table".to_string())
            .spawn(move || loop {
                let fresh = tcp_table::read().map_err(|err| err.to_string());
                match table.lock() {
                    Ok(mut shown) => *shown = fresh,
                    Err(_) => return,
                }
                match asked.recv_timeout(TABLE_EVERY) {
                    Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            })
            .context(pick(
                "could not start the thread that reads the OS's TCP table",
                "无法启动读取操作系统 TCP 表的线程",
            ))?;
        Ok(reread)
    }

    /// A key. True when it asks to leave.
    fn key(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return true;
        }
        if let Some(text) = &mut self.typing {
            match key.code {
                KeyCode::Enter => {
                    let text = std::mem::take(text);
                    self.typing = None;
                    self.send(text.as_bytes());
                }
                KeyCode::Esc => self.typing = None,
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) if !ctrl && text.len() + c.len_utf8() <= BUFSIZE => {
                    text.push(c);
                }
                _ => {}
            }
            return false;
        }
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => return true,
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right => {
                self.active = 1 - self.active;
            }
            KeyCode::Char('s') => self.socket(),
            KeyCode::Char('b') => self.bind(),
            KeyCode::Char('l') => self.listen(),
            KeyCode::Char('a') => self.accept(),
            KeyCode::Char('c') => self.connect(),
            KeyCode::Char('e') => self.typing = Some(String::new()),
            KeyCode::Char('r') => self.recv(),
            KeyCode::Char('h') => self.shutdown(),
            KeyCode::Char('x') => self.close(),
            KeyCode::Char('#') => self.goodbye(),
            _ => {}
        }
        false
    }

    fn pane(&mut self) -> &mut Pane {
        &mut self.panes[self.active]
    }

    /// socket(): a new TCP socket, no address yet; made non-blocking at once so no
    /// call on it can freeze the screen.
    fn socket(&mut self) {
        let domain = Domain::for_address(self.addr);
        let family = if self.addr.is_ipv6() {
            "AF_INET6"
        } else {
            "AF_INET"
        };
        let pane = self.pane();
        let call = format!("{} = socket({family}, SOCK_STREAM)", pane.name);
        if pane.sock.is_some() {
            let text = tr!(
                "{} is already a socket: press x to close() it first (no call was made)",
                "{} 已经是一个套接字了：先按 x 用 close() 关掉它（这次没有发出调用）",
                pane.name
            );
            pane.logged(&call, Err(text));
            return;
        }
        let made = Socket::new(domain, Type::STREAM, None).and_then(|sock| {
            sock.set_nonblocking(true)?;
            Ok(sock)
        });
        match made {
            Ok(sock) => {
                pane.sock = Some(sock);
                pane.logged(
                    &call,
                    Ok(pick(
                        "a new TCP socket, no address yet",
                        "一个新的 TCP 套接字，还没有地址",
                    )
                    .to_string()),
                );
                pane.tick("socket");
            }
            Err(err) => pane.logged(&call, Err(explain("socket", None, &err))),
        }
    }

    /// bind(): the server pane binds `--host:--port`; the client pane binds
    /// `--host:0` (any free port), which clients rarely do but may.
    fn bind(&mut self) {
        let addr = match self.active {
            0 => self.addr,
            _ => SocketAddr::new(self.addr.ip(), 0),
        };
        let pane = self.pane();
        let call = format!("{}.bind((\"{}\", {}))", pane.name, addr.ip(), addr.port());
        let Some(sock) = &pane.sock else {
            return pane.no_socket("bind()");
        };
        match sock.bind(&addr.into()) {
            Ok(()) => {
                let got = local_of(sock).map_or(addr.to_string(), |a| a.to_string());
                pane.logged(
                    &call,
                    Ok(tr!(
                        "the socket's address is now {got}",
                        "套接字的地址现在是 {got}"
                    )),
                );
                pane.tick("bind");
            }
            Err(err) => {
                let text = match err.kind() {
                    ErrorKind::AddrInUse | ErrorKind::PermissionDenied => {
                        hint::bind_failed(err, addr, crate::labs::Protocol::Tcp).to_string()
                    }
                    _ => explain("bind", Some(sock), &err),
                };
                pane.logged(&call, Err(text));
            }
        }
    }

    /// listen(): from now on the kernel completes handshakes by itself and queues
    /// them for accept(). Without bind() first, Linux and macOS bind the socket to a
    /// port of their own choosing (Windows refuses with WinError 10022).
    fn listen(&mut self) {
        let pane = self.pane();
        let call = format!("{}.listen({BACKLOG})", pane.name);
        let Some(sock) = &pane.sock else {
            return pane.no_socket(&format!("listen({BACKLOG})"));
        };
        let before = local_of(sock).map(|a| a.port());
        match sock.listen(BACKLOG) {
            Ok(()) => {
                let now = local_of(sock).map_or("?".to_string(), |a| a.to_string());
                let text = if before == Some(0) {
                    tr!(
                        "listening on {now}: there was no bind(), so the OS chose this address itself",
                        "正在 {now} 上监听：之前没有 bind()，所以操作系统自己选了这个地址"
                    )
                } else {
                    tr!(
                        "listening on {now}; clients can connect now, before accept()",
                        "正在 {now} 上监听；客户端现在就能连接，不必等 accept()"
                    )
                };
                pane.logged(&call, Ok(text));
                pane.tick("listen");
            }
            Err(err) => pane.logged(&call, Err(explain("listen", Some(sock), &err))),
        }
    }

    /// accept(): takes a connection the kernel has completed, or "would block".
    fn accept(&mut self) {
        let pane = self.pane();
        let call = format!("conn, addr = {}.accept()", pane.name);
        let Some(sock) = &pane.sock else {
            return pane.no_socket("accept()");
        };
        if pane.conn.is_some() {
            let text = pick(
                "conn is still open: one client at a time, as in lab 1; press x to \
                 close() it first (no call was made)",
                "conn 还开着：和实验 1 一样，一次只服务一个客户端；先按 x 用 close() \
                 关掉它（这次没有发出调用）",
            );
            return pane.logged(&call, Err(text.to_string()));
        }
        match sock.accept() {
            Ok((conn, peer)) => {
                let peer = peer.as_socket();
                // The new socket is non-blocking too (it does not inherit it everywhere).
                let _ = conn.set_nonblocking(true);
                let shown = peer.map_or("?".to_string(), |p| p.to_string());
                pane.logged(
                    &call,
                    Ok(tr!(
                        "a NEW socket, conn, for the client at {shown}",
                        "一个新的套接字 conn，连着 {shown} 的客户端"
                    )),
                );
                if let Some(peer) = peer {
                    pane.conn = Some((conn, peer));
                }
                pane.tick("accept");
            }
            Err(err) => pane.logged(&call, Err(explain("accept", Some(sock), &err))),
        }
    }

    /// connect(): to the server pane's port if it has one, else to --host:--port.
    fn connect(&mut self) {
        let server_port = self.panes[0]
            .sock
            .as_ref()
            .and_then(local_of)
            .map(|a| a.port());
        let addr = match server_port {
            Some(port) if port != 0 => SocketAddr::new(self.addr.ip(), port),
            _ => self.addr,
        };
        let pane = self.pane();
        let call = format!(
            "{}.connect((\"{}\", {}))",
            pane.name,
            addr.ip(),
            addr.port()
        );
        let Some(sock) = &pane.sock else {
            return pane.no_socket("connect()");
        };
        // connect() is the one call made blocking, as in Python: it waits for the
        // handshake, which on loopback is answered at once (accepted or refused).
        // A non-blocking connect() would only start it, and a second try after a
        // refusal would then fail differently from Python's. SO_SNDTIMEO bounds the
        // wait to 2 s on Linux and macOS, for a --host that does not answer.
        let started = Instant::now();
        let result = sock
            .set_nonblocking(false)
            .and_then(|()| sock.set_write_timeout(Some(CONNECT_WAIT)))
            .and_then(|()| sock.connect(&addr.into()));
        let _ = sock.set_write_timeout(None);
        let _ = sock.set_nonblocking(true);
        match result {
            Ok(()) => {
                let local = local_of(sock).map_or("?".to_string(), |a| a.to_string());
                let text = tr!(
                    "connected from {local} (the OS chose this port); the server's kernel \
                     completed the handshake, accept() or not",
                    "已从 {local} 连上（这个端口由操作系统选择）；不管有没有 accept()，\
                     服务器的内核都已完成了握手"
                );
                pane.logged(&call, Ok(text));
                pane.tick("connect");
            }
            Err(err) if started.elapsed() >= CONNECT_WAIT => {
                let text = tr!(
                    "no answer within {} s: nothing at that address completed the \
                     handshake ({})",
                    "{} 秒内没有应答：那个地址上没有谁完成握手（{}）",
                    CONNECT_WAIT.as_secs(),
                    hint::describe(&err)
                );
                pane.logged(&call, Err(text));
            }
            Err(err) => pane.logged(&call, Err(explain("connect", Some(sock), &err))),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        let pane = self.pane();
        let Some((sock, name)) = pane.target() else {
            return pane.no_socket("send()");
        };
        let call = format!("{name}.send(b\"{}\")", preview(bytes, 30));
        let outcome = match sock.send(bytes) {
            Ok(n) => Ok(tr!(
                "{n} of {} bytes sent",
                "已发送 {n} 字节（共 {} 字节）",
                bytes.len()
            )),
            Err(err) => Err(explain("send", Some(sock), &err)),
        };
        pane.logged(&call, outcome);
    }

    fn recv(&mut self) {
        let pane = self.pane();
        let Some((mut sock, name)) = pane.target() else {
            return pane.no_socket(&format!("recv({BUFSIZE})"));
        };
        let call = format!("{name}.recv({BUFSIZE})");
        let mut buf = [0u8; BUFSIZE];
        let outcome = match sock.read(&mut buf) {
            // Ok(0): the other side closed its sending side (EOF), not "no data yet".
            Ok(0) => Ok(pick(
                "b\"\" (0 bytes): the other side has closed its side (EOF)",
                "b\"\"（0 字节）：对方已经关闭了它那一端（EOF）",
            )
            .to_string()),
            Ok(n) => {
                let goodbye = if &buf[..n] == b"#" {
                    pick(
                        " (the classic program's goodbye: the other side is closing)",
                        "（经典程序的告别：对方正在关闭）",
                    )
                } else {
                    ""
                };
                let unit = match n {
                    1 => pick("byte", "字节"),
                    _ => pick("bytes", "字节"),
                };
                Ok(format!(
                    "{n} {unit}: b\"{}\"{goodbye}",
                    preview(&buf[..n], 40)
                ))
            }
            Err(err) => Err(explain("recv", Some(sock), &err)),
        };
        pane.logged(&call, outcome);
    }

    /// shutdown(SHUT_WR): "I will send no more". The other side's recv() returns 0
    /// once it has read what was sent; we can still receive.
    fn shutdown(&mut self) {
        let pane = self.pane();
        let Some((sock, name)) = pane.target() else {
            return pane.no_socket("shutdown(SHUT_WR)");
        };
        let call = format!("{name}.shutdown(SHUT_WR)");
        let outcome = match sock.shutdown(Shutdown::Write) {
            Ok(()) => Ok(pick(
                "we send no more (FIN sent); we can still recv()",
                "我们不再发送（已发出 FIN）；仍然可以 recv()",
            )
            .to_string()),
            Err(err) => Err(explain("shutdown", Some(sock), &err)),
        };
        pane.logged(&call, outcome);
    }

    /// close(): the accepted connection first, then the pane's own socket.
    fn close(&mut self) {
        let pane = self.pane();
        if let Some((conn, _)) = pane.conn.take() {
            drop(conn);
            pane.logged(
                "conn.close()",
                Ok(pick(
                    "closed; the client's recv() will return 0",
                    "已关闭；客户端的 recv() 将返回 0",
                )
                .to_string()),
            );
        } else if let Some(sock) = pane.sock.take() {
            drop(sock);
            let name = pane.name;
            pane.logged(
                &format!("{name}.close()"),
                Ok(pick("closed", "已关闭").to_string()),
            );
        } else {
            pane.no_socket("close()");
        }
    }

    /// `#`: the classic programs' disconnect button: send `#`, then close.
    fn goodbye(&mut self) {
        if self.pane().target().is_none() {
            return self.pane().no_socket("send(b\"#\")");
        }
        self.send(b"#");
        self.close();
    }

    /// Closes every socket still open; how many there were.
    fn close_everything(&mut self) -> usize {
        let mut closed = 0;
        for pane in &mut self.panes {
            closed += usize::from(pane.conn.take().is_some());
            closed += usize::from(pane.sock.take().is_some());
        }
        closed
    }

    /// What the OS's table says about one socket, in two short lines.
    fn describe_socket(&self, name: &str, sock: &Socket) -> Vec<(String, Style)> {
        let local = local_of(sock);
        let peer = peer_of(sock);
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let Ok(table) = self.table.lock() else {
            return vec![(
                tr!(
                    "{name}: the OS table is unavailable",
                    "{name}：读不到操作系统的表"
                ),
                bold,
            )];
        };
        let row = match &*table {
            Ok(table) => match (local, peer) {
                (Some(local), Some(peer)) => tcp_table::find_connection(table, local, peer),
                (Some(local), None) if local.port() != 0 => tcp_table::find_listener(table, local),
                _ => None,
            },
            Err(_) => None,
        };
        let state = match (row, &*table) {
            (Some(row), _) if row.is_listener() => tr!(
                "{}, {} waiting for accept()",
                "{}，{} 个连接等待 accept()",
                row.state.name(),
                row.recv_queue.map_or("?".to_string(), |n| n.to_string())
            ),
            (Some(row), _) => tr!(
                "{}, recv-q {} bytes",
                "{}，recv-q {} 字节",
                row.state.name(),
                row.recv_queue.map_or("?".to_string(), |n| n.to_string())
            ),
            (None, Err(why)) => tr!("state unknown: {why}", "状态未知：{why}"),
            (None, Ok(_)) => match local {
                Some(local) if local.port() != 0 => pick(
                    "bound; no row in the OS table yet",
                    "已绑定；操作系统的表里还没有它",
                )
                .to_string(),
                _ => pick(
                    "new: no address, no row in the OS table",
                    "新建：没有地址，操作系统的表里也没有它",
                )
                .to_string(),
            },
        };
        let addresses = match (local, peer) {
            (Some(local), Some(peer)) => format!("{local} <-> {peer}"),
            (Some(local), None) if local.port() != 0 => local.to_string(),
            _ => pick("no address yet", "还没有地址").to_string(),
        };
        vec![
            (tr!("{name}: ", "{name}："), bold),
            (state, Style::default()),
            (format!("  {addresses}"), Style::default()),
        ]
    }

    fn view(&self, frame: &mut Frame) {
        let [top, order, keys] = Layout::vertical([
            Constraint::Min(6),
            Constraint::Length(4),
            Constraint::Length(2),
        ])
        .areas(frame.area());
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
        self.view_pane(frame, 0, left);
        self.view_pane(frame, 1, right);
        self.view_order(frame, order);
        self.view_keys(frame, keys);
    }

    fn view_pane(&self, frame: &mut Frame, i: usize, area: Rect) {
        let pane = &self.panes[i];
        let active = i == self.active;
        let title = if active {
            tr!(
                " > {} (keys act here) ",
                " > {}（按键作用于这里） ",
                pane.title()
            )
        } else {
            tr!(" {} (Tab) ", " {}（Tab） ", pane.title())
        };
        let mut block = Block::bordered().title(title);
        if active {
            block = block.border_style(Style::default().add_modifier(Modifier::BOLD));
        }
        let inner = block.inner(area);
        let width = usize::from(inner.width);
        // The sockets first, as the OS sees them; then the log, newest at the bottom.
        let mut rows: Vec<Line> = Vec::new();
        let mut sockets = Vec::new();
        if let Some(sock) = &pane.sock {
            sockets.push(self.describe_socket(pane.name, sock));
        }
        if let Some((conn, _)) = &pane.conn {
            sockets.push(self.describe_socket("conn", conn));
        }
        if sockets.is_empty() {
            let none = tr!(
                "{}: no socket (s makes one)",
                "{}：没有套接字（按 s 新建一个）",
                pane.name
            );
            sockets.push(vec![(none, Style::default())]);
        }
        for shown in &sockets {
            rows.extend(wrap(shown, width));
        }
        rows.push(Line::from("─".repeat(width)));
        let room = usize::from(inner.height).saturating_sub(rows.len());
        let log: Vec<Line> = pane
            .log
            .iter()
            .flat_map(|shown| wrap(shown, width))
            .collect();
        rows.extend(log[log.len().saturating_sub(room)..].iter().cloned());
        frame.render_widget(Paragraph::new(rows).block(block), area);
    }

    fn view_order(&self, frame: &mut Frame, area: Rect) {
        let block = Block::bordered().title(pick(" the classic order ", " 经典顺序 "));
        let rows: Vec<Line> = self
            .panes
            .iter()
            .map(|pane| {
                let steps: Vec<String> = pane
                    .steps
                    .iter()
                    .zip(&pane.done)
                    .map(|(step, done)| format!("[{}] {step}", if *done { "x" } else { " " }))
                    .collect();
                // Padded by display width: a Chinese label is two columns a character.
                let label = tr!("{}:", "{}：", pane.title());
                let pad = 7usize.saturating_sub(screen::width_of(&label));
                Line::from(format!("{label}{} {}", " ".repeat(pad), steps.join("  ")))
            })
            .collect();
        frame.render_widget(Paragraph::new(rows).block(block), area);
    }

    fn view_keys(&self, frame: &mut Frame, area: Rect) {
        // What is being typed, as it fits after the label (six columns in both
        // languages) with the cursor after it: a long line shows its end.
        let typed = self.typing.as_ref().map(|text| {
            let shown = preview(text.as_bytes(), 70);
            let room = usize::from(area.width).saturating_sub(7);
            tail(&shown, room)
        });
        let rows = match &typed {
            Some(typed) => vec![
                Line::from(tr!("send: {typed}", "发送：{typed}")),
                Line::from(pick(
                    "Enter sends these bytes (no newline added) · Esc cancels",
                    "Enter 发送这些字节（不加换行符）· Esc 取消",
                )),
            ],
            None => vec![
                Line::from("s socket  b bind  l listen  a accept  c connect  e send  r recv"),
                Line::from(pick(
                    "h shutdown  x close  # send \"#\" and close  Tab other pane  q quit",
                    "h shutdown  x close  # 发 \"#\" 后 close  Tab 换窗格  q 退出",
                )),
            ],
        };
        frame.render_widget(Paragraph::new(rows), area);
        if let Some(typed) = &typed {
            let x = area.x + 6 + u16::try_from(screen::width_of(typed)).unwrap_or(0);
            frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        }
    }
}

/// The end of `text` that fits in `width` columns, after a `…` if it was cut (a
/// Chinese character takes two columns).
fn tail(text: &str, width: usize) -> String {
    if screen::width_of(text) <= width {
        return text.to_string();
    }
    let mut kept = Vec::new();
    let mut used = 1; // the `…`
    for c in text.chars().rev() {
        let w = screen::width_of(c.encode_utf8(&mut [0; 4]));
        if used + w > width {
            break;
        }
        kept.push(c);
        used += w;
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn last_log(play: &Playground, pane: usize) -> String {
        let shown = play.panes[pane].log.back().expect("a log line");
        shown.iter().map(|(t, _)| t.as_str()).collect()
    }

    #[test]
    fn a_long_typed_line_shows_its_end_within_the_width() {
        assert_eq!(tail("hello", 10), "hello");
        assert_eq!(tail("hello world", 6), "…world");
        assert_eq!(tail("你好世界", 6), "…世界");
        assert!(screen::width_of(&tail(&"好".repeat(70), 73)) <= 73);
    }

    #[test]
    fn the_keys_make_real_calls_in_any_order() {
        let mut play = Playground::new("127.0.0.1:0".parse().expect("an address"));
        // recv() before socket(): no call, a sentence.
        play.key(key('r'));
        assert!(last_log(&play, 0).contains("press s for socket()"));
        // accept() on a socket that does not listen: the OS's EINVAL.
        play.key(key('s'));
        play.key(key('a'));
        // (Linux says EINVAL; other systems may name it differently.)
        #[cfg(target_os = "linux")]
        {
            let line = last_log(&play, 0);
            assert!(line.contains("EINVAL"), "{line}");
        }
        // bind, listen: LISTEN; accept with nobody there: would block.
        play.key(key('b'));
        play.key(key('l'));
        assert!(last_log(&play, 0).contains("listening on 127.0.0.1:"));
        play.key(key('a'));
        assert!(last_log(&play, 0).contains("would block: no connection is waiting yet"));
        assert_eq!(play.panes[0].done, [true, true, true, false]);

        // The client: connect, send; the server accepts and receives.
        play.key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        play.key(key('s'));
        play.key(key('c'));
        assert!(
            last_log(&play, 1).contains("connected from"),
            "{}",
            last_log(&play, 1)
        );
        // connect() again: a socket connects once.
        play.key(key('c'));
        assert!(
            last_log(&play, 1).contains("EISCONN"),
            "{}",
            last_log(&play, 1)
        );
        play.key(key('e'));
        for c in "hi".chars() {
            play.key(key(c));
        }
        play.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert!(last_log(&play, 1).contains("2 of 2 bytes sent"));
        play.key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        play.key(key('a'));
        assert!(last_log(&play, 0).contains("a NEW socket"));
        play.key(key('r'));
        assert!(
            last_log(&play, 0).contains("2 bytes: b\"hi\""),
            "{}",
            last_log(&play, 0)
        );
        assert_eq!(play.close_everything(), 3);
    }
}
