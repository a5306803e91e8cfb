//! The server: socket, SO_REUSEADDR, bind, listen, and then one client at a time, as
//! in lab 1. It answers each line with `echo: LINE`, and after each step prints what
//! the OS holds for its sockets: the listening socket and the connection.
//!
//! It does NOT close a connection when the client closes (recv() returns 0): it says
//! so, and waits for you to type `/close`. A server that forgets close() is exactly
//! what leaves sockets in CLOSE-WAIT; here you see it happen, on purpose.

use std::io::ErrorKind;
use std::net::SocketAddr;

use anyhow::Context;
use socket2::{Domain, Socket, Type};

use super::conversation::{commands_help, Conversation, Keyboard, OsView, Side, Step, Typed};
use super::ServerArgs;
use crate::hint;
use crate::labs::Lab;
use crate::lang::{pick, tr};
use crate::net;
use crate::term::{self, say};

/// How long the loop waits for a typed line while no client is connected, before it
/// tries accept() again.
const ACCEPT_TICK: std::time::Duration = std::time::Duration::from_millis(50);

pub fn run(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;

    // socket(): a TCP socket, not yet on the network.
    let listener =
        Socket::new(Domain::for_address(addr), Type::STREAM, None).context("socket() failed")?;

    // SO_REUSEADDR lets bind() take the port while an old connection on it is still in
    // TIME-WAIT (after a restart). Without it (`--no-reuseaddr`, as in the classic
    // Python server) bind() fails for about a minute. On Windows the option means
    // something else ("share the port with a running server") and bind() is not
    // blocked by TIME-WAIT; there the safe choice is SO_EXCLUSIVEADDRUSE, so we leave
    // SO_REUSEADDR alone.
    let reuse = cfg!(unix) && !args.no_reuseaddr;
    if reuse {
        listener
            .set_reuse_address(true)
            .context("setsockopt(SO_REUSEADDR) failed")?;
    }

    // bind() and listen(): from now on the kernel completes handshakes by itself and
    // queues up to `backlog` connected clients for accept().
    listener
        .bind(&addr.into())
        .map_err(|err| bind_failed(err, addr, reuse, lab))?;
    listener.listen(args.backlog).context("listen() failed")?;
    let local = listener
        .local_addr()?
        .as_socket()
        .context("the listening socket has no IP address")?;

    term::stop_on_ctrl_c()?;
    net::announce_listening(local, lab.protocol);
    say!(
        "socket(); {}bind({local}); listen({})",
        if reuse {
            "setsockopt(SO_REUSEADDR, 1); "
        } else {
            ""
        },
        args.backlog
    );

    // accept() must not block: the loop also watches the keyboard. Non-blocking, it
    // returns WouldBlock when no client is waiting.
    listener
        .set_nonblocking(true)
        .context("could not make the listening socket non-blocking")?;
    let mut listener = Some(listener);
    let mut view = OsView::new(Side::Server);
    view.watch_listener(local);
    view.show_listener_only();
    let help = commands_help();
    say!(
        "{}",
        tr!(
            "{help}\n  /unlisten  close() the listening socket (the connection lives on)",
            "{help}\n  /unlisten  close() 监听套接字（已建立的连接继续存在）"
        )
    );
    say!("accept() waiting...");

    let mut keyboard = Keyboard::start();
    let mut conversation: Option<Conversation> = None;
    // accept() failing (too many open files, ...): said once, then a pause per retry.
    let mut accept_failures = net::AcceptFailures::default();
    loop {
        let wait = if conversation.is_some() {
            std::time::Duration::ZERO
        } else {
            ACCEPT_TICK
        };
        if let Typed::Line(line) = keyboard.poll(wait) {
            match (line.trim(), &mut conversation) {
                ("/unlisten", _) => {
                    // close() on the listening socket: no new clients (their connect()
                    // is refused); the connection we have lives on.
                    if listener.take().is_some() {
                        say!("close() the listening socket -> ok");
                        view.listener_closed();
                        match &conversation {
                            Some(c) => view.show(c),
                            None => view.show_listener_only(),
                        }
                    } else {
                        say!("the listening socket is closed already");
                    }
                }
                ("/help", _) => {
                    let help = commands_help();
                    say!(
                        "{}",
                        tr!(
                            "{help}\n  /unlisten  close() the listening socket",
                            "{help}\n  /unlisten  close() 监听套接字"
                        )
                    )
                }
                (_, Some(c)) => {
                    if c.typed(&line, &mut view) == Step::Closed {
                        conversation = None;
                        next_client(&listener);
                    }
                }
                ("/states", None) => view.show_listener_only(),

                (_, None) => say!(
                    "{}",
                    pick(
                        "no client is connected: only /states, /unlisten or /help now",
                        "没有客户端连接：现在只能用 /states、/unlisten 或 /help"
                    )
                ),
            }
        }
        // (End of input: the server goes on serving; Ctrl-C stops it.)

        if let Some(c) = &mut conversation {
            if c.receive(&mut view) == Step::Closed {
                conversation = None;
                next_client(&listener);
            }
        } else if let Some(l) = &listener {
            match l.accept() {
                Ok((conn, peer)) => {
                    accept_failures.recovered();
                    let peer = peer.as_socket().context("the client has no IP address")?;
                    say!("accept() -> {peer}");
                    // (On macOS and Windows the new socket inherits non-blocking from
                    // the listener; Conversation wants it blocking, with a timeout.)
                    conn.set_nonblocking(false)?;
                    let mine = conn
                        .local_addr()?
                        .as_socket()
                        .context("the connection has no IP address")?;
                    view.watch_connection(mine, peer);
                    let c = Conversation::new(Side::Server, conn, mine, peer)?;
                    view.show(&c);
                    conversation = Some(c);
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                Err(err) => accept_failures.failed(&err),
            }
        } else {
            say!("no listening socket and no client: the server is done");
            return Ok(());
        }
        view.changes(conversation.as_ref());
    }
}

/// Back to accept() for the next client, if we still listen.
fn next_client(listener: &Option<Socket>) {
    if listener.is_some() {
        say!("accept() waiting...");
    }
}

/// bind() failed. "In use" may be only an old connection in TIME-WAIT: say how to
/// tell, and what helps.
fn bind_failed(err: std::io::Error, addr: SocketAddr, reuse: bool, lab: &Lab) -> anyhow::Error {
    let in_use = err.kind() == ErrorKind::AddrInUse;
    let sentence = hint::bind_failed(err, addr, lab.protocol);
    if !in_use || !cfg!(unix) {
        return sentence;
    }
    let port = addr.port();
    let fix = if reuse {
        pick(
            "wait for it to end (about a minute): the old server did not set SO_REUSEADDR \
             (--no-reuseaddr), and on Linux both must have it",
            "等它结束（大约一分钟），因为旧的服务器没有设置 SO_REUSEADDR（--no-reuseaddr），\
             而在 Linux 上两边都必须设置它",
        )
    } else {
        pick(
            "wait for it to end (about a minute), or start without --no-reuseaddr",
            "等它结束（大约一分钟），或者启动时不加 --no-reuseaddr",
        )
    };
    let number = lab.number;
    anyhow::anyhow!(tr!(
        "{sentence}. If `lab {number} states --port {port}` shows no LISTEN row, only \
         TIME-WAIT, an old connection of a server that closed first holds the port: {fix}",
        "{sentence}。如果 `lab {number} states --port {port}` 显示没有 LISTEN 行，只有 \
         TIME-WAIT，那么占着这个端口的是先关闭的那个服务器留下的旧连接：{fix}"
    ))
}
