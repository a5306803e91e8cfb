//! Lab 5: your own UDP server, in Rust with only the standard library.
//!
//! Replace each `todo(...)` with the code it describes, in order. Build and check:
//!
//!     rustc -o lab5_server lab5_server.rs
//!     lab check 5 server -- ./lab5_server {port}
//!
//! The check gives your server its port as the first argument (and in LAB_PORT).
//! `lab 5 guide` has the protocol, stage by stage ("Your turn").
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::net::{SocketAddr, UdpSocket};

/// A part still to write: say so and stop (`lab check` quotes this line).
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

fn main() {
    // The port: the first argument, else LAB_PORT, else the classic 12000.
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(12000);

    // TODO 1 (bind): UdpSocket::bind(("127.0.0.1", port)) does socket() and bind().
    //        No listen(), no accept(). Stop with a message if it fails.
    let socket: UdpSocket = todo(1, "bind");
    println!("listening on 127.0.0.1:{port}/udp");

    // Bigger than any datagram: a smaller buffer cuts longer datagrams short.
    let mut buf = vec![0u8; 65_536];
    loop {
        // TODO 2 (recvfrom): socket.recv_from(&mut buf) gives (n, addr). On an Err
        //        (Windows reports an earlier reply that found nobody), `continue`.
        let (n, addr): (usize, SocketAddr) = todo(2, "recvfrom");
        let data = &buf[..n]; // may be empty: an empty datagram is answered too
        println!("{addr}: {n} bytes");

        // TODO 3 (sendto): answer to addr with one datagram that ends with the whole
        //        datagram: b"heard you: " followed by data (socket.send_to).
        todo::<()>(3, "sendto");
    }
}
