//! Lab 7's server: one client at a time, like lab 1. Read `run` first: it accepts a
//! client, then `receive_messages` recv()s until the client closes, printing every
//! recv() and every message the framing reader (`readers.rs`) recovers from it.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::readers::{
    frame, read_count_header, CountHeader, FrameError, Framing, MessageReader, COUNT_HEADER_LEN,
};
use super::ServerArgs;
use crate::hint;
use crate::labs::Lab;
use crate::net;
use crate::term::{self, paint, preview, say};

pub fn run(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;
    // socket + SO_REUSEADDR + bind + listen(128), in one call (lab 1 shows each step).
    let listener =
        TcpListener::bind(addr).map_err(|err| hint::bind_failed(err, addr, lab.protocol))?;
    // Ctrl-C or SIGTERM ends the server with a word and exit code 0. The OS closes its
    // sockets: a connected client's recv() returns 0 bytes, and the port is free again.
    // Installed before we say we listen: a signal that comes right after that line
    // (a script, a test) must find the handler already in place.
    term::stop_on_ctrl_c()?;
    net::announce_listening(listener.local_addr()?, lab.protocol);

    say!("framing: {}", args.framing.describe());
    say!(
        "recv() buffer: {} bytes; longest message accepted: {} bytes",
        args.bufsize,
        args.max
    );
    if args.echo {
        say!("--echo: every message recovered goes back to the client, framed the same way");
    }

    // One client at a time, for ever (Ctrl-C stops the server).
    let mut accept_failures = net::AcceptFailures::default();
    for nth in 0.. {
        // accept() fails when the server runs out of file descriptors (every socket
        // is one) or memory. The client stays queued, so accept() would fail again at
        // once: the floor says why once, pauses, and we try again.
        let (mut conn, peer) = loop {
            match listener.accept() {
                Ok(accepted) => break accepted,
                Err(err) => accept_failures.failed(&err),
            }
        };
        accept_failures.recovered();
        say!("{}", paint(&format!("accept() -> {peer}"), nth));
        if args.delay > 0 {
            // A busy server: the client's send()s go on meanwhile, and their bytes wait
            // in our kernel's receive buffer, one stream, boundaries gone.
            say!(
                "(--delay: waiting {} ms before the first recv(); the client sends meanwhile)",
                args.delay
            );
            std::thread::sleep(Duration::from_millis(args.delay));
        }

        let (tally, end) = receive_messages(&mut conn, &args);
        let summary = tally.summary();
        match &end {
            End::Closed => {}
            End::Broken(err) => say!("  {err}"),
            End::Failed(err) => say!(
                "{}",
                term::wrap_hanging(&format!("  recv() failed: {}", hint::describe(err)), 2)
            ),
        }
        say!("{}", paint(&summary, nth));
        if matches!(end, End::Closed) {
            let verdict = format!("  {}", tally.verdict(args.framing));
            say!("{}", term::wrap_hanging(&verdict, 2));
        }

        // Tell the client what we saw (and what went wrong), then close. If it has
        // already gone, there is nobody to tell: that is fine. An echo server's
        // client gets its messages back and nothing else, unless it broke the rules.
        let mut reply = String::new();
        if let End::Broken(err) = &end {
            reply.push_str(&format!("error: {err}\n"));
        }
        if !args.echo {
            reply.push_str(&summary);
            reply.push('\n');
        }
        let _ = conn.write_all(reply.as_bytes());
        if matches!(end, End::Broken(_)) {
            discard_the_rest(&mut conn);
        }
        drop(conn);
        say!("close() {peer}; waiting for the next client (Ctrl-C stops the server)");
    }
    Ok(())
}

/// What the server counted on one connection.
#[derive(Default)]
struct Tally {
    /// The count the client declared in its header, if it sent one.
    declared: Option<u32>,
    /// recv() calls that returned bytes.
    recv_calls: u64,
    messages: u64,
}

impl Tally {
    /// `sent N messages, recv() calls: R, messages recovered: M`
    fn summary(&self) -> String {
        let sent = match self.declared {
            Some(n) => format!("sent {n} messages"),
            None => "sent ? messages (no count header)".to_string(),
        };
        format!(
            "{sent}, recv() calls: {}, messages recovered: {}",
            self.recv_calls, self.messages
        )
    }

    /// One line that says what the numbers mean.
    fn verdict(&self, framing: Framing) -> String {
        match (self.declared, framing) {
            (None, _) => "(the client did not say how many it sent, so there is nothing to \
                          compare)"
                .to_string(),
            (Some(n), Framing::None) if u64::from(n) == self.messages => format!(
                "M = N = {n} this time, but only by luck: check the previews above, and try \
                 a bigger --burst or --size"
            ),
            (Some(n), Framing::None) => format!(
                "M ≠ N: {n} messages were sent, {} came out. recv() returns bytes, not \
                 messages: look above for messages stuck together (粘包) and cut apart",
                self.messages
            ),
            (Some(n), _) if u64::from(n) == self.messages => {
                format!("M = N = {n}: every message came back whole, however recv() cut the bytes")
            }
            (Some(n), _) => format!(
                "M ≠ N: {n} declared, {} recovered: the client sent fewer or more messages \
                 than it declared",
                self.messages
            ),
        }
    }
}

/// Why a connection ended.
enum End {
    /// The client closed its side and every byte belonged to a whole message.
    Closed,
    /// The stream broke the framing rules: a message over the limit, or the client
    /// closed in the middle of one.
    Broken(FrameError),
    /// recv() itself failed (a reset, say).
    Failed(io::Error),
}

/// recv() until the client closes: print each recv() and each message recovered.
fn receive_messages(conn: &mut TcpStream, args: &ServerArgs) -> (Tally, End) {
    let mut tally = Tally::default();
    let mut reader = args.framing.reader(args.max as usize);
    let mut buf = vec![0u8; args.bufsize as usize];
    // The first bytes, kept until we know whether they start with a count header.
    let mut start: Option<Vec<u8>> = Some(Vec::new());
    // --echo: where each message goes back, framed as it came. A clone of the
    // socket (Python: the same conn) so that reading and writing can both borrow it.
    let mut echo = if args.echo {
        match conn.try_clone() {
            Ok(back) => Some((back, args.framing)),
            Err(err) => return (tally, End::Failed(err)),
        }
    } else {
        None
    };

    loop {
        // recv(): returns whatever bytes have arrived, at most `bufsize`; where they
        // are cut has nothing to do with where the client's send() calls began.
        // Ok(0) means the client closed its side (end of stream).
        let data = match conn.read(&mut buf) {
            Ok(0) => {
                say!("recv() -> 0 bytes: the client closed its side");
                if let Some(undecided) = start.take() {
                    reader.push(&undecided); // too short to be a header: message bytes
                    if let Err(err) = take_messages(&mut *reader, &mut tally, &mut echo) {
                        return (tally, End::Broken(err));
                    }
                }
                let end = match reader.finish() {
                    Ok(()) => End::Closed,
                    Err(err) => End::Broken(err),
                };
                return (tally, end);
            }
            Ok(n) => &buf[..n],
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return (tally, End::Failed(err)),
        };
        tally.recv_calls += 1;
        say!(
            "recv() #{} -> {} bytes: {}",
            tally.recv_calls,
            data.len(),
            preview(data, 48)
        );

        // Before any framing: the fixed-size count header, if the client sent one.
        let body = match start.as_mut() {
            None => data.to_vec(),
            Some(seen) => {
                seen.extend_from_slice(data);
                match read_count_header(seen) {
                    CountHeader::NeedMore => continue,
                    CountHeader::Count(n) => {
                        say!("  count header (8 bytes): the client says it sends {n} messages");
                        tally.declared = Some(n);
                        let rest = seen.split_off(COUNT_HEADER_LEN);
                        start = None;
                        rest
                    }
                    CountHeader::Absent => {
                        let all = std::mem::take(seen);
                        start = None;
                        all
                    }
                }
            }
        };

        reader.push(&body);
        if let Err(err) = take_messages(&mut *reader, &mut tally, &mut echo) {
            return (tally, End::Broken(err));
        }
        if reader.waiting() > 0 {
            say!(
                "  ({} bytes kept: a message not complete yet, waiting for the next recv())",
                reader.waiting()
            );
        }
    }
}

/// After refusing a client that may still be sending: shutdown(SHUT_WR) (our answer is
/// complete), then read and throw away what it still sends, for a bounded time. If we
/// closed with its bytes unread, our kernel would answer with a reset (RST), and a
/// reset can make the client's kernel throw our answer away before the client reads it.
fn discard_the_rest(conn: &mut TcpStream) {
    let _ = conn.shutdown(Shutdown::Write);
    if conn
        .set_read_timeout(Some(Duration::from_millis(500)))
        .is_err()
    {
        return;
    }
    let until = Instant::now() + Duration::from_secs(2);
    let mut buf = [0u8; 65536];
    while Instant::now() < until {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Takes every complete message out of the reader and prints it; with `--echo`, sends
/// it back framed (Python: conn.sendall(frame(message))).
fn take_messages(
    reader: &mut dyn MessageReader,
    tally: &mut Tally,
    echo: &mut Option<(TcpStream, Framing)>,
) -> Result<(), FrameError> {
    while let Some(message) = reader.next_message()? {
        tally.messages += 1;
        say!(
            "  message {} ({} bytes): {}",
            tally.messages,
            message.len(),
            preview(&message, 40)
        );
        if let Some((back, framing)) = echo {
            // A client that stopped reading must not hold the server for ever.
            let _ = back.set_write_timeout(Some(Duration::from_secs(10)));
            if let Err(err) = back.write_all(&frame(*framing, &message)) {
                say!("  sending it back failed: {}", hint::describe(&err));
                *echo = None;
            }
        }
    }
    Ok(())
}
