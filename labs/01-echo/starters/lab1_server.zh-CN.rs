//! 实验 1：自己写一个回显服务器，用 Rust，只用标准库。
//!
//! 按顺序把每个 `todo(...)` 换成它所描述的代码。编译并检查：
//!
//!     rustc -o lab1_server lab1_server.rs
//!     lab check 1 server -- ./lab1_server {port}
//!
//! 检查程序把端口作为第一个参数传给你的服务器（也放在 LAB_PORT 中）。
//! `lab 1 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{SystemTime, UNIX_EPOCH};

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

    // TODO 1 (bind)：TcpListener::bind(("127.0.0.1", port)) 一次完成 socket()、bind()
    //        和 listen()。如果失败，打印一条消息后退出。
    let listener: TcpListener = todo(1, "bind");
    println!("listening on 127.0.0.1:{port}");

    loop {
        // TODO 2 (accept)：等待客户端连接：listener.accept() 返回 (stream, address)。
        let (mut conn, addr): (TcpStream, std::net::SocketAddr) = todo(2, "accept");
        println!("connected: {addr}");
        let mut buf = [0u8; 1024];
        loop {
            // TODO 3 (recv)：conn.read(&mut buf) 最多接收 1024 字节。
            //        Ok(n) 给出收到的字节数；如果 Err 的 kind() 是 ConnectionReset，
            //        说明客户端突然消失了：也像 TODO 4 那样退出循环。
            let n: usize = todo(3, "recv");

            // TODO 4 (closed)：n == 0：客户端已关闭连接。退出循环。
            todo::<()>(4, "closed");
            let data = &buf[..n];

            // TODO 5 (exit)：客户端发来 b"exit"：退出循环，不回复。
            todo::<()>(5, "exit");

            // TODO 6 (send)：回复 ctime()、一个空格和收到的字节
            //        （conn.write_all 会把它们全部发出）。
            todo::<()>(6, "send");
        }
        // TODO 7 (close)：drop(conn) 关闭这个客户端的套接字，然后处理下一个客户端。
        todo::<()>(7, "close");
    }
}

/// 按 Python 的 time.ctime() 的格式给出当前时间，使用 UTC（标准库没有
/// 时区；`lab check` 接受 UTC 或本地时间）：`Mon Nov 23 03:47:53 2026`。
fn ctime() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // 从 1970-01-01 起的天数换算成公历日期（Howard Hinnant 的算法）。
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{weekday} {} {day:>2} {:02}:{:02}:{:02} {year}",
        names[(month - 1) as usize],
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}
