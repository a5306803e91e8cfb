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
            name: "listens on the port it was given and accepts a client",
            run: server_accepts,
        },
        Stage {
            id: "nickname",
            name: "takes the first line as the nickname and welcomes it",
            run: server_welcomes,
        },
        Stage {
            id: "join-news",
            name: "tells the members who joins",
            run: server_tells_joins,
        },
        Stage {
            id: "chat",
            name: "sends a chat line to the others as `<nick> text`",
            run: server_stamps_chat,
        },
        Stage {
            id: "private",
            name: "/msg reaches one member as `[private] <nick> text`",
            run: server_sends_private,
        },
        Stage {
            id: "list",
            name: "/list names who is here",
            run: server_lists,
        },
        Stage {
            id: "error",
            name: "an error goes back to its sender as `! ...`",
            run: server_reports_errors,
        },
        Stage {
            id: "quit",
            name: "/quit closes the connection and the others are told",
            run: server_quits,
        },
        Stage {
            id: "interleave",
            name: "lines of two members speaking at once never mix",
            run: server_keeps_lines_whole,
        },
        Stage {
            id: "endless-line",
            name: "refuses an endless line and serves the others",
            run: server_refuses_endless_line,
        },
        Stage {
            id: "slow-reader",
            name: "a member who stops reading does not stall the others",
            run: server_survives_slow_reader,
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
            id: "nickname",
            name: "sends the first typed line as the nickname",
            run: client_sends_nickname,
        },
        Stage {
            id: "full-duplex",
            name: "prints what others say while nothing is typed",
            run: client_prints_unasked,
        },
        Stage {
            id: "while-typing",
            name: "prints what others say while a line is half typed",
            run: client_prints_while_typing,
        },
        Stage {
            id: "control-bytes",
            name: "never prints a control byte the server sent raw",
            run: client_escapes_control_bytes,
        },
        Stage {
            id: "end-of-input",
            name: "closes the connection and ends at the end of input",
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
                let failure = Failure::new(format!(
                    "{} waited for {what}; another line came first",
                    m.nick
                ));
                return Err(match expected {
                    Some(expected) => failure.bytes(expected, &line),
                    None => Failure {
                        received: Some(line),
                        ..failure
                    },
                });
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::new(format!(
                "timed out: {} waited {:.1} s for {what}",
                m.nick,
                s.secs(secs).as_secs_f64()
            )));
        }
        // `secs` is scaled by --slow inside: hand over the unscaled time left.
        let unscaled = left.as_secs_f64() / s.secs(1.0).as_secs_f64();
        let got = s.recv_some(&mut m.conn, unscaled, &format!("{what} (as {})", m.nick))?;
        m.pending.extend_from_slice(&got);
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
        &format!("a welcome: a line starting with `* ` that names {nick}"),
        &move |line| news_naming(line, &wanted),
        &|_| true,
        None,
    )
    .map_err(hint(
        LAB,
        "the first line a client sends is its nickname: answer it with a news line that \
         starts with `* ` and names it, such as `* welcome, amy!`",
    ))?;
    Ok(m)
}

/// `m` says `line` (a chat line or a command).
fn say(s: &mut Session, m: &mut Member, line: &str) -> Outcome {
    let nick = m.nick.clone();
    s.did(format!("{nick} says {line:?}"));
    m.conn
        .write_all(format!("{line}\n").as_bytes())
        .map_err(|err| {
            Failure::new(format!(
                "sending as {nick} failed: {}: your server closed the connection",
                crate::hint::describe(&err)
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
        &format!("the line {line:?}"),
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
        "bind the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed 5555",
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
        &format!("news that {} joined", bob.nick),
    )
    .map_err(hint(
        LAB,
        "when a member joins, tell every other member with a news line naming it: \
         `* bob joined`",
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
        "send each chat line to every other member, stamped with the sender's nick: \
         f\"<{nick}> {text}\\n\". The stamp is the server's, so nobody can pass for another",
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
        "`/msg NICK text` goes to NICK alone, as f\"[private] <{sender}> {text}\"; the \
         others get nothing",
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
        "answer `/list` with news naming every member who is here: `* online: amy, bob`",
    );
    // The answer may take several news lines: read them until both names are seen.
    let mut seen = Vec::new();
    let deadline = Instant::now() + s.secs(WAIT);
    let names = [amy.nick.clone(), bob.nick.clone()];
    while !names.iter().all(|n| super::contains(&seen, n.as_bytes())) {
        if Instant::now() >= deadline {
            return Err(Failure::new(format!(
                "timed out: the news after /list never named both {} and {}",
                names[0], names[1]
            ))
            .bytes(names.join(", ").as_bytes(), &seen))
            .map_err(&how);
        }
        let line = next_line(
            s,
            &mut amy,
            WAIT,
            "news answering /list",
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
        "an error line starting with `! ` (nobody0 is not here)",
        &|line| line.starts_with(b"! "),
        &is_news,
        None,
    )
    .map_err(hint(
        LAB,
        "an error about a line goes back to its sender alone, as a line that starts \
         with `! `: `! nobody called \"nobody0\" is here`",
    ))?;
    Ok(())
}

fn server_quits(s: &mut Session) -> Outcome {
    let mut amy = join(s, &fresh("amy"))?;
    let mut bob = join(s, &fresh("bob"))?;
    let how = hint(
        LAB,
        "on `/quit` close the member's connection (a goodbye first is fine), take it out \
         of the room and tell the others with news naming it: `* bob left`",
    );
    say(s, &mut bob, "/quit")?;
    super::lab7::expect_close(s, &mut bob.conn, "/quit").map_err(&how)?;
    expect_news(
        s,
        &mut amy,
        &bob.nick,
        &format!("news that {} left", bob.nick),
    )
    .map_err(&how)
}

fn server_keeps_lines_whole(s: &mut Session) -> Outcome {
    let amy = join(s, &fresh("amy"))?;
    let bob = join(s, &fresh("bob"))?;
    let mut cat = join(s, &fresh("cat"))?;
    const LINES: usize = 40;
    const LONG: usize = 3000;
    s.did(format!(
        "{} and {} each sent {LINES} lines of {LONG} bytes, at the same time, in one send() each",
        amy.nick, bob.nick
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
    let hint_text = "two threads writing to one socket at once can mix their bytes: send \
                     each line with one sendall() while holding a lock for that member (or \
                     let one writer thread per member send its queued lines)";
    let how = hint(LAB, hint_text);
    for _ in 0..2 * LINES {
        let line = next_line(
            s,
            &mut cat,
            WAIT * 2.0,
            "whole lines of 3000 a's or b's, each stamped",
            &|line| !is_news(line),
            &is_news,
            None,
        )
        .map_err(&how)?;
        if !(whole(&line, &amy, b'a') || whole(&line, &bob, b'b')) {
            // A 3000-byte line is too long to show: say what is in it.
            let a = line.iter().filter(|&&b| b == b'a').count();
            let b = line.iter().filter(|&&b| b == b'b').count();
            return Err(Failure::new(format!(
                "{} received a line of {} bytes with {a} a's and {b} b's: not one whole \
                 stamped line of one member, but pieces of two lines mixed",
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
        "keep at most a few KiB of an unfinished line (the guide's limit: 4096 bytes): \
         past that, send `! that line is too long` (or close the connection) and throw \
         the rest away, instead of growing a buffer for ever",
    );
    s.did(format!("{} sent 100 000 bytes without a newline", amy.nick));
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
    let refused = next_line(
        s,
        &mut amy,
        WAIT,
        "an error line starting with `! `, or the connection closed",
        &|line| line.starts_with(b"! "),
        &is_news,
        None,
    );
    if let Err(failure) = refused {
        if !failure.what.contains("closed the connection") && !failure.what.contains("broke") {
            return Err(failure).map_err(&how);
        }
        s.did(format!("saw {}'s connection closed", amy.nick));
    }
    say(s, &mut bob, "still here")?;
    expect_exact(s, &mut cat, &format!("<{}> still here", bob.nick)).map_err(&how)
}

fn server_survives_slow_reader(s: &mut Session) -> Outcome {
    let zed = join(s, &fresh("zed"))?;
    let amy = join(s, &fresh("amy"))?;
    let mut bob = join(s, &fresh("bob"))?;
    const LINES: usize = 2500;
    const LONG: usize = 2000;
    s.did(format!(
        "{} stopped reading; {} sent {LINES} lines of {LONG} bytes (5 MB), then `last`",
        zed.nick, amy.nick
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
        "a member who stops reading fills its socket buffers, and then sendall() to it \
         blocks: give each member a bounded queue and a writer thread (or a send \
         timeout), and drop a member whose queue stays full",
    );
    // bob must keep receiving: a pause of STALL seconds is a stalled server.
    const STALL: f64 = 4.0;
    let deadline = Instant::now() + s.secs(30.0);
    loop {
        let line = next_line(
            s,
            &mut bob,
            STALL,
            &format!("more of {}'s lines, and then {last:?}", amy.nick),
            &|line| !is_news(line),
            &is_news,
            None,
        )
        .map_err(&how)?;
        if line == last.as_bytes() {
            break;
        }
        if !line.starts_with(stamp.as_bytes()) {
            return Err(Failure::new(format!("{} received another line", bob.nick))
                .bytes(last.as_bytes(), &line))
            .map_err(&how);
        }
        if Instant::now() >= deadline {
            return Err(Failure::new(format!(
                "timed out: {} did not receive {last:?} within {:.1} s",
                bob.nick,
                s.secs(30.0).as_secs_f64()
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
        "connect to the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed \
         5555",
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
    s.expect_bytes(&mut conn, b"amy\n", false, WAIT, "the nickname and \\n")
        .map_err(hint(
            LAB,
            "send each typed line with its \\n, the first one too (it is the nickname): \
             sock.sendall((line + \"\\n\").encode())",
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
            "print what arrives as it arrives, from a receiving thread: \
             threading.Thread(target=receive, daemon=True), while the main thread reads \
             the keyboard. A client that recv()s only after input() shows it too late",
        ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_prints_while_typing(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    let how = hint(
        LAB,
        "what arrives must show while a line is half typed: a thread that blocks in \
         recv() and prints, not a select() loop that then blocks in readline() until \
         Enter",
    );
    s.mark_output();
    s.type_text("half a li")?;
    s.did("waited 0.2 s");
    thread::sleep(s.secs(0.2));
    s.send(&mut conn, b"<bob> meanwhile\n")?;
    s.expect_output(
        b"<bob> meanwhile",
        WAIT,
        "\"<bob> meanwhile\" (before Enter)",
    )
    .map_err(&how)?;
    s.type_text("ne\n")?;
    s.expect_bytes(
        &mut conn,
        b"half a line\n",
        false,
        WAIT,
        "the finished line",
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
        "a server (or a member, through it) can send ESC [2J, which clears the screen: \
         show control characters escaped before printing (repr(line)[1:-1], or replace \
         each with \\x1b) or drop them",
    );
    // What it printed since, up to the end of that line.
    let printed = s
        .expect_output_matching(WAIT, "the line ending in \"evil\"", &|out| {
            super::contains(out, b"evil\n") || super::contains(out, b"evil\r\n")
        })
        .map_err(&how)?;
    if let Some(at) = raw_control(&printed) {
        let line = printed
            .split(|&b| b == b'\n')
            .find(|line| raw_control(line).is_some())
            .unwrap_or(&printed);
        return Err(Failure {
            received: Some(line.to_vec()),
            ..Failure::new(format!(
                "your client printed a raw control byte (0x{:02x}) that the server sent, \
                 where `\\e[2J` or `\\x1b[2J` (escaped) was expected",
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
        "at the end of input (Ctrl-D: input() raises EOFError) send /quit or just close \
         the socket, and end the program; the receiving thread must not keep it alive \
         (make it a daemon thread)",
    );
    s.close_stdin();
    super::lab7::expect_close(s, &mut conn, "the end of input").map_err(&how)?;
    s.expect_exit(WAIT, "at the end of input the client ends")
        .map_err(&how)?;
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
