//! The stages of lab 4 (threads): the protocol of `lab 4 server` and `lab 4 client`.
//!
//! - Every line ends with `\n`; the server cuts what it receives at `\n` (a `\r`
//!   before it is dropped too).
//! - As soon as it accepts a client, the server sends a welcome line that names the
//!   client's address as the server sees it: `welcome, 127.0.0.1:50312 ...`
//!   (Python's `('127.0.0.1', 50312)` is accepted too).
//! - To each line it replies with a line that names that client's address and holds
//!   the line: `reply to 127.0.0.1:50312: got 5 bytes: hello`.
//! - `exit` ends that client's conversation: the server may send a goodbye line, then
//!   closes that connection. A client that closes or resets without `exit` ends only
//!   its own conversation. Many clients are served at once: one that says nothing
//!   holds up no one.
//! - The client prints every line the server sends as it arrives, also while the
//!   student types (a reader thread: full duplex); it sends each typed line in
//!   UTF-8, best with a `\n` (the classic client sends none, and the lab's server
//!   takes both); after `exit` it closes the connection and ends (exit code 0);
//!   when the server goes away it says so and ends.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use super::{contains, hint, Failure, Outcome, Plan, Role, Session, Stage};

const LAB: u8 = 4;
/// How long a line may take.
const REPLY: f64 = 3.0;
/// How many clients come and go at once in the `burst` stage.
const BURST: usize = 30;

pub fn plan(role: Role) -> Plan {
    match role {
        Role::Server => Plan::single(vec![
            Stage {
                id: "welcome",
                name: "welcomes a client and replies, naming its address both times",
                run: server_welcomes,
            },
            Stage {
                id: "silent-client",
                name: "a client that says nothing holds up no one",
                run: server_silent_client,
            },
            Stage {
                id: "five-at-once",
                name: "five clients at once each get replies naming their own address",
                run: server_five_at_once,
            },
            Stage {
                id: "exit",
                name: "`exit` closes that connection; the others are still served",
                run: server_exit,
            },
            Stage {
                id: "vanished",
                name: "clients that close or reset without `exit` harm no one",
                run: server_vanished,
            },
            Stage {
                id: "burst",
                name: "thirty clients that connect and vanish at once leave it working",
                run: server_burst,
            },
        ]),
        Role::Client => Plan::single(vec![
            Stage {
                id: "connect",
                name: "connects to the port it was given",
                run: client_connects,
            },
            Stage {
                id: "welcome",
                name: "prints the welcome the server sends first, before anything is typed",
                run: client_prints_welcome,
            },
            Stage {
                id: "send",
                name: "sends the typed line in UTF-8 and prints the reply",
                run: client_sends,
            },
            Stage {
                id: "full-duplex",
                name: "prints a line the server sends while nothing is typed",
                run: client_full_duplex,
            },
            Stage {
                id: "exit",
                name: "sends `exit`, closes the connection and ends",
                run: client_exits,
            },
            Stage {
                id: "server-gone",
                name: "says so and ends when the server goes away",
                run: client_server_gone,
            },
        ]),
    }
}

// ---------------------------------------------------------------------------------
// Checking a server
// ---------------------------------------------------------------------------------

/// True if `text` names `addr`: `127.0.0.1:50312` or `('127.0.0.1', 50312)`.
fn names(text: &[u8], addr: SocketAddr) -> bool {
    let ip = addr.ip().to_string();
    let port = addr.port();
    [format!("{ip}:{port}"), format!("'{ip}', {port})")]
        .iter()
        .any(|form| {
            let form = form.as_bytes();
            text.windows(form.len()).enumerate().any(|(at, w)| {
                w == form && !text.get(at + form.len()).is_some_and(u8::is_ascii_digit)
            })
        })
}

/// Receives one line (up to `\n`) that names `addr` and, if given, holds `message`.
fn expect_line(
    s: &mut Session,
    conn: &mut TcpStream,
    addr: SocketAddr,
    message: Option<&[u8]>,
    what: &str,
) -> Result<Vec<u8>, Failure> {
    let wanted = |got: &[u8]| names(got, addr) && message.is_none_or(|m| contains(got, m));
    let got = s.recv_matching(
        conn,
        REPLY,
        what,
        &|got| got.ends_with(b"\n") && wanted(got),
        &|got| !(got.ends_with(b"\n") && wanted(got)),
    );
    let got = match got {
        Ok(got) => got,
        Err(failure) => {
            let Some(received) = failure.received.clone() else {
                return Err(failure);
            };
            let what = if wanted(&received) {
                format!("{what} arrived without the `\\n` that ends a line")
            } else if !names(&received, addr) {
                format!(
                    "{what} does not name the client's address, {addr} (the checker's own \
                     address, as accept() returned it)"
                )
            } else {
                format!("{what} does not hold the line the client sent")
            };
            return Err(Failure { what, ..failure });
        }
    };
    Ok(got)
}

/// Connects a client and reads its welcome.
fn welcomed(s: &mut Session) -> Result<(TcpStream, SocketAddr), Failure> {
    let mut conn = s.connect()?;
    let me = conn
        .local_addr()
        .map_err(|err| Failure::new(format!("the checker lost its connection: {err}")))?;
    expect_line(s, &mut conn, me, None, "the welcome line")?;
    Ok((conn, me))
}

/// Sends `message` and a newline, and reads the reply that names `me` and holds it.
fn exchange(s: &mut Session, conn: &mut TcpStream, me: SocketAddr, message: &str) -> Outcome {
    s.send(conn, format!("{message}\n").as_bytes())?;
    expect_line(s, conn, me, Some(message.as_bytes()), "the reply").map(|_| ())
}

fn server_welcomes(s: &mut Session) -> Outcome {
    let (mut conn, me) = welcomed(s).map_err(hint(
        LAB,
        "bind the port from the command line (sys.argv[1]) or LAB_PORT; as soon as \
         accept() returns, send a welcome line naming the address it returned: \
         conn.sendall(f\"welcome, {addr[0]}:{addr[1]}\\n\".encode())",
    ))?;
    exchange(s, &mut conn, me, "hello").map_err(hint(
        LAB,
        "reply to each line with one line that names the client's address and repeats \
         the line: f\"reply to {addr[0]}:{addr[1]}: {text}\\n\"",
    ))
}

fn server_silent_client(s: &mut Session) -> Outcome {
    let mut silent = s.connect()?;
    let quiet = silent
        .local_addr()
        .map_err(|err| Failure::new(format!("the checker lost its connection: {err}")))?;
    s.did("this client says nothing and reads nothing for now");
    let how = hint(
        LAB,
        "the main thread only accept()s and gives each client a thread of its own: \
         threading.Thread(target=serve, args=(conn, addr), daemon=True).start(). Serving \
         a client in the main thread makes every other client wait until it leaves",
    );
    let (mut conn, me) = welcomed(s).map_err(&how)?;
    exchange(s, &mut conn, me, "is anyone there?").map_err(&how)?;
    // Its welcome is read before it leaves: a socket closed with unread bytes
    // resets the connection, and resets are the `vanished` stage's business.
    expect_line(s, &mut silent, quiet, None, "the silent client's welcome")?;
    Ok(())
}

fn server_five_at_once(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        "each thread must use its own conn and addr, passed to it as arguments: a global \
         `conn` or `addr` is overwritten by the next accept(), and then one client is \
         answered with another one's address",
    );
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(welcomed(s).map_err(&how)?);
    }
    for (number, (conn, _)) in clients.iter_mut().enumerate() {
        s.send(
            conn,
            format!("message from client {}\n", number + 1).as_bytes(),
        )?;
    }
    for (number, (conn, me)) in clients.iter_mut().enumerate() {
        let message = format!("message from client {}", number + 1);
        expect_line(s, conn, *me, Some(message.as_bytes()), "the reply").map_err(&how)?;
    }
    Ok(())
}

fn server_exit(s: &mut Session) -> Outcome {
    let (mut leaving, _) = welcomed(s)?;
    let (mut staying, me) = welcomed(s)?;
    s.send(&mut leaving, b"exit\n")?;
    s.expect_closed_after(
        &mut leaving,
        REPLY,
        "after `exit` the server closes that connection (a goodbye line first is fine)",
    )
    .map_err(hint(
        LAB,
        "recv() gives bytes: decode and strip the line, compare it with \"exit\" \
         (b\"exit\\n\" == \"exit\" is False), then leave that client's loop and \
         conn.close()",
    ))?;
    let how = hint(
        LAB,
        "`exit` ends that client's thread only: return from its function, do not stop \
         the server or close the listening socket",
    );
    exchange(s, &mut staying, me, "still there?").map_err(&how)?;
    let (mut newcomer, me) = welcomed(s).map_err(&how)?;
    exchange(s, &mut newcomer, me, "hello").map_err(&how)
}

fn server_vanished(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        "in each client's thread: recv() returning b\"\" means it closed, so return; a \
         ConnectionResetError (WinError 10054 on Windows) means it vanished: catch it \
         (try/except around the loop) so only that client's conversation ends",
    );
    let (closing, _) = welcomed(s)?;
    let (resetting, _) = welcomed(s)?;
    let (mut staying, me) = welcomed(s)?;
    s.close(closing);
    s.reset(resetting);
    exchange(s, &mut staying, me, "still there?").map_err(&how)?;
    let (mut newcomer, me) = welcomed(s).map_err(&how)?;
    exchange(s, &mut newcomer, me, "hello").map_err(&how)
}

fn server_burst(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        "a client may be gone before its welcome is sent: send() then raises \
         BrokenPipeError or ConnectionResetError. Send the welcome in the client's own \
         thread, inside its try/except, never in the accept loop (an exception there \
         ends the server); listen() with a queue of 64 or more",
    );
    s.did(format!(
        "opened {BURST} connections one after another, each reset (RST) at once, \
         before reading anything"
    ));
    let addr = s.program_addr();
    let timeout = s.secs(REPLY);
    for _ in 0..BURST {
        if let Ok(conn) = TcpStream::connect_timeout(&addr, timeout) {
            let socket = socket2::Socket::from(conn);
            let _ = socket.set_linger(Some(Duration::ZERO));
        }
    }
    let (mut conn, me) = welcomed(s).map_err(&how)?;
    exchange(s, &mut conn, me, "after the crowd").map_err(&how)
}

// ---------------------------------------------------------------------------------
// Checking a client
// ---------------------------------------------------------------------------------

const TYPED: &str = "你好 threads";

fn welcome_for(addr: SocketAddr) -> String {
    format!("welcome, {addr}: you are client #1 here. Type a line; `exit` leaves.")
}

/// Accepts the client and sends the welcome; it must print it.
fn accept_welcomed(s: &mut Session) -> Result<(TcpStream, SocketAddr), Failure> {
    let mut conn = s.accept()?;
    let them = conn
        .peer_addr()
        .map_err(|err| Failure::new(format!("the checker lost the connection: {err}")))?;
    let welcome = welcome_for(them);
    s.mark_output();
    s.send(&mut conn, format!("{welcome}\n").as_bytes())?;
    s.expect_output(welcome.as_bytes(), REPLY, "the welcome line")?;
    Ok((conn, them))
}

fn take_or_welcome(s: &mut Session) -> Result<(TcpStream, SocketAddr), Failure> {
    match s.conn.take() {
        Some(conn) => {
            let them = conn
                .peer_addr()
                .map_err(|err| Failure::new(format!("the connection is gone: {err}")))?;
            Ok((conn, them))
        }
        None => accept_welcomed(s),
    }
}

fn client_connects(s: &mut Session) -> Outcome {
    let conn = s.accept().map_err(hint(
        LAB,
        "connect to the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed \
         12000",
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_prints_welcome(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        "the server speaks first: start a reader thread that recv()s and prints every \
         line as soon as it arrives, before the main thread waits in input()",
    );
    let mut conn = match s.conn.take() {
        Some(conn) => conn,
        None => s.accept()?,
    };
    let them = conn
        .peer_addr()
        .map_err(|err| Failure::new(format!("the connection is gone: {err}")))?;
    let welcome = welcome_for(them);
    s.mark_output();
    s.send(&mut conn, format!("{welcome}\n").as_bytes())?;
    s.expect_output(welcome.as_bytes(), REPLY, "the welcome line")
        .map_err(&how)?;
    s.conn = Some(conn);
    Ok(())
}

fn client_sends(s: &mut Session) -> Outcome {
    let (mut conn, them) = take_or_welcome(s)?;
    s.type_line(TYPED)?;
    s.expect_bytes(&mut conn, TYPED.as_bytes(), true, REPLY, "the typed line")
    .map_err(hint(
        LAB,
        "send the typed line as UTF-8 (GBK or another encoding gives other bytes), best with a newline: \
             sock.sendall((line + \"\\n\").encode(\"utf-8\"))",
    ))?;
    let reply = format!("reply to {them}: got {} bytes: {TYPED}", TYPED.len());
    s.mark_output();
    s.send(&mut conn, format!("{reply}\n").as_bytes())?;
    s.expect_output(reply.as_bytes(), REPLY, "the reply")
        .map_err(hint(
            LAB,
            "print each line as text: print(data.decode(\"utf-8\")), not print(data)",
        ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_full_duplex(s: &mut Session) -> Outcome {
    let (mut conn, _) = take_or_welcome(s)?;
    let notice = "[server] a line nobody asked for: the operator says hello";
    s.did("typed nothing");
    s.mark_output();
    s.send(&mut conn, format!("{notice}\n").as_bytes())?;
    s.expect_output(notice.as_bytes(), REPLY, "the line the server sent")
        .map_err(hint(
            LAB,
            "while the main thread waits in input(), nothing recv()s unless another thread \
             does: a reader thread that loops on recv() and prints shows what the server \
             sends at any time (full duplex)",
        ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_exits(s: &mut Session) -> Outcome {
    let (mut conn, them) = take_or_welcome(s)?;
    let how = hint(
        LAB,
        "input() returns the line without its newline: compare line.strip() == \"exit\"; \
         after sending it, close the socket (or shutdown(SHUT_WR)) and end",
    );
    s.type_line("exit")?;
    s.expect_bytes(&mut conn, b"exit", true, REPLY, "`exit`")
        .map_err(&how)?;
    s.send(&mut conn, format!("goodbye, {them}\n").as_bytes())?;
    s.expect_closed_after(
        &mut conn,
        REPLY,
        "after `exit` the client closes the connection",
    )
    .map_err(&how)?;
    s.close(conn);
    let status = s
        .expect_exit(REPLY, "after `exit` the client ends")
        .map_err(hint(
            LAB,
            "after `exit`, let the main thread return and make the reader thread a daemon \
             (daemon=True), or wait for it with join(): a thread still blocked in recv() \
             keeps the program alive",
        ))?;
    if !status.success() {
        return Err(Failure::new(
            "your client ended with a non-zero exit code after `exit`, which is a normal end",
        )
        .hint(
            LAB,
            "end with exit code 0 after `exit` (return from main, or sys.exit(0))",
        ));
    }
    Ok(())
}

fn client_server_gone(s: &mut Session) -> Outcome {
    s.start()?;
    let (conn, _) = accept_welcomed(s)?;
    // The program was started in this stage: its lines from here on are new.
    let before = s.output_lines(false, usize::MAX).len();
    s.close(conn);
    let how = hint(
        LAB,
        "in the reader thread, recv() returning b\"\" means the server went away: print a \
         sentence saying so and end the whole program (os._exit(1): the main thread is \
         stuck in input() and cannot notice)",
    );
    s.expect_exit(
        REPLY,
        "when the server closes the connection, the client should say so and end",
    )
    .map_err(&how)?;
    let mut lines = s.output_lines(false, usize::MAX);
    let lines = lines.split_off(before.min(lines.len()));
    if lines.iter().any(|(_, line)| contains(line, b"Traceback")) {
        return Err(Failure::new(
            "your client ended with a Python traceback: say in a sentence that the server \
             went away",
        )
        .hint(
            LAB,
            "catch the error (ConnectionResetError, OSError) around recv() and print a \
             sentence",
        ));
    }
    if lines.is_empty() {
        return Err(Failure::new(
            "your client ended without a word: say that the server went away",
        )
        .hint(
            LAB,
            "print a sentence such as `the server closed the connection`",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_named_in_either_form_and_not_as_part_of_another_port() {
        let addr: SocketAddr = "127.0.0.1:5031".parse().unwrap();
        assert!(names(b"welcome, 127.0.0.1:5031\n", addr));
        assert!(names(b"hi ('127.0.0.1', 5031)\n", addr));
        assert!(!names(b"welcome, 127.0.0.1:50312\n", addr));
        assert!(!names(b"welcome, 127.0.0.1:5032\n", addr));
        assert!(!names(b"welcome!\n", addr));
    }
}
