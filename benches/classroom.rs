//! The classroom benchmark: do the lab servers hold a lecture hall, and how do they
//! compare with what students would otherwise run?
//!
//! Run it with `cargo bench --bench classroom` (a release build). It talks to the real
//! `lab` binary on loopback only, raises its own open-file limit as far as the hard
//! limit allows, and prints one table. It is a benchmark, not a test: nothing here
//! passes or fails, it measures. BENCHMARKS.md records the figures and the targets.
//!
//! Options (after `--`): `--quick` for a short run (fewer messages and clients);
//! `--only 4` (or 1, 6) runs one lab's part.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1).cloned());
    let part = |lab: &str| only.as_deref().is_none_or(|o| o == lab);
    let nofile = raise_open_file_limit();
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    println!("socket-lab classroom benchmark");
    println!(
        "machine: {cores} cores, {}, open-file limit {nofile}, {}",
        kernel(),
        chrono::Local::now().format("%Y-%m-%d %H:%M")
    );
    println!();
    let mut table = Table::default();

    let messages = if quick { 500 } else { 5_000 };
    if part("1") {
        lab1_round_trip(messages, &mut table);
    }
    if part("4") {
        lab4_many_clients(if quick { 100 } else { 1_000 }, &mut table);
    }

    table.print();
}

// ---------------------------------------------------------------------------------
// Lab 1: echo round trip, against the loopback floor
// ---------------------------------------------------------------------------------

/// p50/p99 of send-then-recv against `lab 1 server`, beside the same loop against a
/// minimal echo written with std in this process: the floor loopback allows.
fn lab1_round_trip(messages: usize, table: &mut Table) {
    let floor = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the floor echo");
        let port = listener.local_addr().expect("local addr").port();
        thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                let mut buf = [0u8; 1024];
                while let Ok(n) = conn.read(&mut buf) {
                    if n == 0 || conn.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        });
        round_trips(port, messages, b"hello".len())
    };

    let server = Server::start(&["1", "server", "--port", "0", "--quiet"]);
    // The reply is `Mon Nov 23 03:47:53 2026 hello`: 24 bytes of time, a space, 5 bytes.
    let lab = round_trips(server.port, messages, 30);
    drop(server);

    let (floor50, floor99) = (percentile(&floor, 50), percentile(&floor, 99));
    let (lab50, lab99) = (percentile(&lab, 50), percentile(&lab, 99));
    table.row(
        "lab 1",
        &format!("echo round trip, {messages} messages"),
        &format!(
            "p50 {} p99 {} (floor p50 {} p99 {}; ratio p50 {:.2}x)",
            ms(lab50),
            ms(lab99),
            ms(floor50),
            ms(floor99),
            lab50.as_secs_f64() / floor50.as_secs_f64()
        ),
        "p50 within 2x the floor",
    );
}

/// Sends `hello` and reads a reply of `reply_len` bytes, `count` times; returns each
/// round trip's duration.
fn round_trips(port: u16, count: usize, reply_len: usize) -> Vec<Duration> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut buf = vec![0u8; reply_len];
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let start = Instant::now();
        stream.write_all(b"hello").expect("send");
        stream.read_exact(&mut buf).expect("reply");
        times.push(start.elapsed());
    }
    times
}

// ---------------------------------------------------------------------------------
// Lab 4: a thousand clients, a thread each
// ---------------------------------------------------------------------------------

/// `n` clients connect at once to `lab 4 server`; measured: the time until every one
/// has its welcome line, how many `ping`s are answered, the server's RSS and threads
/// while all are connected.
fn lab4_many_clients(n: usize, table: &mut Table) {
    let server = Server::start(&["4", "server", "--port", "0", "--max-clients", "1000"]);
    let port = server.port;
    // Three meeting points: all welcomed, all pinged, measured (then everyone leaves).
    let gate = std::sync::Arc::new(std::sync::Barrier::new(n + 1));
    let start = Instant::now();
    let clients: Vec<_> = (0..n)
        .map(|_| {
            let gate = gate.clone();
            thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    let conn = TcpStream::connect(("127.0.0.1", port)).ok();
                    let mut lines = conn.as_ref().and_then(|c| {
                        c.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
                        Some(BufReader::new(c.try_clone().ok()?))
                    });
                    let welcomed = lines
                        .as_mut()
                        .is_some_and(|l| read_line_starting(l, "welcome"));
                    gate.wait();
                    let answered = welcomed
                        && conn
                            .as_ref()
                            .is_some_and(|mut c| c.write_all(b"ping\n").is_ok())
                        && lines
                            .as_mut()
                            .is_some_and(|l| read_line_starting(l, "reply to"));
                    gate.wait();
                    gate.wait();
                    (welcomed, answered)
                })
                .expect("spawn a client thread")
        })
        .collect();
    gate.wait();
    let all_welcomed = start.elapsed();
    gate.wait();
    let usage = rss_and_threads(server.pid());
    gate.wait();
    let results: Vec<(bool, bool)> = clients
        .into_iter()
        .map(|c| c.join().unwrap_or((false, false)))
        .collect();
    let welcomed = results.iter().filter(|r| r.0).count();
    let answered = results.iter().filter(|r| r.1).count();
    table.row(
        "lab 4",
        &format!("{n} clients at once"),
        &format!(
            "{welcomed}/{n} welcomed in {}, {answered}/{n} pings answered, {}",
            ms(all_welcomed),
            usage_text(usage)
        ),
        "all 1,000 answered",
    );
}

/// Reads lines until one starts with `prefix` (true) or the connection ends (false).
fn read_line_starting(lines: &mut impl BufRead, prefix: &str) -> bool {
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if line.starts_with(prefix) => return true,
            Ok(_) => {}
        }
    }
}

fn usage_text(usage: Option<(u64, u64)>) -> String {
    match usage {
        Some((rss_kib, threads)) => format!(
            "server RSS {:.1} MiB, {threads} threads",
            rss_kib as f64 / 1024.0
        ),
        None => "server RSS: not measured (no /proc)".to_string(),
    }
}

// ---------------------------------------------------------------------------------
// Helpers: the lab process, percentiles, /proc, the table
// ---------------------------------------------------------------------------------

/// A `lab` server: started with `--port 0`, its port read from the listening line,
/// its further output drained (so it never blocks on a full pipe), killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lab"))
            .args(args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start lab");
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        let port = loop {
            line.clear();
            if out.read_line(&mut line).expect("read the server's output") == 0 {
                panic!("`lab {}` ended before listening", args.join(" "));
            }
            if let Some(addr) = line.strip_prefix("listening on ") {
                let addr = addr.split_whitespace().next().expect("an address");
                break addr
                    .parse::<std::net::SocketAddr>()
                    .expect("a socket address")
                    .port();
            }
        };
        thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Server { child, port }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn percentile(samples: &[Duration], p: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// `VmRSS` in KiB and the thread count of a process, from /proc (Linux only).
fn rss_and_threads(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
    };
    Some((field("VmRSS:")?, field("Threads:")?))
}

fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| format!("Linux {}", k.trim()))
        .unwrap_or_else(|_| std::env::consts::OS.to_string())
}

/// Raises the soft open-file limit to the hard limit (1,000 clients need 1,000+ fds on
/// each side). Returns the limit in force.
#[cfg(unix)]
fn raise_open_file_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur
    }
}

#[cfg(not(unix))]
fn raise_open_file_limit() -> u64 {
    0
}

#[derive(Default)]
struct Table {
    rows: Vec<[String; 4]>,
}

impl Table {
    fn row(&mut self, lab: &str, what: &str, measured: &str, target: &str) {
        self.rows
            .push([lab, what, measured, target].map(str::to_string));
    }

    fn print(&self) {
        let header = ["lab", "what", "measured", "target"];
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        };
        let widths = [width(0), width(1), width(2)];
        let line = |r: [&str; 4]| {
            println!(
                "| {:<w0$} | {:<w1$} | {:<w2$} | {} |",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            )
        };
        line(header);
        line(["---", "---", "---", "---"]);
        for r in &self.rows {
            line([&r[0], &r[1], &r[2], &r[3]]);
        }
    }
}
