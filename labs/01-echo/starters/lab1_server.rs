//! Lab 1: your own echo server, in Rust with only the standard library.
//!
//! Replace each `todo(...)` with the code it describes, in order. Build and check:
//!
//!     rustc -o lab1_server lab1_server.rs
//!     lab check 1 server -- ./lab1_server {port}
//!
//! The check gives your server its port as the first argument (and in LAB_PORT).
//! `lab 1 guide` has the protocol, stage by stage ("Your turn").
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{SystemTime, UNIX_EPOCH};

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

    // TODO 1 (bind): TcpListener::bind(("127.0.0.1", port)) does socket(), bind() and
    //        listen() in one call. Stop with a message if it fails.
    let listener: TcpListener = todo(1, "bind");
    println!("listening on 127.0.0.1:{port}");

    loop {
        // TODO 2 (accept): wait for a client: listener.accept() gives (stream, address).
        let (mut conn, addr): (TcpStream, std::net::SocketAddr) = todo(2, "accept");
        println!("connected: {addr}");
        let mut buf = [0u8; 1024];
        loop {
            // TODO 3 (recv): conn.read(&mut buf) receives at most 1024 bytes.
            //        Ok(n) gives how many; an Err whose kind() is ConnectionReset means
            //        the client vanished: leave the loop too, as in TODO 4.
            let n: usize = todo(3, "recv");

            // TODO 4 (closed): n == 0: the client closed. Leave the loop.
            todo::<()>(4, "closed");
            let data = &buf[..n];

            // TODO 5 (exit): the client sent b"exit": leave the loop, without a reply.
            todo::<()>(5, "exit");

            // TODO 6 (send): reply with ctime(), a space and the bytes received
            //        (conn.write_all sends them all).
            todo::<()>(6, "send");
        }
        // TODO 7 (close): drop(conn) closes this client's socket. Then the next client.
        todo::<()>(7, "close");
    }
}

/// The time as Python's time.ctime() writes it, in UTC (the standard library has no
/// time zones; `lab check` accepts UTC or local time): `Mon Nov 23 03:47:53 2026`.
fn ctime() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{weekday} {} {day:>2} {:02}:{:02}:{:02} {year}",
        names[(month - 1) as usize],
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}
