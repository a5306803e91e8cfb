//! The stages of lab 5 (udp): the protocol of `lab 5 server` and `lab 5 client`.
//!
//! - The client sends each typed line as one datagram of UTF-8 bytes (a name tag
//!   before it, `alice:hello`, is allowed; so is a `\n` after it).
//! - The server answers every datagram with one datagram, sent from its own port to
//!   the address recvfrom() returned, that ends with the whole datagram it answers
//!   (anything may come before: `heard you (127.0.0.1:50312, 5 bytes): hello`). An
//!   empty datagram is answered too; a datagram of 2,000 bytes comes back whole.
//! - The client prints the server's reply as text. It waits for it at most 5 seconds
//!   (`settimeout`); when nothing comes, it prints a line that says so (with one of
//!   `no reply`, `nobody answered`, `no answer`, `timed out`, `timeout`, `超时`) and
//!   goes on to the next line. A datagram from any other address is not the reply: the
//!   client shows it with the address it came from (or drops it) and keeps waiting.

use std::net::{SocketAddr, UdpSocket};

use super::{contains, hint, Failure, Outcome, Plan, Role, Session, Stage};
use crate::lang::{pick, tr};

const LAB: u8 = 5;
/// How long a reply may take.
const REPLY: f64 = 3.0;
/// How long a client may wait for a reply before it says nobody answered (the task
/// says 5 s at most), plus a margin.
const CLIENT_GIVES_UP: f64 = 6.5;
/// The size of the `large` stage's datagram: more than the classic recvfrom(1024).
const LARGE: usize = 2000;

pub fn plan(role: Role) -> Plan {
    match role {
        Role::Server => Plan::single(vec![
            Stage {
                id: "reply",
                name: pick(
                    "answers a datagram to the address it came from, with its bytes",
                    "向数据报的来源地址回复，回复里带着它的字节",
                ),
                run: server_replies,
            },
            Stage {
                id: "two-peers",
                name: pick(
                    "two peers each get their own reply",
                    "两个对端各自收到自己的回复",
                ),
                run: server_two_peers,
            },
            Stage {
                id: "empty",
                name: pick(
                    "answers an empty datagram and goes on",
                    "回复空数据报，然后继续工作",
                ),
                run: server_empty,
            },
            Stage {
                id: "large",
                name: pick(
                    "answers a 2,000-byte datagram whole",
                    "完整地回复一个 2000 字节的数据报",
                ),
                run: server_large,
            },
        ]),
        Role::Client => Plan::single(vec![
            Stage {
                id: "send",
                name: pick(
                    "sends the typed line as one datagram to the port it was given",
                    "把输入的一行作为一个数据报发往给定的端口",
                ),
                run: client_sends,
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
                id: "stranger",
                name: pick(
                    "does not take a datagram from another address as the reply",
                    "不把来自其他地址的数据报当作回复",
                ),
                run: client_stranger,
            },
            Stage {
                id: "timeout",
                name: pick(
                    "gives up waiting after a timeout, says so, and goes on",
                    "超时后放弃等待，说明这一情况，然后继续",
                ),
                run: client_timeout,
            },
        ]),
    }
}

// ---------------------------------------------------------------------------------
// Checking a server
// ---------------------------------------------------------------------------------

/// Checks that `reply`, from `from`, answers `sent`.
fn check_reply(s: &Session, sent: &[u8], reply: &[u8], from: SocketAddr) -> Outcome {
    if from != s.program_addr() {
        return Err(Failure::new(tr!(
            "the reply came from {from}, not from {}, the port your server was given: \
             answer from the socket that received the datagram",
            "回复来自 {from}，而不是你的服务器得到的端口 {}：请用收到数据报的那个套接字来回复",
            s.program_addr()
        )));
    }
    if reply.ends_with(sent) {
        return Ok(());
    }
    if sent.len() > 1024 && contains(reply, &sent[..1024]) {
        return Err(Failure::new(tr!(
            "the reply holds only part of the {}-byte datagram ({} bytes in all): the \
             rest was cut off when it was received",
            "回复只包含这个 {} 字节数据报的一部分（回复共 {} 字节）：其余部分在接收时被截掉了",
            sent.len(),
            reply.len()
        )));
    }
    Err(Failure::new(pick(
        "the reply does not end with the bytes of the datagram it answers",
        "回复的结尾不是它所回复的那个数据报的字节",
    ))
    .bytes(sent, reply))
}

/// Waits for the server to answer at all (UDP has no accept() to wait for).
fn ensure_ready(s: &mut Session) -> Outcome {
    if !s.is_ready() {
        let probe = s.udp_peer("a first peer")?;
        s.udp_ready(&probe, b"are you there?")?;
    }
    Ok(())
}

/// Sends `message` from `socket` and checks the answer.
fn exchange(s: &mut Session, socket: &UdpSocket, message: &[u8], what: &str) -> Outcome {
    let to = s.program_addr();
    s.send_datagram(socket, to, message)?;
    let (reply, from) = s.recv_datagram(socket, REPLY, what)?;
    check_reply(s, message, &reply, from).map_err(|f| {
        if f.received.is_none() {
            Failure {
                received: Some(reply.clone()),
                ..f
            }
        } else {
            f
        }
    })
}

fn server_replies(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        pick(
            "bind the UDP port from the command line (sys.argv[1]) or LAB_PORT; then \
             `data, addr = s.recvfrom(4096)` and `s.sendto(b\"heard you: \" + data, addr)`: \
             the reply goes to the address recvfrom() returned and ends with the datagram",
            "绑定命令行给出的 UDP 端口（sys.argv[1]）或 LAB_PORT；然后 `data, addr = \
             s.recvfrom(4096)`，再 `s.sendto(b\"heard you: \" + data, addr)`：回复发往 \
             recvfrom() 返回的地址，并以收到的数据报结尾",
        ),
    );
    let socket = s.udp_peer("peer 1")?;
    let message = "hello, 你好".as_bytes();
    let (reply, from) = s.udp_ready(&socket, message).map_err(&how)?;
    check_reply(s, message, &reply, from).map_err(&how)
}

fn server_two_peers(s: &mut Session) -> Outcome {
    ensure_ready(s)?;
    let how = hint(
        LAB,
        pick(
            "answer each datagram to the address recvfrom() returned with it, every time: \
             an address kept from an earlier datagram belongs to another peer",
            "每次都把回复发往 recvfrom() 随这个数据报一起返回的地址：从先前的数据报保存下来的地址\
             属于另一个对端",
        ),
    );
    let a = s.udp_peer("peer A")?;
    let b = s.udp_peer("peer B")?;
    let to = s.program_addr();
    s.send_datagram(&a, to, b"from peer A")?;
    s.send_datagram(&b, to, b"from peer B")?;
    for (socket, message, what) in [
        (
            &a,
            &b"from peer A"[..],
            pick("the reply to peer A", "给对端 A 的回复"),
        ),
        (
            &b,
            &b"from peer B"[..],
            pick("the reply to peer B", "给对端 B 的回复"),
        ),
    ] {
        let (reply, from) = s.recv_datagram(socket, REPLY, what).map_err(&how)?;
        check_reply(s, message, &reply, from)
            .map_err(|f| Failure {
                received: f.received.or_else(|| Some(reply.clone())),
                ..f
            })
            .map_err(&how)?;
    }
    Ok(())
}

fn server_empty(s: &mut Session) -> Outcome {
    ensure_ready(s)?;
    let how = hint(
        LAB,
        pick(
            "an empty datagram is a datagram: recvfrom() returns b\"\" and an address. In \
             UDP b\"\" does not mean anyone closed anything (there is no connection): answer \
             it like any other, never `if not data: break`",
            "空数据报也是数据报：recvfrom() 返回 b\"\" 和一个地址。在 UDP 中 b\"\" 并不表示谁关闭\
             了什么（根本没有连接）：像其他数据报一样回复它，千万不要写 `if not data: break`",
        ),
    );
    let socket = s.udp_peer("peer 1")?;
    exchange(
        s,
        &socket,
        b"",
        pick("the reply to the empty datagram", "对空数据报的回复"),
    )
    .map_err(&how)?;
    exchange(
        s,
        &socket,
        b"after the empty one",
        pick("the next reply", "下一个回复"),
    )
    .map_err(&how)
}

fn server_large(s: &mut Session) -> Outcome {
    ensure_ready(s)?;
    let message: Vec<u8> = (0..LARGE).map(|i| b'a' + (i % 26) as u8).collect();
    let socket = s.udp_peer("peer 1")?;
    exchange(
        s,
        &socket,
        &message,
        pick(
            "the reply to the 2,000-byte datagram",
            "对 2000 字节数据报的回复",
        ),
    )
    .map_err(hint(
        LAB,
        pick(
            "recvfrom(1024) silently cuts a longer datagram (on Linux; Windows raises an \
             error): ask for more than any datagram you accept, recvfrom(65535)",
            "recvfrom(1024) 会悄悄截断更长的数据报（Linux 上如此；Windows 会报错）：请求的大小要超\
             过你接受的任何数据报，例如 recvfrom(65535)",
        ),
    ))
}

// ---------------------------------------------------------------------------------
// Checking a client
// ---------------------------------------------------------------------------------

const TYPED: &str = "你好 udp";

/// Types `line`; returns the datagram the client sent and where from.
fn typed(s: &mut Session, line: &str) -> Result<(UdpSocket, Vec<u8>, SocketAddr), Failure> {
    let server = s.udp_server()?;
    s.type_line(line)?;
    let (datagram, from) = s.recv_datagram(
        &server,
        REPLY,
        pick("the datagram of the typed line", "输入的那一行的数据报"),
    )?;
    s.did(tr!(
        "received a datagram from {from}: {}",
        "收到来自 {from} 的数据报：{}",
        super::diff::quoted(&datagram)
    ));
    let text = datagram.strip_suffix(b"\n").unwrap_or(&datagram);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    if !text.ends_with(line.as_bytes()) {
        return Err(Failure::new(pick(
            "the datagram does not end with the typed line's UTF-8 bytes",
            "数据报的结尾不是输入那一行的 UTF-8 字节",
        ))
        .bytes(line.as_bytes(), &datagram));
    }
    Ok((server, datagram, from))
}

/// The checker's answer to `datagram`, as the lab's server words it.
fn answer(from: SocketAddr, datagram: &[u8]) -> Vec<u8> {
    let mut reply = format!("heard you ({from}, {} bytes): ", datagram.len()).into_bytes();
    reply.extend_from_slice(datagram);
    reply
}

fn client_sends(s: &mut Session) -> Outcome {
    let (server, datagram, from) = typed(s, TYPED).map_err(hint(
        LAB,
        pick(
            "sendto() the line's UTF-8 bytes to the port from the command line (sys.argv[1]) \
             or LAB_PORT: s.sendto(line.encode(\"utf-8\"), (\"127.0.0.1\", port))",
            "用 sendto() 把这一行的 UTF-8 字节发往命令行给出的端口（sys.argv[1]）或 LAB_PORT：\
             s.sendto(line.encode(\"utf-8\"), (\"127.0.0.1\", port))",
        ),
    ))?;
    // Answered, so that the client is ready for the next line.
    let reply = answer(from, &datagram);
    s.send_datagram(&server, from, &reply)
}

fn client_prints_reply(s: &mut Session) -> Outcome {
    let (server, datagram, from) = typed(s, TYPED)?;
    let reply = answer(from, &datagram);
    s.mark_output();
    s.send_datagram(&server, from, &reply)?;
    s.expect_output(&reply, REPLY, pick("the reply", "回复"))
        .map_err(hint(
            LAB,
            pick(
                "recvfrom() after each sendto(), then print the reply as text: \
                 print(data.decode(\"utf-8\")), not print(data)",
                "每次 sendto() 之后调用 recvfrom()，然后把回复作为文本打印：\
                 print(data.decode(\"utf-8\"))，而不是 print(data)",
            ),
        ))
}

fn client_stranger(s: &mut Session) -> Outcome {
    let (server, datagram, from) = typed(s, "who answers?")?;
    let stranger = s.udp_peer("a stranger")?;
    let port = stranger.local_addr().map(|a| a.port()).unwrap_or(0);
    let intrusion = b"not the server: do not take me for the reply";
    s.mark_output();
    s.send_datagram(&stranger, from, intrusion)?;
    let reply = answer(from, &datagram);
    s.send_datagram(&server, from, &reply)?;
    let forms = [format!(":{port}"), format!(", {port})")];
    let named = move |out: &[u8]| forms.iter().any(|f| contains(out, f.as_bytes()));
    let how = hint(
        LAB,
        pick(
            "recvfrom() returns the sender's address too: a datagram whose address is not the \
             server's is somebody else's; print it with that address and call recvfrom() \
             again for the reply",
            "recvfrom() 还会返回发送方的地址：地址不是服务器的数据报来自别人；把它连同那个地址一起\
             打印出来，再调用一次 recvfrom() 等待回复",
        ),
    );
    let out = s
        .expect_output_matching(
            REPLY,
            pick(
                "the server's reply (the stranger's datagram came first)",
                "服务器的回复（陌生人的数据报先到）",
            ),
            &|out| contains(out, &reply),
        )
        .map_err(&how)?;
    if contains(&out, b"do not take me") && !named(&out) {
        return Err(Failure::new(tr!(
            "your client printed the stranger's datagram without the address it came from \
             (127.0.0.1:{port}), so it reads like the server's reply",
            "你的客户端打印了陌生人的数据报，却没有写明它的来源地址（127.0.0.1:{port}），看起来就\
             像服务器的回复"
        ))
        .hint(
            LAB,
            pick(
                "print where such a datagram came from: print(f\"from {addr}: ...\")",
                "打印这种数据报的来源：print(f\"from {addr}: ...\")",
            ),
        ));
    }
    let _ = server;
    Ok(())
}

/// Words that say a wait ran out.
const GAVE_UP: [&str; 7] = [
    "no reply",
    "nobody answered",
    "no answer",
    "timed out",
    "timeout",
    "time out",
    "超时",
];

fn client_timeout(s: &mut Session) -> Outcome {
    s.mark_output();
    let _ = typed(s, "anyone?")?;
    s.did(pick("answered nothing", "没有回复任何内容"));
    s.expect_output_matching(
        CLIENT_GIVES_UP,
        pick(
            "a line saying nobody answered (`no reply`, `timed out`, ...)",
            "一行说明没有人回复的话（`no reply`、`timed out`、`超时` ……）",
        ),
        &|out| {
            let out = String::from_utf8_lossy(out).to_lowercase();
            GAVE_UP.iter().any(|word| out.contains(word))
        },
    )
    .map_err(hint(
        LAB,
        pick(
            "UDP never tells you nobody is there: call s.settimeout(3) before recvfrom(), \
             catch socket.timeout (TimeoutError) and print `no reply within 3 s`",
            "UDP 从不告诉你对面没有人：在 recvfrom() 之前调用 s.settimeout(3)，捕获 socket.timeout\
             （TimeoutError），然后打印 `超时：3 秒内没有回复`",
        ),
    ))?;
    let how = hint(
        LAB,
        pick(
            "after a timeout, go on to the next line: catch the timeout inside the loop",
            "超时之后，继续处理下一行：在循环内部捕获超时",
        ),
    );
    let (server, datagram, from) = typed(s, "and now?").map_err(&how)?;
    let reply = answer(from, &datagram);
    s.mark_output();
    s.send_datagram(&server, from, &reply)?;
    s.expect_output(
        &reply,
        REPLY,
        pick("the reply to the next line", "对下一行的回复"),
    )
    .map_err(&how)
}
