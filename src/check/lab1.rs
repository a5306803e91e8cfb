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
use crate::lang::{pick, tr};

const LAB: u8 = 1;
/// How long a reply may take.
const REPLY: f64 = 3.0;

pub fn plan(role: Role) -> Plan {
    match role {
        Role::Server => Plan::single(vec![
            Stage {
                id: "accept",
                name: pick(
                    "listens on the port it was given and accepts a client",
                    "在给定的端口上监听，并接受一个客户端",
                ),
                run: server_accepts,
            },
            Stage {
                id: "hello",
                name: pick(
                    "replies `<ctime> hello` to `hello`",
                    "收到 `hello` 时回复 `<ctime> hello`",
                ),
                run: server_replies_ctime,
            },
            Stage {
                id: "utf-8",
                name: pick(
                    "sends UTF-8 text back byte for byte",
                    "把 UTF-8 文本逐字节原样发回",
                ),
                run: server_keeps_utf8,
            },
            Stage {
                id: "exit",
                name: pick(
                    "closes the connection after `exit`",
                    "收到 `exit` 后关闭连接",
                ),
                run: server_closes_after_exit,
            },
            Stage {
                id: "next-client",
                name: pick(
                    "serves the next client after one leaves",
                    "一个客户端离开后，接着服务下一个",
                ),
                run: server_serves_next_client,
            },
            Stage {
                id: "client-closes",
                name: pick(
                    "survives clients that close without `exit` (recv() returns 0 bytes)",
                    "客户端不发 `exit` 就关闭连接（recv() 返回 0 字节）时照常运行",
                ),
                run: server_survives_closing_clients,
            },
            Stage {
                id: "client-resets",
                name: pick(
                    "survives a client that resets the connection",
                    "客户端重置连接时照常运行",
                ),
                run: server_survives_reset,
            },
        ]),
        Role::Client => Plan::single(vec![
            Stage {
                id: "connect",
                name: pick("connects to the port it was given", "连接到给定的端口"),
                run: client_connects,
            },
            Stage {
                id: "send",
                name: pick(
                    "sends the typed line as UTF-8 bytes",
                    "把输入的一行作为 UTF-8 字节发送",
                ),
                run: client_sends_typed_line,
            },
            Stage {
                id: "reply",
                name: pick(
                    "prints the server's reply as text",
                    "把服务器的回复作为文本打印出来",
                ),
                run: client_prints_reply,
            },
            Stage {
                id: "exit",
                name: pick(
                    "sends `exit`, closes the connection and ends",
                    "发送 `exit`，关闭连接并结束",
                ),
                run: client_exits,
            },
            Stage {
                id: "server-closes",
                name: pick(
                    "ends when the server closes the connection (recv() returns 0 bytes)",
                    "服务器关闭连接（recv() 返回 0 字节）时结束",
                ),
                run: client_notices_server_closed,
            },
            Stage {
                id: "refused",
                name: pick(
                    "says so and exits non-zero when nothing listens",
                    "没有程序在监听时，说明情况并以非零退出码退出",
                ),
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
        .recv_matching(
            conn,
            REPLY,
            pick("the reply", "回复"),
            &|got| got.len() >= want,
            &|got| !could_be_echo(got, message),
        )
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
        pick("the reply does not start with the current time in ctime form \
         (`Mon Nov 23 03:47:53 2026`, 24 characters) and a space", "回复的开头不是 ctime 格式的当前时间（`Mon Nov 23 03:47:53 2026`，24 个字符）加一个空格")
    } else {
        pick(
            "the reply is not the time, a space and the very bytes that were sent",
            "回复不是“时间 + 一个空格 + 发过去的原样字节”",
        )
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
        pick("bind the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed 6666, \
         then listen() and accept()", "绑定命令行给出的端口（sys.argv[1]）或 LAB_PORT，而不是固定的 6666，然后 listen() 和 accept()"),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_replies_ctime(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    expect_echo(s, &mut conn, b"hello").map_err(hint(
        LAB,
        pick("reply with ctime() + \" \" + the message, encoded as UTF-8 and nothing else \
         (no newline, no quotes)", "回复 ctime() + \" \" + 收到的消息，用 UTF-8 编码，不要多加任何东西（不加换行，不加引号）"),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_keeps_utf8(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    expect_echo(s, &mut conn, "你好, héllo ✓".as_bytes()).map_err(hint(
        2,
        pick("decode the bytes as UTF-8 and encode the reply as UTF-8 (data.decode(\"utf-8\"), \
         reply.encode(\"utf-8\")): another encoding on either side changes the bytes", "用 UTF-8 解码收到的字节，回复也用 UTF-8 编码（data.decode(\"utf-8\")，reply.encode(\"utf-8\")）：任何一边换成别的编码，字节都会变"),
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
        pick("after `exit` the server closes the connection, without a reply", "收到 `exit` 后，服务器应关闭连接，不回复"),
    )
    .map_err(hint(
        LAB,
        pick("recv() gives bytes: compare with b\"exit\" or data.decode() == \"exit\" (in Python 3 \
         b\"exit\" == \"exit\" is False), then break out of the loop and conn.close()", "recv() 返回的是字节：要和 b\"exit\" 比较，或者用 data.decode() == \"exit\"（在 Python 3 中 b\"exit\" == \"exit\" 为 False），然后跳出循环并 conn.close()"),
    ))
}

fn server_serves_next_client(s: &mut Session) -> Outcome {
    let mut conn = s.connect()?;
    let result = expect_echo(s, &mut conn, b"hello again");
    result.map_err(hint(
        LAB,
        pick("put accept() in a loop (`while True: conn, addr = s.accept()`): after one client \
         leaves, the server waits for the next instead of ending", "把 accept() 放进循环（`while True: conn, addr = s.accept()`）：一个客户端离开后，服务器等待下一个，而不是结束"),
    ))?;
    s.send(&mut conn, b"exit")?;
    s.expect_closed(
        &mut conn,
        REPLY,
        pick("`exit` ends the conversation", "`exit` 会结束这次对话"),
    )
}

fn server_survives_closing_clients(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        pick("recv() returning b\"\" (0 bytes) means the client closed: leave the loop \
         (`if not data: break`) and go back to accept(); do not send to it or spin on recv()", "recv() 返回 b\"\"（0 字节）表示客户端已关闭：跳出循环（`if not data: break`），回到 accept()；不要再向它发送，也不要在 recv() 上空转"),
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
    s.expect_closed(
        &mut conn,
        REPLY,
        pick("`exit` ends the conversation", "`exit` 会结束这次对话"),
    )
    .map_err(&how)
}

fn server_survives_reset(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        pick("a client that vanishes can make recv() or send() raise ConnectionResetError \
         (WinError 10054 on Windows): catch it (`except ConnectionResetError:`), close that \
         connection and go back to accept()", "客户端突然消失时，recv() 或 send() 可能抛出 ConnectionResetError（Windows 上是 WinError 10054）：捕获它（`except ConnectionResetError:`），关闭这个连接，回到 accept()"),
    );
    let mut conn = s.connect()?;
    expect_echo(s, &mut conn, b"about to vanish")?;
    s.reset(conn);
    let mut conn = s.connect()?;
    expect_echo(s, &mut conn, b"still there?").map_err(&how)?;
    s.send(&mut conn, b"exit")?;
    s.expect_closed(
        &mut conn,
        REPLY,
        pick("`exit` ends the conversation", "`exit` 会结束这次对话"),
    )
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
        pick(
            "connect to the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed \
         6666",
            "连接命令行给出的端口（sys.argv[1]）或 LAB_PORT，而不是固定的 6666",
        ),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

const TYPED: &str = "你好 hello";

fn client_sends_typed_line(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    s.type_line(TYPED)?;
    s.expect_bytes(&mut conn, TYPED.as_bytes(), true, REPLY, pick("the typed line", "输入的那一行"))
        .map_err(hint(
            2,
            pick("send the line as UTF-8 bytes: s.send(line.encode(\"utf-8\")) (GBK or another \
         encoding gives other bytes)", "把这一行作为 UTF-8 字节发送：s.send(line.encode(\"utf-8\"))（用 GBK 或别的编码会得到不同的字节）"),
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
            s.expect_bytes(
                &mut conn,
                TYPED.as_bytes(),
                true,
                REPLY,
                pick("the typed line", "输入的那一行"),
            )?;
            conn
        }
    };
    let reply = format!("{} {TYPED}", ctime_now());
    s.mark_output();
    s.send(&mut conn, reply.as_bytes())?;
    s.expect_output(reply.as_bytes(), REPLY, pick("the reply", "回复"))
        .map_err(hint(
            LAB,
            pick("print the reply as text: print(data.decode(\"utf-8\")); print(data) shows \
             b'...' with escapes instead of the characters", "把回复作为文本打印：print(data.decode(\"utf-8\"))；print(data) 显示的是带转义的 b'...'，而不是字符本身"),
        ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_exits(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    s.type_line("exit")?;
    let how = hint(
        LAB,
        pick(
            "after sending `exit`, do not wait for a reply: the server sends none. Break out \
         of the loop and close the socket",
            "发送 `exit` 后不要等回复：服务器不会回复。跳出循环，关闭套接字",
        ),
    );
    s.expect_bytes(&mut conn, b"exit", true, REPLY, "`exit`")
        .map_err(&how)?;
    s.expect_closed(
        &mut conn,
        REPLY,
        pick(
            "after `exit` the client closes the connection",
            "发送 `exit` 后，客户端应关闭连接",
        ),
    )
    .map_err(&how)?;
    s.expect_exit(
        REPLY,
        pick(
            "after `exit` the client ends",
            "发送 `exit` 后，客户端应结束",
        ),
    )
    .map_err(&how)?;
    Ok(())
}

fn client_notices_server_closed(s: &mut Session) -> Outcome {
    s.start()?;
    let mut conn = s.accept()?;
    s.type_line("hello")?;
    s.expect_bytes(
        &mut conn,
        b"hello",
        true,
        REPLY,
        pick("the typed line", "输入的那一行"),
    )?;
    s.close(conn);
    s.expect_exit(
        REPLY,
        pick("when the server closes, recv() returns 0 bytes and the client should end", "服务器关闭连接时，recv() 返回 0 字节，客户端应当结束"),
    )
    .map_err(hint(
        LAB,
        pick("recv() returning b\"\" (0 bytes) means the server closed the connection: say so \
         and end, instead of printing an empty reply and asking for more input", "recv() 返回 b\"\"（0 字节）表示服务器关闭了连接：说明这一点并结束，而不是打印一个空回复、再等着读下一行输入"),
    ))?;
    Ok(())
}

fn client_reports_refused(s: &mut Session) -> Outcome {
    let port = s.start_with_nothing_listening()?;
    s.did(tr!(
        "nothing listens on port {port}",
        "端口 {port} 上没有程序在监听"
    ));
    let how = hint(
        LAB,
        pick("when connect() fails (ConnectionRefusedError; WinError 10061 on Windows), print \
         what failed and exit with a non-zero code: sys.exit(1)", "connect() 失败时（ConnectionRefusedError；Windows 上是 WinError 10061），打印出是哪一步失败了，并以非零退出码退出：sys.exit(1)"),
    );
    let status = s
        .expect_exit(
            5.0,
            pick(
                "a client that cannot connect should say so and end",
                "连不上服务器的客户端应当说明情况并结束",
            ),
        )
        .map_err(&how)?;
    if status.success() {
        return Err(Failure::new(pick(
            "your client ended with exit code 0 (success) although it could not connect",
            "你的客户端没能连上服务器，却以退出码 0（成功）结束了",
        ))
        .hint(
            LAB,
            pick(
                "exit with a non-zero code: sys.exit(1)",
                "以非零退出码退出：sys.exit(1)",
            ),
        ));
    }
    if !s.printed_anything() {
        return Err(
            Failure::new(pick("your client ended without a word: say what failed", "你的客户端一句话也没说就结束了：要说明是哪一步失败了")).hint(
                LAB,
                pick("print a sentence such as `could not connect to 127.0.0.1:PORT: connection \
                 refused`, then exit with a non-zero code", "打印一句说明，例如 `could not connect to 127.0.0.1:PORT: connection refused`，然后以非零退出码退出"),
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
