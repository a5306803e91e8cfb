//! 实验 4：自己写一个每个客户端一个线程的服务器，用 Rust，只用标准库。
//!
//! 按顺序把每个 `todo(...)` 换成它所描述的代码。编译并检查：
//!
//!     rustc -o lab4_server lab4_server.rs
//!     lab check 4 server -- ./lab4_server {port}
//!
//! 检查程序把端口作为第一个参数传给你的服务器（也放在 LAB_PORT 中）。
//! `lab 4 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

/// 尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

/// 一个客户端的整段对话，在它自己的线程中进行。
fn serve(mut conn: TcpStream, addr: SocketAddr) {
    let me = addr.to_string(); // `127.0.0.1:50312`，回复中用它称呼客户端
    // TODO 3 (welcome)：发送一行 format!("welcome, {me}\n")：conn.write_all(..)。
    //        如果失败，说明客户端已经不在了：return。
    todo::<()>(3, "welcome");
    let mut buf = [0u8; 1024];
    loop {
        // TODO 4 (recv)：conn.read(&mut buf)。Ok(0)：客户端已关闭连接；Err：客户端
        //        突然消失（连接被重置）。两种情况都 return：只结束这个线程。
        let n: usize = todo(4, "recv");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            // TODO 5 (exit)：这一行是 "exit"：发送 format!("goodbye, {me}\n") 后 return。
            todo::<()>(5, "exit");

            // TODO 6 (reply)：发送 format!("reply to {me}: {line}\n")；失败就 return。
            todo::<()>(6, "reply");
        }
    }
}

fn main() {
    // 端口：取第一个参数，否则取 LAB_PORT，再否则用经典的 12000。
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(12000);

    // TODO 1 (bind)：TcpListener::bind(("127.0.0.1", port)) 一次完成 socket()、bind()
    //        和 listen()。如果失败，打印一条消息后退出。
    let listener: TcpListener = todo(1, "bind");
    println!("listening on 127.0.0.1:{port}");

    loop {
        let (conn, addr) = match listener.accept() {
            Ok(pair) => pair,
            Err(err) => {
                println!("accept() failed: {err}");
                continue;
            }
        };
        println!("connected: {addr}");
        // TODO 2 (thread)：thread::spawn(move || serve(conn, addr))；主线程
        //        只负责 accept（在这里直接调用 serve() 会让其他客户端都得等着）。
        todo::<()>(2, "thread");
    }
}
