//! 实验 3：自己写一个半双工聊天客户端，用 Rust，只用标准库。
//!
//! 你先说话；每一行以 NAME:line 的形式发出；然后等待回复。
//! `q` 结束对话（发送不带名字的 q）；服务器发来 `q` 也会结束对话。
//! 按顺序把每个 `todo(...)` 换成它所描述的代码。编译并检查：
//!
//!     rustc -o lab3_client lab3_client.rs
//!     lab check 3 client -- ./lab3_client {port} amy
//!
//! `lab 3 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;

/// 尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(9000);
    let name = args.next().unwrap_or_else(|| "guest".to_string());

    // TODO 1 (connect)：TcpStream::connect(("127.0.0.1", port))；如果失败，打印提示
    //        并 std::process::exit(1)。
    let mut conn: TcpStream = todo(1, "connect");

    let mut buf = [0u8; 1024];
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.is_empty() {
            continue; // 0 字节永远不会到达对端
        }
        // TODO 2 (q)：line.trim() 是 "q" 或 "Q"：发送不带名字的 b"q"，然后 return。
        todo::<()>(2, "q");

        // TODO 3 (send)：把 format!("{name}:{line}") 作为字节发送。
        todo::<()>(3, "send");

        // TODO 4 (recv)：轮到服务器：conn.read(&mut buf)。
        let n: usize = todo(4, "recv");

        // TODO 5 (gone)：n == 0：服务器已离开。打印提示并 exit(1)。
        todo::<()>(5, "gone");

        // TODO 6 (server q)：回复是 q：服务器结束了对话。return。
        todo::<()>(6, "server q");

        // TODO 7 (show)：打印回复：String::from_utf8_lossy(&buf[..n])。
        todo::<()>(7, "show");
    }
}
