//! 实验 4：自己写一个全双工客户端，用 Rust，只用标准库。
//!
//! 按顺序把每个 `todo(...)` 换成它所描述的代码。编译并检查：
//!
//!     rustc -o lab4_client lab4_client.rs
//!     lab check 4 client -- ./lab4_client {port}
//!
//! 检查程序把服务器的端口作为第一个参数传给你的客户端（也放在
//! LAB_PORT 中）。`lab 4 guide` 按阶段讲解了协议（“动手：自己写一个”一节）。
#![allow(unreachable_code, unused_variables, unused_mut, unused_imports, dead_code)]

use std::io::{BufRead, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// 尚未编写的部分：打印提示并退出（`lab check` 会引用这一行）。
fn todo<T>(number: u32, step: &str) -> T {
    println!("TODO {number} ({step}): not written yet");
    std::process::exit(1)
}

/// 读线程：服务器发来什么，一到就打印出来。
fn reader(mut sock: TcpStream, leaving: Arc<AtomicBool>) {
    let mut buf = [0u8; 1024];
    loop {
        // TODO 3 (recv)：sock.read(&mut buf)；把 Err 当作 0 字节（结束）处理。
        let n: usize = todo(3, "recv");
        if n == 0 {
            if leaving.load(Ordering::SeqCst) {
                return;
            }
            // TODO 4 (gone)：服务器已离开：打印一句话说明这一点，并结束整个
            //        程序：std::process::exit(1)（主线程正在等待键入的一行，
            //        察觉不到）。
            todo::<()>(4, "gone");
        }
        print!("{}", String::from_utf8_lossy(&buf[..n]));
        let _ = std::io::stdout().flush();
    }
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("LAB_PORT").ok())
        .and_then(|p| p.parse().ok())
        .unwrap_or(12000);

    // TODO 1 (connect)：TcpStream::connect(("127.0.0.1", port))；如果失败，打印
    //        失败原因并 std::process::exit(1)。
    let mut sock: TcpStream = todo(1, "connect");

    let leaving = Arc::new(AtomicBool::new(false));
    // TODO 2 (thread)：在等待输入之前启动读线程（服务器先说话）：
    //        let copy = sock.try_clone().unwrap(); let flag = leaving.clone();
    //        thread::spawn(move || reader(copy, flag))
    let receiving: thread::JoinHandle<()> = todo(2, "thread");

    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "exit" {
            leaving.store(true, Ordering::SeqCst);
            // TODO 6 (exit)：发送 b"exit\n" 并退出循环。
            todo::<()>(6, "exit");
        }
        // TODO 5 (send)：把这一行加上一个 "\n" 发送（sock.write_all）。
        todo::<()>(5, "send");
    }
    leaving.store(true, Ordering::SeqCst);
    let _ = sock.shutdown(Shutdown::Write); // 我们不再发送；goodbye 可能还会到达
    thread::sleep(Duration::from_millis(300));
}
