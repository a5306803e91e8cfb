//! `lab 4 swarm`: many clients at once, leaving in every way there is. A load tool,
//! not the lesson: read it last, after server.rs and client.rs. It opens N clients,
//! waits until all have their welcome, lets each talk, then makes a third say `exit`,
//! a third close and a third reset, so the server's log shows all three end lines.
//! Its report says only what happened: a client that read no welcome, or never got
//! to say `exit`, is not counted as if it had. It talks to other servers too (the
//! classic Python one, whose welcome has no newline: read by time, and said so).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{mpsc, Arc, PoisonError, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use super::{SwarmArgs, RECV_SIZE};
use crate::hint;
use crate::labs::Lab;
use crate::lang::tr;
use crate::net;
use crate::term::say;

/// How a swarm client leaves. Each one makes the server write a different end line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leave {
    /// Sends `exit`: `[disconnect] ADDR:PORT said exit`.
    Exit,
    /// Closes without a word (FIN): `[lost] ADDR:PORT closed without exit`.
    Close,
    /// Resets (SO_LINGER 0, then close: RST): `[error] ADDR:PORT connection reset`.
    Reset,
}

impl Leave {
    fn of(client: usize) -> Leave {
        match client % 3 {
            0 => Leave::Exit,
            1 => Leave::Close,
            _ => Leave::Reset,
        }
    }
}

/// What one swarm client saw. Only what happened: each field is set when the client
/// did or read that thing, never from its plan.
struct Report {
    local: Option<SocketAddr>,
    welcome: Welcome,
    replies: u32,
    /// How it was meant to leave.
    planned: Leave,
    /// How it did leave; `None` when a problem ended it first (its socket was then
    /// just closed).
    left: Option<Leave>,
    /// Turned away because the server was full.
    full: bool,
    /// The welcome was lab 4's (`welcome, ADDR: ...`), so are the replies.
    lab4: bool,
    problem: Option<String>,
}

/// The welcome a swarm client read, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Welcome {
    /// Nothing arrived before the client started talking.
    None,
    /// A line, ending in `\n`.
    Line,
    /// Text without a newline: read by time (see `ServerText::next`).
    NoNewline,
}

pub(super) fn swarm(args: SwarmArgs, lab: &Lab) -> anyhow::Result<()> {
    let servers = args.endpoint.resolve()?;
    let count = args.clients as usize;
    let messages = args.messages;
    say!(
        "swarm: {count} clients at once to {}, {messages} message(s) each; then a third say \
         exit, a third just close, a third reset the connection",
        servers[0]
    );

    // Connect them all first, so all are online together. The first failure to
    // connect means no server: say so, as any client would.
    let mut streams = Vec::with_capacity(count);
    for i in 0..count {
        match net::connect_tcp(&servers, lab.number) {
            Ok((stream, _)) => streams.push(Ok(stream)),
            Err(err) if i == 0 => return Err(err),
            Err(err) => streams.push(Err(err.to_string())),
        }
    }

    // Then each talks in a thread of its own, once all have read their welcome.
    let gun = Arc::new(RwLock::new(()));
    let hold = gun.write().unwrap_or_else(PoisonError::into_inner);
    let (ready, all_ready) = mpsc::channel();
    let mut threads = Vec::with_capacity(count);
    for (i, stream) in streams.into_iter().enumerate() {
        let leave = Leave::of(i);
        let start = Start {
            ready: ready.clone(),
            gun: Arc::clone(&gun),
        };
        let spawned = thread::Builder::new()
            .name(format!("swarm-{}", i + 1))
            .spawn(move || match stream {
                Ok(stream) => swarm_client(stream, messages, leave, start),
                Err(why) => {
                    let _ = start.ready.send(Welcome::None);
                    Report::failed(leave, why)
                }
            });
        threads.push(spawned.map_err(|err| err.to_string()));
    }
    let running = threads.iter().filter(|t| t.is_ok()).count();
    drop(ready);
    // Every thread says once what welcome it read; a bounded wait all the same.
    let welcomes: Vec<Welcome> = (0..running)
        .map_while(|_| all_ready.recv_timeout(Duration::from_secs(15)).ok())
        .collect();
    let read = welcomes.iter().filter(|w| **w != Welcome::None).count();
    if read == count {
        say!("swarm: {count} clients ready (connected, welcome read); now they talk");
    } else {
        say!("swarm: {read} of {count} clients read a welcome; now they talk all the same");
    }
    if welcomes.contains(&Welcome::NoNewline) {
        say!(
            "swarm: the server's welcome ends without a newline. The swarm read it by time \
             (what arrived, then {} ms of quiet); a client that waits for a whole line \
             would wait for ever (lab 7: framing)",
            QUIET.as_millis()
        );
    }
    drop(hold);
    let reports: Vec<Report> = threads
        .into_iter()
        .map(|thread| match thread {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|_| Report::failed(Leave::Close, "its thread panicked".into())),
            Err(why) => Report::failed(Leave::Close, format!("no thread: {why}")),
        })
        .collect();

    for (i, report) in reports.iter().enumerate() {
        say!("swarm-{:<3} {}", i + 1, report.describe(messages));
    }
    let left = |leave| reports.iter().filter(|r| r.left == Some(leave)).count();
    let no_newline = reports
        .iter()
        .filter(|r| r.welcome == Welcome::NoNewline)
        .count();
    say!(
        "swarm done: {} connected, {} welcomes, {}/{} replies; {} said exit, {} closed, {} reset{}{}",
        reports.iter().filter(|r| r.local.is_some()).count(),
        reports.iter().filter(|r| r.welcome != Welcome::None).count(),
        reports.iter().map(|r| r.replies).sum::<u32>(),
        count as u32 * messages,
        left(Leave::Exit),
        left(Leave::Close),
        left(Leave::Reset),
        match reports.iter().filter(|r| r.full).count() {
            0 => String::new(),
            full => format!("; {full} turned away (server full)"),
        },
        match no_newline {
            0 => String::new(),
            n => format!("; {n} welcome(s) without a newline"),
        }
    );
    say!("the server's log should now show that many [disconnect], [lost] and [error] lines");

    let problems = reports.iter().filter(|r| r.problem.is_some()).count();
    if problems > 0 {
        anyhow::bail!(tr!(
            "{problems} of {count} swarm clients had a problem (see above)",
            "{count} 个 swarm 客户端中有 {problems} 个出了问题（见上文）"
        ));
    }
    Ok(())
}

impl Report {
    fn failed(planned: Leave, why: String) -> Report {
        Report {
            local: None,
            welcome: Welcome::None,
            replies: 0,
            planned,
            left: None,
            full: false,
            lab4: false,
            problem: Some(why),
        }
    }

    fn describe(&self, messages: u32) -> String {
        let who = self.local.map_or("-".to_string(), |a| a.to_string());
        if self.full {
            return format!("{who}: turned away, the server is full");
        }
        let welcome = match self.welcome {
            Welcome::None => "no welcome",
            Welcome::Line => "welcome",
            Welcome::NoNewline => "welcome (no newline)",
        };
        let left = match self.left {
            Some(Leave::Exit) => "said exit",
            Some(Leave::Close) => "closed without exit",
            Some(Leave::Reset) => "reset the connection (SO_LINGER 0)",
            None => "closed after the problem",
        };
        let mut text = format!(
            "{who}: {welcome}, {}/{messages} replies, {left}",
            self.replies
        );
        if let Some(problem) = &self.problem {
            let planned = match self.planned {
                Leave::Exit => "say exit",
                Leave::Close => "close",
                Leave::Reset => "reset",
            };
            text.push_str(&format!("; problem: {problem} (it was to {planned})"));
        }
        text
    }
}

/// The starting gun: every swarm client reads its welcome and says which it read;
/// the main thread holds the gun (a write lock) until all have, so all N are online
/// together before any of them talks or leaves.
struct Start {
    ready: mpsc::Sender<Welcome>,
    gun: Arc<RwLock<()>>,
}

/// One swarm client: read the welcome, wait for the others, send the messages and
/// read each reply, leave.
fn swarm_client(stream: TcpStream, messages: u32, leave: Leave, start: Start) -> Report {
    let mut report = Report {
        local: stream.local_addr().ok(),
        welcome: Welcome::None,
        replies: 0,
        planned: leave,
        left: None,
        full: false,
        lab4: false,
        problem: None,
    };
    let mut text = ServerText::new(&stream);
    let welcomed = swarm_welcome(&mut text, &mut report);
    let _ = start.ready.send(report.welcome);
    if let Err(problem) = welcomed {
        report.problem = Some(problem);
        return report;
    }
    if report.full {
        return report;
    }
    drop(start.gun.read().unwrap_or_else(PoisonError::into_inner));

    if let Err(problem) = swarm_talk(&stream, &mut text, messages, &mut report) {
        report.problem = Some(problem);
        return report;
    }
    match leave {
        // Exit: `exit` was sent in swarm_talk; we close after reading the goodbye.
        Leave::Exit => {}
        // Close: close() without a word; the server's recv() returns 0 bytes.
        Leave::Close => report.left = Some(Leave::Close),
        Leave::Reset => {
            // SO_LINGER with a zero timeout makes close() throw the connection away
            // with a reset (RST) instead of the orderly goodbye (FIN).
            match socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO)) {
                Ok(()) => report.left = Some(Leave::Reset),
                Err(err) => {
                    report.problem =
                        Some(format!("could not set SO_LINGER: {}", hint::describe(&err)));
                    report.left = Some(Leave::Close);
                }
            }
        }
    }
    drop(stream);
    report
}

/// How long a swarm client waits for the welcome, and for each reply.
const WAIT: Duration = Duration::from_secs(5);
/// Text without a newline is complete once nothing more has arrived for this long.
const QUIET: Duration = Duration::from_millis(300);
/// The most text a swarm client keeps of one message from the server.
const MAX_TEXT: usize = 4096;

/// What the server sent: a line, or text that stopped without a newline.
enum Text {
    Line(String),
    NoNewline(String),
}

/// The server's text, read by line when it ends lines, and by time when it does not
/// (the classic Python server's welcome has no newline: `recv()` returns it alone,
/// and a client that waits for `\n` would wait for ever). Waits are bounded, and so
/// is what is kept.
struct ServerText<'a> {
    stream: &'a TcpStream,
    pending: Vec<u8>,
}

impl<'a> ServerText<'a> {
    fn new(stream: &'a TcpStream) -> ServerText<'a> {
        ServerText {
            stream,
            pending: Vec::new(),
        }
    }

    /// The next line; or, if text arrives without a newline and then nothing more for
    /// QUIET, that text. An error if nothing arrives within `wait`, or the server closes.
    fn next(&mut self, wait: Duration) -> Result<Text, String> {
        let deadline = Instant::now() + wait;
        let mut buf = [0u8; RECV_SIZE];
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                return Ok(Text::Line(text_of(&line)));
            }
            if self.pending.len() >= MAX_TEXT {
                return Ok(Text::NoNewline(text_of(&std::mem::take(&mut self.pending))));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() && self.pending.is_empty() {
                return Err(format!("nothing from the server in {} s", wait.as_secs()));
            }
            // With text waiting, only wait QUIET for more of it.
            let timeout = if self.pending.is_empty() { left } else { QUIET };
            self.stream
                .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
                .map_err(|err| hint::describe(&err))?;
            let mut stream = self.stream;
            match stream.read(&mut buf) {
                Ok(0) if self.pending.is_empty() => {
                    return Err("the server closed the connection".into())
                }
                Ok(0) => return Ok(Text::NoNewline(text_of(&std::mem::take(&mut self.pending)))),
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if !self.pending.is_empty() {
                        // Quiet for QUIET: the text is all there is.
                        return Ok(Text::NoNewline(text_of(&std::mem::take(&mut self.pending))));
                    }
                }
                Err(err) => return Err(hint::describe(&err)),
            }
        }
    }
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim_end().to_string()
}

fn swarm_welcome(text: &mut ServerText, report: &mut Report) -> Result<(), String> {
    match text.next(WAIT) {
        Ok(Text::Line(line)) => {
            report.full = line.contains("server is full");
            report.lab4 = line.starts_with("welcome, ");
            report.welcome = Welcome::Line;
            Ok(())
        }
        Ok(Text::NoNewline(_)) => {
            report.welcome = Welcome::NoNewline;
            Ok(())
        }
        // A server that greets nobody: talk all the same.
        Err(why) if why.starts_with("nothing from the server") => Ok(()),
        Err(why) => Err(format!("{why} before any welcome")),
    }
}

fn swarm_talk(
    mut stream: &TcpStream,
    text: &mut ServerText,
    messages: u32,
    report: &mut Report,
) -> Result<(), String> {
    let port = report.local.map_or(0, |a| a.port());
    // Lab 4's server names our port in each reply; any other server's answer is
    // whatever text comes back.
    let ours = report.lab4;
    for k in 1..=messages {
        let message = format!("message {k} of {messages} from port {port}\n");
        stream
            .write_all(message.as_bytes())
            .map_err(|err| hint::describe(&err))?;
        // The reply names our port; skip anything else (a console message, say).
        loop {
            let reply = match text.next(WAIT) {
                Ok(Text::Line(line) | Text::NoNewline(line)) => line,
                Err(why) => return Err(format!("no reply to message {k}: {why}")),
            };
            if !ours || reply.starts_with("reply to") && reply.contains(&format!(":{port}:")) {
                report.replies += 1;
                break;
            }
        }
    }
    if report.planned == Leave::Exit {
        stream
            .write_all(b"exit\n")
            .map_err(|err| hint::describe(&err))?;
        report.left = Some(Leave::Exit);
        // Read the goodbye (briefly); then the server closes.
        let _ = text.next(Duration::from_secs(2));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swarm_leaves_in_all_three_ways_in_turn() {
        let leaves: Vec<Leave> = (0..6).map(Leave::of).collect();
        assert_eq!(
            leaves,
            [
                Leave::Exit,
                Leave::Close,
                Leave::Reset,
                Leave::Exit,
                Leave::Close,
                Leave::Reset
            ]
        );
    }
}
