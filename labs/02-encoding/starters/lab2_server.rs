//! Lab 2: your own server that prints text as it arrives, in Rust with only std.
//!
//! The task: print every complete character as it arrives, one line per recv().
//! Replace each `todo(...)` with the code it describes, in order. Build and check:
//!
//!     rustc -o lab2_server lab2_server.rs
//!     lab check 2 server -- ./lab2_server {port} {encoding}
//!
//! Rust's standard library knows UTF-8 only: this starter passes the utf-8 run of
//! the check. For the gbk run, make it a cargo project and decode with the
//! `encoding_rs` crate (`GBK.new_decoder()`); `lab 2 guide` says more.
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::Read;
use std::net::{TcpListener, TcpStream};

/// A part still to write: say so and stop (`lab check` quotes this line).
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

/// The characters completed so far: adds `data` to `held` and takes out every whole
/// UTF-8 character (invalid bytes become U+FFFD); an unfinished character at the
/// end stays in `held` for the next recv().
fn decode_utf8(held: &mut Vec<u8>, data: &[u8]) -> String {
    held.extend_from_slice(data);
    let mut text = String::new();
    loop {
        match std::str::from_utf8(held) {
            Ok(valid) => {
                text.push_str(valid);
                held.clear();
                return text;
            }
            Err(err) => {
                let good = err.valid_up_to();
                text.push_str(std::str::from_utf8(&held[..good]).unwrap_or(""));
                match err.error_len() {
                    // Not valid: one U+FFFD, then go on after the bad bytes.
                    Some(bad) => {
                        text.push('\u{FFFD}');
                        held.drain(..good + bad);
                    }
                    // An unfinished character at the end: keep it for later.
                    None => {
                        held.drain(..good);
                        return text;
                    }
                }
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
        .unwrap_or(12345);

    // TODO 1 (bind): TcpListener::bind(("127.0.0.1", port)).
    let listener: TcpListener = todo(1, "bind");
    println!("listening on 127.0.0.1:{port}");

    loop {
        // TODO 2 (accept): wait for the next client.
        let (mut conn, addr): (TcpStream, std::net::SocketAddr) = todo(2, "accept");
        let mut held: Vec<u8> = Vec::new(); // this client's unfinished character
        let mut buf = [0u8; 1024];
        loop {
            // TODO 3 (recv): conn.read(&mut buf); an error (reset) ends this client.
            let n: usize = todo(3, "recv");

            // TODO 4 (closed): n == 0: the client closed. Leave the loop.
            todo::<()>(4, "closed");

            // TODO 5 (print): print decode_utf8(&mut held, &buf[..n]) on its own line.
            todo::<()>(5, "print");
        }
    }
}
