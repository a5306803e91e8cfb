//! Lab 2: your own client that sends text as bytes, in Rust with only std.
//!
//! The task: send each typed line as bytes, without waiting for a reply; at the end
//! of input, close the connection. Replace each `todo(...)`, in order. Build, check:
//!
//!     rustc -o lab2_client lab2_client.rs
//!     lab check 2 client -- ./lab2_client {port} {encoding}
//!
//! A Rust String is UTF-8 already, and std has no GBK: this starter passes the
//! utf-8 run. For the gbk run, make it a cargo project and encode with the
//! `encoding_rs` crate (`GBK.encode(&line)`); `lab 2 guide` says more.
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Write};
use std::net::TcpStream;

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
        .unwrap_or(12345);

    // TODO 1 (connect): TcpStream::connect(("127.0.0.1", port)); if it fails, say so
    //        and std::process::exit(1).
    let mut conn: TcpStream = todo(1, "connect");

    // The loop ends at the end of input (Ctrl-D, or the end of a piped file).
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.is_empty() {
            continue; // 0 bytes would send nothing
        }
        // TODO 2 (send): conn.write_all(line.as_bytes()); no reply comes, do not wait.
        todo::<()>(2, "send");
    }
    // TODO 3 (close): drop(conn) closes the socket: the server's recv() returns 0 bytes.
    todo::<()>(3, "close");
}
