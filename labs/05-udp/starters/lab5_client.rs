//! Lab 5: your own UDP client, in Rust with only the standard library.
//!
//! Replace each `todo(...)` with the code it describes, in order. Build and check:
//!
//!     rustc -o lab5_client lab5_client.rs
//!     lab check 5 client -- ./lab5_client {port}
//!
//! The check gives your client the server's port as the first argument (and in
//! LAB_PORT). `lab 5 guide` has the protocol, stage by stage ("Your turn").
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

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
        .unwrap_or(12000);
    let server: SocketAddr = ([127, 0, 0, 1], port).into();
    // Port 0: the OS picks a free port, as Python's first sendto() does by itself.
    let socket = UdpSocket::bind(("127.0.0.1", 0)).expect("a UDP socket");

    // TODO 1 (timeout): UDP never says that nobody is there: make recv_from() give up
    //        after 3 seconds: socket.set_read_timeout(Some(Duration::from_secs(3)))
    todo::<()>(1, "timeout");

    let mut buf = vec![0u8; 65_536];
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        // TODO 2 (sendto): send the line's bytes to server (socket.send_to).
        todo::<()>(2, "sendto");
        loop {
            // TODO 3 (recvfrom): socket.recv_from(&mut buf). An Err whose kind() is
            //        WouldBlock or TimedOut is the timeout: print a line that says
            //        "no reply within 3 s" and `break` (the next line is typed next).
            let (n, from): (usize, SocketAddr) = todo(3, "recvfrom");
            if from != server {
                // TODO 4 (stranger): not the server: print the datagram with the
                //        address it came from, then `continue` to wait for the reply.
                todo::<()>(4, "stranger");
            }
            // TODO 5 (reply): print the reply as text (String::from_utf8_lossy), break.
            todo::<()>(5, "reply");
        }
    }
}
