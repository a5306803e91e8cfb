//! The stages of lab 7 (framing): messages over a byte stream. Each check runs twice,
//! once per framing: `{framing}` in the command (and `LAB_FRAMING`) is `line` (each
//! message ends with `\n`), then `length` (4 bytes, big-endian, give the length of
//! the message that follows).
//!
//! - The server's task: an echo server for messages. It recovers every message from
//!   the stream and sends it back, framed the same way, so the checker compares the
//!   bytes exactly. Every message comes back whole however recv() cuts the bytes (the
//!   checker sends one byte per send(), then fifty messages in one send()). A message
//!   over the lab's limit, MAX_MESSAGE (1 MiB, 1 048 576 bytes), is refused before it
//!   is read: an error (any bytes) and the connection closed, never a buffer of the
//!   announced size. One client after another. (`lab 7 server --framing F --echo`
//!   does exactly this.)
//! - The client's task: each typed line is sent as one message, framed; each message
//!   the server sends back is printed whole on a line of its own, however it arrives
//!   (cut into single bytes, or several stuck together). A reply over MAX_MESSAGE is
//!   refused: the client closes the connection and ends. The end of input closes the
//!   connection and ends the client.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use super::{hint, Failure, Outcome, Plan, Role, Run, Session, Stage};
use crate::labs::framing::MAX_MESSAGE;

const LAB: u8 = 7;
/// How long the program may take to answer or show something.
const WAIT: f64 = 3.0;

const FRAMINGS: [&str; 2] = ["line", "length"];

pub fn plan(role: Role) -> Plan {
    let runs = FRAMINGS
        .iter()
        .map(|framing| Run {
            label: Some(framing.to_string()),
            vars: vec![("framing", framing.to_string())],
            stages: match role {
                Role::Server => server_stages(),
                Role::Client => client_stages(),
            },
        })
        .collect();
    Plan { runs }
}

fn server_stages() -> Vec<Stage> {
    vec![
        Stage {
            id: "accept",
            name: "listens on the port it was given and accepts a client",
            run: server_accepts,
        },
        Stage {
            id: "echo",
            name: "sends a message back, framed the same way",
            run: server_echoes,
        },
        Stage {
            id: "one-byte",
            name: "recovers a message sent one byte per send()",
            run: server_one_byte_at_a_time,
        },
        Stage {
            id: "fifty",
            name: "recovers fifty messages sent in one send()",
            run: server_fifty_at_once,
        },
        Stage {
            id: "oversize",
            name: "refuses a message over MAX_MESSAGE and closes",
            run: server_refuses_oversize,
        },
    ]
}

fn client_stages() -> Vec<Stage> {
    vec![
        Stage {
            id: "connect",
            name: "connects to the port it was given",
            run: client_connects,
        },
        Stage {
            id: "framed",
            name: "sends a typed line as one framed message",
            run: client_frames,
        },
        Stage {
            id: "split",
            name: "prints a reply that arrives one byte at a time whole",
            run: client_joins_split_reply,
        },
        Stage {
            id: "stuck",
            name: "prints replies stuck together in one recv() one by one",
            run: client_separates_stuck_replies,
        },
        Stage {
            id: "end-of-input",
            name: "closes the connection and ends at the end of input",
            run: client_closes_at_end_of_input,
        },
        Stage {
            id: "oversize",
            name: "refuses a reply over MAX_MESSAGE: closes and ends",
            run: client_refuses_oversize,
        },
    ]
}

/// True in the run with length prefixes.
fn by_length(s: &Session) -> bool {
    s.var("framing") == "length"
}

/// `message` on the wire in the run's framing.
fn frame(s: &Session, message: &[u8]) -> Vec<u8> {
    frame_as(by_length(s), message)
}

fn frame_as(length: bool, message: &[u8]) -> Vec<u8> {
    let mut wire = Vec::with_capacity(message.len() + 4);
    if length {
        let n = u32::try_from(message.len()).unwrap_or(u32::MAX);
        wire.extend_from_slice(&n.to_be_bytes());
        wire.extend_from_slice(message);
    } else {
        wire.extend_from_slice(message);
        wire.push(b'\n');
    }
    wire
}

/// The start of a message over the limit: a prefix announcing MAX_MESSAGE + 1 bytes
/// and a few of them (`length`), or MAX_MESSAGE + 1 bytes without a newline (`line`).
fn oversize(s: &Session) -> Vec<u8> {
    let over = MAX_MESSAGE as usize + 1;
    if by_length(s) {
        let mut wire = (over as u32).to_be_bytes().to_vec();
        wire.extend_from_slice(b"xxxx");
        wire
    } else {
        vec![b'x'; over]
    }
}

/// What the oversize stages say of the limit.
fn oversize_said(s: &Session) -> String {
    if by_length(s) {
        format!(
            "a length prefix announcing {} bytes (MAX_MESSAGE + 1)",
            MAX_MESSAGE + 1
        )
    } else {
        format!(
            "{} bytes without a newline (MAX_MESSAGE + 1)",
            MAX_MESSAGE + 1
        )
    }
}

/// Sends `bytes` with a bounded wait, ignoring a peer that closes meanwhile: a
/// program that refuses a message may close before it is all sent.
fn send_regardless(s: &mut Session, conn: &mut TcpStream, bytes: &[u8], what: &str) {
    s.did(format!("sent {what}"));
    let _ = conn.set_write_timeout(Some(s.secs(WAIT)));
    let _ = conn.write_all(bytes);
}

// ---------------------------------------------------------------------------------
// Checking a server
// ---------------------------------------------------------------------------------

fn server_accepts(s: &mut Session) -> Outcome {
    let conn = s.connect().map_err(hint(
        LAB,
        "bind the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed 7777",
    ))?;
    s.close(conn);
    Ok(())
}

fn server_echoes(s: &mut Session) -> Outcome {
    let mut conn = s.connect()?;
    let wire = frame(s, "hello, 你好".as_bytes());
    s.send(&mut conn, &wire)?;
    s.expect_bytes(&mut conn, &wire, false, WAIT, "the message back, framed")
        .map_err(hint(
            LAB,
            "send each message back framed the same way: message + b\"\\n\" (line), or \
             struct.pack(\">I\", len(message)) + message (length), with one sendall()",
        ))?;
    s.close(conn);
    Ok(())
}

fn server_one_byte_at_a_time(s: &mut Session) -> Outcome {
    let mut conn = s.connect()?;
    let wire = frame(s, "one byte at a time 慢慢".as_bytes());
    s.did(format!(
        "sent a message ({} bytes) one byte per send(), 5 ms apart",
        wire.len()
    ));
    for byte in &wire {
        if conn.write_all(std::slice::from_ref(byte)).is_err() {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    s.expect_bytes(&mut conn, &wire, false, WAIT, "the message back, whole")
        .map_err(hint(
            LAB,
            "a recv() may return part of a message, even one byte: keep the bytes in a \
             buffer (buf += conn.recv(4096)) and take a message out only once it is \
             complete (a \\n in it, or as many bytes as the prefix says)",
        ))?;
    s.close(conn);
    Ok(())
}

fn server_fifty_at_once(s: &mut Session) -> Outcome {
    let mut conn = s.connect()?;
    let wire: Vec<u8> = (1..=50)
        .flat_map(|i| frame(s, format!("message {i} of 50").as_bytes()))
        .collect();
    s.did("the next send() holds 50 messages, stuck together");
    s.send(&mut conn, &wire)?;
    s.expect_bytes(&mut conn, &wire, false, WAIT, "the 50 messages back, whole")
        .map_err(hint(
            LAB,
            "one recv() may hold many messages: after each recv(), take out every complete \
             message in the buffer (a while loop), not only the first, and keep the rest",
        ))?;
    s.close(conn);
    Ok(())
}

fn server_refuses_oversize(s: &mut Session) -> Outcome {
    let mut conn = s.connect()?;
    let bytes = oversize(s);
    let said = oversize_said(s);
    send_regardless(s, &mut conn, &bytes, &said);
    expect_close(s, &mut conn, "the message over the limit").map_err(hint(
        LAB,
        "check the size before you read or keep the message: a length over MAX_MESSAGE \
         (1 048 576), or a buffer over it with no \\n yet, gets an error and close(). \
         Never bytearray(n) or recv(n) with the peer's n: it could say 4 GB",
    ))?;
    // And it serves the next client.
    let mut next = s.connect()?;
    let wire = frame(s, b"next client");
    s.send(&mut next, &wire)?;
    s.expect_bytes(
        &mut next,
        &wire,
        false,
        WAIT,
        "the next client's message back",
    )
    .map_err(hint(
        LAB,
        "after refusing a client, close its connection and accept() the next one",
    ))?;
    s.close(next);
    Ok(())
}

/// The program must close the connection (a FIN or a reset) within the wait, after
/// `after`; what it sends first (an error, a goodbye) is up to it.
pub(super) fn expect_close(s: &mut Session, conn: &mut TcpStream, after: &str) -> Outcome {
    let deadline = Instant::now() + s.secs(WAIT);
    let mut buf = [0u8; 4096];
    let mut got = 0usize;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Err(Failure::new(format!(
                "timed out: the connection was still open {:.1} s after {after} ({got} \
                 bytes arrived meanwhile)",
                s.secs(WAIT).as_secs_f64()
            )));
        }
        let _ = conn.set_read_timeout(Some((deadline - now).min(Duration::from_millis(50))));
        match conn.read(&mut buf) {
            Ok(0) => {
                s.did("saw the connection closed (recv() returned 0 bytes)");
                return Ok(());
            }
            Ok(n) => got += n,
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(_) => {
                s.did("saw the connection reset");
                return Ok(());
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Checking a client
// ---------------------------------------------------------------------------------

fn take_or_accept(s: &mut Session) -> Result<TcpStream, Failure> {
    match s.conn.take() {
        Some(conn) => Ok(conn),
        None => s.accept(),
    }
}

fn client_connects(s: &mut Session) -> Outcome {
    let conn = s.accept().map_err(hint(
        LAB,
        "connect to the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed \
         7777",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_frames(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    s.type_line("hello, 你好")?;
    let wire = frame(s, "hello, 你好".as_bytes());
    s.expect_bytes(&mut conn, &wire, false, WAIT, "the typed line, framed")
        .map_err(hint(
            LAB,
            "send each typed line as one message: line.encode() + b\"\\n\" (line), or \
             struct.pack(\">I\", len(data)) + data (length), in one sendall()",
        ))?;
    s.conn = Some(conn);
    Ok(())
}

/// True if `out` has each of `lines` as a whole line, in order.
fn has_lines_in_order(out: &[u8], lines: &[&str]) -> bool {
    let mut wanted = lines.iter().peekable();
    for line in out.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if wanted.peek().is_some_and(|w| w.as_bytes() == line) {
            wanted.next();
        }
    }
    wanted.peek().is_none()
}

fn client_joins_split_reply(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    let wire = frame(s, "a reply, cut 切开".as_bytes());
    s.mark_output();
    s.did(format!(
        "sent a reply ({} bytes) one byte per send(), 5 ms apart",
        wire.len()
    ));
    for byte in &wire {
        if conn.write_all(std::slice::from_ref(byte)).is_err() {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    s.expect_output_matching(WAIT, "the line \"a reply, cut 切开\"", &|out| {
        has_lines_in_order(out, &["a reply, cut 切开"])
    })
    .map_err(hint(
        LAB,
        "a recv() may return part of a reply: keep a buffer, and print a message only once \
         it is complete (a \\n in the buffer, or as many bytes as the prefix says)",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_separates_stuck_replies(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    let replies = ["first reply", "second reply", "third reply"];
    let wire: Vec<u8> = replies
        .iter()
        .flat_map(|r| frame(s, r.as_bytes()))
        .collect();
    s.mark_output();
    s.did("the next send() holds 3 replies, stuck together");
    s.send(&mut conn, &wire)?;
    s.expect_output_matching(WAIT, "the 3 replies, each on its own line", &|out| {
        has_lines_in_order(out, &replies)
    })
    .map_err(hint(
        LAB,
        "one recv() may hold several replies: take out every complete message in the \
         buffer (a while loop) and print each on its own line",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_closes_at_end_of_input(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    let how = hint(
        LAB,
        "at the end of input (Ctrl-D: input() raises EOFError, sys.stdin ends) close the \
         socket and end the program; a receiving thread must not keep it alive (make it a \
         daemon thread)",
    );
    s.close_stdin();
    s.expect_closed(&mut conn, WAIT, "at the end of input the client closes")
        .map_err(&how)?;
    s.expect_exit(WAIT, "at the end of input the client ends")
        .map_err(&how)?;
    Ok(())
}

fn client_refuses_oversize(s: &mut Session) -> Outcome {
    s.start()?;
    let mut conn = s.accept()?;
    let bytes = oversize(s);
    let said = oversize_said(s);
    send_regardless(s, &mut conn, &bytes, &said);
    let how = hint(
        LAB,
        "check the size before you read or keep a reply: a length over MAX_MESSAGE \
         (1 048 576), or a buffer over it with no \\n yet, means the server is broken: say \
         so, close the socket and end",
    );
    expect_close(s, &mut conn, "the message over the limit").map_err(&how)?;
    s.expect_exit(WAIT, "after refusing the reply the client ends")
        .map_err(&how)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_a_newline_after_or_a_big_endian_length_before() {
        assert_eq!(frame_as(false, b"hi"), b"hi\n");
        assert_eq!(frame_as(true, b"hi"), b"\0\0\0\x02hi");
    }

    #[test]
    fn printed_replies_must_be_whole_lines_in_order() {
        assert!(has_lines_in_order(b"> a\nb\r\nc\n", &["b", "c"]));
        assert!(!has_lines_in_order(b"ab\nc\n", &["a", "c"]));
        assert!(!has_lines_in_order(b"c\nb\n", &["b", "c"]));
    }
}
