//! 实验 7：自己写一个分帧消息的客户端，用 Rust，只用标准库。
//!
//! 你键入的每一行作为一条消息发给服务器，并按分帧方式封装（line：其后加一个
//! b'\n'；length：其前加 4 字节大端序的长度）。一个接收线程把服务器发回的
//! 每条消息完整地单独打印成一行，不管 read() 怎样切分字节流。
//! 回复超过 MAX_MESSAGE 时：打印提示，关闭连接，结束程序。
//! 按顺序把每个 `todo(...)` 换成它所描述的代码。编译并检查：
//!
//!     rustc -o lab7_client lab7_client.rs
//!     lab check 7 client -- ./lab7_client {port} {framing}
//!
//! `lab 7 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Read, Write};
use std::net::{Shutdown, TcpStream};

/// 1 MiB：接受的最长回复。
const MAX_MESSAGE: usize = 1_048_576;

/// 尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

fn frame(by_length: bool, message: &[u8]) -> Vec<u8> {
    // TODO 2 (frame)：length：先是 (message.len() as u32).to_be_bytes()，再是消息；
    //        line：先是消息，再是 b'\n'。
    todo(2, "frame")
}

/// 从 `buf` 的开头取出每一条完整消息；超过 MAX_MESSAGE 时返回 Err。
fn take_messages(by_length: bool, buf: &mut Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
    // TODO 4 (take)：和服务器中的循环一样（见 lab 7 guide 的“动手：自己写一个”）。
    todo(4, "take")
}

/// 接收线程：打印每一条完整的回复。
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
                // TODO 5 (refuse)：打印错误，conn.shutdown(Shutdown::Both)，然后
                //        std::process::exit(1)。
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

    // TODO 1 (connect)：TcpStream::connect(("127.0.0.1", port))；如果失败，打印提示
    //        并 std::process::exit(1)。
    let mut conn: TcpStream = todo(1, "connect");
    let reader = conn.try_clone().expect("a second handle on the socket");
    // main() 返回时程序结束，接收线程也随之结束。
    std::thread::spawn(move || receive(reader, by_length));
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        // TODO 3 (send)：conn.write_all(&frame(by_length, line.as_bytes()))。
        todo::<()>(3, "send");
    }
    // TODO 6 (close)：输入结束：conn.shutdown(Shutdown::Both)；然后 return。
    todo::<()>(6, "close");
}
