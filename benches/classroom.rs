//! The classroom benchmark: do the lab servers hold a lecture hall, and how do they
//! compare with what students would otherwise run?
//!
//! Run it with `cargo bench --bench classroom` (a release build). It talks to the real
//! `lab` binary on loopback only, raises its own open-file limit as far as the hard
//! limit allows, and prints one table. It is a benchmark, not a test: nothing here
//! passes or fails, it measures. BENCHMARKS.md records the figures and the targets.
//!
//! Options (after `--`): `--quick` for a short run (fewer messages and clients);
//! `--only 4` (or 1, 6) runs one lab's part. `LAB_BIN=path` measures another build of
//! `lab` than the one cargo just built.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
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
    if part("6") {
        let sizes: &[usize] = if quick { &[100] } else { &[100, 1_000] };
        lab6_fan_out(sizes, 20, &mut table);
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
// Lab 6: the chat room's fan-out, against the classic Python chat server
// ---------------------------------------------------------------------------------

/// For each room size: `n` clients join `lab 6 server`, then one of them says a line
/// `rounds` times (waiting for each to reach everyone before the next); measured:
/// the delivery latency from send() to each other client's recv of the line (p50,
/// p99), lines lost, server RSS. The same load then goes to the classic Python server
/// (benches/classic_chat_server.py), and the table gives the ratios.
fn lab6_fan_out(sizes: &[usize], rounds: usize, table: &mut Table) {
    let known = Command::new(lab_binary())
        .args(["6", "server", "--help"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !known {
        println!("lab 6: skipped: this build of `lab` has no lab 6 (`lab 6 server --help` fails)");
        return;
    }
    let python = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    for &n in sizes {
        let lab = fan_out(
            Server::start(&["6", "server", "--port", "0", "--quiet"]),
            n,
            rounds,
        );
        table.row(
            "lab 6",
            &format!("{n} clients, 1 to {} x{rounds}", n - 1),
            &lab.describe(),
            if n >= 1_000 {
                "nothing lost, p99 < 50 ms and <= 0.5x Python, RSS < 64 MiB"
            } else {
                "nothing lost"
            },
        );
        if !python {
            println!("python baseline: skipped: python3 is not installed");
            continue;
        }
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/classic_chat_server.py"
        );
        let mut command = Command::new("python3");
        command.args([script, "0"]);
        let classic = fan_out(
            Server::spawn(command, "python3 classic_chat_server.py"),
            n,
            rounds,
        );
        table.row(
            "python",
            &format!("{n} clients, 1 to {} x{rounds}", n - 1),
            &classic.describe(),
            "(the classic baseline)",
        );
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
        if !lab.latencies.is_empty() && !classic.latencies.is_empty() {
            table.row(
                "lab 6 / python",
                &format!("{n} clients"),
                &format!(
                    "p50 {:.2}x, p99 {:.2}x, RSS {}",
                    ratio(
                        percentile(&lab.latencies, 50),
                        percentile(&classic.latencies, 50)
                    ),
                    ratio(
                        percentile(&lab.latencies, 99),
                        percentile(&classic.latencies, 99)
                    ),
                    match (lab.rss_kib, classic.rss_kib) {
                        (Some(a), Some(b)) => format!("{:.2}x", a as f64 / b as f64),
                        _ => "not measured".to_string(),
                    }
                ),
                if n >= 1_000 { "p99 <= 0.5x" } else { "" },
            );
        }
    }
}

/// What one fan-out run measured.
struct FanOut {
    clients: usize,
    joined: usize,
    join_time: Duration,
    /// One per line delivered: from the sender's send() to a receiver's recv.
    latencies: Vec<Duration>,
    expected: usize,
    /// The server's largest RSS seen (after joining, after the rounds), in KiB.
    rss_kib: Option<u64>,
}

impl FanOut {
    fn describe(&self) -> String {
        let latency = if self.latencies.is_empty() {
            "no line delivered".to_string()
        } else {
            format!(
                "p50 {} p99 {}",
                ms(percentile(&self.latencies, 50)),
                ms(percentile(&self.latencies, 99))
            )
        };
        format!(
            "{}/{} joined in {}; {latency}; lost {}/{}; server RSS {}",
            self.joined,
            self.clients,
            ms(self.join_time),
            self.expected - self.latencies.len().min(self.expected),
            self.expected,
            self.rss_kib.map_or("not measured".to_string(), |k| format!(
                "{:.1} MiB",
                k as f64 / 1024.0
            ))
        )
    }
}

/// One fan-out run against `server` (a chat server speaking lab 6's lines); the
/// server is stopped at the end, which also ends every client thread.
fn fan_out(server: Server, n: usize, rounds: usize) -> FanOut {
    let addr: SocketAddr = ([127, 0, 0, 1], server.port).into();
    let epoch = Instant::now();
    let joined = Arc::new(AtomicUsize::new(0));
    let delivered = Arc::new(AtomicUsize::new(0));

    // Connect one after another (the listen queue is not what is measured here), and
    // give each client a thread that joins and then timestamps every line it gets.
    let mut sender = None;
    let mut clients = Vec::with_capacity(n);
    for i in 0..n {
        let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(10)) else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
        if i == 0 {
            sender = stream.try_clone().ok();
        }
        let (joined, delivered) = (Arc::clone(&joined), Arc::clone(&delivered));
        let spawned = thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || chat_client(stream, i, epoch, &joined, &delivered));
        if let Ok(client) = spawned {
            clients.push(client);
        }
    }
    let connected = clients.len();
    let deadline = Instant::now() + Duration::from_secs(60);
    while joined.load(Ordering::SeqCst) < connected && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(1));
    }
    let join_time = epoch.elapsed();
    let joined_count = joined.load(Ordering::SeqCst);
    let mut rss_kib = rss_and_threads(server.pid()).map(|(rss, _)| rss);

    // The rounds: u0 says `round K`; wait (bounded) until everyone else has it.
    let mut sent_at = Vec::with_capacity(rounds);
    let receivers = joined_count.saturating_sub(1);
    if let Some(mut sender) = sender {
        for k in 0..rounds {
            sent_at.push(epoch.elapsed());
            if sender.write_all(format!("round {k}\n").as_bytes()).is_err() {
                break;
            }
            let until = Instant::now() + Duration::from_secs(5);
            while delivered.load(Ordering::SeqCst) < (k + 1) * receivers && Instant::now() < until {
                thread::sleep(Duration::from_micros(200));
            }
        }
    }
    if let Some(after) = rss_and_threads(server.pid()).map(|(rss, _)| rss) {
        rss_kib = Some(rss_kib.map_or(after, |before| before.max(after)));
    }

    // Stop the server: every client reads the end of the stream and returns.
    drop(server);
    let mut latencies = Vec::new();
    for client in clients {
        for (k, at) in client.join().unwrap_or_default() {
            if let Some(&sent) = sent_at.get(k) {
                latencies.push(at.saturating_sub(sent));
            }
        }
    }
    FanOut {
        clients: n,
        joined: joined_count,
        join_time,
        latencies,
        expected: receivers * rounds,
        rss_kib,
    }
}

/// One chat client: sends its nickname, counts itself joined at `* welcome,`, then
/// records when each `<u0> round K` line arrives (K, time since `epoch`).
fn chat_client(
    stream: TcpStream,
    i: usize,
    epoch: Instant,
    joined: &AtomicUsize,
    delivered: &AtomicUsize,
) -> Vec<(usize, Duration)> {
    let mut got = Vec::new();
    if (&stream).write_all(format!("u{i}\n").as_bytes()).is_err() {
        return got;
    }
    let mut lines = BufReader::new(&stream);
    let mut line = String::new();
    let mut welcomed = false;
    loop {
        line.clear();
        match lines.read_line(&mut line) {
            Ok(0) | Err(_) => return got,
            Ok(_) => {}
        }
        if !welcomed {
            if line.starts_with("* welcome,") {
                welcomed = true;
                joined.fetch_add(1, Ordering::SeqCst);
            }
            continue;
        }
        if let Some(k) = line.strip_prefix("<u0> round ") {
            if let Ok(k) = k.trim_end().parse() {
                got.push((k, epoch.elapsed()));
                delivered.fetch_add(1, Ordering::SeqCst);
            }
        }
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
    /// `lab ARGS` (with colours off).
    fn start(args: &[&str]) -> Server {
        let mut command = Command::new(lab_binary());
        command.args(args).env("NO_COLOR", "1");
        Server::spawn(command, &format!("lab {}", args.join(" ")))
    }

    /// Any server that prints `listening on HOST:PORT` first.
    fn spawn(mut command: Command, name: &str) -> Server {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("could not start `{name}`: {err}"));
        let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        let port = loop {
            line.clear();
            if out.read_line(&mut line).expect("read the server's output") == 0 {
                panic!("`{name}` ended before listening");
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

/// The `lab` binary to measure: `LAB_BIN` if set, else the one cargo built.
fn lab_binary() -> PathBuf {
    std::env::var_os("LAB_BIN")
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_lab")), PathBuf::from)
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
