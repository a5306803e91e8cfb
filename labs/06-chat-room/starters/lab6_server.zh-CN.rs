//! 实验 6：自己写一个聊天室服务器，用 Rust，只用标准库。
//!
//! 每个客户端一个线程，读取它发来的行；每个成员有一个有界队列
//! （`sync_channel`）和一个写线程，由写线程发送队列中的行。这样，一个不再
//! 读取的成员只会塞满它自己的队列（然后被踢出），一个套接字上的两行也永远
//! 不会混在一起。按顺序把每个 `todo(...)` 换成它所描述的代码。
//! 编译并检查：
//!
//!     rustc -o lab6_server lab6_server.rs
//!     lab check 6 server -- ./lab6_server {port}
//!
//! `lab 6 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread;

/// 保留的最长一行，单位为字节。
const MAX_LINE: usize = 4096;
/// 为一个成员排队等待的最大行数。
const QUEUE: usize = 256;

/// 尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

/// 一个成员：它的行队列，以及它的套接字（被踢出时用来关闭连接）。
#[derive(Clone)]
struct Member {
    outbox: SyncSender<String>,
    conn: Arc<TcpStream>,
}

type Room = Arc<Mutex<BTreeMap<String, Member>>>;

/// 把 `line` 放入一个成员的队列。绝不要在这里写套接字：它可能阻塞。
fn deliver(room: &Room, nick: &str, member: &Member, line: String) {
    let mut line = line;
    // 队列满了，可能只是一时慢了一下：在一秒之内不断重试。
    for _ in 0..100 {
        match member.outbox.try_send(line) {
            Err(TrySendError::Full(back)) => {
                line = back;
                thread::sleep(std::time::Duration::from_millis(10));
            }
            _ => return, // 已入队（或者它的写线程已经结束）
        }
    }
    // TODO 6 (drop)：一秒后仍然是满的：这个成员没有在读取。把 `nick`
    //        从聊天室中移除，并 member.conn.shutdown(Shutdown::Both)。
    todo::<()>(6, "drop")
}

/// 把 `line` 放入除 `except` 之外每个成员的队列。
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

/// 把字节流切成行：Some(line)，超过 MAX_LINE 的行为 None。
struct Lines {
    conn: TcpStream,
    buf: Vec<u8>,
    skipping: bool,
}

impl Lines {
    /// 下一行；字节流结束时返回 Err。
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
            // TODO 9 (limit)：self.buf.len() > MAX_LINE：清空它；
            //        如果还没有在跳过，就设置 skipping 并返回 Ok(None)：
            //        拒绝没有尽头的行。
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
        // 唯一向这个套接字写数据的线程：一次写一整行。
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
    // TODO 3 (welcome)：向这个成员发送一行 `* welcome, {nick}!`，然后
    //        向其他人广播 `* {nick} joined`。
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
            // TODO 7 (msg)：无此目标：向发送者发送 `! nobody called "{to}" is here`；
            //        否则向目标发送 `[private] <{nick}> {words}`。
            todo::<()>(7, "msg");
        } else if text == "/list" {
            let names: Vec<String> = room.lock().unwrap().keys().take(50).cloned().collect();
            deliver(&room, &nick, &member, format!("* online: {}", names.join(", ")));
        } else if text == "/quit" {
            // TODO 8 (quit)：向这个成员发送 `* bye`，然后退出循环。
            todo::<()>(8, "quit");
        } else if text.starts_with('/') {
            deliver(&room, &nick, &member, format!("! unknown command {text:?}"));
        } else if !text.is_empty() {
            // TODO 4 (chat)：向除 `nick` 之外的所有人广播 `<{nick}> {text}`。
            todo::<()>(4, "chat");
        }
    }
    room.lock().unwrap().remove(&nick);
    let _ = member.conn.shutdown(Shutdown::Both);
    // TODO 5 (leave)：向所有人广播 `* {nick} left`。
    todo::<()>(5, "leave");
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(5555);
    // TODO 1 (listen)：TcpListener::bind(("127.0.0.1", port))；如果失败，打印提示
    //        并 std::process::exit(1)。
    let listener: TcpListener = todo(1, "listen");
    println!("listening on 127.0.0.1:{port}");
    let room: Room = Arc::new(Mutex::new(BTreeMap::new()));
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let room = Arc::clone(&room);
        // TODO 2 (thread)：每个客户端一个线程：thread::spawn(move || handle(room,
        //        conn))。
        todo::<()>(2, "thread");
    }
}
