//! Lab 1: your own echo client, in Rust with only the standard library.
//!
//! Replace each `todo(...)` with the code it describes, in order. Build and check:
//!
//!     rustc -o lab1_client lab1_client.rs
//!     lab check 1 client -- ./lab1_client {port}
//!
//! The check plays the server, gives your client its port as the first argument
//! (and in LAB_PORT) and types lines into its stdin. `lab 1 guide` has the protocol.
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;

/// A part still to write: say so and stop (`lab check` quotes this line).
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

fn main() {
    // The port: the first argument, else LAB_PORT, else the classic 6666.
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(6666);

    // TODO 1 (connect): TcpStream::connect(("127.0.0.1", port)) does socket() and
    //        connect(). If it fails (nothing listens: "connection refused"), say so
    //        and end with a non-zero code: std::process::exit(1).
    let mut conn: TcpStream = todo(1, "connect");

    let mut buf = [0u8; 1024];
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.is_empty() {
            continue; // sending 0 bytes sends nothing: the server would never answer
        }
        // TODO 2 (send): send the line's bytes (a Rust String is UTF-8 already).
        todo::<()>(2, "send");

        // TODO 3 (exit): if the line was exit, leave the loop: the server sends no reply.
        todo::<()>(3, "exit");

        // TODO 4 (recv): conn.read(&mut buf) receives the reply, at most 1024 bytes.
        let n: usize = todo(4, "recv");

        // TODO 5 (closed): n == 0: the server closed. Say so and leave the loop.
        todo::<()>(5, "closed");

        // TODO 6 (print): print the reply as text: String::from_utf8_lossy(&buf[..n]).
        todo::<()>(6, "print");
    }
    // Leaving main drops `conn`, which closes the socket.
}
