//! 实验 7：自己写一个分帧消息的回显服务器，
//! 用 Rust，只用标准库。
//!
//! 客户端发来的每条消息都按同样的分帧方式原样发回，不管 read() 怎样切分
//! 字节流：用一个缓冲区，加上一个取出每条完整消息的循环。
//!   line    每条消息以 b'\n' 结尾
//!   length  4 字节大端序长度前缀，给出其后消息的长度
//! 超过 MAX_MESSAGE 的消息在保存之前就被拒绝：回复一个错误，然后关闭连接。
//! 按顺序把每个 `todo(...)` 换成它所描述的代码。编译并检查：
//!
//!     rustc -o lab7_server lab7_server.rs
//!     lab check 7 server -- ./lab7_server {port} {framing}
//!
//! `lab 7 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

/// 1 MiB：接受的最长消息。
const MAX_MESSAGE: usize = 1_048_576;

/// 尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

/// 一条消息在线路上的样子。
fn frame(by_length: bool, message: &[u8]) -> Vec<u8> {
    // TODO 2 (frame)：length：先是 (message.len() as u32).to_be_bytes()，再是消息；
    //        line：先是消息，再是 b'\n'。
    todo(2, "frame")
}

/// 从 `buf` 的开头取出每一条完整消息。消息超过 MAX_MESSAGE 时，在保存它
/// 之前返回 Err。
fn take_messages(by_length: bool, buf: &mut Vec<u8>) -> Result<Vec<Vec<u8>>, String> {
    let mut messages = Vec::new();
    loop {
        if by_length {
            // TODO 3 (length)：不足 4 字节：break。n = buf[..4] 按
            //        u32::from_be_bytes 解出的值；超过 MAX_MESSAGE：return Err。不足
            //        4 + n 字节：break。否则 push buf[4..4 + n]，再 buf.drain(..4 + n)。
            todo::<()>(3, "length");
        } else {
            // TODO 4 (line)：buf 中没有 b'\n'：超过 MAX_MESSAGE 就 return Err，否则
            //        break。否则 push 它之前的字节，并把这些字节连同 \n 一起 drain 掉。
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
            return Ok(()); // 客户端已关闭连接
        }
        buf.extend_from_slice(&chunk[..n]);
        match take_messages(by_length, &mut buf) {
            Ok(messages) => {
                // TODO 6 (echo)：逐条 conn.write_all(&frame(by_length, &message))。
                todo::<()>(6, "echo");
            }
            Err(err) => {
                // TODO 5 (refuse)：写入 format!("error: {err}\n")，然后 return：
                //        `conn` 被 drop 时连接随之关闭。
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

    // TODO 1 (listen)：TcpListener::bind(("127.0.0.1", port))；如果失败，打印提示
    //        并 std::process::exit(1)。
    let listener: TcpListener = todo(1, "listen");
    println!("listening on 127.0.0.1:{port}, framing {framing}");
    for conn in listener.incoming() {
        let Ok(mut conn) = conn else { continue };
        if let Err(err) = serve(&mut conn, by_length) {
            println!("{err}");
        }
    }
}
