//! The classroom benchmark: do the lab servers hold a lecture hall, and how do they
//! compare with what students would otherwise run?
//!
//! Run it with `cargo bench --bench classroom` (a release build). It talks to the real
//! `lab` binary on loopback only, raises its own open-file limit as far as the hard
//! limit allows, and prints one table. It is a benchmark, not a test: nothing here
//! passes or fails, it measures. BENCHMARKS.md records the figures and the targets.
//!
//! Options (after `--`): `--quick` for a short run (fewer messages and clients);
//! `--only 4` (or 1; or chat, 6, 9, 10: the chat rooms) runs one part.
//! `LAB_BIN=path` measures another build of `lab` than the one cargo just built.
//! `--floor-server` (Linux) is not for you: it is how the benchmark starts the
//! floor, a bare epoll chat server, as a process of its own.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    #[cfg(target_os = "linux")]
    if args.iter().any(|a| a == "--floor-server") {
        floor_server();
    }
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
    if part("chat") || part("6") || part("9") || part("10") {
        let sizes: &[usize] = if quick {
            &[100, 1_000]
        } else {
            &[1_000, 10_000]
        };
        let join_timeout = if quick { 20 } else { 60 };
        chat_rooms(sizes, 20, join_timeout, &mut table);
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
// Labs 6, 9 and 10: the chat room with 1,000 and 10,000 clients, side by side with
// the classic Python server and the floor (a bare epoll loop)
// ---------------------------------------------------------------------------------

/// The chat servers the comparison runs, in this order for each size (the floor
/// first, then labs 9 and 10 right after it, so the ratios compare neighbours).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ChatServer {
    Floor,
    Lab9,
    Lab10,
    Lab6,
    Python,
}

impl ChatServer {
    fn name(self) -> &'static str {
        match self {
            ChatServer::Floor => "floor",
            ChatServer::Lab9 => "lab 9",
            ChatServer::Lab10 => "lab 10",
            ChatServer::Lab6 => "lab 6",
            ChatServer::Python => "python",
        }
    }

    fn start(self) -> Option<Server> {
        match self {
            ChatServer::Floor => {
                if !cfg!(target_os = "linux") {
                    println!("floor: skipped: the epoll floor is Linux only");
                    return None;
                }
                let me = std::env::current_exe().ok()?;
                let mut command = Command::new(me);
                command.arg("--floor-server");
                Some(Server::spawn(command, "classroom --floor-server"))
            }
            ChatServer::Lab9 => Some(Server::start(&["9", "server", "--port", "0", "--quiet"])),
            ChatServer::Lab10 => Some(Server::start(&["10", "server", "--port", "0", "--quiet"])),
            ChatServer::Lab6 => Some(Server::start(&["6", "server", "--port", "0", "--quiet"])),
            ChatServer::Python => {
                let python = Command::new("python3")
                    .arg("--version")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if !python {
                    println!("python baseline: skipped: python3 is not installed");
                    return None;
                }
                let script = concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/benches/classic_chat_server.py"
                );
                let mut command = Command::new("python3");
                command.args([script, "0"]);
                Some(Server::spawn(command, "python3 classic_chat_server.py"))
            }
        }
    }
}

/// What `lab 9 swarm` reported, plus the server's largest RSS and thread count.
#[derive(Default)]
struct Room {
    clients: usize,
    joined: usize,
    join_ms: f64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    lost: usize,
    expected: usize,
    dropped: usize,
    rss_kib: Option<u64>,
    threads: Option<u64>,
    problem: Option<String>,
    /// The swarm could not be run or its report not read.
    failed: Option<String>,
    /// How many runs this row stands for (see `merge`).
    runs: usize,
}

/// For each size and server: start the server, fill its room with `lab 9 swarm -n
/// N` (one thread, a mio loop, in a process of its own: 10,000 client sockets and
/// 10,000 server sockets do not fit one process's open-file limit), then 20 rounds
/// of one line from one client to everyone. The server's RSS and threads are read
/// from /proc every 50 ms meanwhile; the table gets the largest.
fn chat_rooms(sizes: &[usize], rounds: usize, join_timeout: u64, table: &mut Table) {
    use ChatServer::{Floor, Lab10, Lab6, Lab9, Python};
    // The floor and labs 9 and 10 are compared with each other, on a machine whose
    // load may drift while they run: so they run twice, in the order floor, 9, 10,
    // then back 10, 9, floor, and each row gives the mean of its two runs.
    let order = [Floor, Lab9, Lab10, Lab10, Lab9, Floor, Lab6, Python];
    for &n in sizes {
        let mut rooms: Vec<(ChatServer, Room)> = Vec::new();
        for server in order {
            let Some(running) = server.start() else {
                continue;
            };
            println!("  {} with {n} clients...", server.name());
            let room = fill_room(&running, n, rounds, join_timeout);
            drop(running);
            println!("    {}", room.describe(None));
            rooms.push((server, room));
        }
        let merged = |server: ChatServer| {
            Room::merge(
                rooms
                    .iter()
                    .filter(|(s, _)| *s == server)
                    .map(|(_, room)| room),
            )
        };
        let floor_p99 = merged(Floor).and_then(|room| room.p99_ms);
        for server in [Floor, Lab9, Lab10, Lab6, Python] {
            let Some(room) = merged(server) else {
                continue;
            };
            let target = match (server, n >= 10_000) {
                (Floor, _) => "(what one core can do)".to_string(),
                (Lab9 | Lab10, true) => {
                    let lab9 = if server == Lab9 { ", <= 3 threads" } else { "" };
                    format!("all joined, 0 lost, 0 dropped, p99 <= 1.5x floor, RSS < 128 MiB{lab9}")
                }
                (Lab9 | Lab10, false) => "all joined, 0 lost".to_string(),
                (Lab6, false) => "0 lost, p99 < 50 ms".to_string(),
                (Python, _) => "(the classic baseline)".to_string(),
                (Lab6, true) => "(as far as it holds)".to_string(),
            };
            table.row(
                server.name(),
                &format!("{n} clients, 1 to all x{rounds}"),
                &room.describe(floor_p99),
                &target,
            );
        }
    }
}

/// Runs `lab 9 swarm` against `server` and samples the server's RSS and threads.
fn fill_room(server: &Server, n: usize, rounds: usize, join_timeout: u64) -> Room {
    let mut room = Room {
        clients: n,
        runs: 1,
        ..Room::default()
    };
    let swarm = Command::new(lab_binary())
        .args([
            "9",
            "swarm",
            "--port",
            &server.port.to_string(),
            "-n",
            &n.to_string(),
            "--rounds",
            &rounds.to_string(),
            "--join-timeout",
            &join_timeout.to_string(),
        ])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut swarm = match swarm {
        Ok(swarm) => swarm,
        Err(err) => {
            room.failed = Some(format!("could not start `lab 9 swarm`: {err}"));
            return room;
        }
    };
    let out = swarm.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut lines = Vec::new();
    loop {
        if let Some((rss, threads)) = rss_and_threads(server.pid()) {
            room.rss_kib = Some(room.rss_kib.map_or(rss, |r| r.max(rss)));
            room.threads = Some(room.threads.map_or(threads, |t| t.max(threads)));
        }
        while let Ok(line) = rx.try_recv() {
            // A room of 10,000 that did not fill: the rounds would only measure a
            // server that has already fallen behind. Stop there, and say so.
            let short = line
                .strip_prefix("joined: ")
                .and_then(|rest| rest.split('/').next())
                .and_then(|count| count.replace(',', "").parse::<usize>().ok())
                .is_some_and(|joined| joined < n && n >= 10_000);
            lines.push(line);
            if short {
                let _ = swarm.kill();
            }
        }
        match swarm.try_wait() {
            Ok(Some(_)) | Err(_) => break,
            Ok(None) => thread::sleep(Duration::from_millis(50)),
        }
    }
    lines.extend(rx.try_iter());
    let mut err = String::new();
    if let Some(mut stderr) = swarm.stderr.take() {
        let _ = stderr.read_to_string(&mut err);
    }
    room.read_report(&lines);
    if room.failed.is_some() && !err.trim().is_empty() {
        room.failed = Some(err.trim().to_string());
    }
    room
}

impl Room {
    /// One row for several runs of the same server: times and percentiles are the
    /// mean of the runs (each run's figures are printed as it ends), counts are
    /// summed, the fewest joined and the largest RSS and thread count are kept.
    fn merge<'a>(runs: impl Iterator<Item = &'a Room>) -> Option<Room> {
        let runs: Vec<&Room> = runs.collect();
        let first = runs.first()?;
        let mean = |pick: fn(&Room) -> Option<f64>| {
            let values: Vec<f64> = runs.iter().filter_map(|r| pick(r)).collect();
            (values.len() == runs.len()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        };
        Some(Room {
            clients: first.clients,
            joined: runs.iter().map(|r| r.joined).min().unwrap_or(0),
            join_ms: mean(|r| Some(r.join_ms)).unwrap_or(0.0),
            p50_ms: mean(|r| r.p50_ms),
            p99_ms: mean(|r| r.p99_ms),
            lost: runs.iter().map(|r| r.lost).sum(),
            expected: runs.iter().map(|r| r.expected).sum(),
            dropped: runs.iter().map(|r| r.dropped).sum(),
            rss_kib: runs.iter().filter_map(|r| r.rss_kib).max(),
            threads: runs.iter().filter_map(|r| r.threads).max(),
            problem: runs.iter().find_map(|r| r.problem.clone()),
            failed: runs.iter().find_map(|r| r.failed.clone()),
            runs: runs.len(),
        })
    }

    /// Reads the swarm's report lines (see src/labs/event_loop/swarm.rs).
    fn read_report(&mut self, lines: &[String]) {
        let number = |text: &str| text.replace(',', "").parse::<f64>().ok();
        let mut seen = false;
        for line in lines {
            if let Some(rest) = line.strip_prefix("joined: ") {
                // joined: 9,999/10,000 in 1234.5 ms (...)
                seen = true;
                let (count, rest) = rest.split_once('/').unwrap_or(("0", ""));
                self.joined = number(count).unwrap_or(0.0) as usize;
                if let Some(ms) = rest
                    .split(" in ")
                    .nth(1)
                    .and_then(|r| r.split(" ms").next())
                {
                    self.join_ms = number(ms).unwrap_or(0.0);
                }
            } else if let Some(rest) = line.strip_prefix("  first problem: ") {
                self.problem = Some(rest.to_string());
            } else if line.starts_with("fan-out: ") {
                let after = |key: &str| {
                    line.split(key)
                        .nth(1)
                        .and_then(|r| r.split(" ms").next())
                        .and_then(number)
                };
                self.p50_ms = after("p50 ");
                self.p99_ms = after("p99 ");
            } else if let Some(rest) = line.strip_prefix("lines received: ") {
                // lines received: N in all; lost: L of E round lines; dropped by the server: D
                let field = |key: &str| {
                    rest.split(key)
                        .nth(1)
                        .and_then(|r| r.split([' ', ';']).next())
                        .and_then(number)
                        .unwrap_or(0.0) as usize
                };
                self.lost = field("lost: ");
                self.expected = field(" of ");
                self.dropped = field("dropped by the server: ");
            }
        }
        if !seen {
            self.failed = Some("the swarm printed no report".to_string());
        }
    }

    fn describe(&self, floor_p99: Option<f64>) -> String {
        if let Some(failed) = &self.failed {
            return format!("not measured: {failed}");
        }
        let mut text = if self.runs > 1 {
            format!("{} runs, mean: ", self.runs)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "{}/{} joined in {:.1} s",
            self.joined,
            self.clients,
            self.join_ms / 1000.0
        ));
        if self.joined < self.clients {
            let why = self.problem.as_deref().unwrap_or("no answer in time");
            text.push_str(&format!(" (stopped there: {why})"));
        }
        match (self.p50_ms, self.p99_ms) {
            (Some(p50), Some(p99)) => {
                text.push_str(&format!("; fan-out p50 {p50:.1} ms p99 {p99:.1} ms"));
                if let Some(floor) = floor_p99.filter(|f| *f > 0.0) {
                    text.push_str(&format!(" ({:.2}x floor p99)", p99 / floor));
                }
            }
            _ if self.joined < self.clients && self.clients >= 10_000 => {
                text.push_str("; rounds not run")
            }
            _ => text.push_str("; no round line delivered"),
        }
        if self.expected > 0 || self.joined == self.clients {
            text.push_str(&format!(
                "; lost {}/{}; dropped {}",
                self.lost, self.expected, self.dropped
            ));
        }
        match (self.rss_kib, self.threads) {
            (Some(rss), Some(threads)) => text.push_str(&format!(
                "; server RSS {:.1} MiB, {threads} threads",
                rss as f64 / 1024.0
            )),
            _ => text.push_str("; server RSS not measured (no /proc)"),
        }
        text
    }
}

// ---------------------------------------------------------------------------------
// The floor: a minimal one-thread epoll chat server, via libc (Linux only)
// ---------------------------------------------------------------------------------

/// `classroom --floor-server`: the benchmark re-run as a server, so its sockets are
/// in a process of their own. One thread, level-triggered epoll, blocking nothing:
/// it welcomes, takes the first line as the nickname (`* welcome, NICK!`), and writes
/// every later line as `<NICK> text` to every other joined client with one write()
/// each. No bounds, no checks, no join announcements, no outbox: a write that does
/// not fit is simply cut. What one core can do writing a line to N loopback sockets.
#[cfg(target_os = "linux")]
fn floor_server() -> ! {
    use std::os::fd::RawFd;

    struct Conn {
        nick: Option<Vec<u8>>,
        partial: Vec<u8>,
    }

    fn check(result: i32, what: &str) -> i32 {
        if result < 0 {
            eprintln!("floor: {what} failed: {}", std::io::Error::last_os_error());
            std::process::exit(1);
        }
        result
    }

    fn write_all_or_cut(fd: RawFd, bytes: &[u8]) {
        // SAFETY: writes from a valid slice to a descriptor we own.
        unsafe {
            libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        }
    }

    raise_open_file_limit();
    // SAFETY: plain socket calls on descriptors this function creates and owns;
    // every pointer passed points to a live local value of the right type.
    unsafe {
        let listener = check(
            libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0),
            "socket()",
        );
        let one: libc::c_int = 1;
        libc::setsockopt(
            listener,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
        let mut addr: libc::sockaddr_in = std::mem::zeroed();
        addr.sin_family = libc::AF_INET as libc::sa_family_t;
        addr.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        check(
            libc::bind(listener, (&addr as *const libc::sockaddr_in).cast(), len),
            "bind()",
        );
        check(libc::listen(listener, 4096), "listen()");
        let mut bound: libc::sockaddr_in = std::mem::zeroed();
        let mut bound_len = len;
        libc::getsockname(
            listener,
            (&mut bound as *mut libc::sockaddr_in).cast(),
            &mut bound_len,
        );
        println!(
            "listening on 127.0.0.1:{} (tcp)",
            u16::from_be(bound.sin_port)
        );
        let _ = std::io::stdout().flush();

        let epoll = check(libc::epoll_create1(0), "epoll_create1()");
        let watch = |fd: RawFd| {
            let mut event = libc::epoll_event {
                events: libc::EPOLLIN as u32,
                u64: fd as u64,
            };
            libc::epoll_ctl(epoll, libc::EPOLL_CTL_ADD, fd, &mut event);
        };
        watch(listener);
        let mut conns: Vec<Option<Conn>> = Vec::new();
        let mut joined: Vec<RawFd> = Vec::new();
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let ready = libc::epoll_wait(epoll, events.as_mut_ptr(), events.len() as i32, -1);
            for event in events.iter().take(ready.max(0) as usize) {
                let fd = event.u64 as RawFd;
                if fd == listener {
                    loop {
                        let conn = libc::accept4(
                            listener,
                            std::ptr::null_mut(),
                            std::ptr::null_mut(),
                            libc::SOCK_NONBLOCK,
                        );
                        if conn < 0 {
                            break;
                        }
                        libc::setsockopt(
                            conn,
                            libc::IPPROTO_TCP,
                            libc::TCP_NODELAY,
                            (&one as *const libc::c_int).cast(),
                            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                        );
                        watch(conn);
                        let slot = conn as usize;
                        if conns.len() <= slot {
                            conns.resize_with(slot + 1, || None);
                        }
                        conns[slot] = Some(Conn {
                            nick: None,
                            partial: Vec::new(),
                        });
                        write_all_or_cut(conn, b"* welcome to the chat room. Choose a nickname\n");
                    }
                    continue;
                }
                let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
                if n <= 0 {
                    if n < 0
                        && std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock
                    {
                        continue;
                    }
                    libc::close(fd);
                    conns[fd as usize] = None;
                    joined.retain(|&j| j != fd);
                    continue;
                }
                let Some(conn) = conns[fd as usize].as_mut() else {
                    continue;
                };
                conn.partial.extend_from_slice(&buf[..n as usize]);
                while let Some(end) = conn.partial.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = conn.partial.drain(..=end).collect();
                    let text = &line[..line.len() - 1];
                    match &conn.nick {
                        None => {
                            conn.nick = Some(text.to_vec());
                            let mut welcome = b"* welcome, ".to_vec();
                            welcome.extend_from_slice(text);
                            welcome.extend_from_slice(b"!\n");
                            write_all_or_cut(fd, &welcome);
                            joined.push(fd);
                        }
                        Some(nick) => {
                            let mut out = b"<".to_vec();
                            out.extend_from_slice(nick);
                            out.extend_from_slice(b"> ");
                            out.extend_from_slice(&line);
                            for &other in &joined {
                                if other != fd {
                                    write_all_or_cut(other, &out);
                                }
                            }
                        }
                    }
                }
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
