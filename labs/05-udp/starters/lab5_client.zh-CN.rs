//! 实验 5：自己写一个 UDP 客户端，用 Rust，只用标准库。
//!
//! 按顺序把每个 `todo(...)` 换成它所描述的代码。编译并检查：
//!
//!     rustc -o lab5_client lab5_client.rs
//!     lab check 5 client -- ./lab5_client {port}
//!
//! 检查程序把服务器的端口作为第一个参数传给你的客户端（也放在
//! LAB_PORT 中）。`lab 5 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

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
        .unwrap_or(12000);
    let server: SocketAddr = ([127, 0, 0, 1], port).into();
    // 端口 0：由操作系统挑一个空闲端口，就像 Python 第一次 sendto() 时自动做的那样。
    let socket = UdpSocket::bind(("127.0.0.1", 0)).expect("a UDP socket");

    // TODO 1 (timeout)：UDP 从不告诉你对方不在：让 recv_from() 在 3 秒后放弃
    //        等待：socket.set_read_timeout(Some(Duration::from_secs(3)))
    todo::<()>(1, "timeout");

    let mut buf = vec![0u8; 65_536];
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        // TODO 2 (sendto)：把这一行的字节发送给 server（socket.send_to）。
        todo::<()>(2, "sendto");
        loop {
            // TODO 3 (recvfrom)：socket.recv_from(&mut buf)。kind() 为 WouldBlock
            //        或 TimedOut 的 Err 就是超时：打印一行，内容为
            //        "no reply within 3 s"，然后 `break`（接着会键入下一行）。
            let (n, from): (usize, SocketAddr) = todo(3, "recvfrom");
            if from != server {
                // TODO 4 (stranger)：不是服务器发来的：打印这个数据报及其来源
                //        地址，然后 `continue`，继续等待回复。
                todo::<()>(4, "stranger");
            }
            // TODO 5 (reply)：以文本打印回复（String::from_utf8_lossy），然后 break。
            todo::<()>(5, "reply");
        }
    }
}
