//! Lab 4: your own full-duplex client, in Rust with only the standard library.
//!
//! Replace each `todo(...)` with the code it describes, in order. Build and check:
//!
//!     rustc -o lab4_client lab4_client.rs
//!     lab check 4 client -- ./lab4_client {port}
//!
//! The check gives your client the server's port as the first argument (and in
//! LAB_PORT). `lab 4 guide` has the protocol, stage by stage ("Your turn").
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// A part still to write: say so and stop (`lab check` quotes this line).
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

/// The reader thread: prints what the server sends, as soon as it arrives.
fn reader(mut sock: TcpStream, leaving: Arc<AtomicBool>) {
    let mut buf = [0u8; 1024];
    loop {
        // TODO 3 (recv): sock.read(&mut buf); take an Err as 0 bytes (the end).
        let n: usize = todo(3, "recv");
        if n == 0 {
            if leaving.load(Ordering::SeqCst) {
                return;
            }
            // TODO 4 (gone): the server went away: print a sentence that says so and
            //        end the whole program: std::process::exit(1) (the main thread is
            //        waiting for a typed line and cannot notice).
            todo::<()>(4, "gone");
        }
        print!("{}", String::from_utf8_lossy(&buf[..n]));
        let _ = std::io::stdout().flush();
    }
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(12000);

    // TODO 1 (connect): TcpStream::connect(("127.0.0.1", port)); if it fails, print
    //        what failed and std::process::exit(1).
    let mut sock: TcpStream = todo(1, "connect");

    let leaving = Arc::new(AtomicBool::new(false));
    // TODO 2 (thread): start the reader before waiting for input (the server speaks
    //        first): let copy = sock.try_clone().unwrap(); let flag = leaving.clone();
    //        thread::spawn(move || reader(copy, flag))
    let receiving: thread::JoinHandle<()> = todo(2, "thread");

    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "exit" {
            leaving.store(true, Ordering::SeqCst);
            // TODO 6 (exit): send b"exit\n" and leave the loop.
            todo::<()>(6, "exit");
        }
        // TODO 5 (send): send the line and a "\n" (sock.write_all).
        todo::<()>(5, "send");
    }
    leaving.store(true, Ordering::SeqCst);
    let _ = sock.shutdown(Shutdown::Write); // we send no more; the goodbye may still come
    thread::sleep(Duration::from_millis(300));
}
