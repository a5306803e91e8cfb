//! `lab 4 swarm`: many clients at once, leaving in every way there is. A load tool,
//! not the lesson: read it last, after server.rs and client.rs. It opens N clients,
//! waits until all have their welcome, lets each talk, then makes a third say `exit`,
//! a third close and a third reset, so the server's log shows all three end lines.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{mpsc, Arc, PoisonError, RwLock};
use std::thread;
use std::time::Duration;

use super::{SwarmArgs, RECV_SIZE};
use crate::hint;
use crate::labs::Lab;
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

/// What one swarm client saw.
struct Report {
    local: Option<SocketAddr>,
    welcome: bool,
    replies: u32,
    leave: Leave,
    /// Turned away because the server was full.
    full: bool,
    problem: Option<String>,
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

    // Then each talks in a thread of its own, once all have their welcome.
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
                    let _ = start.ready.send(());
                    Report::failed(leave, why)
                }
            });
        threads.push(spawned.map_err(|err| err.to_string()));
    }
    let running = threads.iter().filter(|t| t.is_ok()).count();
    drop(ready);
    // Every thread says "ready" once; a bounded wait all the same.
    let waited = (0..running)
        .take_while(|_| all_ready.recv_timeout(Duration::from_secs(10)).is_ok())
        .count();
    say!("swarm: {waited} clients ready (connected, welcome read); now they talk");
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
    let talked: Vec<&Report> = reports.iter().filter(|r| r.welcome).collect();
    let count_of = |leave| talked.iter().filter(|r| r.leave == leave).count();
    say!(
        "swarm done: {} connected, {} welcomes, {}/{} replies; {} said exit, {} closed, {} reset{}",
        reports.iter().filter(|r| r.local.is_some()).count(),
        talked.len(),
        reports.iter().map(|r| r.replies).sum::<u32>(),
        count as u32 * messages,
        count_of(Leave::Exit),
        count_of(Leave::Close),
        count_of(Leave::Reset),
        match reports.iter().filter(|r| r.full).count() {
            0 => String::new(),
            full => format!("; {full} turned away (server full)"),
        }
    );
    say!("the server's log should now show that many [disconnect], [lost] and [error] lines");

    let problems = reports.iter().filter(|r| r.problem.is_some()).count();
    if problems > 0 {
        anyhow::bail!("{problems} of {count} swarm clients had a problem (see above)");
    }
    Ok(())
}

impl Report {
    fn failed(leave: Leave, why: String) -> Report {
        Report {
            local: None,
            welcome: false,
            replies: 0,
            leave,
            full: false,
            problem: Some(why),
        }
    }

    fn describe(&self, messages: u32) -> String {
        let who = self.local.map_or("-".to_string(), |a| a.to_string());
        if self.full {
            return format!("{who}: turned away, the server is full");
        }
        let mut text = format!(
            "{who}: {}, {}/{messages} replies, {}",
            if self.welcome {
                "welcome"
            } else {
                "no welcome"
            },
            self.replies,
            match self.leave {
                Leave::Exit => "said exit",
                Leave::Close => "closed without exit",
                Leave::Reset => "reset the connection (SO_LINGER 0)",
            }
        );
        if let Some(problem) = &self.problem {
            text.push_str(&format!("; problem: {problem}"));
        }
        text
    }
}

/// The starting gun: every swarm client reads its welcome and says it is ready; the
/// main thread holds the gun (a write lock) until all are ready, so all N are online
/// together before any of them talks or leaves.
struct Start {
    ready: mpsc::Sender<()>,
    gun: Arc<RwLock<()>>,
}

/// One swarm client: read the welcome, wait for the others, send the messages and
/// read each reply, leave.
fn swarm_client(stream: TcpStream, messages: u32, leave: Leave, start: Start) -> Report {
    let mut report = Report {
        local: stream.local_addr().ok(),
        welcome: false,
        replies: 0,
        leave,
        full: false,
        problem: None,
    };
    let mut lines = ServerLines::new(&stream);
    let welcomed = swarm_welcome(&stream, &mut lines, &mut report);
    let _ = start.ready.send(());
    if let Err(problem) = welcomed {
        report.problem = Some(problem);
        return report;
    }
    if report.full {
        return report;
    }
    drop(start.gun.read().unwrap_or_else(PoisonError::into_inner));

    if let Err(problem) = swarm_talk(&stream, &mut lines, messages, &mut report) {
        report.problem = Some(problem);
        return report;
    }
    match leave {
        // Exit: the server closes after its goodbye; we close after reading it.
        // Close: close() without a word; the server's recv() returns 0 bytes.
        Leave::Exit | Leave::Close => drop(stream),
        Leave::Reset => {
            // SO_LINGER with a zero timeout makes close() throw the connection away
            // with a reset (RST) instead of the orderly goodbye (FIN).
            if let Err(err) = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO)) {
                report.problem = Some(format!("could not set SO_LINGER: {}", hint::describe(&err)));
            }
            drop(stream);
        }
    }
    report
}

/// The lines the server sends a swarm client, read with a bounded wait and size.
struct ServerLines<'a> {
    reader: BufReader<&'a TcpStream>,
}

impl<'a> ServerLines<'a> {
    fn new(stream: &'a TcpStream) -> ServerLines<'a> {
        ServerLines {
            reader: BufReader::with_capacity(RECV_SIZE, stream),
        }
    }

    fn next(&mut self) -> Result<String, String> {
        let mut raw = Vec::new();
        // take(): one line from the server can never make us hold more than 4 KiB.
        match (&mut self.reader).take(4096).read_until(b'\n', &mut raw) {
            Ok(0) => Err("the server closed the connection".into()),
            Ok(_) => Ok(String::from_utf8_lossy(&raw).trim_end().to_string()),
            Err(err) => Err(hint::describe(&err)),
        }
    }
}

fn swarm_welcome(
    stream: &TcpStream,
    lines: &mut ServerLines,
    report: &mut Report,
) -> Result<(), String> {
    // Bounded waits: a swarm never hangs on a server that stopped answering.
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|err| hint::describe(&err))?;
    let first = lines.next()?;
    report.full = first.contains("server is full");
    report.welcome = first.starts_with("welcome");
    Ok(())
}

fn swarm_talk(
    mut stream: &TcpStream,
    lines: &mut ServerLines,
    messages: u32,
    report: &mut Report,
) -> Result<(), String> {
    let port = report.local.map_or(0, |a| a.port());
    for k in 1..=messages {
        let message = format!("message {k} of {messages} from port {port}\n");
        stream
            .write_all(message.as_bytes())
            .map_err(|err| hint::describe(&err))?;
        // The reply names our port; skip anything else (a console message, say).
        loop {
            let line = lines.next()?;
            if line.starts_with("reply to") && line.contains(&format!(":{port}:")) {
                report.replies += 1;
                break;
            }
        }
    }
    if report.leave == Leave::Exit {
        stream
            .write_all(b"exit\n")
            .map_err(|err| hint::describe(&err))?;
        // Read the goodbye; then the server closes.
        let _ = lines.next();
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
