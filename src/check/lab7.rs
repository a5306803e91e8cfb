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
use crate::lang::{pick, tr};

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
            name: pick(
                "listens on the port it was given and accepts a client",
                "在指定的端口上监听，并接受一个客户端",
            ),
            run: server_accepts,
        },
        Stage {
            id: "echo",
            name: pick(
                "sends a message back, framed the same way",
                "把消息按同样的分帧方式发回",
            ),
            run: server_echoes,
        },
        Stage {
            id: "one-byte",
            name: pick(
                "recovers a message sent one byte per send()",
                "还原每次 send() 只发一个字节的消息",
            ),
            run: server_one_byte_at_a_time,
        },
        Stage {
            id: "fifty",
            name: pick(
                "recovers fifty messages sent in one send()",
                "还原一次 send() 发来的五十条消息",
            ),
            run: server_fifty_at_once,
        },
        Stage {
            id: "oversize",
            name: pick(
                "refuses a message over MAX_MESSAGE and closes",
                "拒绝超过 MAX_MESSAGE 的消息，并关闭连接",
            ),
            run: server_refuses_oversize,
        },
    ]
}

fn client_stages() -> Vec<Stage> {
    vec![
        Stage {
            id: "connect",
            name: pick("connects to the port it was given", "连接到指定的端口"),
            run: client_connects,
        },
        Stage {
            id: "framed",
            name: pick(
                "sends a typed line as one framed message",
                "把输入的一行作为一条分帧的消息发送",
            ),
            run: client_frames,
        },
        Stage {
            id: "split",
            name: pick(
                "prints a reply that arrives one byte at a time whole",
                "逐字节到达的回复，完整地打印出来",
            ),
            run: client_joins_split_reply,
        },
        Stage {
            id: "stuck",
            name: pick(
                "prints replies stuck together in one recv() one by one",
                "一次 recv() 里粘在一起的几条回复，逐条打印",
            ),
            run: client_separates_stuck_replies,
        },
        Stage {
            id: "end-of-input",
            name: pick(
                "closes the connection and ends at the end of input",
                "输入结束时关闭连接并退出",
            ),
            run: client_closes_at_end_of_input,
        },
        Stage {
            id: "oversize",
            name: pick(
                "refuses a reply over MAX_MESSAGE: closes and ends",
                "拒绝超过 MAX_MESSAGE 的回复：关闭连接并退出",
            ),
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
    let over = MAX_MESSAGE + 1;
    if by_length(s) {
        tr!(
            "a length prefix announcing {over} bytes (MAX_MESSAGE + 1)",
            "一个声明 {over} 字节（MAX_MESSAGE + 1）的长度前缀"
        )
    } else {
        tr!(
            "{over} bytes without a newline (MAX_MESSAGE + 1)",
            " {over} 字节、没有换行（MAX_MESSAGE + 1）"
        )
    }
}

/// Sends `bytes` with a bounded wait, ignoring a peer that closes meanwhile: a
/// program that refuses a message may close before it is all sent.
fn send_regardless(s: &mut Session, conn: &mut TcpStream, bytes: &[u8], what: &str) {
    s.did(tr!("sent {what}", "发送了{what}"));
    let _ = conn.set_write_timeout(Some(s.secs(WAIT)));
    let _ = conn.write_all(bytes);
}

// ---------------------------------------------------------------------------------
// Checking a server
// ---------------------------------------------------------------------------------

fn server_accepts(s: &mut Session) -> Outcome {
    let conn = s.connect().map_err(hint(
        LAB,
        pick(
            "bind the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed 7777",
            "绑定命令行给出的端口（sys.argv[1]）或 LAB_PORT，不要写死 7777",
        ),
    ))?;
    s.close(conn);
    Ok(())
}

fn server_echoes(s: &mut Session) -> Outcome {
    let mut conn = s.connect()?;
    let wire = frame(s, "hello, 你好".as_bytes());
    s.send(&mut conn, &wire)?;
    let what = pick("the message back, framed", "按原样分帧发回的消息");
    s.expect_bytes(&mut conn, &wire, false, WAIT, what)
        .map_err(hint(
            LAB,
            pick(
                "send each message back framed the same way: message + b\"\\n\" (line), or \
                 struct.pack(\">I\", len(message)) + message (length), with one sendall()",
                "把每条消息按同样的分帧方式发回：message + b\"\\n\"（line），\
                 或 struct.pack(\">I\", len(message)) + message（length），用一次 sendall() 发出",
            ),
        ))?;
    s.close(conn);
    Ok(())
}

fn server_one_byte_at_a_time(s: &mut Session) -> Outcome {
    let mut conn = s.connect()?;
    let wire = frame(s, "one byte at a time 慢慢".as_bytes());
    s.did(tr!(
        "sent a message ({} bytes) one byte per send(), 5 ms apart",
        "发送了一条消息（{} 字节），每次 send() 一个字节，间隔 5 毫秒",
        wire.len()
    ));
    for byte in &wire {
        if conn.write_all(std::slice::from_ref(byte)).is_err() {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    let what = pick("the message back, whole", "完整发回的消息");
    s.expect_bytes(&mut conn, &wire, false, WAIT, what)
        .map_err(hint(
            LAB,
            pick(
                "a recv() may return part of a message, even one byte: keep the bytes in a \
                 buffer (buf += conn.recv(4096)) and take a message out only once it is \
                 complete (a \\n in it, or as many bytes as the prefix says)",
                "一次 recv() 可能只返回消息的一部分，甚至只有一个字节：把字节存进缓冲区\
                 （buf += conn.recv(4096)），等消息完整了（里面有 \\n，\
                 或字节数达到长度前缀所说的）再取出来",
            ),
        ))?;
    s.close(conn);
    Ok(())
}

fn server_fifty_at_once(s: &mut Session) -> Outcome {
    let mut conn = s.connect()?;
    let wire: Vec<u8> = (1..=50)
        .flat_map(|i| frame(s, format!("message {i} of 50").as_bytes()))
        .collect();
    s.did(pick(
        "the next send() holds 50 messages, stuck together",
        "下一次 send() 包含 50 条粘在一起的消息",
    ));
    s.send(&mut conn, &wire)?;
    let what = pick("the 50 messages back, whole", "完整发回的 50 条消息");
    s.expect_bytes(&mut conn, &wire, false, WAIT, what)
        .map_err(hint(
            LAB,
            pick(
                "one recv() may hold many messages: after each recv(), take out every complete \
                 message in the buffer (a while loop), not only the first, and keep the rest",
                "一次 recv() 可能包含多条消息：每次 recv() 之后，取出缓冲区里所有完整的消息\
                 （用 while 循环），而不是只取第一条，剩下的字节留着",
            ),
        ))?;
    s.close(conn);
    Ok(())
}

fn server_refuses_oversize(s: &mut Session) -> Outcome {
    let mut conn = s.connect()?;
    let bytes = oversize(s);
    let said = oversize_said(s);
    send_regardless(s, &mut conn, &bytes, &said);
    let after = pick("the message over the limit", "检查程序发出超过上限的消息");
    expect_close(s, &mut conn, after).map_err(hint(
        LAB,
        pick(
            "check the size before you read or keep the message: a length over MAX_MESSAGE \
             (1 048 576), or a buffer over it with no \\n yet, gets an error and close(). \
             Never bytearray(n) or recv(n) with the peer's n: it could say 4 GB",
            "在读取或保存消息之前先检查大小：长度超过 MAX_MESSAGE（1 048 576），\
             或缓冲区已超过它却还没有 \\n，就回一个错误并 close()。\
             绝不要拿对端给的 n 去 bytearray(n) 或 recv(n)：它可能说 4 GB",
        ),
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
        pick("the next client's message back", "发回给下一个客户端的消息"),
    )
    .map_err(hint(
        LAB,
        pick(
            "after refusing a client, close its connection and accept() the next one",
            "拒绝一个客户端之后，关闭它的连接，再 accept() 下一个",
        ),
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
            let secs = s.secs(WAIT).as_secs_f64();
            return Err(Failure::new(tr!(
                "timed out: the connection was still open {secs:.1} s after {after} ({got} \
                 bytes arrived meanwhile)",
                "超时：{after}，之后过了 {secs:.1} 秒连接仍未关闭（其间收到 {got} 字节）",
            )));
        }
        let _ = conn.set_read_timeout(Some((deadline - now).min(Duration::from_millis(50))));
        match conn.read(&mut buf) {
            Ok(0) => {
                s.did(pick(
                    "saw the connection closed (recv() returned 0 bytes)",
                    "看到连接被关闭（recv() 返回 0 字节）",
                ));
                return Ok(());
            }
            Ok(n) => got += n,
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(_) => {
                s.did(pick("saw the connection reset", "看到连接被重置"));
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
        pick(
            "connect to the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed \
             7777",
            "连接命令行给出的端口（sys.argv[1]）或 LAB_PORT，不要写死 7777",
        ),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_frames(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    s.type_line("hello, 你好")?;
    let wire = frame(s, "hello, 你好".as_bytes());
    let what = pick("the typed line, framed", "分帧后的输入行");
    s.expect_bytes(&mut conn, &wire, false, WAIT, what)
        .map_err(hint(
            LAB,
            pick(
                "send each typed line as one message: line.encode() + b\"\\n\" (line), or \
                 struct.pack(\">I\", len(data)) + data (length), in one sendall()",
                "把输入的每一行作为一条消息发送：line.encode() + b\"\\n\"（line），\
                 或 struct.pack(\">I\", len(data)) + data（length），用一次 sendall() 发出",
            ),
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
    s.did(tr!(
        "sent a reply ({} bytes) one byte per send(), 5 ms apart",
        "发送了一条回复（{} 字节），每次 send() 一个字节，间隔 5 毫秒",
        wire.len()
    ));
    for byte in &wire {
        if conn.write_all(std::slice::from_ref(byte)).is_err() {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    let what = pick(
        "the line \"a reply, cut 切开\"",
        "一行 \"a reply, cut 切开\"",
    );
    s.expect_output_matching(WAIT, what, &|out| {
        has_lines_in_order(out, &["a reply, cut 切开"])
    })
    .map_err(hint(
        LAB,
        pick(
            "a recv() may return part of a reply: keep a buffer, and print a message only \
             once it is complete (a \\n in the buffer, or as many bytes as the prefix says)",
            "一次 recv() 可能只返回回复的一部分：保留一个缓冲区，等消息完整了\
             （缓冲区里有 \\n，或字节数达到长度前缀所说的）再打印",
        ),
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
    s.did(pick(
        "the next send() holds 3 replies, stuck together",
        "下一次 send() 包含 3 条粘在一起的回复",
    ));
    s.send(&mut conn, &wire)?;
    let what = pick(
        "the 3 replies, each on its own line",
        "3 条回复，每条单独一行",
    );
    s.expect_output_matching(WAIT, what, &|out| has_lines_in_order(out, &replies))
        .map_err(hint(
            LAB,
            pick(
                "one recv() may hold several replies: take out every complete message in the \
             buffer (a while loop) and print each on its own line",
                "一次 recv() 可能包含几条回复：取出缓冲区里所有完整的消息（用 while 循环），\
             每条单独打印一行",
            ),
        ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_closes_at_end_of_input(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    let how = hint(
        LAB,
        pick(
            "at the end of input (Ctrl-D: input() raises EOFError, sys.stdin ends) close the \
             socket and end the program; a receiving thread must not keep it alive (make it \
             a daemon thread)",
            "输入结束时（Ctrl-D：input() 抛出 EOFError，sys.stdin 读完），关闭套接字并结束\
             程序；接收线程不能让程序继续运行（把它设为守护线程，daemon=True）",
        ),
    );
    s.close_stdin();
    let why = pick(
        "at the end of input the client closes",
        "输入结束时客户端应当关闭连接",
    );
    s.expect_closed(&mut conn, WAIT, why).map_err(&how)?;
    let why = pick(
        "at the end of input the client ends",
        "输入结束时客户端应当退出",
    );
    s.expect_exit(WAIT, why).map_err(&how)?;
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
        pick(
            "check the size before you read or keep a reply: a length over MAX_MESSAGE \
             (1 048 576), or a buffer over it with no \\n yet, means the server is broken: \
             say so, close the socket and end",
            "在读取或保存回复之前先检查大小：长度超过 MAX_MESSAGE（1 048 576），\
             或缓冲区已超过它却还没有 \\n，意味着服务器出了问题：把这一点告诉用户，\
             关闭套接字并退出",
        ),
    );
    let after = pick("the message over the limit", "检查程序发出超过上限的消息");
    expect_close(s, &mut conn, after).map_err(&how)?;
    let why = pick(
        "after refusing the reply the client ends",
        "拒绝这条回复之后客户端应当退出",
    );
    s.expect_exit(WAIT, why).map_err(&how)?;
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
