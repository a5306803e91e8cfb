//! 实验 2：自己写一个服务器，把文本随收随打印，用 Rust，只用 std。
//!
//! 任务：每个完整的字符一到就打印出来，每次 recv() 打印一行。
//! 按顺序把每个 `todo(...)` 换成它所描述的代码。编译并检查：
//!
//!     rustc -o lab2_server lab2_server.rs
//!     lab check 2 server -- ./lab2_server {port} {encoding}
//!
//! Rust 标准库只认识 UTF-8：这个起始文件能通过检查中 utf-8 那一轮。
//! 要通过 gbk 那一轮，把它改成 cargo 项目，用 `encoding_rs` crate
//! 解码（`GBK.new_decoder()`）；`lab 2 guide` 有详细说明。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::Read;
use std::net::{TcpListener, TcpStream};

/// 尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

/// 到目前为止已完整的字符：把 `data` 追加到 `held`，取出其中每个完整的
/// UTF-8 字符（无效字节变成 U+FFFD）；末尾未完整的字符留在 `held` 中，
/// 等下一次 recv()。
fn decode_utf8(held: &mut Vec<u8>, data: &[u8]) -> String {
    held.extend_from_slice(data);
    let mut text = String::new();
    loop {
        match std::str::from_utf8(held) {
            Ok(valid) => {
                text.push_str(valid);
                held.clear();
                return text;
            }
            Err(err) => {
                let good = err.valid_up_to();
                text.push_str(std::str::from_utf8(&held[..good]).unwrap_or(""));
                match err.error_len() {
                    // 无效：输出一个 U+FFFD，然后从坏字节之后继续。
                    Some(bad) => {
                        text.push('\u{FFFD}');
                        held.drain(..good + bad);
                    }
                    // 末尾有一个未完整的字符：留到以后。
                    None => {
                        held.drain(..good);
                        return text;
                    }
                }
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
        .unwrap_or(12345);

    // TODO 1 (bind)：TcpListener::bind(("127.0.0.1", port))。
    let listener: TcpListener = todo(1, "bind");
    println!("listening on 127.0.0.1:{port}");

    loop {
        // TODO 2 (accept)：等待下一个客户端连接。
        let (mut conn, addr): (TcpStream, std::net::SocketAddr) = todo(2, "accept");
        let mut held: Vec<u8> = Vec::new(); // 这个客户端尚未完整的字符
        let mut buf = [0u8; 1024];
        loop {
            // TODO 3 (recv)：conn.read(&mut buf)；出错（重置）就结束这个客户端。
            let n: usize = todo(3, "recv");

            // TODO 4 (closed)：n == 0：客户端已关闭连接。退出循环。
            todo::<()>(4, "closed");

            // TODO 5 (print)：把 decode_utf8(&mut held, &buf[..n]) 单独打印成一行。
            todo::<()>(5, "print");
        }
    }
}
