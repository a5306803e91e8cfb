//! The stages of lab 1 (echo): the protocol of `lab 1 server` and `lab 1 client`.
//!
//! - The client sends a message (UTF-8 bytes, no newline needed); the server replies
//!   with the time in `ctime` form, a space and the same bytes:
//!   `Mon Nov 23 03:47:53 2026 hello`.
//! - `exit` ends the conversation: the server closes that connection (without a
//!   reply) and accepts the next client. One client at a time.
//! - recv() returning 0 bytes means the other side closed: the server goes back to
//!   accept(), the client ends.

use std::net::TcpStream;

use chrono::{Local, NaiveDateTime};

use super::{hint, Failure, Outcome, Plan, Role, Session, Stage};

const LAB: u8 = 1;
/// How long a reply may take.
const REPLY: f64 = 3.0;

pub fn plan(role: Role) -> Plan {
    match role {
        Role::Server => Plan::single(vec![
            Stage {
                id: "accept",
                name: "listens on the port it was given and accepts a client",
                run: server_accepts,
            },
            Stage {
                id: "hello",
                name: "replies `<ctime> hello` to `hello`",
                run: server_replies_ctime,
            },
            Stage {
                id: "utf-8",
                name: "sends UTF-8 text back byte for byte",
                run: server_keeps_utf8,
            },
            Stage {
                id: "exit",
                name: "closes the connection after `exit`",
                run: server_closes_after_exit,
            },
            Stage {
                id: "next-client",
                name: "serves the next client after one leaves",
                run: server_serves_next_client,
            },
            Stage {
                id: "client-closes",
                name: "survives clients that close without `exit` (recv() returns 0 bytes)",
                run: server_survives_closing_clients,
            },
            Stage {
                id: "client-resets",
                name: "survives a client that resets the connection",
                run: server_survives_reset,
            },
        ]),
        Role::Client => Plan::single(vec![
            Stage {
                id: "connect",
                name: "connects to the port it was given",
                run: client_connects,
            },
            Stage {
                id: "send",
                name: "sends the typed line as UTF-8 bytes",
                run: client_sends_typed_line,
            },
            Stage {
                id: "reply",
                name: "prints the server's reply as text",
                run: client_prints_reply,
            },
            Stage {
                id: "exit",
                name: "sends `exit`, closes the connection and ends",
                run: client_exits,
            },
            Stage {
                id: "server-closes",
                name: "ends when the server closes the connection (recv() returns 0 bytes)",
                run: client_notices_server_closed,
            },
            Stage {
                id: "refused",
                name: "says so and exits non-zero when nothing listens",
                run: client_reports_refused,
            },
        ]),
    }
}

// ---------------------------------------------------------------------------------
// Checking a server
// ---------------------------------------------------------------------------------

/// The time as Python's `time.ctime()` writes it.
fn ctime_now() -> String {
    Local::now().format("%a %b %e %H:%M:%S %Y").to_string()
}

/// True if `text` is a ctime within a minute of now (the student's clock is ours), in
/// local time or in UTC (a std-only Rust program has no time zones).
fn is_recent_ctime(text: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(text) else {
        return false;
    };
    let Ok(time) = NaiveDateTime::parse_from_str(text, "%a %b %e %H:%M:%S %Y") else {
        return false;
    };
    [Local::now().naive_local(), chrono::Utc::now().naive_utc()]
        .iter()
        .any(|now| (time - *now).num_seconds().abs() <= 60)
}

/// True if `got` may still grow into `<ctime> <message>`: it starts like a weekday
/// and, past the time, holds a space and the start of the message.
fn could_be_echo(got: &[u8], message: &[u8]) -> bool {
    const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    let start = &got[..got.len().min(3)];
    if !DAYS.iter().any(|day| day.starts_with(start)) {
        return false;
    }
    if got.len() <= CTIME_LEN {
        return true;
    }
    got[CTIME_LEN] == b' ' && message.starts_with(&got[CTIME_LEN + 1..])
}

/// A ctime is 24 bytes: `Mon Nov 23 03:47:53 2026`.
const CTIME_LEN: usize = 24;

/// Sends `message` and checks the reply is `<ctime> <message>`.
fn expect_echo(s: &mut Session, conn: &mut TcpStream, message: &[u8]) -> Outcome {
    s.send(conn, message)?;
    let want = CTIME_LEN + 1 + message.len();
    let mut example = ctime_now().into_bytes();
    example.push(b' ');
    example.extend_from_slice(message);
    let reply = s
        .recv_matching(conn, REPLY, "the reply", &|got| got.len() >= want, &|got| {
            !could_be_echo(got, message)
        })
        .map_err(|f| f.expected(&example))?;
    let time_ok = reply.len() > CTIME_LEN && is_recent_ctime(&reply[..CTIME_LEN]);
    // Compare against the student's own time if it is a good one, so the marker
    // points at the real difference, not at a second that ticked.
    let mut expected = if time_ok {
        reply[..CTIME_LEN].to_vec()
    } else {
        ctime_now().into_bytes()
    };
    expected.push(b' ');
    expected.extend_from_slice(message);
    if reply == expected {
        return Ok(());
    }
    let what = if !time_ok {
        "the reply does not start with the current time in ctime form \
         (`Mon Nov 23 03:47:53 2026`, 24 characters) and a space"
    } else {
        "the reply is not the time, a space and the very bytes that were sent"
    };
    Err(Failure::new(what).bytes(&expected, &reply))
}

fn take_or_connect(s: &mut Session) -> Result<TcpStream, Failure> {
    match s.conn.take() {
        Some(conn) => Ok(conn),
        None => s.connect(),
    }
}

fn server_accepts(s: &mut Session) -> Outcome {
    let conn = s.connect().map_err(hint(
        LAB,
        "bind the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed 6666, \
         then listen() and accept()",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_replies_ctime(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    expect_echo(s, &mut conn, b"hello").map_err(hint(
        LAB,
        "reply with ctime() + \" \" + the message, encoded as UTF-8 and nothing else \
         (no newline, no quotes)",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_keeps_utf8(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    expect_echo(s, &mut conn, "你好, héllo ✓".as_bytes()).map_err(hint(
        2,
        "decode the bytes as UTF-8 and encode the reply as UTF-8 (data.decode(\"utf-8\"), \
         reply.encode(\"utf-8\")): another encoding on either side changes the bytes",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_closes_after_exit(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    s.send(&mut conn, b"exit")?;
    s.expect_closed(
        &mut conn,
        REPLY,
        "after `exit` the server closes the connection, without a reply",
    )
    .map_err(hint(
        LAB,
        "recv() gives bytes: compare with b\"exit\" or data.decode() == \"exit\" (in Python 3 \
         b\"exit\" == \"exit\" is False), then break out of the loop and conn.close()",
    ))
}

fn server_serves_next_client(s: &mut Session) -> Outcome {
    let mut conn = s.connect()?;
    let result = expect_echo(s, &mut conn, b"hello again");
    result.map_err(hint(
        LAB,
        "put accept() in a loop (`while True: conn, addr = s.accept()`): after one client \
         leaves, the server waits for the next instead of ending",
    ))?;
    s.send(&mut conn, b"exit")?;
    s.expect_closed(&mut conn, REPLY, "`exit` ends the conversation")
}

fn server_survives_closing_clients(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        "recv() returning b\"\" (0 bytes) means the client closed: leave the loop \
         (`if not data: break`) and go back to accept(); do not send to it or spin on recv()",
    );
    // A client that connects and closes at once, without a word.
    let conn = s.connect()?;
    s.close(conn);
    // A client that talks, then closes without `exit`.
    let mut conn = s.connect()?;
    expect_echo(s, &mut conn, b"bye without exit").map_err(&how)?;
    s.close(conn);
    // Is the server still serving?
    let mut conn = s.connect()?;
    expect_echo(s, &mut conn, b"still there?").map_err(&how)?;
    s.send(&mut conn, b"exit")?;
    s.expect_closed(&mut conn, REPLY, "`exit` ends the conversation")
        .map_err(&how)
}

fn server_survives_reset(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        "a client that vanishes can make recv() or send() raise ConnectionResetError \
         (WinError 10054 on Windows): catch it (`except ConnectionResetError:`), close that \
         connection and go back to accept()",
    );
    let mut conn = s.connect()?;
    expect_echo(s, &mut conn, b"about to vanish")?;
    s.reset(conn);
    let mut conn = s.connect()?;
    expect_echo(s, &mut conn, b"still there?").map_err(&how)?;
    s.send(&mut conn, b"exit")?;
    s.expect_closed(&mut conn, REPLY, "`exit` ends the conversation")
        .map_err(&how)
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
         6666",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

const TYPED: &str = "你好 hello";

fn client_sends_typed_line(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    s.type_line(TYPED)?;
    s.expect_bytes(&mut conn, TYPED.as_bytes(), true, REPLY, "the typed line")
        .map_err(hint(
            2,
            "send the line as UTF-8 bytes: s.send(line.encode(\"utf-8\")) (GBK or another \
         encoding gives other bytes)",
        ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_prints_reply(s: &mut Session) -> Outcome {
    let mut conn = match s.conn.take() {
        Some(conn) => conn,
        None => {
            let mut conn = s.accept()?;
            s.type_line(TYPED)?;
            s.expect_bytes(&mut conn, TYPED.as_bytes(), true, REPLY, "the typed line")?;
            conn
        }
    };
    let reply = format!("{} {TYPED}", ctime_now());
    s.mark_output();
    s.send(&mut conn, reply.as_bytes())?;
    s.expect_output(reply.as_bytes(), REPLY, "the reply")
        .map_err(hint(
            LAB,
            "print the reply as text: print(data.decode(\"utf-8\")); print(data) shows \
             b'...' with escapes instead of the characters",
        ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_exits(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    s.type_line("exit")?;
    let how = hint(
        LAB,
        "after sending `exit`, do not wait for a reply: the server sends none. Break out \
         of the loop and close the socket",
    );
    s.expect_bytes(&mut conn, b"exit", true, REPLY, "`exit`")
        .map_err(&how)?;
    s.expect_closed(
        &mut conn,
        REPLY,
        "after `exit` the client closes the connection",
    )
    .map_err(&how)?;
    s.expect_exit(REPLY, "after `exit` the client ends")
        .map_err(&how)?;
    Ok(())
}

fn client_notices_server_closed(s: &mut Session) -> Outcome {
    s.start()?;
    let mut conn = s.accept()?;
    s.type_line("hello")?;
    s.expect_bytes(&mut conn, b"hello", true, REPLY, "the typed line")?;
    s.close(conn);
    s.expect_exit(
        REPLY,
        "when the server closes, recv() returns 0 bytes and the client should end",
    )
    .map_err(hint(
        LAB,
        "recv() returning b\"\" (0 bytes) means the server closed the connection: say so \
         and end, instead of printing an empty reply and asking for more input",
    ))?;
    Ok(())
}

fn client_reports_refused(s: &mut Session) -> Outcome {
    let port = s.start_with_nothing_listening()?;
    s.did(format!("nothing listens on port {port}"));
    let how = hint(
        LAB,
        "when connect() fails (ConnectionRefusedError; WinError 10061 on Windows), print \
         what failed and exit with a non-zero code: sys.exit(1)",
    );
    let status = s
        .expect_exit(5.0, "a client that cannot connect should say so and end")
        .map_err(&how)?;
    if status.success() {
        return Err(Failure::new(
            "your client ended with exit code 0 (success) although it could not connect",
        )
        .hint(LAB, "exit with a non-zero code: sys.exit(1)"));
    }
    if !s.printed_anything() {
        return Err(
            Failure::new("your client ended without a word: say what failed").hint(
                LAB,
                "print a sentence such as `could not connect to 127.0.0.1:PORT: connection \
                 refused`, then exit with a non-zero code",
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ctime_of_now_is_recognised_and_others_are_not() {
        assert!(is_recent_ctime(ctime_now().as_bytes()));
        assert_eq!(ctime_now().len(), CTIME_LEN);
        assert!(!is_recent_ctime(b"Mon Nov 23 03:47:53 1998"));
        assert!(!is_recent_ctime(b"hello"));
        assert!(!is_recent_ctime(b"\xff\xfe"));
    }

    #[test]
    fn a_reply_that_cannot_become_the_echo_is_seen_early() {
        assert!(could_be_echo(b"Mo", b"hello"));
        assert!(could_be_echo(b"Mon Nov 23 03:47:53 2026 hel", b"hello"));
        assert!(!could_be_echo(b"hello", b"hello"));
        assert!(!could_be_echo(b"Mon Nov 23 03:47:53 2026\n", b"hello"));
    }
}
