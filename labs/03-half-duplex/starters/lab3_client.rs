//! Lab 3: your own half-duplex chat client, in Rust with only the standard library.
//!
//! You speak first; each line goes out as NAME:line; then you wait for the reply.
//! `q` ends the conversation (send a plain q); a `q` from the server ends it too.
//! Replace each `todo(...)` with the code it describes, in order. Build and check:
//!
//!     rustc -o lab3_client lab3_client.rs
//!     lab check 3 client -- ./lab3_client {port} amy
//!
//! `lab 3 guide` has the protocol, stage by stage ("Your turn").
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;

/// A part still to write: say so and stop (`lab check` quotes this line).
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(9000);
    let name = args.next().unwrap_or_else(|| "guest".to_string());

    // TODO 1 (connect): TcpStream::connect(("127.0.0.1", port)); if it fails, say so
    //        and std::process::exit(1).
    let mut conn: TcpStream = todo(1, "connect");

    let mut buf = [0u8; 1024];
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.is_empty() {
            continue; // 0 bytes would never arrive
        }
        // TODO 2 (q): line.trim() is "q" or "Q": send a plain b"q", then return.
        todo::<()>(2, "q");

        // TODO 3 (send): send format!("{name}:{line}") as bytes.
        todo::<()>(3, "send");

        // TODO 4 (recv): the server's turn: conn.read(&mut buf).
        let n: usize = todo(4, "recv");

        // TODO 5 (gone): n == 0: the server went away. Say so and exit(1).
        todo::<()>(5, "gone");

        // TODO 6 (server q): the reply is q: the server ended the conversation. Return.
        todo::<()>(6, "server q");

        // TODO 7 (show): print the reply: String::from_utf8_lossy(&buf[..n]).
        todo::<()>(7, "show");
    }
}
