//! Lab 6: your own full-duplex chat client, in Rust with only the standard library.
//!
//! The first line you type is your nickname; every line you type is sent with its
//! \n. A receiving thread prints what the server sends as it arrives, also while you
//! are half-way through typing a line. Control characters the server sent (ESC, BEL,
//! C1) are shown escaped, never printed raw. Ctrl-D closes the connection and ends.
//! Replace each `todo(...)` with the code it describes, in order. Build and check:
//!
//!     rustc -o lab6_client lab6_client.rs
//!     lab check 6 client -- ./lab6_client {port}
//!
//! `lab 6 guide` has the protocol, stage by stage ("Your turn").
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Read, Write};
use std::net::{Shutdown, TcpStream};

/// A part still to write: say so and stop (`lab check` quotes this line).
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

/// Control characters shown escaped (`\u{1b}`), everything else as it is.
fn safe(text: &str) -> String {
    // TODO 5 (escape): map each char: c.is_control() -> c.escape_default(), else c.
    todo(5, "escape")
}

/// The receiving thread: prints each whole line as it arrives.
fn receive(mut conn: TcpStream) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = conn.read(&mut chunk).unwrap_or(0);
        if n == 0 {
            println!("the server closed the connection");
            std::process::exit(0);
        }
        buf.extend_from_slice(&chunk[..n]);
        // TODO 4 (lines): while buf holds a b'\n': drain the line and print
        //        safe(&String::from_utf8_lossy(line).trim_end()).
        todo::<()>(4, "lines");
    }
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(5555);
    // TODO 1 (connect): TcpStream::connect(("127.0.0.1", port)); if it fails, say so
    //        and std::process::exit(1).
    let mut conn: TcpStream = todo(1, "connect");
    // TODO 2 (thread): std::thread::spawn a thread running receive() on
    //        conn.try_clone(); main() returning ends it with the program.
    todo::<()>(2, "thread");
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        // TODO 3 (send): conn.write_all(format!("{line}\n").as_bytes()): the text and
        //        its \n in one send.
        todo::<()>(3, "send");
    }
    // TODO 6 (close): the end of input: conn.shutdown(Shutdown::Both); then return.
    todo::<()>(6, "close");
}
