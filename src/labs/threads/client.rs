//! Lab 4's client: full duplex with a reader thread. Read server.rs first; this is the
//! other end of its connections. The main thread only send()s what you type, the
//! reader thread only recv()s and prints, so what the server sends appears while you
//! type.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use anyhow::Context;

use super::messages::messages;
use super::{ClientArgs, IDLE_NOTICE, RECV_SIZE};
use crate::hint;
use crate::labs::Lab;
use crate::lang::{pick, tr};
use crate::term::{safe, say};

pub(super) fn client(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    // socket() + connect(), to each address --host stands for until one answers
    // (Python: socket.create_connection((host, port))).
    let (stream, server) = args.endpoint.connect_tcp(lab.number)?;
    let local = stream.local_addr()?;
    say!(
        "{}",
        tr!(
            "connected to {server} from {local}. Type lines; `exit` leaves. What the server \
             sends appears as soon as it arrives.",
            "已从 {local} 连接到 {server}。输入文字，每行发送一次；输入 `exit` 离开。\
             服务器发来的内容一到就会显示。"
        )
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
                anyhow::anyhow!(tr!(
                    "could not send to {server}: {}",
                    "无法向 {server} 发送：{}",
                    hint::describe(&err)
                ))
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
    // Nor is the close of a connection we left idle too long.
    let mut turned_away = false;
    let mut idle = false;
    loop {
        let why = match stream.read(&mut buf) {
            Ok(0) if idle => tr!(
                "the server at {server} closed the connection because this client sent \
                 nothing for too long (its --idle-timeout). It is still running: start \
                 `lab {lab} client` again",
                "{server} 上的服务器关闭了连接，因为这个客户端太久没有发送任何数据（超过了\
                 它的 --idle-timeout）。服务器仍在运行：请重新启动 `lab {lab} client`"
            ),
            Ok(0) if turned_away => tr!(
                "the server at {server} is full and closed the connection (recv() returned \
                 0 bytes). It is still running: try again when a client has left, or ask \
                 its operator for a higher --max-clients",
                "{server} 上的服务器已满，关闭了连接（recv() 返回 0 字节）。服务器仍在运行：\
                 等有客户端离开后再试，或者请它的管理者调高 --max-clients"
            ),
            Ok(0) => hint::server_went_away(server, lab),
            Ok(n) => {
                for line in messages(&buf[..n]) {
                    turned_away |= line.starts_with(b"sorry, the server is full");
                    idle |= line.starts_with(IDLE_NOTICE.as_bytes());
                    say!("{}", safe(line));
                }
                continue;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => tr!(
                "the connection to {server} broke: {}",
                "与 {server} 的连接断开了：{}",
                hint::describe(&err)
            ),
        };
        if leaving.load(Ordering::SeqCst) {
            return;
        }
        eprintln!("{}{why}", pick("error: ", "错误："));
        std::process::exit(1);
    }
}
