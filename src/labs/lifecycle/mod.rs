//! Lab 8 — lifecycle. A connection's life as the operating system holds it: the
//! handshake and the backlog, half-close, CLOSE_WAIT, TIME_WAIT and SO_REUSEADDR, a
//! reset, and closing the listening socket.
//!
//! Labs 1 to 7 call close() and move on. But close() does not make a connection
//! vanish: the OS keeps a record of it, with a *state*, for a while after, sometimes
//! for ever. That record is why a restarted server says "Address already in use", why
//! a server that forgets close() slowly runs out of sockets, and why the first send()
//! to a peer that has gone away still succeeds. This lab reads the OS's own table of
//! TCP sockets (`src/tcp_table.rs`: /proc/net/tcp on Linux, netstat elsewhere) and
//! shows it next to every step.
//!
//! Run `lab 8 server` in one terminal, `lab 8 client` in another, and `lab 8 states`
//! in a third. Type lines in the client: the server answers each one, as in lab 1.
//! Then type a command on either side and watch both sides' states change:
//!
//! | command     | here                                  | Python                       |
//! |-------------|---------------------------------------|------------------------------|
//! | `/shutdown` | `socket.shutdown(Shutdown::Write)`    | `s.shutdown(socket.SHUT_WR)` |
//! | `/close`    | `drop(socket)`, which calls close()   | `s.close()`                  |
//! | `/reset`    | `socket.set_linger(Some(ZERO))`,      | `s.setsockopt(SOL_SOCKET,`   |
//! |             | then `drop(socket)`                   | `SO_LINGER, pack("ii", 1,`   |
//! |             |                                       | `0)); s.close()`             |
//! | `/stop`     | no recv() calls until `/read`         | (not calling `s.recv()`)     |
//! | `/states`   | read the OS's table again             | `ss -tan`, `netstat -an`     |
//!
//! `lab 8 experiments` runs each lesson on its own, on loopback, and checks that the
//! OS did what the lesson says: the backlog (listen(1) and nobody calls accept()),
//! half-close, CLOSE_WAIT, TIME_WAIT and SO_REUSEADDR, a reset, closing the listener,
//! sending to a peer that has gone, and a peer that stops reading.
//!
//! Where to read what, in this order:
//! - `mod.rs` (this file): the lesson, the roles and their options.
//! - `conversation.rs`: one connection, driven by what you type and what arrives; the
//!   commands above, each one socket call; and the OS's view of our sockets after each.
//! - `server.rs`: socket, SO_REUSEADDR, bind, listen, accept: one client at a time.
//! - `client.rs`: connect, then the same conversation.
//! - `states.rs`: the live table of every socket on the port.
//! - `experiments.rs`: the eight lessons, each run and measured.

mod client;
mod conversation;
mod experiments;
mod server;
mod states;

use clap::{Args, Subcommand};

use crate::labs::Lab;
use crate::net::Endpoint;

#[derive(Subcommand, Debug)]
pub enum Role {
    /// The server: answers each line, and shows its sockets' states after each step
    Server(ServerArgs),
    /// The client: sends each line you type; /shutdown, /close, /reset, /stop, /read
    Client(ClientArgs),
    /// A live table of this machine's TCP sockets on the port (local, remote, state,
    /// queues)
    States(states::StatesArgs),
    /// Runs the eight lessons live on loopback and checks what the OS did
    Experiments(experiments::ExperimentsArgs),
}

#[derive(Args, Debug)]
pub struct ServerArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// listen() backlog: how many connected clients the kernel queues while the server
    /// is busy with another one
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i32).range(0..=4096))]
    backlog: i32,

    /// Do not set SO_REUSEADDR before bind(), as the classic Python server does not:
    /// right after a server that closed first is restarted, bind() then fails with
    /// "Address already in use" while the old connection is in TIME-WAIT
    #[arg(long)]
    no_reuseaddr: bool,
}

#[derive(Args, Debug)]
pub struct ClientArgs {
    #[command(flatten)]
    endpoint: Endpoint,
}

pub fn run(role: Role, lab: &Lab) -> anyhow::Result<()> {
    match role {
        Role::Server(args) => server::run(args, lab),
        Role::Client(args) => client::run(args, lab),
        Role::States(args) => states::run(args, lab),
        Role::Experiments(args) => experiments::run(args, lab),
    }
}

/// Splits `text` into lines of at most `width` display columns (a Chinese character
/// takes two), so the lab's explanations fit an 80-column terminal: at spaces, as
/// before, and between two Chinese characters, but never before a closing mark such as
/// `，` or `）` nor after an opening one such as `（`. A longer word gets a line of its
/// own. Explicit newlines are kept.
fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            for (i, piece) in pieces(word).into_iter().enumerate() {
                // A space only before a word's first piece; Chinese pieces join directly.
                let space = i == 0 && !line.is_empty();
                if !line.is_empty() && line.width() + usize::from(space) + piece.width() > width {
                    lines.push(std::mem::take(&mut line));
                } else if space {
                    line.push(' ');
                }
                line.push_str(piece);
            }
        }
        lines.push(line);
    }
    lines
}

/// `word` cut where a line may break inside it: between two characters when one of
/// them is wide (Chinese), unless that would start a line with a closing mark or end
/// one with an opening mark. An English word stays whole.
fn pieces(word: &str) -> Vec<&str> {
    use unicode_width::UnicodeWidthChar;
    let wide = |c: char| c.width() == Some(2);
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut chars = word.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        let Some(&(at, next)) = chars.peek() else {
            break;
        };
        let closing = "，。、；：！？）》」』】…".contains(next);
        let opening = "（《「『【“‘".contains(c);
        if (wide(c) || wide(next)) && !closing && !opening {
            pieces.push(&word[start..at]);
            start = at;
        }
    }
    pieces.push(&word[start..]);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    /// labs/08-lifecycle/answers.md has one `**Step N.**` paragraph per
    /// `*Question:*` paragraph of lab 8's EXERCISES section, in the same order.
    #[test]
    fn every_exercises_question_has_its_answer_in_order() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let exercises = std::fs::read_to_string(root.join("EXERCISES.md")).expect("EXERCISES.md");
        let section = exercises
            .split("\n## ")
            .find(|s| s.starts_with("Lab 8 — lifecycle"))
            .expect("a lab 8 section");
        let mut step = 0;
        let mut asked = Vec::new();
        for line in section.lines() {
            if let Some((number, _)) = line.split_once(". ") {
                if let Ok(n) = number.parse::<u32>() {
                    step = n;
                }
            }
            if line.trim_start().starts_with("*Question:*") {
                asked.push(step);
            }
        }
        let answers = std::fs::read_to_string(root.join("labs/08-lifecycle/answers.md"))
            .expect("labs/08-lifecycle/answers.md");
        let answered: Vec<u32> = answers
            .lines()
            .filter_map(|l| l.strip_prefix("**Step ")?.split_once(".**")?.0.parse().ok())
            .collect();
        assert!(!asked.is_empty());
        assert_eq!(asked, answered);
    }

    #[test]
    fn wrapping_keeps_every_word_in_order_within_the_width() {
        let text = "the server's socket goes to CLOSE-WAIT and stays there until close()";
        for width in 10..=80 {
            let lines = wrap(text, width);
            assert_eq!(lines.join(" "), text, "width {width}");
            assert!(lines
                .iter()
                .all(|l| l.chars().count() <= width || !l.contains(' ')));
        }
    }

    #[test]
    fn chinese_wraps_between_characters_within_the_display_width() {
        use unicode_width::UnicodeWidthStr;
        let text = "我们的 FIN 先发出，所以操作系统把这对地址保留 2 x MSL（Linux 上是 60 秒），\
                    让迟到的数据包消失。什么也不用做；这不是泄漏";
        for width in 20..=72 {
            let lines = wrap(text, width);
            assert!(lines.len() > 1 || text.width() <= width, "width {width}");
            assert!(
                lines.iter().all(|l| l.width() <= width),
                "width {width}: {lines:?}"
            );
            assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
            assert!(
                lines
                    .iter()
                    .all(|l| !l.starts_with(['，', '。', '；', '）'])),
                "width {width}: {lines:?}"
            );
        }
    }
}
