//! 实验 3：自己写一个半双工聊天服务器，用 Rust，只用标准库。
//!
//! 客户端先说话；你（操作员）键入每一句回复；任何一方发出 `q` 都会结束
//! 这次对话，然后服务器等待下一个客户端。按顺序把每个 `todo(...)` 换成
//! 它所描述的代码。编译并检查：
//!
//!     rustc -o lab3_server lab3_server.rs
//!     lab check 3 server -- ./lab3_server {port}
//!
//! `lab 3 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};

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
        .unwrap_or(9000);

    // TODO 1 (listen)：TcpListener::bind(("127.0.0.1", port))。
    let listener: TcpListener = todo(1, "listen");
    println!("listening on 127.0.0.1:{port}");
    let mut operator = std::io::stdin().lock().lines();

    loop {
        // TODO 2 (accept)：等待下一个客户端连接。
        let (mut conn, addr): (TcpStream, std::net::SocketAddr) = todo(2, "accept");
        println!("connected: {addr} - the client speaks first");
        let mut buf = [0u8; 1024];
        loop {
            // TODO 3 (recv)：轮到客户端：conn.read(&mut buf)。出错（被重置）
            //        就结束这次对话。
            let n: usize = todo(3, "recv");

            // TODO 4 (closed)：n == 0：客户端已离开。退出循环。
            todo::<()>(4, "closed");

            let text = String::from_utf8_lossy(&buf[..n]).to_string();

            // TODO 5 (client q)：text.trim() 是 "q" 或 "Q"：退出循环。
            todo::<()>(5, "client q");

            // TODO 6 (show)：打印这条消息（`amy:hello` 可以显示为 `amy: hello`）。
            todo::<()>(6, "show");

            // 轮到我们：操作员键入回复（输入结束时服务器也结束）。
            let Some(Ok(reply)) = operator.next() else { return };

            // TODO 7 (send)：conn.write_all(reply.as_bytes())。
            todo::<()>(7, "send");

            // TODO 8 (server q)：回复是 q：发送之后退出循环。
            todo::<()>(8, "server q");
        }
        // `conn` 在这里、循环体结束时被 drop：这会关闭连接，
        // 接下来的 accept() 等待下一个客户端。
    }
}
