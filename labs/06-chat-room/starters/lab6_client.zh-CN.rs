//! 实验 6：自己写一个全双工聊天客户端，用 Rust，只用标准库。
//!
//! 你键入的第一行是你的昵称；键入的每一行都连同它的 \n 一起发送。一个
//! 接收线程把服务器发来的内容一到就打印出来，即使你一行才键入到一半也是如此。
//! 服务器发来的控制字符（ESC、BEL、C1）以转义形式显示，绝不原样打印。
//! Ctrl-D 关闭连接并结束程序。
//! 按顺序把每个 `todo(...)` 换成它所描述的代码。编译并检查：
//!
//!     rustc -o lab6_client lab6_client.rs
//!     lab check 6 client -- ./lab6_client {port}
//!
//! `lab 6 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Read, Write};
use std::net::{Shutdown, TcpStream};

/// 尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

/// 控制字符以转义形式显示（`\u{1b}`），其他字符原样显示。
fn safe(text: &str) -> String {
    // TODO 5 (escape)：逐个映射字符：c.is_control() -> c.escape_default()，否则保持 c。
    todo(5, "escape")
}

/// 接收线程：每一整行一到就打印出来。
fn receive(mut conn: TcpStream) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = conn.read(&mut chunk).unwrap_or(0);
        if n == 0 {
            println!("the server closed the connection");
            std::process::exit(0);
        }
        buf.extend_from_slice(&chunk[..n]);
        // TODO 4 (lines)：只要 buf 中有 b'\n'：取出（drain）这一行，打印
        //        safe(&String::from_utf8_lossy(line).trim_end())。
        todo::<()>(4, "lines");
    }
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(5555);
    // TODO 1 (connect)：TcpStream::connect(("127.0.0.1", port))；如果失败，打印提示
    //        并 std::process::exit(1)。
    let mut conn: TcpStream = todo(1, "connect");
    // TODO 2 (thread)：用 std::thread::spawn 启动一个线程，在
    //        conn.try_clone() 上运行 receive()；main() 返回时它随程序一起结束。
    todo::<()>(2, "thread");
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        // TODO 3 (send)：conn.write_all(format!("{line}\n").as_bytes())：文本和
        //        它的 \n 在一次发送中发出。
        todo::<()>(3, "send");
    }
    // TODO 6 (close)：输入结束：conn.shutdown(Shutdown::Both)；然后 return。
    todo::<()>(6, "close");
}
