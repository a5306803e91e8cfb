//! The client: connect, then the same conversation as the server's side. Each line
//! you type is sent with its newline; the server's answer is printed when it arrives
//! (the client does not wait for it, so it also sees what comes after a half-close).
//!
//! connect() is where the handshake happens (SYN, SYN-ACK, ACK). On loopback it takes
//! microseconds, unless the server's accept queue is full: then its kernel drops our
//! SYN, and connect() waits while ours sends the SYN again (after 1, 3, 7... s). The
//! client shows that wait: the OS lists its socket in SYN-SENT.

use std::io;
use std::net::SocketAddr;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use anyhow::Context;
use socket2::{Domain, Socket, Type};

use super::conversation::{commands_help, Conversation, Keyboard, OsView, Side, Typed};
use super::ClientArgs;
use crate::hint;
use crate::labs::Lab;
use crate::lang::{pick, tr};
use crate::tcp_table::{self, TcpState};
use crate::term::say;

/// How long connect() may wait before the client says what the OS shows meanwhile.
const CONNECT_PATIENCE: Duration = Duration::from_millis(500);

pub fn run(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    // `localhost` can mean ::1 and 127.0.0.1: try each address until one answers,
    // like Python's `socket.create_connection((host, port))`.
    let mut connected = None;
    let mut last_error = None;
    for server in args.endpoint.resolve()? {
        match connect_watching(server) {
            Ok(socket) => {
                connected = Some((socket, server));
                break;
            }
            Err(err) => last_error = Some(hint::connect_failed(err, server, lab.number)),
        }
    }
    let Some((socket, server)) = connected else {
        return Err(last_error.expect("resolve() gives at least one address"));
    };
    let local = socket
        .local_addr()?
        .as_socket()
        .context("getsockname() gave no IP address")?;
    say!("connect({server}) -> connected, from {local}");

    let mut view = OsView::new(Side::Client);
    view.watch_connection(local, server);
    let mut conversation = Conversation::new(Side::Client, socket, local, server)?;
    view.show(&conversation);
    let help = commands_help();
    say!(
        "{}",
        tr!(
            "type a line to send it; {help}\n  /quit      (or Ctrl-D) close and leave",
            "输入一行文字即可发送；{help}\n  /quit      （或 Ctrl-D）关闭并离开"
        )
    );

    let mut keyboard = Keyboard::start();
    loop {
        match keyboard.poll(Duration::ZERO) {
            Typed::Line(line) if line.trim() == "/quit" => break,
            Typed::Line(line) => {
                conversation.typed(&line, &mut view);
            }
            Typed::End => break,
            Typed::Nothing => {}
        }
        conversation.receive(&mut view);
        view.changes(Some(&conversation));
    }
    if conversation.is_open() {
        say!("leaving: close()");
        conversation.close(&mut view);
    }
    Ok(())
}

/// `s = socket.socket(); s.connect(addr)`, and while connect() waits, what the OS
/// shows for our socket. connect() blocks, so a helper thread makes the call on a
/// second handle of the same socket (`try_clone`, Python's `dup`), and this thread
/// reads the OS's table meanwhile.
fn connect_watching(server: SocketAddr) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(server), Type::STREAM, None)?;
    let connecting = socket.try_clone()?;
    let (done, result) = mpsc::channel();
    thread::Builder::new()
        .name("connect".to_string())
        .spawn(move || {
            // The result goes back; the second handle closes here, the socket stays.
            let _ = done.send(connecting.connect(&server.into()));
        })?;
    let mut shown = None;
    loop {
        match result.recv_timeout(CONNECT_PATIENCE) {
            Ok(outcome) => return outcome.map(|()| socket),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(io::Error::other(
                    "the connecting thread ended without a result",
                ))
            }
            Err(RecvTimeoutError::Timeout) => {
                // connect() gave our socket its local port when it sent the SYN.
                let Some(local) = socket.local_addr().ok().and_then(|a| a.as_socket()) else {
                    continue;
                };
                let state = tcp_table::read().ok().and_then(|table| {
                    tcp_table::find_connection(&table, local, server).map(|row| row.state)
                });
                if state.is_some() && state != shown {
                    shown = state;
                    say_waiting(local, server, state);
                }
            }
        }
    }
}

fn say_waiting(local: SocketAddr, server: SocketAddr, state: Option<TcpState>) {
    let Some(state) = state else { return };
    say!("connect({server}) is still waiting:");
    say!("  os: {local} -> {server}  {state}");
    let reading = if state == TcpState::SynSent {
        pick(
            "our SYN got no answer: the server's accept queue is probably full (its kernel \
             drops new SYNs until accept() makes room). The OS resends the SYN after 1, 3, 7 \
             ... s, and gives up after about two minutes (Ctrl-C stops waiting)",
            "我们的 SYN 没有得到回答：服务器的 accept 队列多半满了（在 accept() 腾出位置之前，\
             它的内核丢弃新的 SYN）。操作系统在 1、3、7……秒后重发 SYN，大约两分钟后放弃\
             （Ctrl-C 停止等待）",
        )
    } else {
        state.meaning()
    };
    for line in super::wrap(reading, 72) {
        say!("      {line}");
    }
}
