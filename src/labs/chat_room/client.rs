//! The client: full duplex, one thread prints what the server sends while the main
//! thread reads the keyboard. Read it last; it uses only src/chat_protocol.rs (the
//! line framer and the nick stamp), and `nc` is a client just as good.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use colored::ColoredString;

use super::ClientArgs;
use crate::chat_protocol::{split_stamp, Framed, LineFramer};
use crate::hint;
use crate::labs::Lab;
use crate::lang::{pick, tr};
use crate::term::{paint, safe, say, Lines};

pub(super) fn client(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    // socket() + connect(), to each address --host stands for until one answers
    // (Python: socket.create_connection((host, port))).
    let (stream, server) = args.endpoint.connect_tcp(lab.number)?;
    let sending = &stream;

    // The nickname goes first. If the server refuses it, it says why, and the next
    // line typed is the next try: the server keeps that state, the client just sends.
    if let Some(name) = &args.name {
        send_line(sending, name).map_err(|err| connection_broke(server, &err))?;
    }

    // Full duplex: a reader thread prints what arrives while this thread waits for the
    // keyboard. (Lab 3's client could do only one at a time.)
    let leaving = Arc::new(AtomicBool::new(false));
    let reader = {
        let incoming = stream
            .try_clone()
            .context("could not share the socket with a thread")?;
        let leaving = Arc::clone(&leaving);
        let own = args.name.clone();
        let lab_number = lab.number;
        thread::Builder::new()
            .name("reader".to_string())
            .spawn(move || show_incoming(incoming, server, &leaving, own, lab_number))
            .context("could not start the reader thread")?
    };

    let mut input = Lines::from_stdin();
    if input.interactive() {
        say!(
            "{}",
            tr!(
                "connected to {server}. Type a line and press Enter; /help lists the commands, /quit leaves",
                "已连接到 {server}。输入一行文字，按 Enter 发送；/help 列出所有命令，/quit 离开"
            )
        );
    }
    loop {
        // End of input (Ctrl-D, the end of a piped file) leaves like /quit.
        let line = input.read("").unwrap_or_else(|| "/quit".to_string());
        let quitting = line.trim().eq_ignore_ascii_case("/quit");
        if quitting {
            // From now on, the server closing the connection is what we asked for.
            leaving.store(true, Ordering::SeqCst);
        }
        if let Err(err) = send_line(sending, &line) {
            if quitting {
                break;
            }
            return Err(connection_broke(server, &err));
        }
        if quitting {
            break;
        }
    }

    // Wait (briefly) for the server's goodbye and its close, so the last lines show.
    let deadline = Instant::now() + Duration::from_secs(3);
    while !reader.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

/// Sends one line with ONE send(): the text and its `\n` together. (`writeln!` on a
/// socket would make two send() calls, the text and then the newline, and the server
/// could receive them in two recv()s, or after a delay: lab 7 shows why that matters.)
fn send_line(mut stream: &TcpStream, line: &str) -> io::Result<()> {
    stream.write_all(format!("{line}\n").as_bytes())
}

fn connection_broke(server: SocketAddr, err: &io::Error) -> anyhow::Error {
    anyhow::anyhow!(tr!(
        "the connection to the chat room at {server} broke: {}",
        "与 {server} 上聊天室的连接断开了：{}",
        hint::describe(err)
    ))
}

/// The client's reader thread: prints each line from the server. If the server goes
/// away while we are not leaving, says so and ends the whole client with exit code 1
/// (the main thread is blocked reading the keyboard and cannot notice).
fn show_incoming(
    mut stream: TcpStream,
    server: SocketAddr,
    leaving: &AtomicBool,
    own: Option<String>,
    lab: u8,
) {
    // Server lines can be long (a /list of a full lecture hall), but not unbounded.
    let mut framer = LineFramer::new(256 * 1024);
    let mut colors = NickColors::default();
    if let Some(own) = own {
        colors.paint(own.as_bytes()); // you get the first colour
    }
    let mut buf = [0u8; 8192];
    let mut lines = Vec::new();
    // The last line, if it was the server explaining itself (`[admin] you were
    // kicked`, `! the room is full`): that is why it closes, and worth repeating.
    let mut last_word = None;
    let why = loop {
        match stream.read(&mut buf) {
            Ok(0) => {
                // The server closed. A last line without its `\n` is still a line it
                // sent: show it rather than lose it.
                let partial = framer.take_partial();
                if !partial.is_empty() {
                    say!("{}", show_line(&partial, &mut colors));
                    let explains = partial.starts_with(b"[admin] ") || partial.starts_with(b"! ");
                    last_word = explains.then(|| safe(&partial));
                }
                break None;
            }
            Ok(n) => {
                framer.push(&buf[..n], &mut lines);
                for framed in lines.drain(..) {
                    match framed {
                        Framed::Line(line) => {
                            say!("{}", show_line(&line, &mut colors));
                            let explains = line.starts_with(b"[admin] ") || line.starts_with(b"! ");
                            last_word = explains.then(|| safe(&line));
                        }
                        Framed::TooLong => say!("(the server sent a line too long to show)"),
                    }
                }
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => break Some(err),
        }
    };
    if leaving.load(Ordering::SeqCst) {
        return;
    }
    let why = match (why, last_word) {
        (None, Some(word)) => tr!(
            "the chat room at {server} closed the connection after: {word}",
            "{server} 上的聊天室说完最后一句就关闭了连接：{word}"
        ),
        (None, None) => hint::server_went_away(server, lab),
        (Some(err), _) => connection_broke(server, &err).to_string(),
    };
    eprintln!("{}{why}", pick("error: ", "错误："));
    std::process::exit(1);
}

/// A line from the server, ready for the terminal: the sender's nick in its colour,
/// everything else made safe (no escape sequence, bell or carriage return gets
/// through raw, even from a server that does not filter them).
fn show_line(line: &[u8], colors: &mut NickColors) -> String {
    let (private, rest) = match line.strip_prefix(b"[private] ") {
        Some(rest) => ("[private] ", rest),
        None => ("", line),
    };
    match split_stamp(rest) {
        Some((nick, text)) => format!("{private}{} {}", colors.paint(nick), safe(text)),
        None => safe(line),
    }
}

/// How many nicks the client remembers a colour for.
const REMEMBERED_NICKS: usize = 64;

/// A colour per nick, handed out in the order nicks appear, remembered for the
/// [`REMEMBERED_NICKS`] most recently seen. Bounded on purpose: a member who renames
/// in a loop (`/nick a1`, `/nick a2`, ...) shows us millions of nicks, and a map
/// that kept them all would grow every client's memory without end. So the table
/// keeps a hash of each nick (not the nick) and forgets the one seen longest ago.
/// Yours is the first nick painted, and keeps the first colour.
#[derive(Default)]
struct NickColors {
    /// (hash of the nick, its colour number, when it was last seen), at most
    /// REMEMBERED_NICKS of them.
    seen: Vec<(u64, usize, u64)>,
    /// The colour number the next new nick gets.
    next: usize,
    /// Counts paint() calls: the "when" of `seen`.
    clock: u64,
}

impl NickColors {
    fn paint(&mut self, nick: &[u8]) -> ColoredString {
        self.clock += 1;
        let hash = {
            let mut hasher = DefaultHasher::new();
            nick.hash(&mut hasher);
            hasher.finish()
        };
        let n = match self.seen.iter_mut().find(|(h, _, _)| *h == hash) {
            Some((_, n, last)) => {
                *last = self.clock;
                *n
            }
            None => {
                // The nth nick gets the nth colour (the palette cycles).
                let n = self.next;
                self.next = self.next.wrapping_add(1);
                if self.seen.len() == REMEMBERED_NICKS {
                    // Forget the nick seen longest ago (never yours: index 0 stays).
                    if let Some(oldest) = (1..self.seen.len()).min_by_key(|&i| self.seen[i].2) {
                        self.seen.swap_remove(oldest);
                    }
                }
                self.seen.push((hash, n, self.clock));
                n
            }
        };
        paint(&format!("<{}>", safe(nick)), n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text without colour codes (the tests must not depend on the terminal).
    fn without_colour(shown: &str) -> String {
        let mut plain = String::new();
        let mut chars = shown.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                // Our own colour codes are `ESC [ digits ; ... m`.
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                plain.push(c);
            }
        }
        plain
    }

    #[test]
    fn shown_lines_keep_the_text_and_escape_control_bytes() {
        let mut colors = NickColors::default();
        let mut show = |line: &[u8]| without_colour(&show_line(line, &mut colors));
        assert_eq!(show(b"<alice> hi"), "<alice> hi");
        assert_eq!(show(b"[private] <bob> psst"), "[private] <bob> psst");
        assert_eq!(show(b"* \x1b[2J joined"), "* \\e[2J joined");
        assert_eq!(show(b"<eve> \x1b]0;pwned\x07"), "<eve> \\e]0;pwned\\x07");
        // The peer's bytes themselves never carry an ESC through.
        assert!(!show_line(b"<e\x1bve> \x1b[31mred", &mut colors).contains("\x1b[31mred"));
    }

    /// The colour number `nick` has now, if the table remembers it.
    fn colour_of(colors: &NickColors, nick: &[u8]) -> Option<usize> {
        let mut hasher = DefaultHasher::new();
        nick.hash(&mut hasher);
        let hash = hasher.finish();
        colors
            .seen
            .iter()
            .find(|(h, _, _)| *h == hash)
            .map(|(_, n, _)| *n)
    }

    #[test]
    fn each_nick_keeps_its_colour() {
        let mut colors = NickColors::default();
        colors.paint(b"alice");
        colors.paint(b"bob");
        colors.paint(b"alice");
        assert_eq!(colour_of(&colors, b"alice"), Some(0));
        assert_eq!(colour_of(&colors, b"bob"), Some(1));
    }

    #[test]
    fn a_hundred_thousand_renames_leave_the_colour_table_as_small_as_ever() {
        let mut colors = NickColors::default();
        colors.paint(b"me");
        colors.paint(b"friend");
        for i in 0..100_000u32 {
            // A renaming loop: every line a new nick, as long as nicks may be.
            colors.paint(format!("renamer{i:09}").as_bytes());
            if i % 10 == 0 {
                colors.paint(b"friend"); // a member who keeps talking
            }
            assert!(colors.seen.len() <= REMEMBERED_NICKS);
        }
        // Yours keeps the first colour; someone who talks keeps theirs.
        assert_eq!(colour_of(&colors, b"me"), Some(0));
        assert_eq!(colour_of(&colors, b"friend"), Some(1));
    }
}
