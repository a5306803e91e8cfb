//! Lab 7: your own echo server for framed messages, in Rust with only the standard
//! library.
//!
//! Every message the client sends comes back, framed the same way, however read()
//! cuts the bytes: a buffer, and a loop that takes out every complete message.
//!   line    each message ends with b'\n'
//!   length  4 bytes, big-endian, give the length of the message that follows
//! A message over MAX_MESSAGE is refused before it is kept: an error, and close.
//! Replace each `todo(...)` with the code it describes, in order. Build and check:
//!
//!     rustc -o lab7_server lab7_server.rs
//!     lab check 7 server -- ./lab7_server {port} {framing}
//!
//! `lab 7 guide` has the protocol, stage by stage ("Your turn").
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

/// 1 MiB: the longest message accepted.
const MAX_MESSAGE: usize = 1_048_576;

/// A part still to write: say so and stop (`lab check` quotes this line).
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

/// One message as it goes on the wire.
fn frame(by_length: bool, message: &[u8]) -> Vec<u8> {
    // TODO 2 (frame): length: (message.len() as u32).to_be_bytes() then the message;
    //        line: the message then b'\n'.
    todo(2, "frame")
}

/// Takes every complete message out of the front of `buf`. Err for a message over
/// MAX_MESSAGE, before keeping it.
fn take_messages(by_length: bool, buf: &mut Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
    let mut messages = Vec::new();
    loop {
        if by_length {
            // TODO 3 (length): fewer than 4 bytes: break. n = u32::from_be_bytes of
            //        buf[..4]; over MAX_MESSAGE: return Err. Fewer than 4 + n bytes:
            //        break. Else push buf[4..4 + n] and buf.drain(..4 + n).
            todo::<()>(3, "length");
        } else {
            // TODO 4 (line): no b'\n' in buf: over MAX_MESSAGE return Err, else
            //        break. Else push the bytes before it and drain them and the \n.
            todo::<()>(4, "line");
        }
    }
    Ok(messages)
}

fn serve(conn: &mut TcpStream, by_length: bool) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Ok(()); // the client closed
        }
        buf.extend_from_slice(&chunk[..n]);
        match take_messages(by_length, &mut buf) {
            Ok(messages) => {
                // TODO 6 (echo): conn.write_all(&frame(by_length, &message)) for each.
                todo::<()>(6, "echo");
            }
            Err(err) => {
                // TODO 5 (refuse): write format!("error: {err}\n"), then return: the
                //        connection closes when `conn` is dropped.
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

    // TODO 1 (listen): TcpListener::bind(("127.0.0.1", port)); if it fails, say so
    //        and std::process::exit(1).
    let listener: TcpListener = todo(1, "listen");
    println!("listening on 127.0.0.1:{port}, framing {framing}");
    for conn in listener.incoming() {
        let Ok(mut conn) = conn else { continue };
        if let Err(err) = serve(&mut conn, by_length) {
            println!("{err}");
        }
    }
}
