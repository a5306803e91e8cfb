//! Lab 4's server, the heart of the lesson. Read mod.rs first (the lesson, the roles
//! and their options), then clients.rs (what the threads share: `Shared`, `Peer`).
//! Here, in order: the main thread that accepts and hands each client to a thread of
//! its own, the shutdown, and the body of a client's thread. The operator's console is
//! in console.rs; how one recv() is cut into messages is in messages.rs.

use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use anyhow::Context;
use socket2::{Domain, Socket, Type};

use super::clients::{Peer, Shared};
use super::console::start_console;
use super::messages::messages;
use super::{ServerArgs, IDLE_NOTICE, RECV_SIZE};
use crate::hint;
use crate::labs::Lab;
use crate::lang::pick;
use crate::net;
use crate::term::{paint, preview, say};

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

// ---------------------------------------------------------------------------------
// The server: the main thread accepts
// ---------------------------------------------------------------------------------

pub(super) fn server(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;
    let listener = listen_for_a_classroom(addr, lab)?;
    // How does a shutdown reach the main thread while it waits in accept()? A blocked
    // accept() cannot be interrupted portably. We make the listener non-blocking:
    // accept() then returns at once with WouldBlock when nobody is waiting, and the
    // loop checks the shutdown flag and sleeps ACCEPT_POLL (50 ms) before trying again.
    // (Lab 6 stops the same way. The other common trick, connecting to ourselves to
    // wake accept(), needs a connection that may fail: a LAN address behind a
    // firewall, every descriptor in use. Polling cannot fail, for 20 wake-ups a second.)
    listener
        .set_nonblocking(true)
        .context("could not make the listening socket non-blocking")?;

    let idle_timeout = Some(Duration::from_secs(args.idle_timeout)).filter(|t| !t.is_zero());
    let shared = Arc::new(Shared::new(idle_timeout));
    // Ctrl-C (SIGINT) and SIGTERM only raise the flag; the main thread does the rest.
    let on_signal = Arc::clone(&shared);
    ctrlc::set_handler(move || on_signal.stop()).context("could not install the Ctrl-C handler")?;
    // Only now, with the handler in place, do we say we listen (see lab 1).
    net::announce_listening(listener.local_addr()?, lab.protocol);
    say!(
        "{}",
        pick(
            "console: type /help for the commands; Ctrl-C or /shutdown stops the server",
            "控制台：输入 /help 查看命令；Ctrl-C 或 /shutdown 停止服务器"
        )
    );
    start_console(Arc::clone(&shared))?;

    let max_clients = args.max_clients as usize;
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    let mut arrivals = 0;
    let mut accept_failures = net::AcceptFailures::default();
    while !shared.stopping() {
        match listener.accept() {
            Ok((stream, peer)) => {
                accept_failures.recovered();
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
                // For example "too many open files": the client waits in the queue. Said
                // once (the floor's sentence), then a pause before each retry.
                accept_failures.failed(&err);
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
    let peer = Arc::new(Peer::new(number, addr, stream));

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
    /// It sent nothing for `--idle-timeout` seconds: told, and closed.
    Idle(Duration),
}

/// The body of a client's thread: talk until the end, then log exactly one end line.
fn serve_client(shared: &Shared, peer: &Peer) {
    let end = talk(peer, shared.idle_timeout);
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
        End::Idle(idle) => say!(
            "[idle] {addr} sent nothing for {} s (--idle-timeout); told and closed",
            idle.as_secs()
        ),
    }
    // close(): the client's recv() returns 0 bytes. (The socket itself is freed when
    // the last Arc<Peer> is dropped; shutdown() ends the connection right now.)
    let _ = peer.stream.shutdown(Shutdown::Both);
}

/// Welcome, then recv and reply until the client leaves (or stays silent too long).
fn talk(peer: &Peer, idle_timeout: Option<Duration>) -> End {
    let me = peer.addr;
    let welcome = format!(
        "welcome, {me}: you are client #{} here. Type a line; `exit` leaves.",
        peer.number
    );
    if let Err(err) = peer.send_line(&welcome) {
        return End::SendFailed(err);
    }
    let tag = paint(&me.to_string(), peer.number);
    // The idle timeout: each recv() waits at most this long (SO_RCVTIMEO). A client
    // that sends nothing for that long is told and closed, so sockets left open in
    // forgotten windows cannot fill --max-clients and lock the class out.
    if let Err(err) = peer.stream.set_read_timeout(idle_timeout) {
        return End::RecvFailed(err);
    }
    // A fixed buffer: however much a client sends, its thread holds RECV_SIZE bytes.
    let mut buf = [0u8; RECV_SIZE];
    loop {
        // recv() blocks this thread only: the other clients have threads of their own.
        let n = match (&peer.stream).read(&mut buf) {
            Ok(0) => return End::Closed,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            // A timed-out recv() shows as WouldBlock on Unix, TimedOut on Windows.
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let idle = idle_timeout.unwrap_or_default();
                let _ = peer.send_line(&format!(
                    "{IDLE_NOTICE} {} s, so the server closes this connection. Reconnect to talk again.",
                    idle.as_secs()
                ));
                return End::Idle(idle);
            }
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
