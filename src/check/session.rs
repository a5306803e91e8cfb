//! The session: the checker's side of the conversation with the student's program.
//! A stage talks through it: start the program, connect to it (or accept its
//! connection), send, receive with a timeout, type into its stdin, wait for its
//! output or its end. Each step is recorded, so a failure can say what was done.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::ExitStatus;
use std::thread;
use std::time::{Duration, Instant};

use super::diff;
use super::program::{Program, Stream};
use super::{Failure, Outcome, Role, HOST, READY_SECS};
use crate::lang::{pick, tr};
use crate::term;

/// What a stage uses to talk to the student's program: start it, connect to it (or
/// accept its connection), send, receive, type into its stdin, read its output.
/// Each step records what the checker did, for the failure report.
pub struct Session {
    pub role: Role,
    slow: f64,
    command: Vec<String>,
    pub(super) vars: Vec<(&'static str, String)>,
    pub(super) program: Option<Program>,
    /// The port the program is told: where a server must listen, or where a client
    /// must connect (the checker listens there).
    pub port: u16,
    /// Client role: the checker's listening socket.
    listener: Option<TcpListener>,
    /// Server role: the server has accepted once, so it is listening.
    ready: bool,
    /// A connection that a stage leaves for the next one (a conversation in steps).
    pub conn: Option<TcpStream>,
    /// What the checker did in the current stage.
    pub(super) did: Vec<String>,
    /// stdout offset from which `expect_output` looks.
    out_mark: usize,
    /// The output line at which the current stage started.
    pub(super) line_mark: usize,
    /// How many connections the checker opened, to name them (client 1, client 2).
    clients: usize,
    /// The lab speaks UDP (lab 5): the port is a UDP port, and a client talks to the
    /// checker's datagram socket instead of its listener.
    pub(super) udp: bool,
    /// Client role over UDP: the checker's socket, where the client sends.
    udp_server: Option<UdpSocket>,
    /// The program's working directory (`--class`: the student's folder).
    pub(super) cwd: Option<PathBuf>,
}

/// Why a read ended without what was wanted.
enum Ended {
    TimedOut,
    /// The bytes so far cannot become what was wanted, and nothing more came.
    Mismatch,
    Closed,
    Broken(std::io::Error),
}

impl Session {
    pub(super) fn new(role: Role, slow: f64, command: Vec<String>) -> Session {
        Session {
            role,
            slow,
            command,
            vars: Vec::new(),
            program: None,
            port: 0,
            listener: None,
            ready: false,
            conn: None,
            did: Vec::new(),
            out_mark: 0,
            line_mark: 0,
            clients: 0,
            udp: false,
            udp_server: None,
            cwd: None,
        }
    }

    /// `secs` seconds, times `--slow`.
    pub fn secs(&self, secs: f64) -> Duration {
        Duration::from_secs_f64(secs * self.slow)
    }

    /// How long a program may take to start: 10 s, times `--slow`.
    fn ready_wait(&self) -> Duration {
        Duration::from_secs_f64(READY_SECS * self.slow)
    }

    fn ready_text(&self) -> String {
        seconds(self.ready_wait().as_secs_f64())
    }

    fn secs_text(&self, secs: f64) -> String {
        seconds(secs * self.slow)
    }

    /// Records a step the checker took, shown if the stage fails.
    pub fn did(&mut self, step: impl Into<String>) {
        self.did.push(step.into());
    }

    /// The program's command line with the placeholders filled in.
    pub(super) fn argv(&self) -> Vec<String> {
        self.command
            .iter()
            .map(|arg| {
                let mut arg = arg
                    .replace("{port}", &self.port.to_string())
                    .replace("{host}", HOST);
                for (name, value) in &self.vars {
                    arg = arg.replace(&format!("{{{name}}}"), value);
                }
                arg
            })
            .collect()
    }

    /// Starts (or restarts) the program. A server gets a fresh free port each time;
    /// a client gets the port the checker listens on.
    pub fn start(&mut self) -> Outcome {
        self.stop();
        match self.role {
            Role::Server => {
                let free = if self.udp { free_udp_port } else { free_port };
                self.port = free().map_err(|err| {
                    Failure::new(tr!(
                        "the checker found no free port: {err}",
                        "检查程序找不到空闲端口：{err}"
                    ))
                })?;
                self.ready = false;
            }
            Role::Client if self.udp => {
                if self.udp_server.is_none() {
                    let socket = UdpSocket::bind((HOST, 0)).map_err(|err| {
                        Failure::new(tr!(
                            "the checker could not bind a UDP port: {err}",
                            "检查程序无法绑定 UDP 端口：{err}"
                        ))
                    })?;
                    self.port = socket.local_addr().map(|a| a.port()).unwrap_or(0);
                    self.udp_server = Some(socket);
                }
                // The first datagram of this run is also its start-up.
                self.ready = false;
                // Datagrams the program's last run sent are not the new run's.
                if let Some(socket) = &self.udp_server {
                    let _ = socket.set_nonblocking(true);
                    let mut buf = [0u8; 2048];
                    while socket.recv_from(&mut buf).is_ok() {}
                    let _ = socket.set_nonblocking(false);
                }
            }
            Role::Client => {
                if self.listener.is_none() {
                    let listener = TcpListener::bind((HOST, 0)).map_err(|err| {
                        Failure::new(tr!(
                            "the checker could not listen: {err}",
                            "检查程序无法监听：{err}"
                        ))
                    })?;
                    listener.set_nonblocking(true).map_err(|err| {
                        Failure::new(tr!(
                            "the checker could not listen: {err}",
                            "检查程序无法监听：{err}"
                        ))
                    })?;
                    self.port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
                    self.listener = Some(listener);
                }
                // A connection the program's last run left in the queue is not the
                // new run's: drop it, so accept() takes the new program's connection.
                if let Some(listener) = &self.listener {
                    while listener.accept().is_ok() {}
                }
            }
        }
        self.spawn_program()
    }

    /// Starts the program with the current port and placeholders.
    fn spawn_program(&mut self) -> Outcome {
        let mut env = vec![
            ("LAB_PORT".to_string(), self.port.to_string()),
            ("LAB_HOST".to_string(), HOST.to_string()),
        ];
        for (name, value) in &self.vars {
            env.push((format!("LAB_{}", name.to_uppercase()), value.clone()));
        }
        let argv = self.argv();
        let program = Program::start(&argv, &env, self.cwd.as_deref()).map_err(Failure::new)?;
        self.did(tr!(
            "started your program: {}",
            "启动了你的程序：{}",
            shown_command(&argv)
        ));
        self.program = Some(program);
        self.out_mark = 0;
        Ok(())
    }

    /// Starts the program on a port where nothing listens (client role): a client
    /// must say so and exit. Returns that port.
    pub fn start_with_nothing_listening(&mut self) -> Result<u16, Failure> {
        self.stop();
        let saved = self.port;
        let free = if self.udp { free_udp_port } else { free_port };
        self.port = free()
            .map_err(|err| Failure::new(tr!("no free port: {err}", "找不到空闲端口：{err}")))?;
        let port = self.port;
        let result = self.spawn_program();
        self.port = saved;
        result.map(|()| port)
    }

    /// Ends the program and everything it started, and forgets open connections.
    pub fn stop(&mut self) {
        self.conn = None;
        if let Some(mut program) = self.program.take() {
            program.stop();
        }
    }

    fn program(&mut self) -> Option<&mut Program> {
        self.program.as_mut()
    }

    /// `Some(failure)` if the program has ended: how, and the TODO it reached.
    fn gone(&mut self, waiting_for: &str) -> Option<Failure> {
        let status = self.program()?.exited()?;
        Some(self.ended_failure(status, waiting_for))
    }

    /// [`Self::gone`], allowing the program a moment to finish ending: a connection
    /// that closes or breaks is often the first sign that the program crashed.
    fn gone_soon(&mut self, waiting_for: &str) -> Option<Failure> {
        let deadline = Instant::now() + self.secs(0.3);
        loop {
            if let Some(failure) = self.gone(waiting_for) {
                return Some(failure);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn ended_failure(&mut self, status: ExitStatus, waiting_for: &str) -> Failure {
        let todo = self
            .program
            .as_ref()
            .and_then(|p| p.output.0.lock().ok().and_then(|c| c.todo_reached()));
        let mut what = tr!(
            "your program ended ({}) while the checker was waiting for {waiting_for}",
            "检查程序在等待{waiting_for}时，你的程序结束了（{}）",
            exit_text(status)
        );
        if let Some(todo) = &todo {
            what.push_str(&tr!(
                ". It reached `{}`",
                "。它执行到了 `{}`",
                term::safe_str(todo)
            ));
        }
        let mut failure = Failure::new(what);
        if todo.is_some() {
            failure.hint = Some(
                pick(
                    "write the part that TODO stands for, then run the same check again",
                    "把这个 TODO 要求的部分写出来，然后再运行同一条检查命令",
                )
                .to_string(),
            );
        }
        failure
    }

    // -- server role: the checker is a client --------------------------------------

    /// Connects to the student's server. The first connection is also the readiness
    /// probe: it is retried until the server listens (10 s), so a one-client-at-a-time
    /// server is never handed an extra client.
    pub fn connect(&mut self) -> Result<TcpStream, Failure> {
        let deadline = Instant::now()
            + if self.ready {
                self.secs(2.0)
            } else {
                self.ready_wait()
            };
        self.clients += 1;
        let name = tr!("client {}", "客户端 {}", self.clients);
        loop {
            match TcpStream::connect((HOST, self.port)) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    self.ready = true;
                    self.did(tr!(
                        "connected to {HOST}:{} as {name}",
                        "连接到 {HOST}:{}（作为{name}）",
                        self.port
                    ));
                    return Ok(stream);
                }
                Err(err) => {
                    if let Some(failure) =
                        self.gone(pick("it to accept a connection", "它接受连接"))
                    {
                        return Err(failure);
                    }
                    if Instant::now() >= deadline {
                        let what = if self.ready {
                            tr!(
                                "connecting to {HOST}:{} failed ({}): your server no longer \
                                 listens",
                                "连接 {HOST}:{} 失败（{}）：你的服务器已不再监听",
                                self.port,
                                crate::hint::describe(&err)
                            )
                        } else {
                            tr!(
                                "your server never accepted on {HOST}:{} within {} — does it \
                                 bind the port it was given ({{port}} or LAB_PORT)?",
                                "你的服务器在 {1}内始终没有在 {HOST}:{0} 上接受连接——它绑定的\
                                 是给它的端口（{{port}} 或 LAB_PORT）吗？",
                                self.port,
                                self.ready_text()
                            )
                        };
                        return Err(Failure::new(what));
                    }
                    thread::sleep(Duration::from_millis(30));
                }
            }
        }
    }

    // -- client role: the checker is the server -------------------------------------

    /// Waits for the student's client to connect.
    pub fn accept(&mut self) -> Result<TcpStream, Failure> {
        let deadline = Instant::now() + self.ready_wait();
        loop {
            let Some(listener) = &self.listener else {
                return Err(Failure::new(pick(
                    "the checker is not listening (a bug)",
                    "检查程序没有在监听（这是检查程序的 bug）",
                )));
            };
            match listener.accept() {
                Ok((stream, peer)) => {
                    let _ = stream.set_nonblocking(false);
                    let _ = stream.set_nodelay(true);
                    self.did(tr!(
                        "accepted your client's connection from {peer}",
                        "接受了你的客户端从 {peer} 发起的连接"
                    ));
                    return Ok(stream);
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                Err(err) => {
                    return Err(Failure::new(tr!(
                        "the checker's accept() failed: {}",
                        "检查程序的 accept() 失败：{}",
                        crate::hint::describe(&err)
                    )))
                }
            }
            if let Some(failure) = self.gone(pick("it to connect", "它发起连接")) {
                return Err(failure);
            }
            if Instant::now() >= deadline {
                return Err(Failure::new(tr!(
                    "your client never connected to {HOST}:{} within {} — does it connect to \
                     the port it was given ({{port}} or LAB_PORT)?",
                    "你的客户端在 {1}内始终没有连接到 {HOST}:{0}——它连接的是给它的端口\
                     （{{port}} 或 LAB_PORT）吗？",
                    self.port,
                    self.ready_text()
                )));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types a line into the program's stdin (Enter included).
    pub fn type_line(&mut self, line: &str) -> Outcome {
        self.did(tr!(
            "typed {} and Enter",
            "输入了 {} 并按下回车",
            diff::quoted(line.as_bytes())
        ));
        let typed = match self.program() {
            Some(program) => program.type_line(line),
            None => return Err(not_running()),
        };
        if typed.is_err() {
            if let Some(failure) = self.gone(pick("it to read its input", "它读取输入")) {
                return Err(failure);
            }
            return Err(Failure::new(pick(
                "your program's stdin is closed",
                "你的程序的标准输入（stdin）已关闭",
            )));
        }
        Ok(())
    }

    /// Types `text` into the program's stdin without Enter: half a line, say.
    pub fn type_text(&mut self, text: &str) -> Outcome {
        self.did(tr!(
            "typed {} (no Enter yet)",
            "输入了 {}（还没按回车）",
            diff::quoted(text.as_bytes())
        ));
        let typed = match self.program() {
            Some(program) => program.type_text(text),
            None => return Err(not_running()),
        };
        if typed.is_err() {
            if let Some(failure) = self.gone(pick("it to read its input", "它读取输入")) {
                return Err(failure);
            }
            return Err(Failure::new(pick(
                "your program's stdin is closed",
                "你的程序的标准输入（stdin）已关闭",
            )));
        }
        Ok(())
    }

    /// Ctrl-D: closes the program's stdin.
    pub fn close_stdin(&mut self) {
        self.did(pick(
            "closed your program's stdin (Ctrl-D)",
            "关闭了你的程序的标准输入（Ctrl-D）",
        ));
        if let Some(program) = self.program() {
            program.close_stdin();
        }
    }

    // -- bytes on a connection ---------------------------------------------------------

    /// send() all of `bytes`.
    pub fn send(&mut self, conn: &mut TcpStream, bytes: &[u8]) -> Outcome {
        self.did(tr!(
            "sent {} ({})",
            "发送了 {}（{}）",
            diff::quoted(bytes),
            byte_count(bytes.len())
        ));
        conn.write_all(bytes).map_err(|err| {
            Failure::new(tr!(
                "sending failed: {}: your program closed the connection",
                "发送失败：{}：你的程序关闭了连接",
                crate::hint::describe(&err)
            ))
        })
    }

    /// Reads until `done(bytes so far)` or the deadline, the peer closing, or an error.
    /// Once the bytes so far can no longer become what was wanted (`hopeless`), a
    /// short quiet spell also ends the wait: the full timeout would not help.
    fn read_until(
        &mut self,
        conn: &mut TcpStream,
        secs: f64,
        done: &dyn Fn(&[u8]) -> bool,
        hopeless: &dyn Fn(&[u8]) -> bool,
    ) -> (Vec<u8>, Option<Ended>) {
        let deadline = Instant::now() + self.secs(secs);
        let quiet = self.secs(0.3);
        let mut got = Vec::new();
        let mut last = Instant::now();
        let mut buf = [0u8; 4096];
        loop {
            if done(&got) {
                return (got, None);
            }
            let now = Instant::now();
            if now >= deadline {
                return (got, Some(Ended::TimedOut));
            }
            if !got.is_empty() && hopeless(&got) && now - last >= quiet {
                return (got, Some(Ended::Mismatch));
            }
            let wait = (deadline - now).min(Duration::from_millis(50));
            let _ = conn.set_read_timeout(Some(wait.max(Duration::from_millis(1))));
            match conn.read(&mut buf) {
                Ok(0) => return (got, Some(Ended::Closed)),
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    last = Instant::now();
                }
                Err(err)
                    if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
                        || err.kind() == ErrorKind::Interrupted => {}
                Err(err) => return (got, Some(Ended::Broken(err))),
            }
        }
    }

    /// A short extra read: bytes that came right after the expected ones.
    fn read_extra(&mut self, conn: &mut TcpStream, got: &mut Vec<u8>) {
        let deadline = Instant::now() + self.secs(0.08);
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            let _ = conn.set_read_timeout(Some(Duration::from_millis(20)));
            match conn.read(&mut buf) {
                Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
                Ok(_) => return,
                Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => return,
            }
        }
    }

    /// Receives exactly `expected` (with `newline_ok`, a trailing `\n` or `\r\n` is
    /// allowed too). `waiting_for` names what is awaited, for the timeout message.
    pub fn expect_bytes(
        &mut self,
        conn: &mut TcpStream,
        expected: &[u8],
        newline_ok: bool,
        secs: f64,
        waiting_for: &str,
    ) -> Outcome {
        let want = expected.to_vec();
        let want2 = want.clone();
        let (mut got, ended) = self.read_until(
            conn,
            secs,
            &move |got| got.len() >= want.len(),
            &move |got| !want2.starts_with(got),
        );
        if ended.is_none() {
            self.read_extra(conn, &mut got);
        }
        let mut compared: &[u8] = &got;
        if newline_ok && ended.is_none() {
            compared = compared.strip_suffix(b"\n").unwrap_or(compared);
            compared = compared.strip_suffix(b"\r").unwrap_or(compared);
        }
        if compared == expected {
            return Ok(());
        }
        Err(self
            .ended_reading(ended, secs, waiting_for, &got)
            .bytes(expected, &got))
    }

    /// Receives bytes until `done` says they are complete; returns them.
    /// Once `hopeless(bytes so far)`, a short quiet spell ends the wait early.
    pub fn recv_matching(
        &mut self,
        conn: &mut TcpStream,
        secs: f64,
        waiting_for: &str,
        done: &dyn Fn(&[u8]) -> bool,
        hopeless: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<u8>, Failure> {
        let (mut got, ended) = self.read_until(conn, secs, done, hopeless);
        if ended.is_none() {
            self.read_extra(conn, &mut got);
            return Ok(got);
        }
        Err(self.ended_reading(ended, secs, waiting_for, &got))
    }

    /// Receives whatever arrives first (at least one byte), without waiting for more:
    /// for a stage that reads a stream of lines itself.
    pub fn recv_some(
        &mut self,
        conn: &mut TcpStream,
        secs: f64,
        waiting_for: &str,
    ) -> Result<Vec<u8>, Failure> {
        let (got, ended) = self.read_until(conn, secs, &|got| !got.is_empty(), &|_| false);
        match ended {
            None => Ok(got),
            Some(_) => Err(self.ended_reading(ended, secs, waiting_for, &got)),
        }
    }

    fn ended_reading(
        &mut self,
        ended: Option<Ended>,
        secs: f64,
        waiting_for: &str,
        got: &[u8],
    ) -> Failure {
        let so_far = if got.is_empty() {
            pick("nothing arrived", "什么也没收到").to_string()
        } else {
            tr!("{} arrived", "收到了 {}", byte_count(got.len()))
        };
        let mut failure = self.ended_reading_what(ended, secs, waiting_for, &so_far);
        if !got.is_empty() {
            failure.received = Some(got.to_vec());
        }
        failure
    }

    fn ended_reading_what(
        &mut self,
        ended: Option<Ended>,
        secs: f64,
        waiting_for: &str,
        so_far: &str,
    ) -> Failure {
        match ended {
            None => Failure::new(tr!(
                "{waiting_for}: other bytes arrived",
                "检查程序在等{waiting_for}，收到的却是别的字节"
            )),
            Some(Ended::Mismatch) => {
                if let Some(failure) = self.gone_soon(waiting_for) {
                    return failure;
                }
                Failure::new(tr!(
                    "other bytes than the checker waited for ({waiting_for}) arrived, and \
                     nothing more came",
                    "检查程序在等{waiting_for}，收到的字节却对不上，之后也没有再来别的字节"
                ))
            }
            Some(Ended::TimedOut) => {
                if let Some(failure) = self.gone(waiting_for) {
                    return failure;
                }
                Failure::new(tr!(
                    "timed out: the checker waited {} for {waiting_for} (this stage's \
                     timeout; a slow machine can use --slow 3); {so_far}",
                    "超时：检查程序等了 {}，没等到{waiting_for}（这是本阶段的超时；机器较慢时\
                     可以加 --slow 3）；{so_far}",
                    self.secs_text(secs)
                ))
            }
            Some(Ended::Closed) => {
                let mut failure = Failure::new(tr!(
                    "your program closed the connection while the checker waited for \
                     {waiting_for} (recv() returned 0 bytes); {so_far} before that",
                    "检查程序在等待{waiting_for}时，你的程序关闭了连接（recv() 返回 0 字节）；\
                     在此之前{so_far}"
                ));
                if let Some(gone) = self.gone_soon(waiting_for) {
                    failure.what = gone.what;
                    failure.hint = gone.hint;
                }
                failure
            }
            Some(Ended::Broken(err)) => {
                if let Some(failure) = self.gone_soon(waiting_for) {
                    return failure;
                }
                Failure::new(tr!(
                    "the connection broke while the checker waited for {waiting_for}: {}",
                    "检查程序在等待{waiting_for}时，连接断开了：{}",
                    crate::hint::describe(&err)
                ))
            }
        }
    }

    /// The program must close the connection (the checker's recv() returns 0 bytes)
    /// within `secs`, sending nothing first.
    pub fn expect_closed(&mut self, conn: &mut TcpStream, secs: f64, why: &str) -> Outcome {
        let (got, ended) = self.read_until(conn, secs, &|_| false, &|_| true);
        match ended {
            Some(Ended::Closed) | Some(Ended::Broken(_)) if got.is_empty() => {
                self.did(pick(
                    "saw the connection closed (recv() returned 0 bytes)",
                    "看到连接已关闭（recv() 返回 0 字节）",
                ));
                Ok(())
            }
            Some(Ended::Closed) | Some(Ended::Broken(_)) => Err(Failure::new(tr!(
                "your program sent {} before closing; {why}",
                "你的程序在关闭前发送了 {}；{why}",
                diff::quoted(&got)
            ))
            .bytes(b"", &got)),
            _ if !got.is_empty() => Err(Failure::new(tr!(
                "your program sent {} and did not close the connection; {why}",
                "你的程序发送了 {}，但没有关闭连接；{why}",
                diff::quoted(&got)
            ))
            .bytes(b"", &got)),
            _ => Err(Failure::new(tr!(
                "timed out: the connection was still open after {}; {why}",
                "超时：{}后连接仍然开着；{why}",
                self.secs_text(secs)
            ))),
        }
    }

    /// The program must close the connection within `secs`; it may send a last line
    /// first (a goodbye). Returns what it sent.
    pub fn expect_closed_after(
        &mut self,
        conn: &mut TcpStream,
        secs: f64,
        why: &str,
    ) -> Result<Vec<u8>, Failure> {
        let (got, ended) = self.read_until(conn, secs, &|_| false, &|_| false);
        match ended {
            Some(Ended::Closed) | Some(Ended::Broken(_)) => {
                self.did(pick(
                    "saw the connection closed (recv() returned 0 bytes)",
                    "看到连接已关闭（recv() 返回 0 字节）",
                ));
                Ok(got)
            }
            _ => {
                let sent = if got.is_empty() {
                    pick("your program sent nothing", "你的程序什么也没发送").to_string()
                } else {
                    tr!(
                        "your program sent {}",
                        "你的程序发送了 {}",
                        diff::quoted(&got)
                    )
                };
                Err(Failure::new(tr!(
                    "timed out: the connection was still open after {} ({sent}); {why}",
                    "超时：{}后连接仍然开着（{sent}）；{why}",
                    self.secs_text(secs)
                )))
            }
        }
    }

    /// Nothing may arrive for `secs` (the connection stays open and quiet).
    pub fn expect_nothing(&mut self, conn: &mut TcpStream, secs: f64, why: &str) -> Outcome {
        let (got, ended) = self.read_until(conn, secs, &|got| !got.is_empty(), &|_| false);
        if got.is_empty() && matches!(ended, Some(Ended::TimedOut)) {
            return Ok(());
        }
        if got.is_empty() {
            return Err(self.ended_reading(ended, secs, pick("the next turn", "下一轮"), &got));
        }
        Err(Failure::new(tr!(
            "your program sent {} too early; {why}",
            "你的程序过早地发送了 {}；{why}",
            diff::quoted(&got)
        )))
    }

    /// A clean close from our side (FIN).
    pub fn close(&mut self, conn: TcpStream) {
        self.did(pick(
            "closed the connection (close(), without a goodbye message)",
            "关闭了连接（close()，没有发告别消息）",
        ));
        drop(conn);
    }

    /// An abortive close from our side: RST instead of FIN (SO_LINGER 0).
    pub fn reset(&mut self, conn: TcpStream) {
        self.did(pick(
            "reset the connection (SO_LINGER 0, then close(): the peer gets RST)",
            "重置了连接（先设 SO_LINGER 0，再 close()：对端收到 RST）",
        ));
        let socket = socket2::Socket::from(conn);
        let _ = socket.set_linger(Some(Duration::ZERO));
        drop(socket);
    }

    // -- datagrams (lab 5) --------------------------------------------------------------

    /// A UDP socket of the checker's own on a port the OS picks: one peer of the
    /// student's server.
    pub fn udp_peer(&mut self, name: &str) -> Result<UdpSocket, Failure> {
        let socket = UdpSocket::bind((HOST, 0)).map_err(|err| {
            Failure::new(tr!(
                "the checker could not open a UDP socket: {err}",
                "检查程序无法打开 UDP 套接字：{err}"
            ))
        })?;
        let addr = socket
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        self.did(tr!(
            "opened a UDP socket as {name} ({addr})",
            "打开了一个 UDP 套接字，作为{name}（{addr}）"
        ));
        Ok(socket)
    }

    /// Client role over UDP: the checker's socket, the one the client sends to.
    pub fn udp_server(&self) -> Result<UdpSocket, Failure> {
        self.udp_server
            .as_ref()
            .and_then(|s| s.try_clone().ok())
            .ok_or_else(|| {
                Failure::new(pick(
                    "the checker has no UDP socket (a bug)",
                    "检查程序没有 UDP 套接字（这是检查程序的 bug）",
                ))
            })
    }

    /// sendto() one datagram to `to`.
    pub fn send_datagram(&mut self, socket: &UdpSocket, to: SocketAddr, bytes: &[u8]) -> Outcome {
        let from = socket.local_addr().map(|a| a.port()).unwrap_or(0);
        self.did(tr!(
            "sent a datagram of {} from port {from} to {to}: {}",
            "从端口 {from} 向 {to} 发送了一个 {} 的数据报：{}",
            byte_count(bytes.len()),
            diff::quoted(&bytes[..bytes.len().min(60)])
        ));
        socket.send_to(bytes, to).map(|_| ()).map_err(|err| {
            Failure::new(tr!(
                "sendto({to}) failed: {}",
                "sendto({to}) 失败：{}",
                crate::hint::describe(&err)
            ))
        })
    }

    /// The program's address: 127.0.0.1 and the port it was given.
    pub fn program_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// recvfrom() one datagram within `secs`; the program ending also ends the wait.
    /// A UDP client's first datagram since it started is also the sign that it has
    /// started: that one may take the start-up wait (10 s), for a slow Python start.
    pub fn recv_datagram(
        &mut self,
        socket: &UdpSocket,
        secs: f64,
        waiting_for: &str,
    ) -> Result<(Vec<u8>, SocketAddr), Failure> {
        let secs = if self.role == Role::Client && !self.ready {
            secs.max(READY_SECS)
        } else {
            secs
        };
        let deadline = Instant::now() + self.secs(secs);
        let mut buf = vec![0u8; 65_536];
        loop {
            let now = Instant::now();
            if now >= deadline {
                if let Some(failure) = self.gone(waiting_for) {
                    return Err(failure);
                }
                return Err(Failure::new(tr!(
                    "timed out: the checker waited {} for {waiting_for}; no datagram arrived \
                     (this stage's timeout; a slow machine can use --slow 3)",
                    "超时：检查程序等了 {}，没等到{waiting_for}：一个数据报也没收到（这是本阶段\
                     的超时；机器较慢时可以加 --slow 3）",
                    self.secs_text(secs)
                )));
            }
            let wait = (deadline - now).min(Duration::from_millis(50));
            let _ = socket.set_read_timeout(Some(wait.max(Duration::from_millis(1))));
            match socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    self.ready = true;
                    return Ok((buf[..n].to_vec(), from));
                }
                // Windows reports an ICMP "port unreachable" here; it is not a datagram.
                Err(_) => {
                    if let Some(failure) = self.gone(waiting_for) {
                        return Err(failure);
                    }
                }
            }
        }
    }

    /// Server role over UDP: UDP has no accept() to wait for, so the checker sends
    /// `probe` again every quarter second until the server answers (10 s). Returns the
    /// first answer; the answers to the repeated probes are read and dropped.
    pub fn udp_ready(
        &mut self,
        socket: &UdpSocket,
        probe: &[u8],
    ) -> Result<(Vec<u8>, SocketAddr), Failure> {
        let to = self.program_addr();
        let total = if self.ready { 3.0 } else { READY_SECS };
        let deadline = Instant::now() + self.secs(total);
        let mut sent = 0;
        loop {
            if sent == 0 {
                self.send_datagram(socket, to, probe)?;
            } else {
                let _ = socket.send_to(probe, to);
            }
            sent += 1;
            let _ = socket.set_read_timeout(Some(Duration::from_millis(250)));
            let mut buf = vec![0u8; 65_536];
            if let Ok((n, from)) = socket.recv_from(&mut buf) {
                if sent > 1 {
                    self.did(tr!(
                        "sent the same datagram {sent} times in all, until one was answered",
                        "同一个数据报一共发了 {sent} 次，直到有一次得到了回复"
                    ));
                }
                self.ready = true;
                let _ = socket.set_read_timeout(Some(Duration::from_millis(300)));
                for _ in 1..sent {
                    let mut extra = [0u8; 2048];
                    if socket.recv_from(&mut extra).is_err() {
                        break;
                    }
                }
                return Ok((buf[..n].to_vec(), from));
            }
            if let Some(failure) = self.gone(pick(
                "an answer to its first datagram",
                "它对第一个数据报的回复",
            )) {
                return Err(failure);
            }
            if Instant::now() >= deadline {
                return Err(Failure::new(tr!(
                    "your server answered none of {sent} datagrams sent to {to} within {} — \
                     does it bind the UDP port it was given ({{port}} or LAB_PORT), and \
                     sendto() the address recvfrom() returned?",
                    "在 {}内发往 {to} 的 {sent} 个数据报，你的服务器一个也没有回复——它绑定\
                     的是给它的 UDP 端口（{{port}} 或 LAB_PORT）吗？回复时 sendto() 的是 \
                     recvfrom() 返回的地址吗？",
                    self.secs_text(total)
                )));
            }
        }
    }

    /// True once the server answered (UDP) or accepted (TCP).
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    // -- the program's output and exit -------------------------------------------------

    /// From now on, `expect_output` looks only at what the program prints next.
    pub fn mark_output(&mut self) {
        if let Some(program) = &self.program {
            if let Ok(captured) = program.output.0.lock() {
                self.out_mark = captured.stdout_end();
            }
        }
    }

    /// Waits until the program's stdout (since the mark) holds `needle`. Returns the
    /// output since the mark.
    pub fn expect_output(&mut self, needle: &[u8], secs: f64, what: &str) -> Outcome {
        self.expect_output_matching(secs, what, &|out| contains(out, needle))
            .map(|_| ())
    }

    /// Waits until `done(stdout since the mark)`. On success the mark moves past it.
    pub fn expect_output_matching(
        &mut self,
        secs: f64,
        what: &str,
        done: &dyn Fn(&[u8]) -> bool,
    ) -> Result<Vec<u8>, Failure> {
        let deadline = Instant::now() + self.secs(secs);
        let Some(program) = &self.program else {
            return Err(not_running());
        };
        let output = program.output.clone();
        let (lock, changed) = &*output;
        let mut captured = lock.lock().map_err(|_| output_lost())?;
        loop {
            let since = captured.stdout_since(self.out_mark);
            if done(since) {
                let seen = since.to_vec();
                self.out_mark = captured.stdout_end();
                return Ok(seen);
            }
            let now = Instant::now();
            if now >= deadline {
                let seen = since.to_vec();
                drop(captured);
                if let Some(failure) = self.gone(what) {
                    return Err(failure);
                }
                let printed = if seen.is_empty() {
                    pick("it printed nothing since", "在此期间它什么也没打印").to_string()
                } else {
                    tr!(
                        "it printed {} since",
                        "在此期间它打印了 {}",
                        diff::quoted(&seen)
                    )
                };
                return Err(Failure::new(tr!(
                    "timed out: the checker waited {} for your program to print {what}; \
                     {printed}",
                    "超时：检查程序等你的程序打印出{what}，等了 {}；{printed}",
                    self.secs_text(secs)
                )));
            }
            let wait = (deadline - now).min(Duration::from_millis(50));
            let guard = match changed.wait_timeout(captured, wait) {
                Ok((guard, _)) => guard,
                Err(_) => return Err(output_lost()),
            };
            // exited() takes the output's lock itself (to read the last output of a
            // program that ended), so it is asked with the lock let go.
            drop(guard);
            let ended = self.program.as_mut().and_then(|p| p.exited());
            captured = lock.lock().map_err(|_| output_lost())?;
            if let Some(status) = ended {
                // Everything it printed before it ended is in: did that do?
                let since = captured.stdout_since(self.out_mark).to_vec();
                if done(&since) {
                    self.out_mark = captured.stdout_end();
                    return Ok(since);
                }
                drop(captured);
                return Err(self.ended_failure(status, what));
            }
        }
    }

    /// Waits for the program to end by itself; returns how it ended.
    pub fn expect_exit(&mut self, secs: f64, why: &str) -> Result<ExitStatus, Failure> {
        let timeout = self.secs(secs);
        let Some(program) = self.program() else {
            return Err(not_running());
        };
        match program.wait_exit(timeout) {
            Some(status) => {
                // A starter's TODO ends the program too; that is not the end we want.
                let todo = program.output.0.lock().ok().and_then(|c| c.todo_reached());
                if todo.is_some() {
                    return Err(
                        self.ended_failure(status, pick("it to end by itself", "它自行结束"))
                    );
                }
                self.did(tr!(
                    "saw your program end ({})",
                    "看到你的程序结束了（{}）",
                    exit_text(status)
                ));
                Ok(status)
            }
            None => Err(Failure::new(tr!(
                "timed out: your program was still running {} later; {why}",
                "超时：{}后你的程序仍在运行；{why}",
                self.secs_text(secs)
            ))),
        }
    }

    /// True if the program printed anything at all, on stdout or stderr.
    pub fn printed_anything(&self) -> bool {
        !self.output_lines(false, 1).is_empty()
    }

    /// The value of a run's placeholder (`encoding`).
    pub fn var(&self, name: &str) -> &str {
        self.vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub(super) fn output_lines(&self, since_stage: bool, max: usize) -> Vec<(Stream, Vec<u8>)> {
        let Some(program) = &self.program else {
            return Vec::new();
        };
        let Ok(captured) = program.output.0.lock() else {
            return Vec::new();
        };
        let from = if since_stage { self.line_mark } else { 0 };
        captured.lines_since(from, max)
    }

    pub(super) fn begin_stage(&mut self) {
        self.did.clear();
        self.line_mark = self
            .program
            .as_ref()
            .and_then(|p| p.output.0.lock().ok().map(|c| c.line_count()))
            .unwrap_or(0);
    }
}

/// True if `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// A UDP port nobody uses right now (see [`free_port`]).
fn free_udp_port() -> std::io::Result<u16> {
    unused_port(|port| UdpSocket::bind((HOST, port)).map(drop))
}

/// A TCP port nobody uses right now, for the student's server to bind.
fn free_port() -> std::io::Result<u16> {
    unused_port(bind_as_a_student_would)
}

/// Binds and listens on `port` the way a plain student server does: without
/// SO_REUSEADDR (which Rust's `TcpListener` sets on Unix). A port still held by a
/// closed connection in TIME_WAIT, which `socket.bind()` in Python refuses, fails here
/// too, so it is not handed to the student's program.
fn bind_as_a_student_would(port: u16) -> std::io::Result<()> {
    use socket2::{Domain, Socket, Type};
    let addr: SocketAddr = format!("{HOST}:{port}")
        .parse()
        .map_err(|err| std::io::Error::new(ErrorKind::InvalidInput, err))?;
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&addr.into())?;
    socket.listen(1)
}

/// A port that `bind` could take right now, from 20000-32767: below the ports the OS
/// hands out by itself (Linux from 32768, Windows and macOS from 49152). Port 0 would
/// give one from that ephemeral range, which any connect() on the machine may take as
/// its local port before the student's program binds it ("Address already in use").
fn unused_port(bind: impl Fn(u16) -> std::io::Result<()>) -> std::io::Result<u16> {
    use std::hash::{BuildHasher, Hasher};
    const FIRST: u16 = 20_000;
    const COUNT: u64 = 12_768;
    for _ in 0..64 {
        // A random start: RandomState is seeded afresh for every process and call.
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let port = FIRST + (random % COUNT) as u16;
        if bind(port).is_ok() {
            return Ok(port);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        "every port tried from 20000 to 32767 was taken",
    ))
}

fn exit_text(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => tr!("exit code {code}", "退出码 {code}"),
        None => pick("killed by a signal", "被信号终止").to_string(),
    }
}

/// `1 byte`, `5 bytes`.
fn byte_count(n: usize) -> String {
    match n {
        1 => pick("1 byte", "1 字节").to_string(),
        n => tr!("{n} bytes", "{n} 字节"),
    }
}

/// `3.0 s`: a timeout, in seconds.
fn seconds(secs: f64) -> String {
    tr!("{secs:.1} s", "{secs:.1} 秒")
}

fn not_running() -> Failure {
    Failure::new(pick("your program is not running", "你的程序没有在运行"))
}

fn output_lost() -> Failure {
    Failure::new(pick("output lost", "程序的输出丢失了"))
}

pub(super) fn shown_command(argv: &[String]) -> String {
    argv.iter()
        .map(|arg| {
            let arg = term::safe_str(arg);
            if arg.is_empty() || arg.contains(' ') {
                format!("'{arg}'")
            } else {
                arg
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The student's server closes a connection first, so its end waits in TIME_WAIT
    /// on the port: Rust's `TcpListener` (SO_REUSEADDR) could bind the port again, a
    /// plain `socket.bind()` could not, and neither does the check's trial bind.
    #[test]
    fn a_port_held_in_time_wait_is_not_handed_to_a_student() {
        let listener = TcpListener::bind((HOST, 0)).expect("a listener");
        let port = listener.local_addr().expect("its address").port();
        let mut client = TcpStream::connect((HOST, port)).expect("a connection");
        let (server_side, _) = listener.accept().expect("accepted");
        drop(server_side);
        // The client reads the server's FIN, then closes too: the server's end of the
        // connection is now in TIME_WAIT on `port`.
        let mut buf = [0u8; 1];
        assert_eq!(client.read(&mut buf).expect("end of stream"), 0);
        drop(client);
        drop(listener);
        let deadline = Instant::now() + Duration::from_secs(5);
        while bind_as_a_student_would(port).is_ok() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
        assert!(bind_as_a_student_would(port).is_err());
        assert!(TcpListener::bind((HOST, port)).is_ok());
    }
}
