//! The stages of lab 3 (half-duplex): the protocol of `lab 3 server` and `lab 3 client`.
//!
//! - The client connects and speaks first: one send() per turn, `NAME:text` (NAME is
//!   1 to 16 characters without spaces; UTF-8; no newline needed), at most 1024 bytes.
//! - The server shows the message and its operator types the reply, which the server
//!   sends as it was typed (UTF-8). Then it is the client's turn again.
//! - `q` (or `Q`), typed on either side, is sent as a plain `q` and ends the
//!   conversation: both close; the server accepts the next client.
//! - recv() returning 0 bytes means the other side went away: the server goes back to
//!   accept(), the client says so and ends.

use std::net::TcpStream;

use super::{hint, Failure, Outcome, Plan, Role, Session, Stage};

const LAB: u8 = 3;
/// How long a turn may take.
const TURN: f64 = 3.0;

pub fn plan(role: Role) -> Plan {
    match role {
        Role::Server => Plan::single(vec![
            Stage {
                id: "accept",
                name: "listens on the port it was given and accepts a client",
                run: server_accepts,
            },
            Stage {
                id: "client-first",
                name: "lets the client speak first and shows its message",
                run: server_lets_client_speak_first,
            },
            Stage {
                id: "reply",
                name: "sends the reply the operator typed",
                run: server_sends_typed_reply,
            },
            Stage {
                id: "turns",
                name: "keeps taking turns",
                run: server_keeps_taking_turns,
            },
            Stage {
                id: "client-q",
                name: "ends the conversation when the client sends `q`",
                run: server_ends_on_client_q,
            },
            Stage {
                id: "next-client",
                name: "then serves the next client",
                run: server_serves_next_client,
            },
            Stage {
                id: "server-q",
                name: "sends the operator's `q` and ends the conversation",
                run: server_ends_on_operator_q,
            },
            Stage {
                id: "client-vanishes",
                name: "is not stuck when a client vanishes (recv() returns 0 bytes)",
                run: server_survives_vanished_client,
            },
        ]),
        Role::Client => Plan::single(vec![
            Stage {
                id: "connect",
                name: "connects to the port it was given",
                run: client_connects,
            },
            Stage {
                id: "tagged",
                name: "sends the typed line tagged `NAME:`",
                run: client_sends_tagged_line,
            },
            Stage {
                id: "reply-shown",
                name: "prints the server's reply as text",
                run: client_prints_reply,
            },
            Stage {
                id: "takes-turns",
                name: "waits for the reply before sending the next line",
                run: client_takes_turns,
            },
            Stage {
                id: "server-q",
                name: "ends when the server sends `q`",
                run: client_ends_on_server_q,
            },
            Stage {
                id: "client-q",
                name: "sends a plain `q` and ends when `q` is typed",
                run: client_sends_plain_q,
            },
            Stage {
                id: "server-dies",
                name: "notices at once that the server went away, and ends",
                run: client_notices_dead_server,
            },
        ]),
    }
}

// ---------------------------------------------------------------------------------
// Checking a server
// ---------------------------------------------------------------------------------

fn take_or_connect(s: &mut Session) -> Result<TcpStream, Failure> {
    match s.conn.take() {
        Some(conn) => Ok(conn),
        None => s.connect(),
    }
}

/// The client's turn: send `NAME:text` and wait until the server shows `text`.
fn client_says(s: &mut Session, conn: &mut TcpStream, name: &str, text: &str) -> Outcome {
    s.mark_output();
    s.send(conn, format!("{name}:{text}").as_bytes())?;
    s.expect_output(text.as_bytes(), TURN, &format!("the message {text:?}"))
}

/// The operator's turn: type `reply` and wait until the client receives it.
fn operator_says(s: &mut Session, conn: &mut TcpStream, reply: &str) -> Outcome {
    s.type_line(reply)?;
    s.expect_bytes(conn, reply.as_bytes(), true, TURN, "the operator's reply")
}

fn server_accepts(s: &mut Session) -> Outcome {
    let conn = s.connect().map_err(hint(
        LAB,
        "bind the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed 9000",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_lets_client_speak_first(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    client_says(s, &mut conn, "amy", "hello there").map_err(hint(
        LAB,
        "the client speaks first: after accept(), recv() its message and print it before \
         asking the operator for a reply with input()",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_sends_typed_reply(s: &mut Session) -> Outcome {
    let mut conn = match s.conn.take() {
        Some(conn) => conn,
        None => {
            let mut conn = s.connect()?;
            client_says(s, &mut conn, "amy", "hello there")?;
            conn
        }
    };
    operator_says(s, &mut conn, "hi amy, 你好").map_err(hint(
        LAB,
        "send the typed line as bytes: conn.sendall(reply.encode(\"utf-8\")); sending the \
         str itself raises TypeError",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_keeps_taking_turns(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    let how = hint(
        LAB,
        "after sending the reply, go back to recv() for the client's next message: the \
         conversation is a loop that only `q` (or the client leaving) ends",
    );
    client_says(s, &mut conn, "amy", "how are you?").map_err(&how)?;
    operator_says(s, &mut conn, "fine, thanks").map_err(&how)?;
    s.conn = Some(conn);
    Ok(())
}

fn server_ends_on_client_q(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    s.send(&mut conn, b"q")?;
    s.expect_closed(&mut conn, TURN, "`q` from the client ends the conversation")
        .map_err(hint(
            LAB,
            "recv() gives bytes: compare data.decode().strip().upper() == \"Q\" (in Python 3 \
             b\"Q\" == \"Q\" is False), then close the connection",
        ))
}

fn server_serves_next_client(s: &mut Session) -> Outcome {
    let mut conn = s.connect()?;
    client_says(s, &mut conn, "bob", "good morning").map_err(hint(
        LAB,
        "put accept() in a loop: after one conversation ends, the server waits for the \
         next client instead of ending",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_ends_on_operator_q(s: &mut Session) -> Outcome {
    let mut conn = match s.conn.take() {
        Some(conn) => conn,
        None => {
            let mut conn = s.connect()?;
            client_says(s, &mut conn, "bob", "good morning")?;
            conn
        }
    };
    let how = hint(
        LAB,
        "when the operator types q, send it, then close the connection and go back to \
         accept(): `q` from either side ends the conversation",
    );
    operator_says(s, &mut conn, "q").map_err(&how)?;
    s.expect_closed(&mut conn, TURN, "the operator's `q` ends the conversation")
        .map_err(&how)
}

fn server_survives_vanished_client(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        "recv() returning b\"\" (0 bytes) means the client went away: leave the \
         conversation and go back to accept(), instead of asking the operator for a reply \
         nobody will read",
    );
    let mut conn = s.connect()?;
    client_says(s, &mut conn, "cid", "hello")?;
    operator_says(s, &mut conn, "hello cid")?;
    // The client vanishes while the server waits in recv() for its turn.
    s.close(conn);
    let mut conn = s.connect()?;
    client_says(s, &mut conn, "dan", "anyone there?").map_err(&how)?;
    Ok(())
}

// ---------------------------------------------------------------------------------
// Checking a client
// ---------------------------------------------------------------------------------

/// True if `name` can be a tag: 1 to 16 characters, no spaces, no colon.
fn is_tag(name: &[u8]) -> bool {
    let Ok(name) = std::str::from_utf8(name) else {
        return false;
    };
    (1..=16).contains(&name.chars().count())
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == ':' || c.is_control())
}

/// `NAME:text` (with an optional newline): returns NAME.
fn tagged<'a>(got: &'a [u8], text: &str) -> Option<&'a [u8]> {
    let got = got.strip_suffix(b"\n").unwrap_or(got);
    let got = got.strip_suffix(b"\r").unwrap_or(got);
    let name = got.strip_suffix(text.as_bytes())?.strip_suffix(b":")?;
    is_tag(name).then_some(name)
}

/// Types `line` and expects `NAME:line` on the connection.
fn expect_tagged(s: &mut Session, conn: &mut TcpStream, line: &str) -> Outcome {
    s.type_line(line)?;
    let longest = 16 * 4 + 1 + line.len() + 2;
    let got = s
        .recv_matching(
            conn,
            TURN,
            &format!("the typed line as NAME:{line}"),
            &|got| tagged(got, line).is_some(),
            &|got| got.len() >= longest || !got.contains(&b':'),
        )
        .map_err(|f| f.expected(format!("NAME:{line}").as_bytes()))?;
    if tagged(&got, line).is_none() {
        return Err(Failure::new(format!(
            "the checker expected NAME:{line}, where NAME is 1 to 16 characters without \
             spaces"
        ))
        .bytes(format!("NAME:{line}").as_bytes(), &got));
    }
    Ok(())
}

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
         9000",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_sends_tagged_line(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    expect_tagged(s, &mut conn, "hello").map_err(hint(
        LAB,
        "put the name tag in front of each line: send f\"{name}:{line}\" as UTF-8, so the \
         server can show who speaks",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_prints_reply(s: &mut Session) -> Outcome {
    let mut conn = match s.conn.take() {
        Some(conn) => conn,
        None => {
            let mut conn = s.accept()?;
            expect_tagged(s, &mut conn, "hello")?;
            conn
        }
    };
    s.mark_output();
    s.send(&mut conn, "你好 amy".as_bytes())?;
    s.expect_output("你好 amy".as_bytes(), TURN, "the reply")
        .map_err(hint(
            LAB,
            "print the reply as text: data.decode(\"utf-8\"); print(data) shows b'...' \
             with escapes instead of the characters",
        ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_takes_turns(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    let how = hint(
        LAB,
        "half-duplex means turns: after sending a line, wait in recv() for the reply \
         before reading and sending the next line",
    );
    s.type_line("one")?;
    s.type_line("two")?;
    let got = s
        .recv_matching(
            &mut conn,
            TURN,
            "the first line as NAME:one",
            &|got| tagged(got, "one").is_some(),
            &|got| !got.contains(&b':') || got.len() > 80,
        )
        .map_err(|f| f.expected(b"NAME:one"))
        .map_err(&how)?;
    if tagged(&got, "one").is_none() {
        return Err(Failure::new(
            "the checker expected only NAME:one: the second line must wait for the reply",
        )
        .bytes(b"NAME:one", &got)
        .hint(LAB, "wait for the reply before sending the next line"));
    }
    s.did("waited 0.5 s: nothing more may arrive before the server's reply");
    s.expect_nothing(
        &mut conn,
        0.5,
        "the second line must wait for the server's reply",
    )
    .map_err(&how)?;
    s.mark_output();
    s.send(&mut conn, b"ok")?;
    s.expect_output(b"ok", TURN, "the reply").map_err(&how)?;
    s.did("the client's turn again");
    let got = s
        .recv_matching(
            &mut conn,
            TURN,
            "the second line as NAME:two",
            &|got| tagged(got, "two").is_some(),
            &|got| !got.contains(&b':') || got.len() > 80,
        )
        .map_err(|f| f.expected(b"NAME:two"))
        .map_err(&how)?;
    if tagged(&got, "two").is_none() {
        return Err(Failure::new("the checker expected NAME:two")
            .bytes(b"NAME:two", &got)
            .hint(LAB, "one line per turn, tagged NAME:"));
    }
    s.conn = Some(conn);
    Ok(())
}

fn client_ends_on_server_q(s: &mut Session) -> Outcome {
    let mut conn = match s.conn.take() {
        Some(conn) => conn,
        None => {
            let mut conn = s.accept()?;
            expect_tagged(s, &mut conn, "hello")?;
            conn
        }
    };
    s.send(&mut conn, b"q")?;
    s.expect_exit(TURN, "`q` from the server ends the client")
        .map_err(hint(
            LAB,
            "recv() gives bytes: compare data.decode().strip().upper() == \"Q\" (in Python 3 \
             b\"q\" == \"q\" is False), then close and end",
        ))?;
    Ok(())
}

fn client_sends_plain_q(s: &mut Session) -> Outcome {
    s.start()?;
    let mut conn = s.accept()?;
    let how = hint(
        LAB,
        "send a plain `q`, without the name tag: the classic server only ends the \
         conversation on exactly `q`. Then close the socket and end",
    );
    s.type_line("q")?;
    s.expect_bytes(&mut conn, b"q", true, TURN, "a plain `q`")
        .map_err(&how)?;
    s.expect_closed(
        &mut conn,
        TURN,
        "after `q` the client closes the connection",
    )
    .map_err(&how)?;
    s.expect_exit(TURN, "after `q` the client ends")
        .map_err(&how)?;
    Ok(())
}

fn client_notices_dead_server(s: &mut Session) -> Outcome {
    s.start()?;
    let mut conn = s.accept()?;
    expect_tagged(s, &mut conn, "are you there?")?;
    // The server dies while the client waits for its reply.
    s.close(conn);
    s.expect_exit(
        TURN,
        "a client waiting for a reply from a server that died should notice and end",
    )
    .map_err(hint(
        LAB,
        "recv() returning b\"\" (0 bytes) means the server went away: say so and end, \
         instead of printing an empty reply and asking for more input",
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_1_to_16_characters_without_spaces() {
        assert_eq!(tagged(b"amy:hello", "hello"), Some(&b"amy"[..]));
        assert_eq!(tagged(b"amy:hello\n", "hello"), Some(&b"amy"[..]));
        assert_eq!(
            tagged("小马过河:hello".as_bytes(), "hello"),
            Some("小马过河".as_bytes())
        );
        assert_eq!(tagged(b"hello", "hello"), None);
        assert_eq!(tagged(b":hello", "hello"), None);
        assert_eq!(tagged(b"a b:hello", "hello"), None);
        assert_eq!(tagged(b"abcdefghijklmnopq:hello", "hello"), None);
        assert_eq!(tagged(b"amy:hello2", "hello"), None);
    }
}
