//! The network chores every lab does the same way: turning `--host` and `--port`
//! into addresses, announcing `listening on HOST:PORT (tcp|udp)`, and living through
//! a failing accept().
//!
//! Neither hides a socket call: `resolve` is Python's `getaddrinfo`, and the labs
//! create, bind and listen on their sockets themselves.

use std::fmt::Display;
use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::thread;
use std::time::Duration;

use clap::Args;

use crate::hint;
use crate::lang::{pick, tr};
use crate::term::say;

/// `--host` and `--port`, shared by every role that opens a socket.
#[derive(Args, Debug, Clone)]
pub struct Endpoint {
    /// Host to listen on (server) or connect to (client): a name, an IPv4 address or an
    /// IPv6 address such as ::1. 0.0.0.0 lets other machines connect.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// Port number. 0 asks the operating system for any free port (the server prints
    /// the one it got). Default: the lab's port, see `lab list`.
    #[arg(long)]
    pub port: u16,
}

impl Endpoint {
    /// Every address `--host` stands for, IPv4 first (like Python's
    /// `socket.getaddrinfo(host, port)`). `localhost` may give both 127.0.0.1 and ::1.
    pub fn resolve(&self) -> anyhow::Result<Vec<SocketAddr>> {
        // Brackets are how IPv6 addresses appear in URLs; accept them here too.
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let mut addrs: Vec<SocketAddr> = match (host, self.port).to_socket_addrs() {
            Ok(found) => found.collect(),
            Err(err) => return Err(hint::resolve_failed(&self.host, Some(err))),
        };
        if addrs.is_empty() {
            return Err(hint::resolve_failed(&self.host, None));
        }
        addrs.sort_by_key(|a| a.is_ipv6());
        Ok(addrs)
    }

    /// A TCP connection to the first address `--host` stands for that answers: see
    /// [`connect_tcp`]. `lab` is the lab's number, for the hint to start its server.
    pub fn connect_tcp(&self, lab: u8) -> anyhow::Result<(TcpStream, SocketAddr)> {
        connect_tcp(&self.resolve()?, lab)
    }

    /// The first address `--host` stands for: where a server binds.
    pub fn resolve_one(&self) -> anyhow::Result<SocketAddr> {
        // resolve() never returns an empty list.
        Ok(self.resolve()?[0])
    }
}

/// `TcpStream::connect` (socket() + connect(), as lab 1 shows step by step) to each
/// address in turn until one answers, like Python's `socket.create_connection`:
/// `localhost` may stand for ::1 and 127.0.0.1, and the server may listen on only one.
/// If none answers, the last error as a sentence (refused: start `lab LAB server` first).
pub fn connect_tcp(servers: &[SocketAddr], lab: u8) -> anyhow::Result<(TcpStream, SocketAddr)> {
    let mut last_error = None;
    for &server in servers {
        match TcpStream::connect(server) {
            Ok(stream) => return Ok((stream, server)),
            Err(err) => last_error = Some(hint::connect_failed(err, server, lab)),
        }
    }
    Err(last_error
        .unwrap_or_else(|| anyhow::anyhow!(pick("no address to connect to", "没有可以连接的地址"))))
}

/// Prints `listening on 127.0.0.1:6666 (tcp)` with the port the OS really gave, so a
/// student (or a test) started with `--port 0` learns the port. On 0.0.0.0 or `::`
/// also warns, on stderr, that other machines can now reach the server.
pub fn announce_listening(local: SocketAddr, protocol: impl Display) {
    // Stays English in both languages: it names listen(), and scripts and tests wait
    // for this line to learn the port.
    say!("listening on {local} ({protocol})");
    if local.ip().is_unspecified() {
        let ip = local.ip();
        eprintln!(
            "{}",
            tr!(
                "warning: listening on every network interface ({ip}): other machines on your \
                 network can now connect to this server. Use --host 127.0.0.1 to keep it private.",
                "警告：正在所有网络接口（{ip}）上监听：你所在网络中的其他机器现在都能连接这个\
                 服务器。用 --host 127.0.0.1 可以只让本机连接。"
            )
        );
    }
}

/// How long a server waits after a failed accept() before it calls accept() again.
/// The client it could not take stays in the listen queue, so without a pause a server
/// out of file descriptors would fail and retry half a million times a second.
pub const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(200);

/// A server's failing accept(): says what happened once (not once per retry), pauses
/// before each retry, and says so when accept() works again.
///
/// ```text
/// let mut failures = AcceptFailures::default();
/// loop {
///     match listener.accept() {
///         Ok(client) => { failures.recovered(); /* serve it */ }
///         Err(err) => failures.failed(&err), // says it once, then pauses
///     }
/// }
/// ```
#[derive(Debug, Default)]
pub struct AcceptFailures {
    /// The sentence said for the failures in a row so far, if accept() is failing.
    said: Option<String>,
}

impl AcceptFailures {
    /// accept() failed: says why, unless this same failure was said last time, then
    /// waits [`ACCEPT_RETRY_PAUSE`].
    pub fn failed(&mut self, err: &io::Error) {
        self.say_once(err);
        thread::sleep(ACCEPT_RETRY_PAUSE);
    }

    /// accept() failed: says why, unless this same failure was said last time. For a
    /// server that must not sleep here (an event loop, an async task): it waits
    /// [`ACCEPT_RETRY_PAUSE`] its own way.
    pub fn say_once(&mut self, err: &io::Error) {
        let sentence = hint::accept_failed(err);
        if self.said.as_deref() != Some(sentence.as_str()) {
            say!("{sentence}");
            self.said = Some(sentence);
        }
    }

    /// accept() returned a client. After failures, says that the server serves again.
    pub fn recovered(&mut self) {
        if self.said.take().is_some() {
            say!(
                "{}",
                pick(
                    "accept() works again: the server is serving clients again",
                    "accept() 恢复正常：服务器又开始为客户端服务了"
                )
            );
        }
    }
}

/// Raises this process's open-file limit (soft) to the most it may have (hard), as
/// `ulimit -n $(ulimit -Hn)` does in a shell, and returns the limit now in force. Every
/// socket is an open file: a server holding 10,000 clients needs 10,000 of them, and
/// many systems start programs with a soft limit of 1,024. Labs 9 and 10 call it at
/// start. (Windows has no such limit: `None`.)
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is u64 on Linux, not on every Unix
pub fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct we pass them.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let mut raised = limit;
            raised.rlim_cur = limit.rlim_max;
            // macOS refuses a soft limit above OPEN_MAX when the hard one is
            // "unlimited"; then the old limit simply stays.
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(host: &str) -> Endpoint {
        Endpoint {
            host: host.to_string(),
            port: 6666,
        }
    }

    #[test]
    fn ipv4_and_ipv6_literals_resolve_to_themselves() {
        assert_eq!(
            endpoint("127.0.0.1").resolve_one().unwrap().to_string(),
            "127.0.0.1:6666"
        );
        assert_eq!(
            endpoint("::1").resolve_one().unwrap().to_string(),
            "[::1]:6666"
        );
        assert_eq!(
            endpoint("[::1]").resolve_one().unwrap().to_string(),
            "[::1]:6666"
        );
    }

    #[test]
    fn a_host_that_does_not_resolve_gets_a_sentence() {
        let err = endpoint("no-such-host.invalid").resolve().unwrap_err();
        assert!(err.to_string().contains("could not find the host"), "{err}");
    }
}
