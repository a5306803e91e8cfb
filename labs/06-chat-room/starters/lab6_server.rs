//! Lab 6: your own chat room server, in Rust with only the standard library.
//!
//! One thread per client reads its lines; each member has a bounded queue
//! (`sync_channel`) and one writer thread that sends the queued lines, so a member
//! who stops reading fills only its own queue (and is dropped), and two lines never
//! mix on one socket. Replace each `todo(...)` with the code it describes, in
//! order. Build and check:
//!
//!     rustc -o lab6_server lab6_server.rs
//!     lab check 6 server -- ./lab6_server {port}
//!
//! `lab 6 guide` has the protocol, stage by stage ("Your turn").
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread;

/// The longest line kept, in bytes.
const MAX_LINE: usize = 4096;
/// Lines that may wait for one member.
const QUEUE: usize = 256;

/// A part still to write: say so and stop (`lab check` quotes this line).
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

/// A member: its queue of lines, and its socket (to shut it down when dropped).
#[derive(Clone)]
struct Member {
    outbox: SyncSender<String>,
    conn: Arc<TcpStream>,
}

type Room = Arc<Mutex<BTreeMap<String, Member>>>;

/// Queues `line` for one member. Never write to the socket here: it could block.
fn deliver(room: &Room, nick: &str, member: &Member, line: String) {
    let mut line = line;
    // A full queue may be a slow moment only: try again for up to a second.
    for _ in 0..100 {
        match member.outbox.try_send(line) {
            Err(TrySendError::Full(back)) => {
                line = back;
                thread::sleep(std::time::Duration::from_millis(10));
            }
            _ => return, // queued (or its writer has ended)
        }
    }
    // TODO 6 (drop): still full after a second: the member is not reading. Remove
    //        `nick` from the room and member.conn.shutdown(Shutdown::Both).
    todo::<()>(6, "drop")
}

/// Queues `line` for every member but `except`.
fn broadcast(room: &Room, except: Option<&str>, line: &str) {
    let others: Vec<(String, Member)> = room
        .lock()
        .unwrap()
        .iter()
        .filter(|(nick, _)| Some(nick.as_str()) != except)
        .map(|(nick, m)| (nick.clone(), m.clone()))
        .collect();
    for (nick, member) in others {
        deliver(room, &nick, &member, line.to_string());
    }
}

/// Cuts the stream into lines: Some(line), or None for a line over MAX_LINE.
struct Lines {
    conn: TcpStream,
    buf: Vec<u8>,
    skipping: bool,
}

impl Lines {
    /// The next line; Err at the end of the stream.
    fn next_line(&mut self) -> Result<Option<String>, ()> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=end).collect();
                if self.skipping {
                    self.skipping = false;
                    continue;
                }
                let text = String::from_utf8_lossy(&line).trim_end().to_string();
                return Ok((line.len() <= MAX_LINE + 2).then_some(text));
            }
            // TODO 9 (limit): self.buf.len() > MAX_LINE: clear it; if not already
            //        skipping, set skipping and return Ok(None): an endless line is
            //        refused.
            todo::<()>(9, "limit");
            let mut chunk = [0u8; 4096];
            match self.conn.read(&mut chunk) {
                Ok(0) | Err(_) => return Err(()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

fn handle(room: Room, conn: TcpStream) {
    let Ok(writer) = conn.try_clone() else { return };
    let mut lines = Lines {
        conn,
        buf: Vec::new(),
        skipping: false,
    };
    let mut w = &writer;
    let _ = w.write_all(b"* welcome to the chat room. Choose a nickname:\n");
    let (nick, member) = loop {
        let Ok(line) = lines.next_line() else { return };
        let nick = line.unwrap_or_default();
        let bad = nick.is_empty() || nick.contains(' ') || nick.chars().count() > 16;
        if bad || nick.chars().any(char::is_control) {
            let _ = w.write_all(b"! 1-16 visible characters, no spaces. Choose another:\n");
            continue;
        }
        let mut members = room.lock().unwrap();
        if members.contains_key(&nick) {
            let _ = w.write_all(b"! that nickname is taken. Choose another:\n");
            continue;
        }
        let (outbox, queued) = sync_channel::<String>(QUEUE);
        let conn = Arc::new(writer.try_clone().expect("socket"));
        let out = Arc::clone(&conn);
        // The only thread that writes to this socket: whole lines, one at a time.
        thread::spawn(move || {
            for line in queued {
                if (&*out).write_all(format!("{line}\n").as_bytes()).is_err() {
                    break;
                }
            }
        });
        let member = Member { outbox, conn };
        members.insert(nick.clone(), member.clone());
        break (nick, member);
    };
    // TODO 3 (welcome): deliver a `* welcome, {nick}!` line to the member, then
    //        broadcast `* {nick} joined` to the others.
    todo::<()>(3, "welcome");
    while let Ok(line) = lines.next_line() {
        let Some(text) = line else {
            let too_long = format!("! that line was longer than {MAX_LINE} bytes");
            deliver(&room, &nick, &member, too_long);
            continue;
        };
        if text.chars().any(char::is_control) {
            deliver(&room, &nick, &member, "! control characters are not allowed".into());
        } else if let Some(rest) = text.strip_prefix("/msg ") {
            let (to, words) = rest.split_once(' ').unwrap_or((rest, ""));
            let target = room.lock().unwrap().get(to).cloned();
            // TODO 7 (msg): no target: deliver `! nobody called "{to}" is here` to
            //        the sender; else deliver `[private] <{nick}> {words}` to it.
            todo::<()>(7, "msg");
        } else if text == "/list" {
            let names: Vec<String> = room.lock().unwrap().keys().take(50).cloned().collect();
            deliver(&room, &nick, &member, format!("* online: {}", names.join(", ")));
        } else if text == "/quit" {
            // TODO 8 (quit): deliver `* bye` to the member and leave the loop.
            todo::<()>(8, "quit");
        } else if text.starts_with('/') {
            deliver(&room, &nick, &member, format!("! unknown command {text:?}"));
        } else if !text.is_empty() {
            // TODO 4 (chat): broadcast `<{nick}> {text}` to everyone but `nick`.
            todo::<()>(4, "chat");
        }
    }
    room.lock().unwrap().remove(&nick);
    let _ = member.conn.shutdown(Shutdown::Both);
    // TODO 5 (leave): broadcast `* {nick} left` to everyone.
    todo::<()>(5, "leave");
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(5555);
    // TODO 1 (listen): TcpListener::bind(("127.0.0.1", port)); if it fails, say so
    //        and std::process::exit(1).
    let listener: TcpListener = todo(1, "listen");
    println!("listening on 127.0.0.1:{port}");
    let room: Room = Arc::new(Mutex::new(BTreeMap::new()));
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let room = Arc::clone(&room);
        // TODO 2 (thread): one thread per client: thread::spawn(move || handle(room,
        //        conn)).
        todo::<()>(2, "thread");
    }
}
