//! The server: the runtime, accept in a loop, and for each client a writer task (its
//! outbox to its socket) and a reader task (its lines, acted on in the room); then
//! `shut_down`. Read it after room.rs.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use socket2::{Domain, Socket, Type};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{self, Receiver, UnboundedReceiver, UnboundedSender};

use super::console::admin;
use super::room::{Gone, Member, News, Room, Shared, NEWS_EVERY};
use super::ServerArgs;
use crate::chat_protocol::{
    check_text, parse_command, thousands, validate_nick, Command, Framed, LineFramer, MAX_LINE,
    MAX_NICK,
};
use crate::hint;
use crate::labs::Lab;
use crate::lang::pick;
use crate::net;
use crate::term::{safe_str, say, Lines};

/// A writer sends up to this many queued bytes in one write() after a burst.
const WRITER_BATCH: usize = 8 * 1024;
/// A client that takes not a single byte for this long is not reading.
const STUCK_WRITE: Duration = Duration::from_secs(10);
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
const LISTEN_BACKLOG: i32 = 1024;

/// What the console thread and the Ctrl-C handler send to the main task.
pub(super) enum Wake {
    Console(String),
    ConsoleEnd,
    Signal,
}

pub(super) fn server(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    let files = net::raise_open_file_limit();
    let (wake_tx, wakes) = mpsc::unbounded_channel();

    // Ctrl-C and SIGTERM, before `listening on`; the handler only tells the main task.
    let stopping = Arc::new(AtomicBool::new(false));
    {
        let (tx, stopping) = (wake_tx.clone(), Arc::clone(&stopping));
        let handler = ctrlc::set_handler(move || {
            if stopping.load(Ordering::SeqCst) {
                std::process::exit(0);
            }
            let _ = tx.send(Wake::Signal);
        });
        if let Err(err) = handler {
            say!("(Ctrl-C will stop the server without telling the clients: {err})");
        }
    }

    // The runtime: worker threads that run the tasks, and the reactor (an event
    // loop, as in lab 9) that wakes a task when its socket is ready.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = args.workers {
        builder.worker_threads(workers as usize);
    }
    let runtime = builder
        .enable_all()
        .build()
        .context("could not start the async runtime")?;
    runtime.block_on(serve(args, lab, files, wake_tx, wakes, stopping))
}

/// socket() + SO_REUSEADDR + bind() + listen(1024), as lab 6 does, then handed to
/// tokio (non-blocking).
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
    TcpListener::from_std(socket.into()).context("could not hand the socket to tokio")
}

async fn serve(
    args: ServerArgs,
    lab: &Lab,
    files: Option<u64>,
    wake_tx: UnboundedSender<Wake>,
    mut wakes: UnboundedReceiver<Wake>,
    stopping: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;
    let listener = listen(addr, lab)?;
    let local = listener
        .local_addr()
        .context("the listening socket has no address")?;
    net::announce_listening(local, lab.protocol);
    if let Some(files) = files {
        say!(
            "a task per client on {} worker thread(s); open-file limit {}",
            args.workers.map_or_else(
                || thread::available_parallelism().map_or(1, |n| n.get()),
                |w| w as usize
            ),
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
    let shared = Arc::new(Shared {
        room: Mutex::new(Room {
            members: BTreeMap::new(),
            nicks: BTreeMap::new(),
            next_id: 0,
            max: args.max.map(|n| n as usize),
            closing: false,
            news: News::default(),
            waiting: Vec::new(),
            log: Vec::new(),
        }),
        queue: args.queue as usize,
        quiet: args.quiet,
        nick_timeout: Duration::from_secs(args.nick_timeout),
    });

    // The console: a plain thread, since reading a terminal blocks.
    thread::Builder::new()
        .name("console".to_string())
        .spawn(move || {
            let mut console = Lines::from_stdin();
            while let Some(line) = console.read("") {
                if wake_tx.send(Wake::Console(line)).is_err() {
                    return;
                }
            }
            let _ = wake_tx.send(Wake::ConsoleEnd);
        })
        .context("could not start the console thread")?;

    // News gathered in a busy room goes out when its window is over.
    let ticker = Arc::clone(&shared);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(NEWS_EVERY / 4).await;
            let due = {
                let room = ticker.lock();
                room.news.due(room.online())
            };
            if due.is_some_and(|due| due <= Instant::now()) {
                ticker.with_room(|room| room.flush_news()).await;
            }
        }
    });

    // The main task: accept() or a line from the console, whichever comes first.
    let mut accept_failures = net::AcceptFailures::default();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    accept_failures.recovered();
                    admit(&shared, stream, peer).await
                }
                Err(err) => {
                    // Usually "too many open files": said once (the floor's sentence),
                    // then a pause (without blocking the runtime) before trying again.
                    accept_failures.say_once(&err);
                    tokio::time::sleep(net::ACCEPT_RETRY_PAUSE).await;
                }
            },
            wake = wakes.recv() => match wake {
                Some(Wake::Console(line)) => admin(&shared, &line).await,
                Some(Wake::ConsoleEnd) | None => say!(
                    "{}",
                    pick(
                        "console: end of input (stdin closed). The room keeps running without an \
                         administrator; Ctrl-C or SIGTERM shuts it down",
                        "控制台：输入结束（stdin 已关闭）。聊天室在没有管理员的情况下继续运行；\
                         Ctrl-C 或 SIGTERM 会关闭它"
                    )
                ),
                Some(Wake::Signal) => {
                    say!("[signal] Ctrl-C or SIGTERM: shutting down, as /shutdown does");
                    shared.lock().closing = true;
                }
            },
        }
        if shared.closing() {
            break;
        }
    }
    stopping.store(true, Ordering::SeqCst);
    drop(listener);
    shut_down(&shared).await;
    say!("[shutdown] the room is closed");
    Ok(())
}

/// A newcomer: turned away if the room is full; otherwise a writer and a reader task.
async fn admit(shared: &Arc<Shared>, stream: TcpStream, peer: SocketAddr) {
    let _ = stream.set_nodelay(true);
    let admitted = {
        let mut room = shared.lock();
        let here = room.members.len();
        match room.max {
            Some(max) if here >= max => Err((max, here)),
            _ => {
                room.next_id += 1;
                Ok(room.next_id)
            }
        }
    };
    let id = match admitted {
        Ok(id) => id,
        Err((max, here)) => {
            say!("[full] {peer} turned away: the room is full ({here} of {max})");
            tokio::spawn(turn_away(stream, max));
            return;
        }
    };
    let (reader, writer) = stream.into_split();
    let (outbox, queued) = mpsc::channel(shared.queue);
    let writer = tokio::spawn(write_queued(Arc::clone(shared), id, writer, queued));
    shared
        .with_room(|room| {
            room.members.insert(
                id,
                Member {
                    nick: None,
                    peer,
                    outbox,
                    writer,
                    reader: None,
                },
            );
            room.log
                .push(format!("[connect] {peer} (choosing a nickname)"));
            let online = thousands(room.online());
            room.send(
                id,
                &format!(
                    "* welcome to the chat room ({online} online). Choose a nickname: \
                     1-{MAX_NICK} characters, no spaces"
                ),
            );
        })
        .await;
    let task = tokio::spawn(read_lines(Arc::clone(shared), id, reader));
    if let Some(member) = shared.lock().members.get_mut(&id) {
        member.reader = Some(task.abort_handle());
    }
}

/// Tells a newcomer the room is full and closes (FIN after the line).
async fn turn_away(mut stream: TcpStream, max: usize) {
    let line = format!("! the room is full ({max} at most); try again later\n");
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(line.as_bytes())).await;
    let _ = stream.shutdown().await;
}

/// A client's writer task: lines from its outbox to its socket, several per write()
/// after a burst. Ends when the room drops the outbox (the client left: what is
/// queued is sent first) or a write fails.
async fn write_queued(
    shared: Arc<Shared>,
    id: u64,
    mut writer: OwnedWriteHalf,
    mut queued: Receiver<Arc<str>>,
) {
    while let Some(first) = queued.recv().await {
        // Usually one line: written as it is. After a burst, what else is queued goes
        // in the same write; the batch is freed afterwards.
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
        // `.await`: this task is parked until the socket takes the bytes; the worker
        // thread runs other tasks meanwhile.
        let gone = match tokio::time::timeout(STUCK_WRITE, writer.write_all(bytes)).await {
            Ok(Ok(())) => continue,
            Ok(Err(err)) => Gone::Failed(hint::describe(&err)),
            Err(_) => Gone::NotReading(format!(
                "it took no bytes for {} s: it is not reading",
                STUCK_WRITE.as_secs()
            )),
        };
        shared.leave(id, gone).await;
        return;
    }
    let _ = writer.shutdown().await;
}

/// A client's reader task: waits for bytes, cuts lines, acts on them.
async fn read_lines(shared: Arc<Shared>, id: u64, reader: OwnedReadHalf) {
    let mut framer = LineFramer::new(MAX_LINE);
    let mut lines = Vec::new();
    let deadline = tokio::time::Instant::now() + shared.nick_timeout;
    let mut named = false;
    let gone = 'reading: loop {
        // Wait for readiness (no buffer is held while waiting)...
        let ready = if named {
            reader.readable().await
        } else {
            match tokio::time::timeout_at(deadline, reader.readable()).await {
                Ok(ready) => ready,
                Err(_) => {
                    let secs = shared.nick_timeout.as_secs();
                    shared
                        .send(id, &format!("! no nickname after {secs} s; closing"))
                        .await;
                    break Gone::Failed(format!("gave no nickname in {secs} s"));
                }
            }
        };
        if let Err(err) = ready {
            break Gone::Failed(hint::describe(&err));
        }
        // ...then read what is there into a buffer that lives only for this step:
        // its block ends before the next `.await`, so it is not kept in the task.
        {
            let mut buf = [0u8; 4096];
            match reader.try_read(&mut buf) {
                Ok(0) => break Gone::Closed,
                Ok(n) => framer.push(&buf[..n], &mut lines),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => continue,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => break Gone::Failed(hint::describe(&err)),
            }
        }
        for framed in std::mem::take(&mut lines) {
            // Boxed: acting on a line needs a large future (commands, the room, a
            // late delivery), but only for a moment. Inline, every idle task would
            // carry room for it; boxed, it is allocated while a line is handled.
            match Box::pin(on_line(&shared, id, framed)).await {
                Flow::Continue => {}
                Flow::Quit => break 'reading Gone::Quit,
                Flow::Gone => return,
            }
        }
        if !named {
            named = shared
                .lock()
                .members
                .get(&id)
                .is_some_and(|m| m.nick.is_some());
        }
    };
    shared.leave(id, gone).await;
}

enum Flow {
    Continue,
    Quit,
    Gone,
}

async fn on_line(shared: &Shared, id: u64, framed: Framed) -> Flow {
    let bytes = match framed {
        Framed::Line(bytes) => bytes,
        Framed::TooLong => {
            let line = format!("! that line was longer than {MAX_LINE} bytes; it was dropped");
            shared.send(id, &line).await;
            return Flow::Continue;
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        shared
            .send(
                id,
                "! that line was not UTF-8 text (this room speaks UTF-8; a GBK terminal? see \
                 lab 2); it was dropped",
            )
            .await;
        return Flow::Continue;
    };
    let nick = match shared.lock().members.get(&id) {
        None => return Flow::Gone,
        Some(member) => member.nick.clone(),
    };
    match nick {
        None => choose_nick(shared, id, text.trim()).await,
        Some(nick) => act(shared, id, &nick, parse_command(&text)).await,
    }
}

async fn choose_nick(shared: &Shared, id: u64, wanted: &str) -> Flow {
    if wanted.eq_ignore_ascii_case("/quit") {
        shared.send(id, "* bye").await;
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
        shared
            .send(id, &format!("! {text}. Choose a nickname:"))
            .await;
        return Flow::Continue;
    }
    shared
        .with_room(|room| {
            if room.find(wanted).is_some() {
                room.send(
                    id,
                    &format!("! nickname \"{wanted}\" is taken. Choose another:"),
                );
            } else {
                room.join(id, wanted);
            }
        })
        .await;
    Flow::Continue
}

async fn act(shared: &Shared, id: u64, nick: &str, command: Command<'_>) -> Flow {
    match command {
        Command::Nothing => {}
        Command::Say(text) => match check_text(text) {
            Err(why) => {
                shared
                    .send(id, &format!("! {why}; the line was dropped"))
                    .await
            }
            Ok(text) => {
                // The stamp: the server, not the client, writes who is speaking.
                let line = format!("<{nick}> {text}");
                shared
                    .with_room(|room| room.broadcast(&line, Some(id)))
                    .await;
                if !shared.quiet {
                    say!("{}", safe_str(&line));
                }
            }
        },
        Command::Msg { to, text } => match check_text(text) {
            Err(why) => {
                shared
                    .send(id, &format!("! {why}; the line was dropped"))
                    .await
            }
            Ok(text) => {
                shared
                    .with_room(|room| {
                        let Some(target) = room.find(to) else {
                            let line =
                                format!("! nobody called \"{to}\" is here; /list shows who is");
                            room.send(id, &line);
                            return;
                        };
                        let to = room.members[&target].nick.clone().unwrap_or_default();
                        room.send(target, &format!("[private] <{nick}> {text}"));
                        room.send(id, &format!("[private to {to}] {text}"));
                        // The administrator sees that it happened, not what was said.
                        let bytes = text.len();
                        room.log
                            .push(format!("[private] {nick} -> {to} ({bytes} bytes)"));
                    })
                    .await
            }
        },
        Command::List => {
            shared
                .with_room(|room| {
                    let line = format!(
                        "* online ({}): {}",
                        thousands(room.online()),
                        room.member_names()
                    );
                    room.send(id, &line);
                })
                .await
        }
        Command::Nick(new) => change_nick(shared, id, nick, new).await,
        Command::Help => shared.send(id, CLIENT_HELP).await,
        Command::Quit => {
            shared.send(id, &format!("* bye, {nick}")).await;
            return Flow::Quit;
        }
        Command::Usage(usage) => shared.send(id, &format!("! usage: {usage}")).await,
        Command::Unknown(word) => {
            let line = format!(
                "! unknown command {word}; /help lists the commands (start a line with // \
                 to say something that begins with /)"
            );
            shared.send(id, &line).await
        }
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

async fn change_nick(shared: &Shared, id: u64, old: &str, new: &str) {
    if let Err(why) = validate_nick(new) {
        shared
            .send(id, &format!("! {why}; you are still {old}"))
            .await;
        return;
    }
    shared
        .with_room(|room| {
            if room.find(new).is_some_and(|other| other != id) {
                room.send(
                    id,
                    &format!("! nickname \"{new}\" is taken; you are still {old}"),
                );
                return;
            }
            let Some(member) = room.members.get_mut(&id) else {
                return;
            };
            member.nick = Some(new.to_string());
            room.nicks.remove(&old.to_lowercase());
            room.nicks.insert(new.to_lowercase(), id);
            room.log.push(format!("[nick] {old} is now {new}"));
            room.send(id, &format!("* you are now {new}"));
            room.broadcast(&format!("* {old} is now known as {new}"), Some(id));
        })
        .await;
}

/// /shutdown, Ctrl-C, SIGTERM: tell everyone, let the writers send it (at most
/// `SHUTDOWN_GRACE`), then return: dropping the runtime stops every task and closes
/// every socket.
async fn shut_down(shared: &Shared) {
    let members = {
        let mut room = shared.lock();
        room.closing = true;
        std::mem::take(&mut room.members)
    };
    say!(
        "[shutdown] telling everyone ({} connected) and closing every connection",
        thousands(members.len())
    );
    let goodbye: Arc<str> = "[admin] the server is shutting down. Goodbye!\n".into();
    let mut writers = Vec::new();
    for member in members.into_values() {
        if let Some(reader) = &member.reader {
            reader.abort();
        }
        if member.outbox.try_send(Arc::clone(&goodbye)).is_err() {
            member.writer.abort();
        }
        // Dropping the outbox: the writer sends what is queued, then closes.
        drop(member.outbox);
        writers.push(member.writer);
    }
    let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
    for writer in writers {
        let _ = tokio::time::timeout_at(deadline, writer).await;
    }
}
