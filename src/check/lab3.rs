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
use crate::lang::{pick, tr};

const LAB: u8 = 3;
/// How long a turn may take.
const TURN: f64 = 3.0;

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
                id: "client-first",
                name: pick(
                    "lets the client speak first and shows its message",
                    "让客户端先说话，并显示它的消息",
                ),
                run: server_lets_client_speak_first,
            },
            Stage {
                id: "reply",
                name: pick("sends the reply the operator typed", "发送操作员输入的回复"),
                run: server_sends_typed_reply,
            },
            Stage {
                id: "turns",
                name: pick("keeps taking turns", "持续轮流对话"),
                run: server_keeps_taking_turns,
            },
            Stage {
                id: "client-q",
                name: pick(
                    "ends the conversation when the client sends `q`",
                    "客户端发来 `q` 时结束对话",
                ),
                run: server_ends_on_client_q,
            },
            Stage {
                id: "next-client",
                name: pick("then serves the next client", "接着服务下一个客户端"),
                run: server_serves_next_client,
            },
            Stage {
                id: "server-q",
                name: pick(
                    "sends the operator's `q` and ends the conversation",
                    "发送操作员输入的 `q`，并结束对话",
                ),
                run: server_ends_on_operator_q,
            },
            Stage {
                id: "client-vanishes",
                name: pick(
                    "is not stuck when a client vanishes (recv() returns 0 bytes)",
                    "客户端突然消失（recv() 返回 0 字节）时不会卡住",
                ),
                run: server_survives_vanished_client,
            },
        ]),
        Role::Client => Plan::single(vec![
            Stage {
                id: "connect",
                name: pick("connects to the port it was given", "连接到给定的端口"),
                run: client_connects,
            },
            Stage {
                id: "tagged",
                name: pick(
                    "sends the typed line tagged `NAME:`",
                    "发送输入的一行，前面加上 `NAME:` 标签",
                ),
                run: client_sends_tagged_line,
            },
            Stage {
                id: "reply-shown",
                name: pick(
                    "prints the server's reply as text",
                    "把服务器的回复作为文本打印出来",
                ),
                run: client_prints_reply,
            },
            Stage {
                id: "takes-turns",
                name: pick(
                    "waits for the reply before sending the next line",
                    "收到回复之后才发送下一行",
                ),
                run: client_takes_turns,
            },
            Stage {
                id: "server-q",
                name: pick("ends when the server sends `q`", "服务器发来 `q` 时结束"),
                run: client_ends_on_server_q,
            },
            Stage {
                id: "client-q",
                name: pick(
                    "sends a plain `q` and ends when `q` is typed",
                    "输入 `q` 时发送单独的 `q`，并结束",
                ),
                run: client_sends_plain_q,
            },
            Stage {
                id: "server-dies",
                name: pick(
                    "notices at once that the server went away, and ends",
                    "服务器离开时立即察觉，并结束",
                ),
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
    s.expect_output(
        text.as_bytes(),
        TURN,
        &tr!("the message {text:?}", "消息 {text:?}"),
    )
}

/// The operator's turn: type `reply` and wait until the client receives it.
fn operator_says(s: &mut Session, conn: &mut TcpStream, reply: &str) -> Outcome {
    s.type_line(reply)?;
    s.expect_bytes(
        conn,
        reply.as_bytes(),
        true,
        TURN,
        pick("the operator's reply", "操作员的回复"),
    )
}

fn server_accepts(s: &mut Session) -> Outcome {
    let conn = s.connect().map_err(hint(
        LAB,
        pick(
            "bind the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed 9000",
            "绑定命令行给出的端口（sys.argv[1]）或 LAB_PORT，不要写死 9000",
        ),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_lets_client_speak_first(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    client_says(s, &mut conn, "amy", "hello there").map_err(hint(
        LAB,
        pick(
            "the client speaks first: after accept(), recv() its message and print it before \
             asking the operator for a reply with input()",
            "客户端先说话：accept() 之后，先 recv() 它的消息并打印出来，再用 input() 让操作\
             员输入回复",
        ),
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
        pick(
            "send the typed line as bytes: conn.sendall(reply.encode(\"utf-8\")); sending the \
             str itself raises TypeError",
            "把输入的一行作为字节发送：conn.sendall(reply.encode(\"utf-8\"))；直接发送 str 会引\
             发 TypeError",
        ),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_keeps_taking_turns(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    let how = hint(
        LAB,
        pick(
            "after sending the reply, go back to recv() for the client's next message: the \
             conversation is a loop that only `q` (or the client leaving) ends",
            "发送回复之后，回到 recv() 等待客户端的下一条消息：对话是一个循环，只有 `q`（或客户端\
             离开）才能结束它",
        ),
    );
    client_says(s, &mut conn, "amy", "how are you?").map_err(&how)?;
    operator_says(s, &mut conn, "fine, thanks").map_err(&how)?;
    s.conn = Some(conn);
    Ok(())
}

fn server_ends_on_client_q(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    s.send(&mut conn, b"q")?;
    s.expect_closed(
        &mut conn,
        TURN,
        pick(
            "`q` from the client ends the conversation",
            "客户端发来 `q` 时应结束对话",
        ),
    )
    .map_err(hint(
        LAB,
        pick(
            "recv() gives bytes: compare data.decode().strip().upper() == \"Q\" (in Python 3 \
             b\"Q\" == \"Q\" is False), then close the connection",
            "recv() 得到的是字节：比较 data.decode().strip().upper() == \"Q\"（在 Python 3 中 \
             b\"Q\" == \"Q\" 为 False），然后关闭连接",
        ),
    ))
}

fn server_serves_next_client(s: &mut Session) -> Outcome {
    let mut conn = s.connect()?;
    client_says(s, &mut conn, "bob", "good morning").map_err(hint(
        LAB,
        pick(
            "put accept() in a loop: after one conversation ends, the server waits for the \
             next client instead of ending",
            "把 accept() 放进循环：一次对话结束后，服务器等待下一个客户端，而不是退出",
        ),
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
        pick(
            "when the operator types q, send it, then close the connection and go back to \
             accept(): `q` from either side ends the conversation",
            "操作员输入 q 时，先把它发出去，再关闭连接并回到 accept()：任何一方的 `q` 都\
             会结束对话",
        ),
    );
    operator_says(s, &mut conn, "q").map_err(&how)?;
    s.expect_closed(
        &mut conn,
        TURN,
        pick(
            "the operator's `q` ends the conversation",
            "操作员的 `q` 应结束对话",
        ),
    )
    .map_err(&how)
}

fn server_survives_vanished_client(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        pick(
            "recv() returning b\"\" (0 bytes) means the client went away: leave the \
             conversation and go back to accept(), instead of asking the operator for a reply \
             nobody will read",
            "recv() 返回 b\"\"（0 字节）表示客户端已经离开：退出这次对话，回到 accept()，不要再让\
             操作员输入一条没有人会读的回复",
        ),
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
            &tr!(
                "the typed line as NAME:{line}",
                "以 NAME:{line} 形式发来的输入行"
            ),
            &|got| tagged(got, line).is_some(),
            &|got| got.len() >= longest || !got.contains(&b':'),
        )
        .map_err(|f| f.expected(format!("NAME:{line}").as_bytes()))?;
    if tagged(&got, line).is_none() {
        return Err(Failure::new(tr!(
            "the checker expected NAME:{line}, where NAME is 1 to 16 characters without \
             spaces",
            "检查程序期望收到 NAME:{line}，其中 NAME 是 1 到 16 个字符，不含空格"
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
        pick(
            "connect to the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed \
             9000",
            "连接命令行给出的端口（sys.argv[1]）或 LAB_PORT，不要写死 9000",
        ),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_sends_tagged_line(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    expect_tagged(s, &mut conn, "hello").map_err(hint(
        LAB,
        pick(
            "put the name tag in front of each line: send f\"{name}:{line}\" as UTF-8, so the \
             server can show who speaks",
            "在每一行前面加上名字标签：以 UTF-8 发送 f\"{name}:{line}\"，这样服务器才能显示\
             是谁在说话",
        ),
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
    s.expect_output("你好 amy".as_bytes(), TURN, pick("the reply", "回复"))
        .map_err(hint(
            LAB,
            pick(
                "print the reply as text: data.decode(\"utf-8\"); print(data) shows b'...' \
                 with escapes instead of the characters",
                "把回复作为文本打印：data.decode(\"utf-8\")；print(data) 显示的是带转义的 b'...'，\
                 而不是字符本身",
            ),
        ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_takes_turns(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    let how = hint(
        LAB,
        pick(
            "half-duplex means turns: after sending a line, wait in recv() for the reply \
             before reading and sending the next line",
            "半双工就是轮流说话：发送一行之后，先在 recv() 中等待回复，再读取并发送下一行",
        ),
    );
    s.type_line("one")?;
    s.type_line("two")?;
    let got = s
        .recv_matching(
            &mut conn,
            TURN,
            pick("the first line as NAME:one", "以 NAME:one 形式发来的第一行"),
            &|got| tagged(got, "one").is_some(),
            &|got| !got.contains(&b':') || got.len() > 80,
        )
        .map_err(|f| f.expected(b"NAME:one"))
        .map_err(&how)?;
    if tagged(&got, "one").is_none() {
        return Err(Failure::new(pick(
            "the checker expected only NAME:one: the second line must wait for the reply",
            "检查程序期望只收到 NAME:one：第二行必须等到回复之后再发",
        ))
        .bytes(b"NAME:one", &got)
        .hint(
            LAB,
            pick(
                "wait for the reply before sending the next line",
                "先等回复，再发送下一行",
            ),
        ));
    }
    s.did(pick(
        "waited 0.5 s: nothing more may arrive before the server's reply",
        "等了 0.5 秒：在服务器回复之前，不应再有数据到达",
    ));
    s.expect_nothing(
        &mut conn,
        0.5,
        pick(
            "the second line must wait for the server's reply",
            "第二行必须等到服务器回复之后再发",
        ),
    )
    .map_err(&how)?;
    s.mark_output();
    s.send(&mut conn, b"ok")?;
    s.expect_output(b"ok", TURN, pick("the reply", "回复"))
        .map_err(&how)?;
    s.did(pick("the client's turn again", "又轮到客户端了"));
    let got = s
        .recv_matching(
            &mut conn,
            TURN,
            pick(
                "the second line as NAME:two",
                "以 NAME:two 形式发来的第二行",
            ),
            &|got| tagged(got, "two").is_some(),
            &|got| !got.contains(&b':') || got.len() > 80,
        )
        .map_err(|f| f.expected(b"NAME:two"))
        .map_err(&how)?;
    if tagged(&got, "two").is_none() {
        return Err(Failure::new(pick(
            "the checker expected NAME:two",
            "检查程序期望收到 NAME:two",
        ))
        .bytes(b"NAME:two", &got)
        .hint(
            LAB,
            pick(
                "one line per turn, tagged NAME:",
                "每轮只发一行，前面加上 NAME: 标签",
            ),
        ));
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
    s.expect_exit(
        TURN,
        pick(
            "`q` from the server ends the client",
            "服务器发来 `q` 时客户端应结束",
        ),
    )
    .map_err(hint(
        LAB,
        pick(
            "recv() gives bytes: compare data.decode().strip().upper() == \"Q\" (in Python 3 \
             b\"q\" == \"q\" is False), then close and end",
            "recv() 得到的是字节：比较 data.decode().strip().upper() == \"Q\"（在 Python 3 中 \
             b\"q\" == \"q\" 为 False），然后关闭连接并结束",
        ),
    ))?;
    Ok(())
}

fn client_sends_plain_q(s: &mut Session) -> Outcome {
    s.start()?;
    let mut conn = s.accept()?;
    let how = hint(
        LAB,
        pick(
            "send a plain `q`, without the name tag: the classic server only ends the \
             conversation on exactly `q`. Then close the socket and end",
            "发送单独的 `q`，不带名字标签：经典的服务器只有收到恰好是 `q` 的消息才结束对话。然后关\
             闭套接字并结束",
        ),
    );
    s.type_line("q")?;
    s.expect_bytes(
        &mut conn,
        b"q",
        true,
        TURN,
        pick("a plain `q`", "单独的 `q`"),
    )
    .map_err(&how)?;
    s.expect_closed(
        &mut conn,
        TURN,
        pick(
            "after `q` the client closes the connection",
            "输入 `q` 后客户端应关闭连接",
        ),
    )
    .map_err(&how)?;
    s.expect_exit(
        TURN,
        pick("after `q` the client ends", "输入 `q` 后客户端应结束"),
    )
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
        pick(
            "a client waiting for a reply from a server that died should notice and end",
            "客户端在等待回复时服务器死掉了，客户端应当察觉并结束",
        ),
    )
    .map_err(hint(
        LAB,
        pick(
            "recv() returning b\"\" (0 bytes) means the server went away: say so and end, \
             instead of printing an empty reply and asking for more input",
            "recv() 返回 b\"\"（0 字节）表示服务器已经离开：说明这一情况并结束，不要打印一条空回复\
             后继续要求输入",
        ),
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
