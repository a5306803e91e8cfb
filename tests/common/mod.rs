//! The test harness: run the real `lab` binary, read what it prints, talk to it.
//!
//! - `Lab::start(&["1", "server", "--port", "0"])` spawns `lab` with piped stdin,
//!   stdout and stderr. Two reader threads pass every output line to the test.
//! - `port()` waits for `listening on HOST:PORT (tcp|udp)` and returns the real port.
//! - `wait_for("text")` waits until a stdout line contains the text (stderr:
//!   `wait_for_err`), up to a deadline, and fails with everything printed so far.
//!   Tests wait on output, never on a fixed sleep.
//! - Dropping a `Lab` kills the process and reaps it, so a failing test (a panic)
//!   still leaves no process behind.
#![allow(dead_code)] // each test file uses a different part of the harness

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// How long a test waits for an expected line before it fails. Generous, because a
/// two-core CI machine may be busy compiling; a passing test never waits this long.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// The path of the `lab` binary cargo built for these tests.
pub fn lab_binary() -> &'static str {
    env!("CARGO_BIN_EXE_lab")
}

/// The variables that change what `lab` prints (colours, terminal size, language).
/// The harness removes them all, so a test sees the same output on every machine,
/// whatever the shell that runs `cargo test` has set (CLICOLOR_FORCE=1, LANG=zh_CN,
/// COLUMNS=40, ...). [`hermetic`] then sets the few a test needs.
pub const OUTSIDE_VARIABLES: &[&str] = &[
    "CLICOLOR_FORCE",
    "CLICOLOR",
    "NO_COLOR",
    "TERM",
    "COLUMNS",
    "LINES",
    "LANG",
    "LC_ALL",
    "LC_MESSAGES",
    "LANGUAGE",
    // Our own override of the width to wrap at (src/term.rs): tests that want it set it.
    "SOCKET_LAB_COLUMNS",
    // Lays `lab N guide` out even on a pipe (src/markdown.rs): tests that want it set it.
    "SOCKET_LAB_RENDER",
];

/// `lab ARGS` with the environment made hermetic: the outside variables removed, then
/// colours off (`NO_COLOR=1`) and a fixed UTF-8 locale. A test that is about colour
/// removes NO_COLOR again (`env_remove("NO_COLOR")`) and sets what it tests.
pub fn hermetic(args: &[&str]) -> Command {
    let mut cmd = Command::new(lab_binary());
    cmd.args(args);
    for name in OUTSIDE_VARIABLES {
        cmd.env_remove(name);
    }
    cmd.env("NO_COLOR", "1").env("LC_ALL", "C.UTF-8");
    cmd
}

/// `lab ARGS` for a one-shot run, with assert_cmd (hermetic, colours off, no stdin).
pub fn lab_cmd(args: &[&str]) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(hermetic(args));
    cmd.timeout(PATIENCE);
    cmd
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

/// A running `lab` process.
pub struct Lab {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<(Stream, String)>,
    /// Every line read so far, in order, with the stream it came from.
    seen: Vec<(Stream, String)>,
    /// How many of `seen` have been matched by `wait_for*` already.
    cursor: [usize; 2],
    args: Vec<String>,
}

impl Lab {
    /// Spawns `lab ARGS`, hermetic and with colours off (see [`hermetic`]).
    pub fn start(args: &[&str]) -> Lab {
        Lab::spawn(hermetic(args))
    }

    /// Spawns a command built with [`hermetic`] and changed by the test (an
    /// environment variable, a resource limit).
    pub fn spawn(mut command: Command) -> Lab {
        let args = command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the lab binary starts");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        forward_lines(stdout, Stream::Out, tx.clone());
        forward_lines(stderr, Stream::Err, tx);
        Lab {
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
            cursor: [0, 0],
            args,
        }
    }

    /// Starts a server on `--port 0` (plus `extra` options) and waits for its port.
    pub fn server(lab: &str, extra: &[&str]) -> (Lab, u16) {
        let mut args = vec![lab, "server", "--port", "0"];
        args.extend_from_slice(extra);
        let mut server = Lab::start(&args);
        let port = server.port();
        (server, port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the `listening on HOST:PORT (proto)` line and returns PORT.
    pub fn port(&mut self) -> u16 {
        let line = self.wait_for("listening on ");
        parse_port(&line).unwrap_or_else(|| panic!("no port in {line:?}"))
    }

    /// Waits until a stdout line after the last match contains `needle`; returns it.
    pub fn wait_for(&mut self, needle: &str) -> String {
        self.wait_for_in(Stream::Out, needle)
    }

    /// Waits until a stderr line after the last match contains `needle`; returns it.
    pub fn wait_for_err(&mut self, needle: &str) -> String {
        self.wait_for_in(Stream::Err, needle)
    }

    fn wait_for_in(&mut self, stream: Stream, needle: &str) -> String {
        let slot = stream as usize;
        let deadline = Instant::now() + PATIENCE;
        // Lines before `checked` have been looked at in this call already, so each line
        // is looked at once, however many a server prints.
        let mut checked = self.cursor[slot];
        loop {
            for (i, (s, line)) in self.seen.iter().enumerate().skip(checked) {
                if *s == stream && line.contains(needle) {
                    self.cursor[slot] = i + 1;
                    return line.clone();
                }
            }
            checked = self.seen.len();
            let now = Instant::now();
            if now >= deadline {
                self.fail(&format!(
                    "waited {PATIENCE:?} for {stream:?} line containing {needle:?}"
                ));
            }
            match self.lines.recv_timeout(deadline - now) {
                Ok(line) => self.seen.push(line),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.fail(&format!("the process ended before printing {needle:?}"));
                }
            }
        }
    }

    /// Everything printed on stdout so far (after draining what is waiting).
    pub fn stdout_so_far(&mut self) -> String {
        self.text_of(Stream::Out)
    }

    /// Everything printed on stderr so far (after draining what is waiting).
    pub fn stderr_so_far(&mut self) -> String {
        self.text_of(Stream::Err)
    }

    fn text_of(&mut self, stream: Stream) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        self.seen
            .iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, line)| format!("{line}\n"))
            .collect()
    }

    /// Types one line into the process's stdin.
    pub fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        writeln!(stdin, "{line}").expect("the process reads its stdin");
        stdin.flush().expect("stdin flushes");
    }

    /// Closes stdin: the process sees the end of its input (Ctrl-D).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the process to exit, reading its output meanwhile; fails after PATIENCE.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait works") {
                // Collect what it printed before it went.
                while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.seen.push(line);
                }
                return status;
            }
            if Instant::now() >= deadline {
                self.fail("the process did not exit in time");
            }
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(20)) {
                self.seen.push(line);
            }
        }
    }

    /// Kills the process now (like a closed terminal or `kill -9`).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends a signal by pid (Unix), e.g. `libc`-free `kill -INT PID`.
    #[cfg(unix)]
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    fn fail(&mut self, why: &str) -> ! {
        let out = self.stdout_so_far();
        let err = self.stderr_so_far();
        panic!(
            "{why}\n`lab {}`\n--- stdout ---\n{out}--- stderr ---\n{err}--------------",
            self.args.join(" ")
        );
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Pass or fail, the process does not outlive its test.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forward_lines(
    pipe: impl Read + Send + 'static,
    stream: Stream,
    tx: mpsc::Sender<(Stream, String)>,
) {
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut raw = Vec::new();
        loop {
            raw.clear();
            match reader.read_until(b'\n', &mut raw) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&raw)
                        .trim_end_matches(['\n', '\r'])
                        .to_string();
                    if tx.send((stream, line)).is_err() {
                        return;
                    }
                }
            }
        }
    });
}

/// `listening on 127.0.0.1:40123 (tcp)` → 40123; also `[::1]:40123`.
pub fn parse_port(line: &str) -> Option<u16> {
    let addr = line
        .split("listening on ")
        .nth(1)?
        .split_whitespace()
        .next()?;
    addr.parse::<SocketAddr>().ok().map(|a| a.port())
}

/// A plain std TCP client on 127.0.0.1:`port`, with a read timeout so no test hangs.
pub fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("the server accepts connections");
    stream
        .set_read_timeout(Some(PATIENCE))
        .expect("a read timeout can be set");
    stream
}

/// Reads from `stream` until what arrived contains `needle`; returns all of it.
pub fn read_until_contains(stream: &mut TcpStream, needle: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(needle) {
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in {:?}",
            String::from_utf8_lossy(&got)
        );
        match stream.read(&mut buf) {
            Ok(0) => panic!(
                "connection closed before {needle:?}; got {:?}",
                String::from_utf8_lossy(&got)
            ),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(err) => panic!(
                "read failed waiting for {needle:?}: {err}; got {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// A loopback TCP port that nothing listens on (bound, read, released), for testing
/// what a client does when its server is not running.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .expect("the OS hands out a free port")
        .port()
}
