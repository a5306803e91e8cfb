//! Lab 7: your own client for framed messages, in Rust with only the standard library.
//!
//! Each line you type goes to the server as one message, framed (line: a b'\n' after
//! it; length: 4 bytes, big-endian, with its length before it). A receiving thread
//! prints every message the server sends back, whole, on a line of its own, however
//! read() cuts the bytes. A reply over MAX_MESSAGE: say so, close, end.
//! Replace each `todo(...)` with the code it describes, in order. Build and check:
//!
//!     rustc -o lab7_client lab7_client.rs
//!     lab check 7 client -- ./lab7_client {port} {framing}
//!
//! `lab 7 guide` has the protocol, stage by stage ("Your turn").
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Read, Write};
use std::net::{Shutdown, TcpStream};

/// 1 MiB: the longest reply accepted.
const MAX_MESSAGE: usize = 1_048_576;

/// A part still to write: say so and stop (`lab check` quotes this line).
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

fn frame(by_length: bool, message: &[u8]) -> Vec<u8> {
    // TODO 2 (frame): length: (message.len() as u32).to_be_bytes() then the message;
    //        line: the message then b'\n'.
    todo(2, "frame")
}

/// Takes every complete message out of the front of `buf`; Err over MAX_MESSAGE.
fn take_messages(by_length: bool, buf: &mut Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
    // TODO 4 (take): the same loop as the server's (lab 7 guide, "Your turn").
    todo(4, "take")
}

/// The receiving thread: prints every whole reply.
fn receive(mut conn: TcpStream, by_length: bool) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = conn.read(&mut chunk).unwrap_or(0);
        if n == 0 {
            println!("the server closed the connection");
            std::process::exit(0);
        }
        buf.extend_from_slice(&chunk[..n]);
        match take_messages(by_length, &mut buf) {
            Ok(messages) => {
                for message in messages {
                    println!("{}", String::from_utf8_lossy(&message));
                }
            }
            Err(err) => {
                // TODO 5 (refuse): print the error, conn.shutdown(Shutdown::Both), and
                //        std::process::exit(1).
                todo::<()>(5, "refuse");
            }
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(7777);
    let framing = args
        .next()
        .or_else(|| std::env::var("LAB_FRAMING").ok())
        .unwrap_or_else(|| "line".to_string());
    let by_length = framing == "length";

    // TODO 1 (connect): TcpStream::connect(("127.0.0.1", port)); if it fails, say so
    //        and std::process::exit(1).
    let mut conn: TcpStream = todo(1, "connect");
    let reader = conn.try_clone().expect("a second handle on the socket");
    // main() returning ends the program, the receiving thread with it.
    std::thread::spawn(move || receive(reader, by_length));
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        // TODO 3 (send): conn.write_all(&frame(by_length, line.as_bytes())).
        todo::<()>(3, "send");
    }
    // TODO 6 (close): the end of input: conn.shutdown(Shutdown::Both); then return.
    todo::<()>(6, "close");
}
