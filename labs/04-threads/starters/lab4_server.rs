//! Lab 4: your own thread-per-client server, in Rust with only the standard library.
//!
//! Replace each `todo(...)` with the code it describes, in order. Build and check:
//!
//!     rustc -o lab4_server lab4_server.rs
//!     lab check 4 server -- ./lab4_server {port}
//!
//! The check gives your server its port as the first argument (and in LAB_PORT).
//! `lab 4 guide` has the protocol, stage by stage ("Your turn").
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

/// A part still to write: say so and stop (`lab check` quotes this line).
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

/// One client's whole conversation, in a thread of its own.
fn serve(mut conn: TcpStream, addr: SocketAddr) {
    let me = addr.to_string(); // `127.0.0.1:50312`, as the replies name it
    // TODO 3 (welcome): send the line format!("welcome, {me}\n"): conn.write_all(..).
    //        If it fails the client is gone: return.
    todo::<()>(3, "welcome");
    let mut buf = [0u8; 1024];
    loop {
        // TODO 4 (recv): conn.read(&mut buf). Ok(0): the client closed; an Err: it
        //        vanished (connection reset). Either way return: only this thread ends.
        let n: usize = todo(4, "recv");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            // TODO 5 (exit): the line is "exit": send format!("goodbye, {me}\n"), return.
            todo::<()>(5, "exit");

            // TODO 6 (reply): send format!("reply to {me}: {line}\n"); return if it fails.
            todo::<()>(6, "reply");
        }
    }
}

fn main() {
    // The port: the first argument, else LAB_PORT, else the classic 12000.
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(12000);

    // TODO 1 (bind): TcpListener::bind(("127.0.0.1", port)) does socket(), bind() and
    //        listen() in one call. Stop with a message if it fails.
    let listener: TcpListener = todo(1, "bind");
    println!("listening on 127.0.0.1:{port}");

    loop {
        let (conn, addr) = match listener.accept() {
            Ok(pair) => pair,
            Err(err) => {
                println!("accept() failed: {err}");
                continue;
            }
        };
        println!("connected: {addr}");
        // TODO 2 (thread): thread::spawn(move || serve(conn, addr)); the main thread
        //        only accepts (calling serve() here makes every other client wait).
        todo::<()>(2, "thread");
    }
}
