//! `lab 8 states [--port P]`: every TCP socket on this machine with P at either end,
//! read from the OS's own table (src/tcp_table.rs), refreshed twice a second, like
//! `watch ss -tan 'sport = :8888 or dport = :8888'`. Below the table, the last state
//! changes it saw, so a step that takes only milliseconds (LAST-ACK) still shows.
//!
//! On a pipe (not a terminal) it prints one table and exits, for scripts and tests.

use std::collections::{BTreeMap, VecDeque};
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use clap::Args;

use crate::labs::Lab;
use crate::lang::{pick, tr};
use crate::screen::width_of;
use crate::tcp_table::{self, TcpSocket, TcpState};
use crate::term::say;

#[derive(Args, Debug)]
pub struct StatesArgs {
    /// The port to watch: rows with this port at either end. Default: the lab's port
    #[arg(long)]
    port: u16,

    /// Milliseconds between two readings of the table
    #[arg(long, value_name = "MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(50..=60_000))]
    every: u64,
}

/// State changes kept below the table.
const RECENT_CHANGES: usize = 8;

pub fn run(args: StatesArgs, lab: &Lab) -> anyhow::Result<()> {
    let live = std::io::stdout().is_terminal();
    let mut last: BTreeMap<(SocketAddr, SocketAddr), TcpState> = BTreeMap::new();
    let mut changes: VecDeque<String> = VecDeque::new();
    loop {
        let table = tcp_table::read()?;
        let rows = tcp_table::on_port(&table, args.port);
        let now: BTreeMap<_, _> = rows
            .iter()
            .map(|r| ((r.local, r.remote), r.state))
            .collect();
        if live {
            note_changes(&last, &now, &mut changes);
            // Clear the screen and go to its top left corner (ANSI), then redraw.
            print!("\x1b[2J\x1b[H");
        }
        print_table(args.port, &rows, lab);
        if live {
            say!("");
            say!(
                "{}",
                pick(
                    "recent changes (Ctrl-C stops):",
                    "最近的变化（Ctrl-C 停止）："
                )
            );
            for change in &changes {
                say!("  {change}");
            }
        } else {
            return Ok(());
        }
        last = now;
        thread::sleep(Duration::from_millis(args.every));
    }
}

fn print_table(port: u16, rows: &[&TcpSocket], lab: &Lab) {
    let time = chrono::Local::now().format("%H:%M:%S").to_string();
    for line in table_lines(port, rows, lab, &time) {
        say!("{line}");
    }
}

/// The table as lines of text: a heading, a header row and one row per socket.
fn table_lines(port: u16, rows: &[&TcpSocket], lab: &Lab, time: &str) -> Vec<String> {
    let mut lines = vec![tr!(
        "TCP sockets on port {port}, from {}, at {time}",
        "端口 {port} 上的 TCP 套接字，读自 {}，时间 {time}",
        tcp_table::source()
    )];
    if !tcp_table::platform_note().is_empty() {
        lines.push(tr!("(note: {})", "（注：{}）", tcp_table::platform_note()));
    }
    // The headers are padded by display width (a Chinese character takes two
    // columns), so they stay above the columns of the rows in both languages.
    lines.push(format!(
        "{} {} {} {} {} {}",
        left(pick("local", "本端地址"), 22),
        left(pick("remote", "远端地址"), 22),
        left(pick("state", "状态"), 11),
        right(pick("send-q", "待发送"), 6),
        right(pick("recv-q", "待接收"), 6),
        pick("end", "哪一端")
    ));
    if rows.is_empty() {
        lines.push(tr!(
            "(none: nothing listens on or connects to port {port}; start `lab {} server`)",
            "（无：没有程序在端口 {port} 上监听或连接它；请启动 `lab {} server`）",
            lab.number
        ));
    }
    let queue = |q: Option<u32>| q.map_or("-".to_string(), |n| n.to_string());
    for row in rows {
        lines.push(format!(
            "{:<22} {:<22} {:<11} {:>6} {:>6} {}",
            row.local.to_string(),
            row.remote.to_string(),
            row.state,
            queue(row.send_queue),
            queue(row.recv_queue),
            end_of(row, port)
        ));
    }
    lines
}

/// `text` padded with spaces to `width` terminal columns, on the right.
fn left(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(width_of(text))))
}

/// `text` padded with spaces to `width` terminal columns, on the left.
fn right(text: &str, width: usize) -> String {
    format!("{}{text}", " ".repeat(width.saturating_sub(width_of(text))))
}

/// Which end of the lab's connection a row is: the listener, the server's end (our
/// port is its local port), or a client's end (our port is at the remote side).
fn end_of(row: &TcpSocket, port: u16) -> &'static str {
    if row.is_listener() {
        pick("listener", "监听端")
    } else if row.local.port() == port {
        pick("server", "服务器端")
    } else {
        pick("client", "客户端")
    }
}

/// Adds a line for each row that appeared, changed state or disappeared.
fn note_changes(
    before: &BTreeMap<(SocketAddr, SocketAddr), TcpState>,
    now: &BTreeMap<(SocketAddr, SocketAddr), TcpState>,
    changes: &mut VecDeque<String>,
) {
    let time = chrono::Local::now().format("%H:%M:%S%.3f");
    let mut push = |line: String| {
        if changes.len() == RECENT_CHANGES {
            changes.pop_front();
        }
        changes.push_back(format!("{time}  {line}"));
    };
    for (&(local, remote), &state) in now {
        match before.get(&(local, remote)) {
            Some(&old) if old == state => {}
            Some(&old) => push(tr!(
                "{local} -> {remote}: {old} -> {state}",
                "{local} -> {remote}：{old} -> {state}"
            )),
            None => push(tr!(
                "{local} -> {remote}: new, {state}",
                "{local} -> {remote}：新出现，{state}"
            )),
        }
    }
    for (&(local, remote), &old) in before {
        if !now.contains_key(&(local, remote)) {
            push(tr!(
                "{local} -> {remote}: {old} -> gone",
                "{local} -> {remote}：{old} -> 消失"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(a: &str, b: &str) -> (SocketAddr, SocketAddr) {
        (a.parse().unwrap(), b.parse().unwrap())
    }

    #[test]
    fn changes_name_new_changed_and_gone_rows() {
        let mut before = BTreeMap::new();
        before.insert(
            key("127.0.0.1:8888", "127.0.0.1:5000"),
            TcpState::Established,
        );
        before.insert(key("127.0.0.1:8888", "127.0.0.1:5001"), TcpState::TimeWait);
        let mut now = BTreeMap::new();
        now.insert(key("127.0.0.1:8888", "127.0.0.1:5000"), TcpState::CloseWait);
        now.insert(key("127.0.0.1:5002", "127.0.0.1:8888"), TcpState::SynSent);
        let mut changes = VecDeque::new();
        note_changes(&before, &now, &mut changes);
        let text: Vec<&str> = changes
            .iter()
            .map(|c| c.split_once("  ").unwrap().1)
            .collect();
        assert!(text.contains(&"127.0.0.1:8888 -> 127.0.0.1:5000: ESTABLISHED -> CLOSE-WAIT"));
        assert!(text.contains(&"127.0.0.1:5002 -> 127.0.0.1:8888: new, SYN-SENT"));
        assert!(text.contains(&"127.0.0.1:8888 -> 127.0.0.1:5001: TIME-WAIT -> gone"));
    }

    #[test]
    fn an_empty_port_says_so_and_rows_show_their_end() {
        let lab = crate::labs::find("8").expect("lab 8 is registered");
        let empty = table_lines(8888, &[], lab, "12:00:00");
        assert!(empty
            .last()
            .unwrap()
            .starts_with("(none: nothing listens on or connects to port 8888"));
        let row = TcpSocket {
            local: "127.0.0.1:51000".parse().unwrap(),
            remote: "127.0.0.1:8888".parse().unwrap(),
            state: TcpState::SynSent,
            send_queue: Some(1),
            recv_queue: None,
        };
        let lines = table_lines(8888, &[&row], lab, "12:00:00");
        let last = lines.last().unwrap();
        assert!(
            last.starts_with("127.0.0.1:51000        127.0.0.1:8888         SYN-SENT"),
            "{last}"
        );
        assert!(last.ends_with("1      - client"), "{last}");
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{lines:?}");
    }

    #[test]
    fn only_the_last_few_changes_are_kept() {
        let mut changes = VecDeque::new();
        for i in 0..20u16 {
            let mut now = BTreeMap::new();
            now.insert(
                key("127.0.0.1:8888", &format!("127.0.0.1:{}", 5000 + i)),
                TcpState::Established,
            );
            note_changes(&BTreeMap::new(), &now, &mut changes);
        }
        assert_eq!(changes.len(), RECENT_CHANGES);
    }
}
