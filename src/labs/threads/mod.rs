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
//! `listen_for_a_classroom` and the guide's "Surviving a classroom".
//!
//! The price of threads is shared state. The list of clients online sits behind one
//! `Mutex`; every thread holds it only to add, remove or copy out the list, and never
//! while it waits for the network.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use socket2::{Domain, Socket, Type};

use crate::hint;
use crate::labs::Lab;
use crate::net::{self, Endpoint};
use crate::term::{paint, preview, safe, say};

/// The most bytes one recv() takes. It is also all the memory a client's messages
/// can take on the server: a longer line simply arrives over several recv() calls.
const RECV_SIZE: usize = 1024;

/// How long sending to one client may wait before that client counts as gone. send()
/// only waits when the client does not read and its buffers are full.
const SEND_TIMEOUT: Duration = Duration::from_secs(2);

/// The kernel's send buffer for each client (Linux doubles it for bookkeeping). Left
/// alone, Linux grows it up to 4 MiB per connection: a classroom of clients that stop
/// reading could pin gigabytes, and a client that stops reading is noticed only once
/// megabytes of replies have piled up. With a small buffer, send() blocks soon and
/// SEND_TIMEOUT ends that client.
const SEND_BUFFER: usize = 64 * 1024;

/// How often the accept loop looks at the shutdown flag when no client is arriving.
const ACCEPT_POLL: Duration = Duration::from_millis(50);

/// How many finished handshakes the kernel queues for us before accept() takes them.
/// std's `TcpListener::bind` asks for 128. A classroom (1,000 clients in one second)
/// overflows that while the accept loop sleeps between polls, and Linux then drops
/// the handshake's last packet: the client believes it is connected, but the server
/// only learns of it when the kernel repeats the handshake 1, 3, 7, 15, 31 s later;
/// each client waits that long for its welcome, or gives up. (The kernel caps the
/// number at `net.core.somaxconn`, 4096 on current Linux.)
const LISTEN_BACKLOG: i32 = 1024;

/// The stack each client thread reserves. std's default is 2 MiB; a client thread
/// only needs its 1 KiB receive buffer and a few short strings, and 1,000 threads
/// would reserve 2 GiB of address space (32-bit systems do not have that).
const CLIENT_STACK: usize = 256 * 1024;

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
        Role::Server(args) => server(args, lab),
        Role::Client(args) => client(args, lab),
        Role::Swarm(args) => swarm(args, lab),
    }
}

// ---------------------------------------------------------------------------------
// The server: what the threads share
// ---------------------------------------------------------------------------------

/// What every thread of the server shares.
struct Shared {
    /// The clients online, in the order they came. The one lock of the server.
    clients: Mutex<Vec<Arc<Peer>>>,
    /// Set by `/shutdown` or Ctrl-C; the accept loop sees it and shuts down.
    stopping: AtomicBool,
}

/// One connected client, as every thread sees it.
struct Peer {
    /// #1, #2, ... in order of arrival; also picks its colour in the log.
    number: usize,
    addr: SocketAddr,
    stream: TcpStream,
    /// Taken while one line is written, so a reply (from the client's thread) and a
    /// console message (from the console thread) never mix mid-line on the wire.
    sending: Mutex<()>,
}

impl Peer {
    /// Sends one line. Waits at most SEND_TIMEOUT if the client does not read.
    fn send_line(&self, line: &str) -> io::Result<()> {
        // `()` has nothing a panic could leave half-changed, so a poisoned turn is
        // still a good turn.
        let _turn = self.sending.lock().unwrap_or_else(PoisonError::into_inner);
        // One write_all of the whole line (Python's sendall).
        (&self.stream).write_all(format!("{line}\n").as_bytes())
    }
}

impl Shared {
    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// The locked list of clients. Hold it briefly: add, remove or copy, then let go.
    fn clients(&self) -> MutexGuard<'_, Vec<Arc<Peer>>> {
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
    fn online(&self) -> Vec<Arc<Peer>> {
        self.clients().clone()
    }

    /// Takes `peer` off the list.
    fn remove(&self, peer: &Peer) {
        self.clients().retain(|p| p.number != peer.number);
    }
}

// ---------------------------------------------------------------------------------
// The server: the main thread accepts
// ---------------------------------------------------------------------------------

fn server(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;
    let listener = listen_for_a_classroom(addr, lab)?;
    net::announce_listening(listener.local_addr()?, lab.protocol);

    // How does a shutdown reach the main thread while it waits in accept()? A blocked
    // accept() cannot be interrupted portably. We make the listener non-blocking:
    // accept() then returns at once with WouldBlock when nobody is waiting, and the
    // loop checks the shutdown flag and sleeps ACCEPT_POLL (50 ms) before trying again.
    // (The other common trick, connecting to ourselves to wake accept(), fails when
    // the listener is on 0.0.0.0 or a firewall is in the way; polling cannot fail.)
    listener
        .set_nonblocking(true)
        .context("could not make the listening socket non-blocking")?;

    let shared = Arc::new(Shared {
        clients: Mutex::new(Vec::new()),
        stopping: AtomicBool::new(false),
    });
    // Ctrl-C (SIGINT) and SIGTERM only raise the flag; the main thread does the rest.
    let on_signal = Arc::clone(&shared);
    ctrlc::set_handler(move || on_signal.stop()).context("could not install the Ctrl-C handler")?;
    say!("console: type /help for the commands; Ctrl-C or /shutdown stops the server");
    start_console(Arc::clone(&shared))?;

    let max_clients = args.max_clients as usize;
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    let mut arrivals = 0;
    while !shared.stopping() {
        match listener.accept() {
            Ok((stream, peer)) => {
                arrivals += 1;
                if let Some(thread) = admit(&shared, stream, peer, arrivals, max_clients) {
                    threads.push(thread);
                }
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                // Nobody is waiting to connect. Tidy up, then look again in a moment.
                join_finished(&mut threads);
                thread::sleep(ACCEPT_POLL);
            }
            Err(err) => {
                // For example "too many open files": this client is lost, not the server.
                say!("accept() failed: {}", hint::describe(&err));
                thread::sleep(ACCEPT_POLL);
            }
        }
    }
    shut_down(&shared, threads);
    // The console thread is still blocked reading stdin, which cannot be interrupted
    // portably; it ends with the process when we return.
    Ok(())
}

/// socket() + setsockopt(SO_REUSEADDR) + bind() + listen(LISTEN_BACKLOG), as lab 1
/// does step by step. std's `TcpListener::bind(addr)` does the same in one call, but
/// with listen(128): too short a queue for a classroom (see LISTEN_BACKLOG).
fn listen_for_a_classroom(addr: SocketAddr, lab: &Lab) -> anyhow::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)
        .context("could not create a TCP socket")?;
    // Bind again at once after a restart (on Windows the option means something else,
    // so there we leave it alone, as std does).
    #[cfg(unix)]
    socket
        .set_reuse_address(true)
        .context("setsockopt(SO_REUSEADDR) failed")?;
    socket
        .bind(&addr.into())
        .map_err(|err| hint::bind_failed(err, addr, lab.protocol))?;
    socket.listen(LISTEN_BACKLOG).context("listen() failed")?;
    Ok(socket.into())
}

/// Puts a new client on the list and starts its thread (or turns it away when full).
fn admit(
    shared: &Arc<Shared>,
    stream: TcpStream,
    addr: SocketAddr,
    number: usize,
    max_clients: usize,
) -> Option<JoinHandle<()>> {
    // On Windows and macOS an accepted socket inherits the listener's non-blocking
    // mode; the client's thread wants recv() to wait. The send timeout and the small
    // send buffer keep a client that stops reading from holding up whoever sends to
    // it, or from holding much memory.
    let ready = stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_write_timeout(Some(SEND_TIMEOUT)))
        .and_then(|()| socket2::SockRef::from(&stream).set_send_buffer_size(SEND_BUFFER));
    if let Err(err) = ready {
        say!("[error] {addr}: {}", hint::describe(&err));
        return None;
    }
    let peer = Arc::new(Peer {
        number,
        addr,
        stream,
        sending: Mutex::new(()),
    });

    // The critical section: count and push, nothing else.
    let online = {
        let mut clients = shared.clients();
        if clients.len() < max_clients {
            clients.push(Arc::clone(&peer));
            Some(clients.len())
        } else {
            None
        }
    };
    let Some(online) = online else {
        // A fresh socket's send buffer is empty, so this short send does not wait.
        let _ = peer.send_line(&format!(
            "sorry, the server is full ({max_clients} clients online); try again later"
        ));
        say!("[full] {addr} turned away ({max_clients} online)");
        return None;
    };
    say!("[connect] {addr} ({online} online)");

    // One thread per client, named after it: a panic message or a debugger says
    // `client-127.0.0.1:50312` instead of an anonymous thread number. (Linux keeps
    // only the first 15 bytes for `top -H`: `client-127.0.0`.)
    let for_thread = (Arc::clone(shared), Arc::clone(&peer));
    let spawned = thread::Builder::new()
        .name(format!("client-{addr}"))
        .stack_size(CLIENT_STACK)
        .spawn(move || serve_client(&for_thread.0, &for_thread.1));
    match spawned {
        Ok(thread) => Some(thread),
        Err(err) => {
            shared.remove(&peer);
            say!("[error] {addr}: could not start a thread for it ({err}); closed");
            None
        }
    }
}

/// Joins the client threads that have finished, so the list of handles stays short.
fn join_finished(threads: &mut Vec<JoinHandle<()>>) {
    let (finished, running): (Vec<_>, Vec<_>) = threads.drain(..).partition(|t| t.is_finished());
    *threads = running;
    finished.into_iter().for_each(join_reporting);
}

/// Joins one thread; a thread that panicked is reported, and the server carries on.
fn join_reporting(thread: JoinHandle<()>) {
    let name = thread
        .thread()
        .name()
        .unwrap_or("a client thread")
        .to_string();
    if thread.join().is_err() {
        say!("[error] thread {name} panicked; the other clients are not affected");
    }
}

/// Every client is told, its connection shut, its thread joined.
fn shut_down(shared: &Shared, threads: Vec<JoinHandle<()>>) {
    let online = shared.online();
    say!(
        "shutting down: telling {} client(s) and joining their threads",
        online.len()
    );
    for peer in &online {
        let _ = peer.send_line("[server] the server is shutting down. Goodbye!");
        // shutdown() ends the connection both ways. The client's thread, blocked in
        // recv(), wakes up with 0 bytes and ends; the client sees the end of the stream.
        let _ = peer.stream.shutdown(Shutdown::Both);
    }
    let count = threads.len();
    threads.into_iter().for_each(join_reporting);
    say!("server stopped: {count} client thread(s) joined");
}

// ---------------------------------------------------------------------------------
// The server: one thread per client
// ---------------------------------------------------------------------------------

/// How a client's connection ended.
enum End {
    /// It sent `exit`.
    SaidExit,
    /// recv() returned 0 bytes: it closed without `exit` (or the server shut it down).
    Closed,
    /// recv() failed, typically "connection reset" (the client vanished abruptly).
    RecvFailed(io::Error),
    /// send() failed or timed out (the client stopped reading).
    SendFailed(io::Error),
}

/// The body of a client's thread: talk until the end, then log exactly one end line.
fn serve_client(shared: &Shared, peer: &Peer) {
    let end = talk(peer);
    shared.remove(peer);
    let addr = peer.addr;
    match end {
        End::SaidExit => say!("[disconnect] {addr} said exit"),
        _ if shared.stopping() => say!("[closed] {addr} by the server (shutdown)"),
        End::Closed => say!("[lost] {addr} closed without exit"),
        End::RecvFailed(err) | End::SendFailed(err)
            if err.kind() == io::ErrorKind::ConnectionReset =>
        {
            say!("[error] {addr} connection reset")
        }
        End::RecvFailed(err) => say!("[error] {addr} recv() failed: {}", hint::describe(&err)),
        End::SendFailed(err)
            if matches!(
                err.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            say!(
                "[error] {addr} stopped reading: a send() waited {} s; closed",
                SEND_TIMEOUT.as_secs()
            )
        }
        End::SendFailed(err) => say!("[error] {addr} send() failed: {}", hint::describe(&err)),
    }
    // close(): the client's recv() returns 0 bytes. (The socket itself is freed when
    // the last Arc<Peer> is dropped; shutdown() ends the connection right now.)
    let _ = peer.stream.shutdown(Shutdown::Both);
}

/// Welcome, then recv and reply until the client leaves.
fn talk(peer: &Peer) -> End {
    let me = peer.addr;
    let welcome = format!(
        "welcome, {me}: you are client #{} here. Type a line; `exit` leaves.",
        peer.number
    );
    if let Err(err) = peer.send_line(&welcome) {
        return End::SendFailed(err);
    }
    let tag = paint(&me.to_string(), peer.number);
    // A fixed buffer: however much a client sends, its thread holds RECV_SIZE bytes.
    let mut buf = [0u8; RECV_SIZE];
    loop {
        // recv() blocks this thread only: the other clients have threads of their own.
        let n = match (&peer.stream).read(&mut buf) {
            Ok(0) => return End::Closed,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return End::RecvFailed(err),
        };
        for message in messages(&buf[..n]) {
            // One say! per line: lines from different threads never mix mid-line.
            say!("{tag}: {}", preview(message, 200));
            if message.trim_ascii() == b"exit" {
                let _ = peer.send_line(&format!("goodbye, {me}"));
                return End::SaidExit;
            }
            // The reply names the client, so each one sees it was answered, not its
            // neighbour (the classic server's operator could not tell them apart).
            let reply = format!(
                "reply to {me}: got {} bytes: {}",
                message.len(),
                preview(message, 200)
            );
            if let Err(err) = peer.send_line(&reply) {
                return End::SendFailed(err);
            }
        }
    }
}

/// Cuts what one recv() returned into messages: one per line, without the `\r\n`;
/// empty lines are skipped, and text after the last newline counts as a message too
/// (the classic Python client sends no newline at all).
///
/// A line cut across two recv() calls counts as two messages. With short lines on one
/// machine that does not happen; lab 7 shows when it does, and how framing fixes it.
fn messages(chunk: &[u8]) -> impl Iterator<Item = &[u8]> {
    chunk
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty())
}

// ---------------------------------------------------------------------------------
// The server: the operator's console (the server's stdin)
// ---------------------------------------------------------------------------------

const CONSOLE_HELP: &[&str] = &[
    "console commands (type them in the server's terminal):",
    "  /list                 the clients online: #number and address",
    "  /send CLIENT text     send a line to one client: its #number (from /list) or its port",
    "  /all text             send a line to every client",
    "  /shutdown             tell every client, close, join the threads, exit (also Ctrl-C)",
    "  /help                 this list",
];

/// What the operator asked for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    List,
    Send { to: Target, text: String },
    All(String),
    Shutdown,
    Help,
}

/// A client, as the operator names it in `/send`.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Target {
    /// `#3` or `3`: the number from `/list` (numbers below 1024).
    Number(usize),
    /// `50312`: the client's port (clients' ports are 1024 and up).
    Port(u16),
}

impl Target {
    fn parse(word: &str) -> Option<Target> {
        if let Some(number) = word.strip_prefix('#') {
            return number.parse().ok().map(Target::Number);
        }
        match word.parse::<u32>().ok()? {
            n if n < 1024 => Some(Target::Number(n as usize)),
            n => u16::try_from(n).ok().map(Target::Port),
        }
    }

    fn names(self, peer: &Peer) -> bool {
        match self {
            Target::Number(n) => peer.number == n,
            Target::Port(port) => peer.addr.port() == port,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Target::Number(n) => write!(f, "#{n}"),
            Target::Port(port) => write!(f, "with port {port}"),
        }
    }
}

/// Reads one console line. `Ok(None)`: an empty line. `Err`: what to tell the operator.
fn parse_command(line: &str) -> Result<Option<Command>, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim_start();
    let command = match word {
        "/list" => Command::List,
        "/help" => Command::Help,
        "/shutdown" | "/quit" => Command::Shutdown,
        "/all" if !rest.is_empty() => Command::All(rest.to_string()),
        "/all" => return Err("/all needs the text to send: /all hello everyone".into()),
        "/send" => {
            let (client, text) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let to = Target::parse(client).ok_or_else(|| {
                format!("/send needs a client first: #number (see /list) or port, not {client:?}")
            })?;
            let text = text.trim_start();
            if text.is_empty() {
                return Err("/send needs text after the client: /send #1 hello".into());
            }
            Command::Send {
                to,
                text: text.to_string(),
            }
        }
        _ if word.starts_with('/') => {
            return Err(format!("unknown command {word}; /help lists them"))
        }
        _ => return Err("to send that, type /all TEXT or /send CLIENT TEXT (/help)".into()),
    };
    Ok(Some(command))
}

fn start_console(shared: Arc<Shared>) -> anyhow::Result<()> {
    thread::Builder::new()
        .name("console".to_string())
        .spawn(move || console(&shared))
        .context("could not start the console thread")?;
    Ok(())
}

fn console(shared: &Shared) {
    // Created here: a locked stdin belongs to the thread that reads it.
    let mut input = crate::term::Lines::from_stdin();
    while let Some(line) = input.read("") {
        match parse_command(&line) {
            Ok(None) => {}
            Ok(Some(command)) => obey(shared, command),
            Err(why) => say!("console: {why}"),
        }
        if shared.stopping() {
            return;
        }
    }
    // A server started with `< /dev/null` or in the background keeps serving.
    say!("console: end of input; the server keeps running (Ctrl-C stops it)");
}

fn obey(shared: &Shared, command: Command) {
    match command {
        Command::Help => CONSOLE_HELP.iter().for_each(|line| say!("{line}")),
        Command::List => {
            let online = shared.online();
            say!("{} online", online.len());
            for peer in online {
                say!(
                    "  #{} {}",
                    peer.number,
                    paint(&peer.addr.to_string(), peer.number)
                );
            }
        }
        Command::Send { to, text } => {
            // Copy the list, let go of the lock, and only then send: a send may wait.
            let online = shared.online();
            match online.iter().find(|peer| to.names(peer)) {
                Some(peer) => {
                    if deliver(peer, &text) {
                        say!("console: sent to #{} {}", peer.number, peer.addr);
                    }
                }
                None => say!("console: no client {to} is online; /list shows who is"),
            }
        }
        Command::All(text) => {
            let online = shared.online();
            let sent = online.iter().filter(|peer| deliver(peer, &text)).count();
            say!("console: sent to {sent} of {} client(s)", online.len());
        }
        Command::Shutdown => shared.stop(),
    }
}

/// Sends the operator's line to one client; says so only when it fails.
fn deliver(peer: &Peer, text: &str) -> bool {
    match peer.send_line(&format!("[server] {text}")) {
        Ok(()) => true,
        Err(err) => {
            say!(
                "console: could not send to {}: {}",
                peer.addr,
                hint::describe(&err)
            );
            false
        }
    }
}

// ---------------------------------------------------------------------------------
// The client: full duplex with a reader thread
// ---------------------------------------------------------------------------------

fn client(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    // socket() + connect(), to each address --host stands for until one answers
    // (Python: socket.create_connection((host, port))).
    let (stream, server) = args.endpoint.connect_tcp(lab)?;
    say!(
        "connected to {server} from {}. Type lines; `exit` leaves. What the server sends \
         appears as soon as it arrives.",
        stream.local_addr()?
    );

    // Two threads, one socket: the reader thread only recv()s, this thread only
    // send()s. try_clone() gives a second handle to the same connection.
    let incoming = stream
        .try_clone()
        .context("could not share the socket with the reader thread")?;
    let leaving = Arc::new(AtomicBool::new(false));
    let reader_knows = Arc::clone(&leaving);
    let (done, reader_done) = mpsc::channel::<()>();
    let lab_number = lab.number;
    thread::Builder::new()
        .name("reader".to_string())
        .spawn(move || {
            print_incoming(&incoming, server, &reader_knows, lab_number);
            let _ = done.send(());
        })
        .context("could not start the reader thread")?;

    let mut input = crate::term::Lines::from_stdin();
    while let Some(line) = input.read("") {
        if line.is_empty() {
            continue;
        }
        let said_exit = line.trim() == "exit";
        if said_exit {
            // Before sending: the server closes right after `exit`, and the reader
            // must know that this end is expected.
            leaving.store(true, Ordering::SeqCst);
        }
        (&stream)
            .write_all(format!("{line}\n").as_bytes())
            .map_err(|err| {
                anyhow::anyhow!("could not send to {server}: {}", hint::describe(&err))
            })?;
        if said_exit {
            break;
        }
    }
    // `exit`, or the end of input (Ctrl-D, the end of a piped file): we are done
    // sending. shutdown(Write) says so (the server's recv() returns 0 bytes) while we
    // can still receive what is on its way; then we give the reader a moment.
    leaving.store(true, Ordering::SeqCst);
    let _ = stream.shutdown(Shutdown::Write);
    let _ = reader_done.recv_timeout(Duration::from_secs(3));
    Ok(())
}

/// The reader thread: prints every line that arrives. When the server goes away while
/// we still expect it, it says so at once and ends the whole program with exit code 1
/// (the main thread is blocked reading the keyboard and cannot be woken to do it).
fn print_incoming(mut stream: &TcpStream, server: SocketAddr, leaving: &AtomicBool, lab: u8) {
    let mut buf = [0u8; RECV_SIZE];
    // A full server sends one line and closes: that close is not a stopped server.
    let mut turned_away = false;
    loop {
        let why = match stream.read(&mut buf) {
            Ok(0) if turned_away => format!(
                "the server at {server} is full and closed the connection (recv() returned \
                 0 bytes). It is still running: try again when a client has left, or ask \
                 its operator for a higher --max-clients"
            ),
            Ok(0) => format!(
                "the server at {server} closed the connection (recv() returned 0 bytes): it \
                 was stopped or shut down. Start `lab {lab} server` again and reconnect"
            ),
            Ok(n) => {
                for line in messages(&buf[..n]) {
                    turned_away |= line.starts_with(b"sorry, the server is full");
                    say!("{}", safe(line));
                }
                continue;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => format!("the connection to {server} broke: {}", hint::describe(&err)),
        };
        if leaving.load(Ordering::SeqCst) {
            return;
        }
        eprintln!("error: {why}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------
// The swarm: many clients at once, leaving in every way there is
// ---------------------------------------------------------------------------------

/// How a swarm client leaves. Each one makes the server write a different end line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leave {
    /// Sends `exit`: `[disconnect] ADDR:PORT said exit`.
    Exit,
    /// Closes without a word (FIN): `[lost] ADDR:PORT closed without exit`.
    Close,
    /// Resets (SO_LINGER 0, then close: RST): `[error] ADDR:PORT connection reset`.
    Reset,
}

impl Leave {
    fn of(client: usize) -> Leave {
        match client % 3 {
            0 => Leave::Exit,
            1 => Leave::Close,
            _ => Leave::Reset,
        }
    }
}

/// What one swarm client saw.
struct Report {
    local: Option<SocketAddr>,
    welcome: bool,
    replies: u32,
    leave: Leave,
    /// Turned away because the server was full.
    full: bool,
    problem: Option<String>,
}

fn swarm(args: SwarmArgs, lab: &Lab) -> anyhow::Result<()> {
    let servers = args.endpoint.resolve()?;
    let count = args.clients as usize;
    let messages = args.messages;
    say!(
        "swarm: {count} clients at once to {}, {messages} message(s) each; then a third say \
         exit, a third just close, a third reset the connection",
        servers[0]
    );

    // Connect them all first, so all are online together. The first failure to
    // connect means no server: say so, as any client would.
    let mut streams = Vec::with_capacity(count);
    for i in 0..count {
        match net::connect_tcp(&servers, lab) {
            Ok((stream, _)) => streams.push(Ok(stream)),
            Err(err) if i == 0 => return Err(err),
            Err(err) => streams.push(Err(err.to_string())),
        }
    }

    // Then each talks in a thread of its own, once all have their welcome.
    let gun = Arc::new(RwLock::new(()));
    let hold = gun.write().unwrap_or_else(PoisonError::into_inner);
    let (ready, all_ready) = mpsc::channel();
    let mut threads = Vec::with_capacity(count);
    for (i, stream) in streams.into_iter().enumerate() {
        let leave = Leave::of(i);
        let start = Start {
            ready: ready.clone(),
            gun: Arc::clone(&gun),
        };
        let spawned = thread::Builder::new()
            .name(format!("swarm-{}", i + 1))
            .spawn(move || match stream {
                Ok(stream) => swarm_client(stream, messages, leave, start),
                Err(why) => {
                    let _ = start.ready.send(());
                    Report::failed(leave, why)
                }
            });
        threads.push(spawned.map_err(|err| err.to_string()));
    }
    let running = threads.iter().filter(|t| t.is_ok()).count();
    drop(ready);
    // Every thread says "ready" once; a bounded wait all the same.
    let waited = (0..running)
        .take_while(|_| all_ready.recv_timeout(Duration::from_secs(10)).is_ok())
        .count();
    say!("swarm: {waited} clients ready (connected, welcome read); now they talk");
    drop(hold);
    let reports: Vec<Report> = threads
        .into_iter()
        .map(|thread| match thread {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|_| Report::failed(Leave::Close, "its thread panicked".into())),
            Err(why) => Report::failed(Leave::Close, format!("no thread: {why}")),
        })
        .collect();

    for (i, report) in reports.iter().enumerate() {
        say!("swarm-{:<3} {}", i + 1, report.describe(messages));
    }
    let talked: Vec<&Report> = reports.iter().filter(|r| r.welcome).collect();
    let count_of = |leave| talked.iter().filter(|r| r.leave == leave).count();
    say!(
        "swarm done: {} connected, {} welcomes, {}/{} replies; {} said exit, {} closed, {} reset{}",
        reports.iter().filter(|r| r.local.is_some()).count(),
        talked.len(),
        reports.iter().map(|r| r.replies).sum::<u32>(),
        count as u32 * messages,
        count_of(Leave::Exit),
        count_of(Leave::Close),
        count_of(Leave::Reset),
        match reports.iter().filter(|r| r.full).count() {
            0 => String::new(),
            full => format!("; {full} turned away (server full)"),
        }
    );
    say!("the server's log should now show that many [disconnect], [lost] and [error] lines");

    let problems = reports.iter().filter(|r| r.problem.is_some()).count();
    if problems > 0 {
        anyhow::bail!("{problems} of {count} swarm clients had a problem (see above)");
    }
    Ok(())
}

impl Report {
    fn failed(leave: Leave, why: String) -> Report {
        Report {
            local: None,
            welcome: false,
            replies: 0,
            leave,
            full: false,
            problem: Some(why),
        }
    }

    fn describe(&self, messages: u32) -> String {
        let who = self.local.map_or("-".to_string(), |a| a.to_string());
        if self.full {
            return format!("{who}: turned away, the server is full");
        }
        let mut text = format!(
            "{who}: {}, {}/{messages} replies, {}",
            if self.welcome {
                "welcome"
            } else {
                "no welcome"
            },
            self.replies,
            match self.leave {
                Leave::Exit => "said exit",
                Leave::Close => "closed without exit",
                Leave::Reset => "reset the connection (SO_LINGER 0)",
            }
        );
        if let Some(problem) = &self.problem {
            text.push_str(&format!("; problem: {problem}"));
        }
        text
    }
}

/// The starting gun: every swarm client reads its welcome and says it is ready; the
/// main thread holds the gun (a write lock) until all are ready, so all N are online
/// together before any of them talks or leaves.
struct Start {
    ready: mpsc::Sender<()>,
    gun: Arc<RwLock<()>>,
}

/// One swarm client: read the welcome, wait for the others, send the messages and
/// read each reply, leave.
fn swarm_client(stream: TcpStream, messages: u32, leave: Leave, start: Start) -> Report {
    let mut report = Report {
        local: stream.local_addr().ok(),
        welcome: false,
        replies: 0,
        leave,
        full: false,
        problem: None,
    };
    let mut lines = ServerLines::new(&stream);
    let welcomed = swarm_welcome(&stream, &mut lines, &mut report);
    let _ = start.ready.send(());
    if let Err(problem) = welcomed {
        report.problem = Some(problem);
        return report;
    }
    if report.full {
        return report;
    }
    drop(start.gun.read().unwrap_or_else(PoisonError::into_inner));

    if let Err(problem) = swarm_talk(&stream, &mut lines, messages, &mut report) {
        report.problem = Some(problem);
        return report;
    }
    match leave {
        // Exit: the server closes after its goodbye; we close after reading it.
        // Close: close() without a word; the server's recv() returns 0 bytes.
        Leave::Exit | Leave::Close => drop(stream),
        Leave::Reset => {
            // SO_LINGER with a zero timeout makes close() throw the connection away
            // with a reset (RST) instead of the orderly goodbye (FIN).
            if let Err(err) = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO)) {
                report.problem = Some(format!("could not set SO_LINGER: {}", hint::describe(&err)));
            }
            drop(stream);
        }
    }
    report
}

/// The lines the server sends a swarm client, read with a bounded wait and size.
struct ServerLines<'a> {
    reader: BufReader<&'a TcpStream>,
}

impl<'a> ServerLines<'a> {
    fn new(stream: &'a TcpStream) -> ServerLines<'a> {
        ServerLines {
            reader: BufReader::with_capacity(RECV_SIZE, stream),
        }
    }

    fn next(&mut self) -> Result<String, String> {
        let mut raw = Vec::new();
        // take(): one line from the server can never make us hold more than 4 KiB.
        match (&mut self.reader).take(4096).read_until(b'\n', &mut raw) {
            Ok(0) => Err("the server closed the connection".into()),
            Ok(_) => Ok(String::from_utf8_lossy(&raw).trim_end().to_string()),
            Err(err) => Err(hint::describe(&err)),
        }
    }
}

fn swarm_welcome(
    stream: &TcpStream,
    lines: &mut ServerLines,
    report: &mut Report,
) -> Result<(), String> {
    // Bounded waits: a swarm never hangs on a server that stopped answering.
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|err| hint::describe(&err))?;
    let first = lines.next()?;
    report.full = first.contains("server is full");
    report.welcome = first.starts_with("welcome");
    Ok(())
}

fn swarm_talk(
    mut stream: &TcpStream,
    lines: &mut ServerLines,
    messages: u32,
    report: &mut Report,
) -> Result<(), String> {
    let port = report.local.map_or(0, |a| a.port());
    for k in 1..=messages {
        let message = format!("message {k} of {messages} from port {port}\n");
        stream
            .write_all(message.as_bytes())
            .map_err(|err| hint::describe(&err))?;
        // The reply names our port; skip anything else (a console message, say).
        loop {
            let line = lines.next()?;
            if line.starts_with("reply to") && line.contains(&format!(":{port}:")) {
                report.replies += 1;
                break;
            }
        }
    }
    if report.leave == Leave::Exit {
        stream
            .write_all(b"exit\n")
            .map_err(|err| hint::describe(&err))?;
        // Read the goodbye; then the server closes.
        let _ = lines.next();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunk: &[u8]) -> Vec<&[u8]> {
        messages(chunk).collect()
    }

    #[test]
    fn each_line_of_a_recv_is_a_message_without_its_newline() {
        assert_eq!(all(b"hello\n"), [&b"hello"[..]]);
        assert_eq!(all(b"one\r\ntwo\n"), [&b"one"[..], b"two"]);
        assert_eq!(all(b"no newline"), [&b"no newline"[..]]);
    }

    #[test]
    fn empty_lines_are_not_messages() {
        assert!(all(b"").is_empty());
        assert!(all(b"\n\r\n\n").is_empty());
    }

    #[test]
    fn a_line_cut_across_two_recvs_arrives_as_two_pieces_and_no_byte_is_lost() {
        let sent = b"hello\nworld\n";
        for cut in 0..=sent.len() {
            let pieces: Vec<u8> = all(&sent[..cut])
                .into_iter()
                .chain(all(&sent[cut..]))
                .flatten()
                .copied()
                .collect();
            assert_eq!(pieces, b"helloworld", "cut at {cut}");
        }
    }

    #[test]
    fn console_commands_are_understood() {
        assert_eq!(parse_command("/list"), Ok(Some(Command::List)));
        assert_eq!(parse_command("  /help "), Ok(Some(Command::Help)));
        assert_eq!(parse_command("/shutdown"), Ok(Some(Command::Shutdown)));
        assert_eq!(parse_command(""), Ok(None));
        assert_eq!(
            parse_command("/all hello  everyone"),
            Ok(Some(Command::All("hello  everyone".into())))
        );
        assert_eq!(
            parse_command("/send #2 hi"),
            Ok(Some(Command::Send {
                to: Target::Number(2),
                text: "hi".into()
            }))
        );
        assert_eq!(
            parse_command("/send 50312 你好"),
            Ok(Some(Command::Send {
                to: Target::Port(50312),
                text: "你好".into()
            }))
        );
    }

    #[test]
    fn numbers_below_1024_name_a_client_and_larger_ones_a_port() {
        assert_eq!(Target::parse("3"), Some(Target::Number(3)));
        assert_eq!(Target::parse("#3"), Some(Target::Number(3)));
        assert_eq!(Target::parse("#5000"), Some(Target::Number(5000)));
        assert_eq!(Target::parse("1024"), Some(Target::Port(1024)));
        assert_eq!(Target::parse("70000"), None);
        assert_eq!(Target::parse("amy"), None);
    }

    #[test]
    fn console_mistakes_get_a_sentence() {
        assert!(parse_command("/all").is_err());
        assert!(parse_command("/send").is_err());
        assert!(parse_command("/send 2").is_err());
        assert!(parse_command("/send amy hi").is_err());
        assert!(parse_command("/kick 2").unwrap_err().contains("/help"));
        assert!(parse_command("hello").unwrap_err().contains("/all"));
    }

    #[test]
    fn a_swarm_leaves_in_all_three_ways_in_turn() {
        let leaves: Vec<Leave> = (0..6).map(Leave::of).collect();
        assert_eq!(
            leaves,
            [
                Leave::Exit,
                Leave::Close,
                Leave::Reset,
                Leave::Exit,
                Leave::Close,
                Leave::Reset
            ]
        );
    }
}
