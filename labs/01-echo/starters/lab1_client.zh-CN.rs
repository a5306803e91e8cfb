//! 实验 1：自己写一个回显客户端，用 Rust，只用标准库。
//!
//! 按顺序把每个 `todo(...)` 换成它所描述的代码。编译并检查：
//!
//!     rustc -o lab1_client lab1_client.rs
//!     lab check 1 client -- ./lab1_client {port}
//!
//! 检查程序扮演服务器，把端口作为第一个参数传给你的客户端（也放在 LAB_PORT
//! 中），并向它的标准输入键入若干行。`lab 1 guide` 讲解了协议。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;

/// 尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

fn main() {
    // 端口：取第一个参数，否则取 LAB_PORT，再否则用经典的 6666。
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(6666);

    // TODO 1 (connect)：TcpStream::connect(("127.0.0.1", port)) 完成 socket() 和
    //        connect()。如果失败（没有程序在监听：“connection refused”），打印提示，
    //        并以非零退出码结束：std::process::exit(1)。
    let mut conn: TcpStream = todo(1, "connect");

    let mut buf = [0u8; 1024];
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.is_empty() {
            continue; // 发送 0 字节什么也不会发出：服务器永远不会回复
        }
        // TODO 2 (send)：发送这一行的字节（Rust 的 String 本来就是 UTF-8）。
        todo::<()>(2, "send");

        // TODO 3 (exit)：如果这一行是 exit，就退出循环：服务器不会回复。
        todo::<()>(3, "exit");

        // TODO 4 (recv)：conn.read(&mut buf) 接收回复，最多 1024 字节。
        let n: usize = todo(4, "recv");

        // TODO 5 (closed)：n == 0：服务器已关闭连接。打印提示并退出循环。
        todo::<()>(5, "closed");

        // TODO 6 (print)：把回复作为文本打印：String::from_utf8_lossy(&buf[..n])。
        todo::<()>(6, "print");
    }
    // 离开 main 时会 drop `conn`，从而关闭套接字。
}
