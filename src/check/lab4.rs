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
use crate::lang::{pick, tr};

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
                name: pick(
                    "welcomes a client and replies, naming its address both times",
                    "欢迎客户端并回复它，两次都写明它的地址",
                ),
                run: server_welcomes,
            },
            Stage {
                id: "silent-client",
                name: pick(
                    "a client that says nothing holds up no one",
                    "一个一言不发的客户端不会耽误任何人",
                ),
                run: server_silent_client,
            },
            Stage {
                id: "five-at-once",
                name: pick(
                    "five clients at once each get replies naming their own address",
                    "同时连接的五个客户端各自收到写明自己地址的回复",
                ),
                run: server_five_at_once,
            },
            Stage {
                id: "exit",
                name: pick(
                    "`exit` closes that connection; the others are still served",
                    "`exit` 关闭那条连接；其他客户端照常得到服务",
                ),
                run: server_exit,
            },
            Stage {
                id: "vanished",
                name: pick(
                    "clients that close or reset without `exit` harm no one",
                    "不发 `exit` 就关闭或重置连接的客户端不影响其他人",
                ),
                run: server_vanished,
            },
            Stage {
                id: "burst",
                name: pick(
                    "thirty clients that connect and vanish at once leave it working",
                    "三十个客户端同时连接又立即消失之后，服务器仍然正常工作",
                ),
                run: server_burst,
            },
        ]),
        Role::Client => Plan::single(vec![
            Stage {
                id: "connect",
                name: pick("connects to the port it was given", "连接到给定的端口"),
                run: client_connects,
            },
            Stage {
                id: "welcome",
                name: pick(
                    "prints the welcome the server sends first, before anything is typed",
                    "在输入任何内容之前，打印服务器先发来的欢迎语",
                ),
                run: client_prints_welcome,
            },
            Stage {
                id: "send",
                name: pick(
                    "sends the typed line in UTF-8 and prints the reply",
                    "以 UTF-8 发送输入的一行，并打印回复",
                ),
                run: client_sends,
            },
            Stage {
                id: "full-duplex",
                name: pick(
                    "prints a line the server sends while nothing is typed",
                    "没有输入时，也打印服务器发来的一行",
                ),
                run: client_full_duplex,
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
                id: "server-gone",
                name: pick(
                    "says so and ends when the server goes away",
                    "服务器离开时说明这一情况，并结束",
                ),
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
                tr!(
                    "{what} arrived without the `\\n` that ends a line",
                    "收到了{what}，但缺少表示行尾的 `\\n`"
                )
            } else if !names(&received, addr) {
                tr!(
                    "{what} does not name the client's address, {addr} (the checker's own \
                     address, as accept() returned it)",
                    "{what}没有写明客户端的地址 {addr}（即检查程序自己的地址，也就是 accept() 返\
                     回的那个）"
                )
            } else {
                tr!(
                    "{what} does not hold the line the client sent",
                    "{what}中没有客户端发送的那一行"
                )
            };
            return Err(Failure { what, ..failure });
        }
    };
    Ok(got)
}

/// Connects a client and reads its welcome.
fn welcomed(s: &mut Session) -> Result<(TcpStream, SocketAddr), Failure> {
    let mut conn = s.connect()?;
    let me = conn.local_addr().map_err(|err| {
        Failure::new(tr!(
            "the checker lost its connection: {err}",
            "检查程序的连接断了：{err}"
        ))
    })?;
    expect_line(s, &mut conn, me, None, pick("the welcome line", "欢迎行"))?;
    Ok((conn, me))
}

/// Sends `message` and a newline, and reads the reply that names `me` and holds it.
fn exchange(s: &mut Session, conn: &mut TcpStream, me: SocketAddr, message: &str) -> Outcome {
    s.send(conn, format!("{message}\n").as_bytes())?;
    expect_line(
        s,
        conn,
        me,
        Some(message.as_bytes()),
        pick("the reply", "回复"),
    )
    .map(|_| ())
}

fn server_welcomes(s: &mut Session) -> Outcome {
    let (mut conn, me) = welcomed(s).map_err(hint(
        LAB,
        pick(
            "bind the port from the command line (sys.argv[1]) or LAB_PORT; as soon as \
             accept() returns, send a welcome line naming the address it returned: \
             conn.sendall(f\"welcome, {addr[0]}:{addr[1]}\\n\".encode())",
            "绑定命令行给出的端口（sys.argv[1]）或 LAB_PORT；accept() 一返回，就发送一行欢迎语，写\
             明它返回的地址：conn.sendall(f\"welcome, {addr[0]}:{addr[1]}\\n\".encode())",
        ),
    ))?;
    exchange(s, &mut conn, me, "hello").map_err(hint(
        LAB,
        pick(
            "reply to each line with one line that names the client's address and repeats \
             the line: f\"reply to {addr[0]}:{addr[1]}: {text}\\n\"",
            "对每一行回复一行，写明客户端的地址并重复这一行：f\"reply to \
             {addr[0]}:{addr[1]}: {text}\\n\"",
        ),
    ))
}

fn server_silent_client(s: &mut Session) -> Outcome {
    let mut silent = s.connect()?;
    let quiet = silent.local_addr().map_err(|err| {
        Failure::new(tr!(
            "the checker lost its connection: {err}",
            "检查程序的连接断了：{err}"
        ))
    })?;
    s.did(pick(
        "this client says nothing and reads nothing for now",
        "这个客户端暂时什么也不说，什么也不读",
    ));
    let how = hint(
        LAB,
        pick(
            "the main thread only accept()s and gives each client a thread of its own: \
             threading.Thread(target=serve, args=(conn, addr), daemon=True).start(). Serving \
             a client in the main thread makes every other client wait until it leaves",
            "主线程只负责 accept()，并给每个客户端一个自己的线程：threading.Thread(target=serve, \
             args=(conn, addr), daemon=True).start()。在主线程里服务一个客户端，会让其他所有客户\
             端一直等到它离开",
        ),
    );
    let (mut conn, me) = welcomed(s).map_err(&how)?;
    exchange(s, &mut conn, me, "is anyone there?").map_err(&how)?;
    // Its welcome is read before it leaves: a socket closed with unread bytes
    // resets the connection, and resets are the `vanished` stage's business.
    expect_line(
        s,
        &mut silent,
        quiet,
        None,
        pick("the silent client's welcome", "那个沉默的客户端的欢迎行"),
    )?;
    Ok(())
}

fn server_five_at_once(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        pick(
            "each thread must use its own conn and addr, passed to it as arguments: a global \
             `conn` or `addr` is overwritten by the next accept(), and then one client is \
             answered with another one's address",
            "每个线程必须使用作为参数传给它的、它自己的 conn 和 addr：全局的 `conn` 或 `addr` 会被\
             下一次 accept() 覆盖，于是一个客户端收到的回复里写的是另一个客户端的地址",
        ),
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
        expect_line(
            s,
            conn,
            *me,
            Some(message.as_bytes()),
            pick("the reply", "回复"),
        )
        .map_err(&how)?;
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
        pick(
            "after `exit` the server closes that connection (a goodbye line first is fine)",
            "收到 `exit` 后服务器应关闭那条连接（先发一行告别语也可以）",
        ),
    )
    .map_err(hint(
        LAB,
        pick(
            "recv() gives bytes: decode and strip the line, compare it with \"exit\" \
             (b\"exit\\n\" == \"exit\" is False), then leave that client's loop and \
             conn.close()",
            "recv() 得到的是字节：先解码这一行并 strip()，再和 \"exit\" 比较（b\"exit\\n\" == \
             \"exit\" 为 False），然后退出这个客户端的循环并 conn.close()",
        ),
    ))?;
    let how = hint(
        LAB,
        pick(
            "`exit` ends that client's thread only: return from its function, do not stop \
             the server or close the listening socket",
            "`exit` 只结束那个客户端的线程：从它的函数返回即可，不要停止服务器，也不要关闭\
             监听套接字",
        ),
    );
    exchange(s, &mut staying, me, "still there?").map_err(&how)?;
    let (mut newcomer, me) = welcomed(s).map_err(&how)?;
    exchange(s, &mut newcomer, me, "hello").map_err(&how)
}

fn server_vanished(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        pick(
            "in each client's thread: recv() returning b\"\" means it closed, so return; a \
             ConnectionResetError (WinError 10054 on Windows) means it vanished: catch it \
             (try/except around the loop) so only that client's conversation ends",
            "在每个客户端的线程里：recv() 返回 b\"\" 表示它关闭了连接，于是 return；\
             ConnectionResetError（Windows 上是 WinError 10054）表示它突然消失了：捕获它（在循环\
             外面包一层 try/except），这样只结束这个客户端的对话",
        ),
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
        pick(
            "a client may be gone before its welcome is sent: send() then raises \
             BrokenPipeError or ConnectionResetError. Send the welcome in the client's own \
             thread, inside its try/except, never in the accept loop (an exception there \
             ends the server); listen() with a queue of 64 or more",
            "客户端可能在欢迎语发出之前就已经离开：这时 send() 会引发 BrokenPipeError 或 \
             ConnectionResetError。请在客户端自己的线程里、在它的 try/except 之内发送欢迎\
             语，绝不要在 accept 循环里发送（那里的异常会让服务器结束）；listen() 的监听队\
             列设为 64 或更大",
        ),
    );
    s.did(tr!(
        "opened {BURST} connections one after another, each reset (RST) at once, \
         before reading anything",
        "一个接一个地打开 {BURST} 个连接，每个都在读取任何数据之前立即重置（RST）"
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
    let them = conn.peer_addr().map_err(|err| {
        Failure::new(tr!(
            "the checker lost the connection: {err}",
            "检查程序的连接断了：{err}"
        ))
    })?;
    let welcome = welcome_for(them);
    s.mark_output();
    s.send(&mut conn, format!("{welcome}\n").as_bytes())?;
    s.expect_output(
        welcome.as_bytes(),
        REPLY,
        pick("the welcome line", "欢迎行"),
    )?;
    Ok((conn, them))
}

fn take_or_welcome(s: &mut Session) -> Result<(TcpStream, SocketAddr), Failure> {
    match s.conn.take() {
        Some(conn) => {
            let them = conn.peer_addr().map_err(|err| {
                Failure::new(tr!("the connection is gone: {err}", "连接已经断了：{err}"))
            })?;
            Ok((conn, them))
        }
        None => accept_welcomed(s),
    }
}

fn client_connects(s: &mut Session) -> Outcome {
    let conn = s.accept().map_err(hint(
        LAB,
        pick(
            "connect to the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed \
             12000",
            "连接命令行给出的端口（sys.argv[1]）或 LAB_PORT，不要写死 12000",
        ),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_prints_welcome(s: &mut Session) -> Outcome {
    let how = hint(
        LAB,
        pick(
            "the server speaks first: start a reader thread that recv()s and prints every \
             line as soon as it arrives, before the main thread waits in input()",
            "服务器先说话：在主线程进入 input() 等待之前，先启动一个读线程，让它 recv()，每一行一\
             到就打印出来",
        ),
    );
    let mut conn = match s.conn.take() {
        Some(conn) => conn,
        None => s.accept()?,
    };
    let them = conn
        .peer_addr()
        .map_err(|err| Failure::new(tr!("the connection is gone: {err}", "连接已经断了：{err}")))?;
    let welcome = welcome_for(them);
    s.mark_output();
    s.send(&mut conn, format!("{welcome}\n").as_bytes())?;
    s.expect_output(
        welcome.as_bytes(),
        REPLY,
        pick("the welcome line", "欢迎行"),
    )
    .map_err(&how)?;
    s.conn = Some(conn);
    Ok(())
}

fn client_sends(s: &mut Session) -> Outcome {
    let (mut conn, them) = take_or_welcome(s)?;
    s.type_line(TYPED)?;
    s.expect_bytes(
        &mut conn,
        TYPED.as_bytes(),
        true,
        REPLY,
        pick("the typed line", "输入的那一行"),
    )
    .map_err(hint(
        LAB,
        pick(
            "send the typed line as UTF-8 (GBK or another encoding gives other bytes), \
             best with a newline: sock.sendall((line + \"\\n\").encode(\"utf-8\"))",
            "以 UTF-8 编码发送输入的一行（GBK 或其他编码得到的是别的字节），最好带上换行符：\
             sock.sendall((line + \"\\n\").encode(\"utf-8\"))",
        ),
    ))?;
    let reply = format!("reply to {them}: got {} bytes: {TYPED}", TYPED.len());
    s.mark_output();
    s.send(&mut conn, format!("{reply}\n").as_bytes())?;
    s.expect_output(reply.as_bytes(), REPLY, pick("the reply", "回复"))
        .map_err(hint(
            LAB,
            pick(
                "print each line as text: print(data.decode(\"utf-8\")), not print(data)",
                "把每一行作为文本打印：print(data.decode(\"utf-8\"))，而不是 print(data)",
            ),
        ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_full_duplex(s: &mut Session) -> Outcome {
    let (mut conn, _) = take_or_welcome(s)?;
    let notice = "[server] a line nobody asked for: the operator says hello";
    s.did(pick("typed nothing", "什么也没输入"));
    s.mark_output();
    s.send(&mut conn, format!("{notice}\n").as_bytes())?;
    s.expect_output(
        notice.as_bytes(),
        REPLY,
        pick("the line the server sent", "服务器发来的那一行"),
    )
    .map_err(hint(
        LAB,
        pick(
            "while the main thread waits in input(), nothing recv()s unless another thread \
             does: a reader thread that loops on recv() and prints shows what the server \
             sends at any time (full duplex)",
            "主线程在 input() 中等待时，除非另有线程调用 recv()，否则没有人接收数据：一个循环调用 \
             recv() 并打印的读线程，能随时显示服务器发来的内容（全双工）",
        ),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_exits(s: &mut Session) -> Outcome {
    let (mut conn, them) = take_or_welcome(s)?;
    let how = hint(
        LAB,
        pick(
            "input() returns the line without its newline: compare line.strip() == \"exit\"; \
             after sending it, close the socket (or shutdown(SHUT_WR)) and end",
            "input() 返回的一行不带换行符：比较 line.strip() == \"exit\"；发送之后，关闭套接字\
             （或 shutdown(SHUT_WR)）并结束",
        ),
    );
    s.type_line("exit")?;
    s.expect_bytes(&mut conn, b"exit", true, REPLY, "`exit`")
        .map_err(&how)?;
    s.send(&mut conn, format!("goodbye, {them}\n").as_bytes())?;
    s.expect_closed_after(
        &mut conn,
        REPLY,
        pick(
            "after `exit` the client closes the connection",
            "发送 `exit` 后客户端应关闭连接",
        ),
    )
    .map_err(&how)?;
    s.close(conn);
    let status = s
        .expect_exit(
            REPLY,
            pick("after `exit` the client ends", "发送 `exit` 后客户端应结束"),
        )
        .map_err(hint(
            LAB,
            pick(
                "after `exit`, let the main thread return and make the reader thread a daemon \
                 (daemon=True), or wait for it with join(): a thread still blocked in recv() \
                 keeps the program alive",
                "发送 `exit` 后，让主线程返回，并把读线程设为守护线程（daemon=True），或者用 \
                 join() 等它结束：仍然阻塞在 recv() 里的线程会让程序一直运行",
            ),
        ))?;
    if !status.success() {
        return Err(Failure::new(pick(
            "your client ended with a non-zero exit code after `exit`, which is a normal end",
            "`exit` 是正常结束，你的客户端却在 `exit` 之后以非零退出码结束",
        ))
        .hint(
            LAB,
            pick(
                "end with exit code 0 after `exit` (return from main, or sys.exit(0))",
                "`exit` 之后以退出码 0 结束（从 main 返回，或 sys.exit(0)）",
            ),
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
        pick(
            "in the reader thread, recv() returning b\"\" means the server went away: print a \
             sentence saying so and end the whole program (os._exit(1): the main thread is \
             stuck in input() and cannot notice)",
            "在读线程中，recv() 返回 b\"\" 表示服务器已经离开：打印一句话说明这一情况，并结束整个\
             程序（os._exit(1)：主线程卡在 input() 里，察觉不到）",
        ),
    );
    s.expect_exit(
        REPLY,
        pick(
            "when the server closes the connection, the client should say so and end",
            "服务器关闭连接时，客户端应当说明这一情况并结束",
        ),
    )
    .map_err(&how)?;
    let mut lines = s.output_lines(false, usize::MAX);
    let lines = lines.split_off(before.min(lines.len()));
    if lines.iter().any(|(_, line)| contains(line, b"Traceback")) {
        return Err(Failure::new(pick(
            "your client ended with a Python traceback: say in a sentence that the server \
             went away",
            "你的客户端结束时打印了 Python 的 Traceback：应该用一句话说明服务器已经离开",
        ))
        .hint(
            LAB,
            pick(
                "catch the error (ConnectionResetError, OSError) around recv() and print a \
                 sentence",
                "在 recv() 外面捕获错误（ConnectionResetError、OSError），并打印一句说明",
            ),
        ));
    }
    if lines.is_empty() {
        return Err(Failure::new(pick(
            "your client ended without a word: say that the server went away",
            "你的客户端一声不响就结束了：应该说明服务器已经离开",
        ))
        .hint(
            LAB,
            pick(
                "print a sentence such as `the server closed the connection`",
                "打印一句话，例如 `服务器关闭了连接`",
            ),
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
