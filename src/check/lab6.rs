//! The stages of lab 6 (chat room): many clients at once, one line protocol.
//!
//! - The server's task: the chat protocol of the lab 6 guide. Lines end with `\n`;
//!   the first line a client sends is its nickname, answered with a news line (it
//!   starts with `* `) that names it. Everyone else gets each chat line stamped
//!   `<nick> text`; joins and leaves are news lines naming the member; `/msg NICK
//!   text` reaches NICK alone as `[private] <sender> text`; `/list` answers with news
//!   naming who is here; `/quit` closes the connection; an error about a line goes back
//!   to its sender as a line starting with `! `. The wording of news and errors is
//!   free; the stamps are exact. A member who stops reading does not stall the others,
//!   an endless line (100 KB without `\n`) is refused (an error line, or the
//!   connection closed) while the others are still served, and lines of two members who
//!   speak at once never mix mid-line. (`lab 6 server` does all this.)
//! - The client's task: the first line typed is the nickname, each typed line is sent
//!   with its `\n`; what the server sends is printed as it arrives, also while the
//!   student is half-way through typing a line (full duplex: a receiving thread); a
//!   control byte the server sent (ESC, BEL, C1) is never printed raw; the end of input
//!   closes the connection and ends the client. (`lab 6 client` does all this.)

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::{hint, Failure, Outcome, Plan, Role, Session, Stage};
use crate::lang::{pick, tr};

const LAB: u8 = 6;
/// How long the program may take to answer or show something.
const WAIT: f64 = 3.0;

pub fn plan(role: Role) -> Plan {
    Plan::single(match role {
        Role::Server => server_stages(),
        Role::Client => client_stages(),
    })
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
            id: "nickname",
            name: pick(
                "takes the first line as the nickname and welcomes it",
                "把第一行当作昵称，并欢迎它",
            ),
            run: server_welcomes,
        },
        Stage {
            id: "join-news",
            name: pick("tells the members who joins", "有人加入时通知各成员"),
            run: server_tells_joins,
        },
        Stage {
            id: "chat",
            name: pick(
                "sends a chat line to the others as `<nick> text`",
                "把聊天行以 `<nick> text` 的形式发给其他成员",
            ),
            run: server_stamps_chat,
        },
        Stage {
            id: "private",
            name: pick(
                "/msg reaches one member as `[private] <nick> text`",
                "/msg 以 `[private] <nick> text` 的形式只发给一个成员",
            ),
            run: server_sends_private,
        },
        Stage {
            id: "list",
            name: pick("/list names who is here", "/list 列出在线的成员"),
            run: server_lists,
        },
        Stage {
            id: "error",
            name: pick(
                "an error goes back to its sender as `! ...`",
                "错误以 `! ...` 的形式发回给发送者",
            ),
            run: server_reports_errors,
        },
        Stage {
            id: "quit",
            name: pick(
                "/quit closes the connection and the others are told",
                "/quit 关闭连接，并通知其他成员",
            ),
            run: server_quits,
        },
        Stage {
            id: "interleave",
            name: pick(
                "lines of two members speaking at once never mix",
                "两个成员同时发言，各自的行也不会混在一起",
            ),
            run: server_keeps_lines_whole,
        },
        Stage {
            id: "endless-line",
            name: pick(
                "refuses an endless line and serves the others",
                "拒绝没有尽头的行，照常为其他成员服务",
            ),
            run: server_refuses_endless_line,
        },
        Stage {
            id: "slow-reader",
            name: pick(
                "a member who stops reading does not stall the others",
                "一个成员不再读取，也不会卡住其他成员",
            ),
            run: server_survives_slow_reader,
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
            id: "nickname",
            name: pick(
                "sends the first typed line as the nickname",
                "把输入的第一行作为昵称发送",
            ),
            run: client_sends_nickname,
        },
        Stage {
            id: "full-duplex",
            name: pick(
                "prints what others say while nothing is typed",
                "没有输入时，也打印其他成员说的话",
            ),
            run: client_prints_unasked,
        },
        Stage {
            id: "while-typing",
            name: pick(
                "prints what others say while a line is half typed",
                "一行输入到一半时，也打印其他成员说的话",
            ),
            run: client_prints_while_typing,
        },
        Stage {
            id: "control-bytes",
            name: pick(
                "never prints a control byte the server sent raw",
                "从不原样打印服务器发来的控制字节",
            ),
            run: client_escapes_control_bytes,
        },
        Stage {
            id: "end-of-input",
            name: pick(
                "closes the connection and ends at the end of input",
                "输入结束时关闭连接并退出",
            ),
            run: client_closes_at_end_of_input,
        },
    ]
}

// ---------------------------------------------------------------------------------
// Checking a server: the checker's members
// ---------------------------------------------------------------------------------

/// One of the checker's connections, with its nickname and the bytes of a line that
/// has not ended yet.
struct Member {
    nick: String,
    conn: TcpStream,
    pending: Vec<u8>,
}

/// A nickname nobody in this check has used: `amy3`. Members of earlier stages may
/// still be leaving when the next stage joins.
fn fresh(base: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{base}{}", N.fetch_add(1, Ordering::SeqCst) + 1)
}

/// True for a news line (`* bob joined`).
fn is_news(line: &[u8]) -> bool {
    line.starts_with(b"* ")
}

fn news_naming(line: &[u8], nick: &str) -> bool {
    is_news(line) && super::contains(line, nick.as_bytes())
}

/// Takes the next whole line out of `pending`, without its `\n` (or `\r\n`).
fn take_line(pending: &mut Vec<u8>) -> Option<Vec<u8>> {
    let end = pending.iter().position(|&b| b == b'\n')?;
    let mut line: Vec<u8> = pending.drain(..=end).collect();
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Some(line)
}

/// Reads `m`'s lines until one that `want`s; lines that `skip` allows are passed
/// over, any other line fails (with `expected` shown against it, if given).
fn next_line(
    s: &mut Session,
    m: &mut Member,
    secs: f64,
    what: &str,
    want: &dyn Fn(&[u8]) -> bool,
    skip: &dyn Fn(&[u8]) -> bool,
    expected: Option<&[u8]>,
) -> Result<Vec<u8>, Failure> {
    let deadline = Instant::now() + s.secs(secs);
    loop {
        while let Some(line) = take_line(&mut m.pending) {
            if want(&line) {
                return Ok(line);
            }
            if !skip(&line) {
                return Err(another_line_first(m, what, line, expected));
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let (nick, secs) = (&m.nick, s.secs(secs).as_secs_f64());
            return Err(Failure::new(tr!(
                "timed out: {nick} waited {secs:.1} s for {what}",
                "超时：{nick} 等待{what}，等了 {secs:.1} 秒",
            )));
        }
        // `secs` is scaled by --slow inside: hand over the unscaled time left.
        let unscaled = left.as_secs_f64() / s.secs(1.0).as_secs_f64();
        let nick = &m.nick;
        let waiting_for = tr!("{what} (as {nick})", "{what}（在 {nick} 的连接上）");
        let got = s.recv_some(&mut m.conn, unscaled, &waiting_for)?;
        m.pending.extend_from_slice(&got);
    }
}

/// The failure of `m`, waiting for `what`, when `line` came first (with `expected`
/// shown against it, if given).
fn another_line_first(m: &Member, what: &str, line: Vec<u8>, expected: Option<&[u8]>) -> Failure {
    let nick = &m.nick;
    let failure = Failure::new(tr!(
        "{nick} waited for {what}; another line came first",
        "{nick} 在等待{what}，但先来了另一行",
    ));
    match expected {
        Some(expected) => failure.bytes(expected, &line),
        None => Failure {
            received: Some(line),
            ..failure
        },
    }
}

/// Connects and gives `nick` as the first line; the welcome is a news line naming it.
fn join(s: &mut Session, nick: &str) -> Result<Member, Failure> {
    let conn = s.connect()?;
    let mut m = Member {
        nick: nick.to_string(),
        conn,
        pending: Vec::new(),
    };
    s.send(&mut m.conn, format!("{nick}\n").as_bytes())?;
    let wanted = nick.to_string();
    next_line(
        s,
        &mut m,
        WAIT,
        &tr!(
            "a welcome: a line starting with `* ` that names {nick}",
            "欢迎消息：以 `* ` 开头、含有 {nick} 的一行",
        ),
        &move |line| news_naming(line, &wanted),
        &|_| true,
        None,
    )
    .map_err(hint(
        LAB,
        pick(
            "the first line a client sends is its nickname: answer it with a news line that \
             starts with `* ` and names it, such as `* welcome, amy!`",
            "客户端发来的第一行是它的昵称：用一条以 `* ` 开头、含有这个昵称的通知行回应它，\
             例如 `* welcome, amy!`",
        ),
    ))?;
    Ok(m)
}

/// `m` says `line` (a chat line or a command).
fn say(s: &mut Session, m: &mut Member, line: &str) -> Outcome {
    let nick = m.nick.clone();
    s.did(tr!("{nick} says {line:?}", "{nick} 说 {line:?}"));
    m.conn
        .write_all(format!("{line}\n").as_bytes())
        .map_err(|err| {
            let why = crate::hint::describe(&err);
            Failure::new(tr!(
                "sending as {nick} failed: {why}: your server closed the connection",
                "以 {nick} 的身份发送失败：{why}：你的服务器关闭了连接",
            ))
        })
}

/// `m`'s next line other than news must be exactly `line`.
fn expect_exact(s: &mut Session, m: &mut Member, line: &str) -> Outcome {
    let wanted = line.as_bytes().to_vec();
    next_line(
        s,
        m,
        WAIT,
        &tr!("the line {line:?}", "内容为 {line:?} 的一行"),
        &move |got| got == wanted.as_slice(),
        &is_news,
        Some(line.as_bytes()),
    )
    .map(|_| ())
}

/// `m`'s next news line naming `nick` (other news passed over).
fn expect_news(s: &mut Session, m: &mut Member, nick: &str, what: &str) -> Outcome {
    let wanted = nick.to_string();
    next_line(
        s,
        m,
        WAIT,
        what,
        &move |line| news_naming(line, &wanted),
        &is_news,
        None,
    )
    .map(|_| ())
}

fn server_accepts(s: &mut Session) -> Outcome {
    let conn = s.connect().map_err(hint(
        LAB,
        pick(
            "bind the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed 5555",
            "绑定命令行给出的端口（sys.argv[1]）或 LAB_PORT，不要写死 5555",
        ),
    ))?;
    s.close(conn);
    Ok(())
}

fn server_welcomes(s: &mut Session) -> Outcome {
    join(s, &fresh("amy"))?;
    Ok(())
}

fn server_tells_joins(s: &mut Session) -> Outcome {
    let mut amy = join(s, &fresh("amy"))?;
    let bob = join(s, &fresh("bob"))?;
    expect_news(
        s,
        &mut amy,
        &bob.nick,
        &tr!("news that {} joined", "{} 加入的通知", bob.nick),
    )
    .map_err(hint(
        LAB,
        pick(
            "when a member joins, tell every other member with a news line naming it: \
             `* bob joined`",
            "有成员加入时，用一条含有其昵称的通知行告诉其他每个成员：`* bob joined`",
        ),
    ))
}

fn server_stamps_chat(s: &mut Session) -> Outcome {
    let mut amy = join(s, &fresh("amy"))?;
    let mut bob = join(s, &fresh("bob"))?;
    let mut cat = join(s, &fresh("cat"))?;
    say(s, &mut amy, "hello 你好")?;
    let stamped = format!("<{}> hello 你好", amy.nick);
    let how = hint(
        LAB,
        pick(
            "send each chat line to every other member, stamped with the sender's nick: \
             f\"<{nick}> {text}\\n\". The stamp is the server's, so nobody can pass for \
             another",
            "把每条聊天行发给其他每个成员，前面加上发送者昵称的标记：\
             f\"<{nick}> {text}\\n\"。标记由服务器来加，所以谁也冒充不了别人",
        ),
    );
    expect_exact(s, &mut bob, &stamped).map_err(&how)?;
    expect_exact(s, &mut cat, &stamped).map_err(&how)
}

fn server_sends_private(s: &mut Session) -> Outcome {
    let mut amy = join(s, &fresh("amy"))?;
    let mut bob = join(s, &fresh("bob"))?;
    let mut cat = join(s, &fresh("cat"))?;
    let how = hint(
        LAB,
        pick(
            "`/msg NICK text` goes to NICK alone, as f\"[private] <{sender}> {text}\"; the \
             others get nothing",
            "`/msg NICK text` 只发给 NICK，形式为 f\"[private] <{sender}> {text}\"；\
             其他成员什么也收不到",
        ),
    );
    let to = amy.nick.clone();
    say(s, &mut bob, &format!("/msg {to} psst"))?;
    expect_exact(s, &mut amy, &format!("[private] <{}> psst", bob.nick)).map_err(&how)?;
    // cat's next chat line must be amy's, not bob's private one.
    say(s, &mut amy, "after")?;
    expect_exact(s, &mut cat, &format!("<{}> after", amy.nick)).map_err(&how)
}

fn server_lists(s: &mut Session) -> Outcome {
    let mut amy = join(s, &fresh("amy"))?;
    let bob = join(s, &fresh("bob"))?;
    say(s, &mut amy, "/list")?;
    let how = hint(
        LAB,
        pick(
            "answer `/list` with news naming every member who is here: `* online: amy, bob`",
            "用通知回应 `/list`，列出在线的每个成员：`* online: amy, bob`",
        ),
    );
    // The answer may take several news lines: read them until both names are seen.
    let mut seen = Vec::new();
    let deadline = Instant::now() + s.secs(WAIT);
    let names = [amy.nick.clone(), bob.nick.clone()];
    while !names.iter().all(|n| super::contains(&seen, n.as_bytes())) {
        if Instant::now() >= deadline {
            return Err(Failure::new(tr!(
                "timed out: the news after /list never named both {} and {}",
                "超时：/list 之后的通知始终没有同时列出 {} 和 {}",
                names[0],
                names[1]
            ))
            .bytes(names.join(", ").as_bytes(), &seen))
            .map_err(&how);
        }
        let line = next_line(
            s,
            &mut amy,
            WAIT,
            pick("news answering /list", "回应 /list 的通知"),
            &is_news,
            &|_| false,
            None,
        )
        .map_err(&how)?;
        seen.extend_from_slice(&line);
        seen.push(b'\n');
    }
    Ok(())
}

fn server_reports_errors(s: &mut Session) -> Outcome {
    let mut amy = join(s, &fresh("amy"))?;
    say(s, &mut amy, "/msg nobody0 hi")?;
    next_line(
        s,
        &mut amy,
        WAIT,
        pick(
            "an error line starting with `! ` (nobody0 is not here)",
            "以 `! ` 开头的错误行（nobody0 不在聊天室里）",
        ),
        &|line| line.starts_with(b"! "),
        &is_news,
        None,
    )
    .map_err(hint(
        LAB,
        pick(
            "an error about a line goes back to its sender alone, as a line that starts \
             with `! `: `! nobody called \"nobody0\" is here`",
            "针对某一行的错误只发回给它的发送者，是一行以 `! ` 开头的文字：\
             `! nobody called \"nobody0\" is here`",
        ),
    ))?;
    Ok(())
}

fn server_quits(s: &mut Session) -> Outcome {
    let mut amy = join(s, &fresh("amy"))?;
    let mut bob = join(s, &fresh("bob"))?;
    let how = hint(
        LAB,
        pick(
            "on `/quit` close the member's connection (a goodbye first is fine), take it out \
             of the room and tell the others with news naming it: `* bob left`",
            "收到 `/quit` 时关闭这个成员的连接（先道别也可以），把它移出聊天室，\
             并用含有其昵称的通知告诉其他成员：`* bob left`",
        ),
    );
    say(s, &mut bob, "/quit")?;
    super::lab7::expect_close(s, &mut bob.conn, pick("/quit", "发出 /quit")).map_err(&how)?;
    expect_news(
        s,
        &mut amy,
        &bob.nick,
        &tr!("news that {} left", "{} 离开的通知", bob.nick),
    )
    .map_err(&how)
}

fn server_keeps_lines_whole(s: &mut Session) -> Outcome {
    let amy = join(s, &fresh("amy"))?;
    let bob = join(s, &fresh("bob"))?;
    let mut cat = join(s, &fresh("cat"))?;
    const LINES: usize = 40;
    const LONG: usize = 3000;
    s.did(tr!(
        "{} and {} each sent {LINES} lines of {LONG} bytes, at the same time, in one send() each",
        "{} 和 {} 同时各发送 {LINES} 行、每行 {LONG} 字节，各用一次 send()",
        amy.nick,
        bob.nick
    ));
    for (m, letter) in [(&amy, b'a'), (&bob, b'b')] {
        let mut conn = m
            .conn
            .try_clone()
            .map_err(|e| Failure::new(e.to_string()))?;
        let mut bytes = Vec::new();
        for _ in 0..LINES {
            bytes.extend(std::iter::repeat_n(letter, LONG));
            bytes.push(b'\n');
        }
        thread::spawn(move || {
            let _ = conn.set_write_timeout(Some(Duration::from_secs(20)));
            let _ = conn.write_all(&bytes);
        });
    }
    let whole = |line: &[u8], m: &Member, letter: u8| {
        line.strip_prefix(format!("<{}> ", m.nick).as_bytes())
            .is_some_and(|rest| rest.len() == LONG && rest.iter().all(|&b| b == letter))
    };
    let hint_text = pick(
        "two threads writing to one socket at once can mix their bytes: send each line with \
         one sendall() while holding a lock for that member (or let one writer thread per \
         member send its queued lines)",
        "两个线程同时写同一个套接字，字节可能交错混在一起：每一行用一次 sendall() 发出，\
         发送时持有这个成员的锁（或者每个成员一个写线程，由它发送排队的行）",
    );
    let how = hint(LAB, hint_text);
    for _ in 0..2 * LINES {
        let line = next_line(
            s,
            &mut cat,
            WAIT * 2.0,
            pick(
                "whole lines of 3000 a's or b's, each stamped",
                "完整的行，每行是 3000 个 a 或 b，都带有标记",
            ),
            &|line| !is_news(line),
            &is_news,
            None,
        )
        .map_err(&how)?;
        if !(whole(&line, &amy, b'a') || whole(&line, &bob, b'b')) {
            // A 3000-byte line is too long to show: say what is in it.
            let a = line.iter().filter(|&&b| b == b'a').count();
            let b = line.iter().filter(|&&b| b == b'b').count();
            return Err(Failure::new(tr!(
                "{} received a line of {} bytes with {a} a's and {b} b's: not one whole \
                 stamped line of one member, but pieces of two lines mixed",
                "{} 收到一行 {} 字节，其中有 {a} 个 a 和 {b} 个 b：这不是某一个成员带标记的\
                 完整一行，而是两行的片段混在了一起",
                cat.nick,
                line.len()
            ))
            .hint(LAB, hint_text));
        }
    }
    Ok(())
}

fn server_refuses_endless_line(s: &mut Session) -> Outcome {
    let mut amy = join(s, &fresh("amy"))?;
    let mut bob = join(s, &fresh("bob"))?;
    let mut cat = join(s, &fresh("cat"))?;
    let how = hint(
        LAB,
        pick(
            "keep at most a few KiB of an unfinished line (the guide's limit: 4096 bytes): \
             past that, send `! that line is too long` (or close the connection) and throw \
             the rest away, instead of growing a buffer for ever",
            "未结束的行最多只保留几 KiB（指南的上限：4096 字节）：超过了就发送 \
             `! that line is too long`（或关闭连接），并丢掉其余部分，而不是让缓冲区无限增长",
        ),
    );
    s.did(tr!(
        "{} sent 100 000 bytes without a newline",
        "{} 发送了 100 000 字节，中间没有换行",
        amy.nick
    ));
    {
        let mut conn = amy
            .conn
            .try_clone()
            .map_err(|e| Failure::new(e.to_string()))?;
        thread::spawn(move || {
            let _ = conn.set_write_timeout(Some(Duration::from_secs(20)));
            let _ = conn.write_all(&vec![b'x'; 100_000]);
        });
    }
    // An error line, or the connection closed: either refuses the line.
    let what = pick(
        "an error line starting with `! `, or the connection closed",
        "以 `! ` 开头的错误行，或者关闭连接",
    );
    // Any line other than news ends the wait, to be judged here.
    match next_line(
        s,
        &mut amy,
        WAIT,
        what,
        &|line| !is_news(line),
        &is_news,
        None,
    ) {
        Ok(line) if line.starts_with(b"! ") => {}
        Ok(line) => return Err(another_line_first(&amy, what, line, None)).map_err(&how),
        Err(failure) => {
            // The wait ended without a line: the server closed (or reset) the
            // connection, which refuses the line too, unless it ended or timed out.
            let ended = s.program.as_mut().and_then(|p| p.exited()).is_some();
            if ended || !is_closed(&amy.conn) {
                return Err(failure).map_err(&how);
            }
            s.did(tr!(
                "saw {}'s connection closed",
                "看到 {} 的连接被关闭",
                amy.nick
            ));
        }
    }
    say(s, &mut bob, "still here")?;
    expect_exact(s, &mut cat, &format!("<{}> still here", bob.nick)).map_err(&how)
}

/// True if the peer has closed or reset `conn`: recv() returns 0 bytes (again) or an
/// error. Peeks, so that nothing is taken.
fn is_closed(conn: &TcpStream) -> bool {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(20)));
    let mut byte = [0u8; 1];
    match conn.peek(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(err) => !matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

fn server_survives_slow_reader(s: &mut Session) -> Outcome {
    let zed = join(s, &fresh("zed"))?;
    let amy = join(s, &fresh("amy"))?;
    let mut bob = join(s, &fresh("bob"))?;
    const LINES: usize = 2500;
    const LONG: usize = 2000;
    s.did(tr!(
        "{} stopped reading; {} sent {LINES} lines of {LONG} bytes (5 MB), then `last`",
        "{} 不再读取；{} 发送了 {LINES} 行、每行 {LONG} 字节（5 MB），然后发送 `last`",
        zed.nick,
        amy.nick
    ));
    {
        let mut conn = amy
            .conn
            .try_clone()
            .map_err(|e| Failure::new(e.to_string()))?;
        let line: Vec<u8> = std::iter::repeat_n(b'z', LONG)
            .chain(std::iter::once(b'\n'))
            .collect();
        thread::spawn(move || {
            let _ = conn.set_write_timeout(Some(Duration::from_secs(30)));
            for _ in 0..LINES {
                if conn.write_all(&line).is_err() {
                    return;
                }
            }
            let _ = conn.write_all(b"last\n");
        });
    }
    let last = format!("<{}> last", amy.nick);
    let stamp = format!("<{}> ", amy.nick);
    let how = hint(
        LAB,
        pick(
            "a member who stops reading fills its socket buffers, and then sendall() to it \
             blocks: give each member a bounded queue and a writer thread (or a send \
             timeout), and drop a member whose queue stays full",
            "一个不再读取的成员会把它的套接字缓冲区塞满，然后对它的 sendall() 就会阻塞：\
             给每个成员一个有界队列和一个写线程（或者设置发送超时），队列一直是满的成员，\
             就把它断开",
        ),
    );
    // bob must keep receiving: a pause of STALL seconds is a stalled server.
    const STALL: f64 = 4.0;
    let deadline = Instant::now() + s.secs(30.0);
    loop {
        let line = next_line(
            s,
            &mut bob,
            STALL,
            &tr!(
                "more of {}'s lines, and then {last:?}",
                "{} 的更多行，然后是 {last:?}",
                amy.nick
            ),
            &|line| !is_news(line),
            &is_news,
            None,
        )
        .map_err(&how)?;
        if line == last.as_bytes() {
            break;
        }
        if !line.starts_with(stamp.as_bytes()) {
            return Err(
                Failure::new(tr!("{} received another line", "{} 收到了另一行", bob.nick))
                    .bytes(last.as_bytes(), &line),
            )
            .map_err(&how);
        }
        if Instant::now() >= deadline {
            let (nick, secs) = (&bob.nick, s.secs(30.0).as_secs_f64());
            return Err(Failure::new(tr!(
                "timed out: {nick} did not receive {last:?} within {secs:.1} s",
                "超时：{nick} 在 {secs:.1} 秒内没有收到 {last:?}",
            )))
            .map_err(&how);
        }
    }
    drop(zed);
    Ok(())
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
             5555",
            "连接命令行给出的端口（sys.argv[1]）或 LAB_PORT，不要写死 5555",
        ),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_sends_nickname(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    s.send(
        &mut conn,
        b"* welcome to the chat room (0 online). Choose a nickname:\n",
    )?;
    s.type_line("amy")?;
    let what = pick("the nickname and \\n", "昵称加上 \\n");
    s.expect_bytes(&mut conn, b"amy\n", false, WAIT, what)
        .map_err(hint(
            LAB,
            pick(
                "send each typed line with its \\n, the first one too (it is the nickname): \
                 sock.sendall((line + \"\\n\").encode())",
                "发送每个输入的行都要带上 \\n，第一行（昵称）也一样：\
                 sock.sendall((line + \"\\n\").encode())",
            ),
        ))?;
    s.send(&mut conn, b"* welcome, amy! Online (1): amy\n")?;
    s.conn = Some(conn);
    Ok(())
}

fn client_prints_unasked(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    s.mark_output();
    s.send(&mut conn, "<bob> hello 你好\n".as_bytes())?;
    s.expect_output("<bob> hello 你好".as_bytes(), WAIT, "\"<bob> hello 你好\"")
        .map_err(hint(
            LAB,
            pick(
                "print what arrives as it arrives, from a receiving thread: \
                 threading.Thread(target=receive, daemon=True), while the main thread reads \
                 the keyboard. A client that recv()s only after input() shows it too late",
                "收到什么就立刻打印，由一个接收线程负责：\
                 threading.Thread(target=receive, daemon=True)，主线程则读键盘。\
                 只在 input() 之后才 recv() 的客户端，显示得太晚了",
            ),
        ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_prints_while_typing(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    let how = hint(
        LAB,
        pick(
            "what arrives must show while a line is half typed: a thread that blocks in \
             recv() and prints, not a select() loop that then blocks in readline() until \
             Enter",
            "一行输入到一半时，收到的内容也必须显示出来：用一个阻塞在 recv() 里、\
             收到就打印的线程，而不是 select() 循环（它接着会阻塞在 readline() 里，\
             直到按下回车）",
        ),
    );
    s.mark_output();
    s.type_text("half a li")?;
    s.did(pick("waited 0.2 s", "等了 0.2 秒"));
    thread::sleep(s.secs(0.2));
    s.send(&mut conn, b"<bob> meanwhile\n")?;
    s.expect_output(
        b"<bob> meanwhile",
        WAIT,
        pick(
            "\"<bob> meanwhile\" (before Enter)",
            "\"<bob> meanwhile\"（在按回车之前）",
        ),
    )
    .map_err(&how)?;
    s.type_text("ne\n")?;
    s.expect_bytes(
        &mut conn,
        b"half a line\n",
        false,
        WAIT,
        pick("the finished line", "输完的那一行"),
    )
    .map_err(&how)?;
    s.conn = Some(conn);
    Ok(())
}

/// The first raw control byte in `out` (ESC, BEL or a C1 character in UTF-8), if any.
/// A colour code the client adds itself (ESC [ digits ; m) is allowed.
fn raw_control(out: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < out.len() {
        match out[i] {
            0x1b => {
                let rest = &out[i + 1..];
                let sgr = rest.first() == Some(&b'[')
                    && rest[1..]
                        .iter()
                        .position(|&b| !(b.is_ascii_digit() || b == b';'))
                        .is_some_and(|end| rest[1 + end] == b'm');
                if !sgr {
                    return Some(i);
                }
            }
            0x07 => return Some(i),
            0xc2 if out.get(i + 1).is_some_and(|b| (0x80..=0x9f).contains(b)) => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn client_escapes_control_bytes(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    s.mark_output();
    let evil = "<bob> \x1b[2J\x07 \u{9b}31m evil\n";
    s.send(&mut conn, evil.as_bytes())?;
    let how = hint(
        LAB,
        pick(
            "a server (or a member, through it) can send ESC [2J, which clears the screen: \
             show control characters escaped before printing (repr(line)[1:-1], or replace \
             each with \\x1b) or drop them",
            "服务器（或借助它的某个成员）可以发送 ESC [2J，它会清空屏幕：打印之前把控制字符\
             转义（repr(line)[1:-1]，或把每个替换成 \\x1b 这样的文字），或者丢掉它们",
        ),
    );
    // What it printed since, up to the end of that line.
    let printed = s
        .expect_output_matching(
            WAIT,
            pick("the line ending in \"evil\"", "以 \"evil\" 结尾的一行"),
            &|out| super::contains(out, b"evil\n") || super::contains(out, b"evil\r\n"),
        )
        .map_err(&how)?;
    if let Some(at) = raw_control(&printed) {
        let line = printed
            .split(|&b| b == b'\n')
            .find(|line| raw_control(line).is_some())
            .unwrap_or(&printed);
        return Err(Failure {
            received: Some(line.to_vec()),
            ..Failure::new(tr!(
                "your client printed a raw control byte (0x{:02x}) that the server sent, \
                 where `\\e[2J` or `\\x1b[2J` (escaped) was expected",
                "你的客户端原样打印了服务器发来的控制字节（0x{:02x}），\
                 期望的是转义后的 `\\e[2J` 或 `\\x1b[2J`",
                printed[at]
            ))
        })
        .map_err(&how);
    }
    s.conn = Some(conn);
    Ok(())
}

fn client_closes_at_end_of_input(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    let how = hint(
        LAB,
        pick(
            "at the end of input (Ctrl-D: input() raises EOFError) send /quit or just close \
             the socket, and end the program; the receiving thread must not keep it alive \
             (make it a daemon thread)",
            "输入结束时（Ctrl-D：input() 抛出 EOFError），发送 /quit 或直接关闭套接字，\
             然后结束程序；接收线程不能让程序继续运行（把它设为守护线程，daemon=True）",
        ),
    );
    s.close_stdin();
    super::lab7::expect_close(s, &mut conn, pick("the end of input", "输入结束")).map_err(&how)?;
    let why = pick(
        "at the end of input the client ends",
        "输入结束时客户端应当退出",
    );
    s.expect_exit(WAIT, why).map_err(&how)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_at_newlines_and_lose_their_cr() {
        let mut pending = b"a\r\nb\nc".to_vec();
        assert_eq!(take_line(&mut pending), Some(b"a".to_vec()));
        assert_eq!(take_line(&mut pending), Some(b"b".to_vec()));
        assert_eq!(take_line(&mut pending), None);
        assert_eq!(pending, b"c");
    }

    #[test]
    fn raw_control_bytes_are_found_and_colour_codes_allowed() {
        assert_eq!(raw_control(b"<bob> \\e[2J evil"), None);
        assert_eq!(raw_control(b"\x1b[1;31m<bob>\x1b[0m hi"), None);
        assert_eq!(raw_control(b"<bob> \x1b[2J"), Some(6));
        assert_eq!(raw_control(b"ding\x07"), Some(4));
        assert_eq!(raw_control("a\u{9b}".as_bytes()), Some(1));
        assert_eq!(raw_control("尹哲".as_bytes()), None);
    }
}
