//! 实验 2：自己写一个客户端，把文本作为字节发送，用 Rust，只用 std。
//!
//! 任务：把键入的每一行作为字节发送，不等待回复；输入结束时关闭连接。
//! 按顺序替换每个 `todo(...)`。编译并检查：
//!
//!     rustc -o lab2_client lab2_client.rs
//!     lab check 2 client -- ./lab2_client {port} {encoding}
//!
//! Rust 的 String 本来就是 UTF-8，而 std 不支持 GBK：这个起始文件能通过
//! utf-8 那一轮检查。要通过 gbk 那一轮，把它改成 cargo 项目，用
//! `encoding_rs` crate 编码（`GBK.encode(&line)`）；`lab 2 guide` 有详细说明。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Write};
use std::net::TcpStream;

/// 尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(12345);

    // TODO 1 (connect)：TcpStream::connect(("127.0.0.1", port))；如果失败，打印提示
    //        并 std::process::exit(1)。
    let mut conn: TcpStream = todo(1, "connect");

    // 输入结束（Ctrl-D，或者管道输入的文件已读完）时循环结束。
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.is_empty() {
            continue; // 0 字节什么也不会发出
        }
        // TODO 2 (send)：conn.write_all(line.as_bytes())；不会有回复，不要等待。
        todo::<()>(2, "send");
    }
    // TODO 3 (close)：drop(conn) 关闭套接字：服务器的 recv() 会返回 0 字节。
    todo::<()>(3, "close");
}
