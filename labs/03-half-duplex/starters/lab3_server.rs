//! Lab 3: your own half-duplex chat server, in Rust with only the standard library.
//!
//! The client speaks first; you (the operator) type each reply; `q` from either side
//! ends the conversation and the server waits for the next client. Replace each
//! `todo(...)` with the code it describes, in order. Build and check:
//!
//!     rustc -o lab3_server lab3_server.rs
//!     lab check 3 server -- ./lab3_server {port}
//!
//! `lab 3 guide` has the protocol, stage by stage ("Your turn").
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};

/// A part still to write: say so and stop (`lab check` quotes this line).
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(9000);

    // TODO 1 (listen): TcpListener::bind(("127.0.0.1", port)).
    let listener: TcpListener = todo(1, "listen");
    println!("listening on 127.0.0.1:{port}");
    let mut operator = std::io::stdin().lock().lines();

    loop {
        // TODO 2 (accept): wait for the next client.
        let (mut conn, addr): (TcpStream, std::net::SocketAddr) = todo(2, "accept");
        println!("connected: {addr} - the client speaks first");
        let mut buf = [0u8; 1024];
        loop {
            // TODO 3 (recv): the client's turn: conn.read(&mut buf). An error (a reset)
            //        ends this conversation.
            let n: usize = todo(3, "recv");

            // TODO 4 (closed): n == 0: the client went away. Leave the loop.
            todo::<()>(4, "closed");

            let text = String::from_utf8_lossy(&buf[..n]).to_string();

            // TODO 5 (client q): text.trim() is "q" or "Q": leave the loop.
            todo::<()>(5, "client q");

            // TODO 6 (show): print the message (`amy:hello` may show as `amy: hello`).
            todo::<()>(6, "show");

            // Our turn: the operator types the reply (the end of input ends the server).
            let Some(Ok(reply)) = operator.next() else { return };

            // TODO 7 (send): conn.write_all(reply.as_bytes()).
            todo::<()>(7, "send");

            // TODO 8 (server q): the reply was q: after sending it, leave the loop.
            todo::<()>(8, "server q");
        }
        // `conn` is dropped here, at the end of the loop body: that closes the
        // connection, and the next accept() waits for the next client.
    }
}
