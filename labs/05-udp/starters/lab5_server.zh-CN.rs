//! 实验 5：自己写一个 UDP 服务器，用 Rust，只用标准库。
//!
//! 按顺序把每个 `todo(...)` 换成它所描述的代码。编译并检查：
//!
//!     rustc -o lab5_server lab5_server.rs
//!     lab check 5 server -- ./lab5_server {port}
//!
//! 检查程序把端口作为第一个参数传给你的服务器（也放在 LAB_PORT 中）。
//! `lab 5 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::net::{SocketAddr, UdpSocket};

/// 尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

fn main() {
    // 端口：取第一个参数，否则取 LAB_PORT，再否则用经典的 12000。
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(12000);

    // TODO 1 (bind)：UdpSocket::bind(("127.0.0.1", port)) 完成 socket() 和 bind()。
    //        不需要 listen()，也不需要 accept()。如果失败，打印一条消息后退出。
    let socket: UdpSocket = todo(1, "bind");
    println!("listening on 127.0.0.1:{port}/udp");

    // 比任何数据报都大：缓冲区小了，较长的数据报会被截断。
    let mut buf = vec![0u8; 65_536];
    loop {
        // TODO 2 (recvfrom)：socket.recv_from(&mut buf) 返回 (n, addr)。遇到 Err
        //        （Windows 会报告之前某个没有送达任何人的回复）就 `continue`。
        let (n, addr): (usize, SocketAddr) = todo(2, "recvfrom");
        let data = &buf[..n]; // 可能为空：空数据报同样要回复
        println!("{addr}: {n} bytes");

        // TODO 3 (sendto)：向 addr 回复一个数据报，它以收到的整个数据报结尾：
        //        b"heard you: " 后面跟着 data（socket.send_to）。
        todo::<()>(3, "sendto");
    }
}
