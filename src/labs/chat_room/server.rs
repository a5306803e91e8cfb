//! The server: listen, accept in a loop, and for each client a writer thread (its
//! outbox to its socket) and a reader thread (its lines, acted on in the room); then
//! `shut_down`, which /shutdown, Ctrl-C and SIGTERM all end in. Read it after room.rs;
//! the administrator's console is in console.rs.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use socket2::{Domain, Socket, Type};

use super::console::administer;
use super::room::{millis_since, shut_down, Gone, Member, Room, Shared};
use super::ServerArgs;
use crate::chat_protocol::{
    check_text, parse_command, validate_nick, Command, Framed, LineFramer, MAX_LINE, MAX_NICK,
};
use crate::hint;
use crate::labs::Lab;
use crate::lang::pick;
use crate::net;
use crate::term::{preview, safe_str, say};

/// A reader thread's stack: its 4 KiB read buffer and a few small frames fit easily.
const READER_STACK: usize = 128 * 1024;
/// A writer thread only moves bytes from its queue to its socket.
const WRITER_STACK: usize = 64 * 1024;
/// A writer sends up to this many queued bytes in one send() call.
const WRITER_BATCH: usize = 8 * 1024;
/// A client that has not taken a single byte for this long is not reading either,
/// even if the room is too quiet to fill its outbox: dropped.
const STUCK_WRITE: Duration = Duration::from_secs(10);
/// How often the accept loop looks whether the room has closed, when nobody arrives.
const ACCEPT_POLL: Duration = Duration::from_millis(50);

/// How many connected clients the kernel may queue before accept() takes them.
/// std's `TcpListener::bind` uses 128; when a whole lecture hall connects in the same
/// second, a full queue makes Linux drop the handshake's last packet, and those
/// clients hang for a second or more until it is resent. Linux caps this number at
/// net.core.somaxconn (4096 on current kernels).
const LISTEN_BACKLOG: i32 = 1024;

/// socket() + setsockopt(SO_REUSEADDR) + bind() + listen(1024): what std's
/// `TcpListener::bind` does in one call, but with a queue long enough for a classroom
/// (lab 1 shows these steps one by one).
fn listen_for_a_lecture_hall(addr: SocketAddr, lab: &Lab) -> anyhow::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)
        .context("could not create a TCP socket")?;
    // Bind again at once after a restart. (On Windows the option lets a second server
    // share the port, so there it stays off, as std leaves it.)
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

pub(super) fn server(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;
    let listener = listen_for_a_lecture_hall(addr, lab)?;
    let local = listener
        .local_addr()
        .context("the listening socket has no address")?;
    let started = Instant::now();
    let shared = Arc::new(Shared {
        room: Mutex::new(Room {
            members: HashMap::new(),
            next_id: 1,
            max: args.max.map(|n| n as usize),
            closing: false,
            waiting: Vec::new(),
            started,
        }),
        started,
        queue: args.queue as usize,
        quiet: args.quiet,
        nick_timeout: Duration::from_secs(args.nick_timeout),
        closed: AtomicBool::new(false),
    });

    // Ctrl-C and SIGTERM do what /shutdown does. The handler runs on a thread of its
    // own (the ctrlc crate's), so it may take the lock like any other thread.
    let on_signal = Arc::clone(&shared);
    let handler = ctrlc::set_handler(move || {
        if on_signal.closing() {
            // A second Ctrl-C while we are already closing: stop waiting.
            std::process::exit(0);
        }
        say!("[signal] Ctrl-C or SIGTERM: shutting down, as /shutdown does");
        shut_down(&on_signal);
    });
    if let Err(err) = handler {
        say!("(Ctrl-C will stop the server without telling the clients: {err})");
    }
    // Only now, with the handler in place, do we say we listen (see lab 1).
    net::announce_listening(local, lab.protocol);
    say!(
        "{}",
        pick(
            "administrator console: type a line to announce it to everyone; /help lists the \
             commands (/kick, /max, /list, /shutdown)",
            "管理员控制台：输入一行文字即可广播给所有人；/help 列出所有命令\
             （/kick、/max、/list、/shutdown）"
        )
    );

    // The console: a thread of its own, so the main thread can sit in accept().
    let console = Arc::clone(&shared);
    thread::Builder::new()
        .name("console".to_string())
        .spawn(move || administer(&console))
        .context("could not start the console thread")?;

    accept_clients(&listener, &shared)?;
    say!("[shutdown] the room is closed");
    Ok(())
}

/// accept() in a loop: each client gets a reader and a writer thread. Returns when
/// the room has closed.
///
/// How does /shutdown (on the console's thread) or Ctrl-C (on the signal handler's)
/// reach this thread while it waits in accept()? std cannot interrupt a blocking
/// call from another thread. So the listener is non-blocking: accept() returns at
/// once, with WouldBlock when nobody is waiting; then the loop looks at `closed` and
/// sleeps ACCEPT_POLL (50 ms) before it tries again. A class connecting at once is
/// taken in one burst, without a sleep between clients. (Lab 4 stops the same way.
/// The other trick, connecting to ourselves to wake accept(), needs a connection that
/// may fail: a listener on a LAN address behind a firewall, every descriptor in use;
/// then the server cannot stop cleanly. Polling cannot fail, for 20 wake-ups a second.)
fn accept_clients(listener: &TcpListener, shared: &Arc<Shared>) -> anyhow::Result<()> {
    listener
        .set_nonblocking(true)
        .context("could not make the listening socket non-blocking")?;
    let mut accept_failures = net::AcceptFailures::default();
    while !shared.closed() {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                // Nobody is waiting to connect: look at `closed` again in a moment.
                thread::sleep(ACCEPT_POLL);
                continue;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                // Usually "too many open files": every descriptor is in use. Said once
                // (the floor's sentence), then a pause instead of spinning, and again.
                accept_failures.failed(&err);
                continue;
            }
        };
        accept_failures.recovered();
        // A client that connected and reset at once has no address any more: skip it.
        let Ok(peer) = stream.peer_addr() else {
            continue;
        };
        if let Err(err) = admit(shared, stream, peer) {
            say!("[error] {peer}: {err:#}");
        }
    }
    Ok(())
}

/// Lets a newcomer in (or tells it the room is full) and starts its two threads.
fn admit(shared: &Arc<Shared>, stream: TcpStream, peer: SocketAddr) -> anyhow::Result<()> {
    // The nickname deadline runs from the connect: a peer trickling a byte at a time
    // cannot push it back.
    let deadline = Instant::now() + shared.nick_timeout;
    // On Windows and macOS an accepted socket inherits the listener's non-blocking
    // mode; this client's threads want recv() and send() to wait.
    stream
        .set_nonblocking(false)
        .context("could not make the client's socket blocking")?;
    let admitted = shared.with_room(|room, log| {
        // Only members with a nickname count against the cap (see `Room::online`).
        let here = room.online();
        match room.max {
            // /shutdown has begun: this newcomer just closes with the rest.
            _ if room.closing => Err(None),
            Some(max) if here >= max => {
                log.push(format!(
                    "[full] {peer} turned away: the room is full ({here} of {max})"
                ));
                Err(Some(max))
            }
            _ => {
                room.next_id += 1;
                Ok(room.next_id)
            }
        }
    });
    let id = match admitted {
        Ok(id) => id,
        Err(Some(max)) => {
            turn_away(&stream, max);
            return Ok(());
        }
        Err(None) => return Ok(()),
    };

    // One socket, three owners: the reader, the writer and the room. `&TcpStream`
    // reads and writes, so an `Arc` shares it without dup()ing the descriptor.
    let stream = Arc::new(stream);
    let (outbox, queued) = mpsc::sync_channel(shared.queue);
    let writing_since = Arc::new(AtomicU64::new(0));

    let writer = {
        let (shared, stream) = (Arc::clone(shared), Arc::clone(&stream));
        let writing_since = Arc::clone(&writing_since);
        thread::Builder::new()
            .name(format!("writer {peer}"))
            .stack_size(WRITER_STACK)
            .spawn(move || write_queued(&shared, id, &stream, queued, &writing_since))
            .context("could not start a thread for this client (too many threads?)")?
    };
    let count = shared.with_room(|room, log| {
        room.members.insert(
            id,
            Member {
                nick: None,
                key: None,
                peer,
                outbox,
                stream: Arc::clone(&stream),
                writer,
                writing_since,
            },
        );
        log.push(format!("[connect] {peer} (choosing a nickname)"));
        room.online()
    });
    shared.send(
        id,
        &format!(
            "* welcome to the chat room ({count} online). Choose a nickname: 1-{MAX_NICK} \
             characters, no spaces"
        ),
    );

    let reader = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name(format!("reader {peer}"))
        .stack_size(READER_STACK)
        .spawn(move || serve_client(&reader, id, &stream, deadline));
    if let Err(err) = spawned {
        shared.leave(
            id,
            Gone::Failed("the server could not start a thread for it".to_string()),
        );
        return Err(err).context("could not start a thread for this client (too many threads?)");
    }
    Ok(())
}

/// Tells a newcomer the room is full and closes. The socket is new and its send
/// buffer empty, so this short write does not wait (the timeout is a safety net).
fn turn_away(mut stream: &TcpStream, max: usize) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let line = format!("! the room is full ({max} at most); try again later\n");
    let _ = stream.write_all(line.as_bytes());
    // shutdown(Write) sends FIN after the line, so the client reads it, then EOF.
    let _ = stream.shutdown(Shutdown::Write);
}

/// A client's writer thread: takes lines from its outbox and writes them, a batch
/// per write() when several are waiting. Ends when the room drops the outbox (the
/// client left) or a write fails; then it shuts the socket, which also ends the reader.
fn write_queued(
    shared: &Shared,
    id: u64,
    mut stream: &TcpStream,
    queued: Receiver<Arc<str>>,
    writing_since: &AtomicU64,
) {
    // A write() that waits this long means the client has not read anything for that
    // long while its buffers are full: it is not reading, so it is dropped.
    let _ = stream.set_write_timeout(Some(STUCK_WRITE));
    while let Ok(first) = queued.recv() {
        // Usually one line is waiting: it is sent as it is. After a burst, what else
        // is queued (up to WRITER_BATCH bytes) goes in the same send(): fewer system
        // calls. The batch is freed afterwards, so an idle client holds no buffer.
        let mut batch: Option<Vec<u8>> = None;
        while batch.as_ref().map_or(first.len(), Vec::len) < WRITER_BATCH {
            match queued.try_recv() {
                Ok(next) => batch
                    .get_or_insert_with(|| first.as_bytes().to_vec())
                    .extend_from_slice(next.as_bytes()),
                Err(_) => break,
            }
        }
        let bytes = batch.as_deref().unwrap_or(first.as_bytes());
        // send(): returns once the kernel has taken the bytes. It waits only when the
        // client's receive buffer and our send buffer are both full.
        writing_since.store(millis_since(shared.started), Ordering::SeqCst);
        let written = stream.write_all(bytes);
        writing_since.store(0, Ordering::SeqCst);
        if let Err(err) = written {
            let gone = match err.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Gone::NotReading(format!(
                    "it took no bytes for {} s: it is not reading",
                    STUCK_WRITE.as_secs()
                )),
                _ => Gone::Failed(hint::describe(&err)),
            };
            shared.leave(id, gone);
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// What the reader does next.
enum Flow {
    Continue,
    Quit,
    /// The client is no longer in the room (kicked, dropped): stop reading.
    Gone,
}

/// A client's reader thread: reads lines and acts on them until the client leaves.
fn serve_client(shared: &Shared, id: u64, mut stream: &TcpStream, deadline: Instant) {
    let mut framer = LineFramer::new(MAX_LINE);
    let mut buf = [0u8; 4096];
    let mut lines = Vec::new();
    // Until it has a nickname, the connection has until `deadline` (`--nick-timeout`
    // after it connected): each recv() waits at most the time that is left
    // (SO_RCVTIMEO), so a connection that never says who it is, or says it one byte
    // a minute, cannot hold its threads for ever. Once it has joined, it may stay
    // silent as long as it likes.
    let mut named = false;
    let gone = 'reading: loop {
        if !named {
            let left = deadline.saturating_duration_since(Instant::now());
            // A zero timeout means "no timeout" to the OS: time is up instead.
            if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
                break no_nick_in_time(shared, id);
            }
        }
        // recv(): blocks until bytes arrive. Ok(0) is the client closing its side.
        let n = match stream.read(&mut buf) {
            Ok(0) => break Gone::Closed,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) if !named && is_timeout(&err) => break no_nick_in_time(shared, id),
            Err(err) => break Gone::Failed(hint::describe(&err)),
        };
        framer.push(&buf[..n], &mut lines);
        for framed in lines.drain(..) {
            match on_line(shared, id, framed) {
                Flow::Continue => {}
                Flow::Quit => break 'reading Gone::Quit,
                Flow::Gone => return,
            }
        }
        if !named && shared.has_nick(id) {
            named = true;
            let _ = stream.set_read_timeout(None);
        }
    };
    shared.leave(id, gone);
}

/// The nickname deadline passed: say so, and go.
fn no_nick_in_time(shared: &Shared, id: u64) -> Gone {
    let secs = shared.nick_timeout.as_secs();
    shared.send(id, &format!("! no nickname after {secs} s; closing"));
    Gone::Failed(format!("gave no nickname in {secs} s"))
}

/// A read timeout shows as WouldBlock on Unix and TimedOut on Windows.
fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// One line from a client: a nickname while it has none, then chat and commands.
fn on_line(shared: &Shared, id: u64, framed: Framed) -> Flow {
    let bytes = match framed {
        Framed::Line(bytes) => bytes,
        Framed::TooLong => {
            shared.send(
                id,
                &format!("! that line was longer than {MAX_LINE} bytes; it was dropped"),
            );
            return Flow::Continue;
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        shared.send(
            id,
            "! that line was not UTF-8 text (this room speaks UTF-8; a GBK terminal? see lab 2); \
             it was dropped",
        );
        return Flow::Continue;
    };
    let nick = match shared.lock().members.get(&id) {
        None => return Flow::Gone,
        Some(member) => member.nick.clone(),
    };
    match nick {
        None => choose_nick(shared, id, text.trim()),
        Some(nick) => act(shared, id, &nick, parse_command(&text)),
    }
}

/// The first lines: the client's nickname.
fn choose_nick(shared: &Shared, id: u64, wanted: &str) -> Flow {
    if wanted.eq_ignore_ascii_case("/quit") {
        shared.send(id, "* bye");
        return Flow::Quit;
    }
    if wanted.is_empty() {
        return Flow::Continue;
    }
    if let Err(why) = validate_nick(wanted) {
        let text = if wanted.starts_with('/') {
            "first choose a nickname (or /quit)".to_string()
        } else {
            why
        };
        shared.send(id, &format!("! {text}. Choose a nickname:"));
        return Flow::Continue;
    }
    shared.with_room(|room, log| {
        if let Some(line) = taken(room, id, wanted) {
            room.send(id, &format!("{line}. Choose another:"), log);
            return Flow::Continue;
        }
        // The cap counts members with a nickname: the room may have filled up while
        // this one was choosing.
        if let Some(max) = room.max.filter(|&max| room.online() >= max) {
            room.send(
                id,
                &format!("! the room is full ({max} at most); try again later"),
                log,
            );
            room.remove(id, Gone::Full(max), log);
            return Flow::Gone;
        }
        let Some(member) = room.members.get_mut(&id) else {
            return Flow::Gone;
        };
        member.set_nick(wanted);
        let peer = member.peer;
        let online = room.online();
        log.push(format!("[join] {wanted} {peer} ({online} online)"));
        let here = room.nick_list();
        room.send(
            id,
            &format!("* welcome, {wanted}! Online ({online}): {here}. /help lists the commands"),
            log,
        );
        room.broadcast(
            &format!("* {wanted} joined ({online} online)"),
            Some(id),
            log,
        );
        Flow::Continue
    })
}

/// `! nickname "ALICE" is taken` (another member has that name in some case), or
/// `! nickname "aIice" looks too much like "alice", who is here` (the same once
/// confusable letters are mapped, as Unicode TR39 does); `None` if it is free.
fn taken(room: &Room, id: u64, wanted: &str) -> Option<String> {
    let (other, nick) = room.lookalike(wanted, id)?;
    if room.find(wanted) == Some(other) {
        Some(format!("! nickname \"{wanted}\" is taken"))
    } else {
        Some(format!(
            "! nickname \"{wanted}\" looks too much like \"{nick}\", who is here"
        ))
    }
}

/// A line from a client who has joined.
fn act(shared: &Shared, id: u64, nick: &str, command: Command) -> Flow {
    match command {
        Command::Nothing => {}
        Command::Say(text) => match check_text(text) {
            Err(why) => shared.send(id, &format!("! {why}; the line was dropped")),
            Ok(text) => {
                // The stamp: the server, not the client, writes who is speaking.
                let line = format!("<{nick}> {text}");
                shared.with_room(|room, log| room.broadcast(&line, Some(id), log));
                if !shared.quiet {
                    say!("{}", safe_str(&line));
                }
            }
        },
        Command::Msg { to, text } => match check_text(text) {
            Err(why) => shared.send(id, &format!("! {why}; the line was dropped")),
            Ok(text) => shared.with_room(|room, log| {
                let Some(target) = room.find(to) else {
                    // Escaped, as everything a peer sent: this goes back to a terminal.
                    let to = preview(to.as_bytes(), 40);
                    let line = format!("! nobody called \"{to}\" is here; /list shows who is");
                    room.send(id, &line, log);
                    return;
                };
                let to = room.members[&target].nick.clone().unwrap_or_default();
                room.send(target, &format!("[private] <{nick}> {text}"), log);
                room.send(id, &format!("[private to {to}] {text}"), log);
                // The administrator sees that it happened, not what was said.
                log.push(format!("[private] {nick} -> {to} ({} bytes)", text.len()));
            }),
        },
        Command::List => shared.with_room(|room, log| {
            let line = format!("* online ({}): {}", room.online(), room.nick_list());
            room.send(id, &line, log);
        }),
        Command::Nick(new) => change_nick(shared, id, nick, new),
        Command::Help => shared.send(id, CLIENT_HELP),
        Command::Quit => {
            shared.send(id, &format!("* bye, {nick}"));
            return Flow::Quit;
        }
        Command::Usage(usage) => shared.send(id, &format!("! usage: {usage}")),
        Command::Unknown(word) => shared.send(
            id,
            &format!(
                "! unknown command {}; /help lists the commands (start a line with // \
                 to say something that begins with /)",
                preview(word.as_bytes(), 40)
            ),
        ),
    }
    Flow::Continue
}

const CLIENT_HELP: &str = "* commands:
*   text             say text to everyone
*   /msg NICK text   say text to NICK only
*   /list            who is here
*   /nick NEWNAME    change your nickname
*   /help            this list
*   /quit            leave
*   //text           say a line that starts with /";

fn change_nick(shared: &Shared, id: u64, old: &str, new: &str) {
    if let Err(why) = validate_nick(new) {
        shared.send(id, &format!("! {why}; you are still {old}"));
        return;
    }
    shared.with_room(|room, log| {
        // Taken by someone else? (alice may become Alice: that is still her.)
        if let Some(line) = taken(room, id, new) {
            room.send(id, &format!("{line}; you are still {old}"), log);
            return;
        }
        let Some(member) = room.members.get_mut(&id) else {
            return;
        };
        member.set_nick(new);
        log.push(format!("[nick] {old} is now {new}"));
        room.send(id, &format!("* you are now {new}"), log);
        room.broadcast(&format!("* {old} is now known as {new}"), Some(id), log);
    });
}
