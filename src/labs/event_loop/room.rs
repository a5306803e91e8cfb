//! What a client's line does in the room: its nickname first, then chat and
//! commands, as in lab 6 (the rules are the shared `chat_protocol`). Nothing here
//! waits: sending is `Server::send` / `broadcast`, which queue and write what the
//! kernel takes at once (server.rs). Joins and plain leaves are announced one by one
//! while the room is quiet; in a burst (more than `NEWS_BURST` in `NEWS_EVERY`), or
//! in a room of more than `QUIET_ROOM`, they are gathered into one line per
//! `NEWS_EVERY`, `* 37 joined (9,999 online)`. So 10,000 joins are not 10,000 lines
//! to each of 10,000 members (50 million lines) but one line a second.

use std::collections::HashSet;
use std::time::Instant;

use mio::Token;

use super::server::{Flow, Gone, Server, NEWS_EVERY};
use crate::chat_protocol::{
    check_text, news, parse_command, some_names, thousands, validate_nick, Command, Framed,
    MAX_LINE, NAMES_SHOWN,
};
use crate::term::{safe_str, say};

/// News lines that go out at once in each `NEWS_EVERY`; more wait and are gathered.
/// So a quiet room hears of every join as it happens, as in lab 6.
const NEWS_BURST: u32 = 3;
/// Up to this many members a room counts as quiet (news at once, `NEWS_BURST`).
const QUIET_ROOM: usize = 100;

/// Who joined or left since the last news line.
#[derive(Default)]
pub(super) struct News {
    pub(super) joined: Vec<(Token, String)>,
    pub(super) left: Vec<String>,
    /// When the current window of `NEWS_EVERY` began, and how many news lines
    /// went out in it.
    window: Option<Instant>,
    sent: u32,
}

impl News {
    /// When the pending news may go out, if there is any: now while the window has
    /// room, else when the next window begins.
    pub(super) fn due(&self, online: usize) -> Option<Instant> {
        if self.joined.is_empty() && self.left.is_empty() {
            return None;
        }
        // In a big room one news line is thousands of writes: one per window.
        let burst = if online <= QUIET_ROOM { NEWS_BURST } else { 1 };
        match self.window {
            Some(start) if self.sent >= burst => Some(start + NEWS_EVERY),
            _ => Some(Instant::now()),
        }
    }

    /// One news line goes out now.
    fn count_one(&mut self) {
        let now = Instant::now();
        match self.window {
            Some(start) if now < start + NEWS_EVERY => self.sent += 1,
            _ => {
                self.window = Some(now);
                self.sent = 1;
            }
        }
    }
}

impl Server {
    /// Sends the news now if the last news is old enough (a quiet room hears of each
    /// join at once); otherwise the loop's clock sends it when it is due.
    pub(super) fn news_maybe_now(&mut self) {
        if self
            .news
            .due(self.nicks.len())
            .is_some_and(|due| due <= Instant::now())
        {
            self.flush_news();
        }
    }

    /// `* bob joined (2 online)`, or `* 37 joined (9,999 online)`; the same for leaves.
    /// Newcomers are not told of their own join: their welcome says it.
    pub(super) fn flush_news(&mut self) {
        if self.news.due(self.nicks.len()).is_none() {
            return;
        }
        self.news.count_one();
        let online = self.nicks.len();
        let joined = std::mem::take(&mut self.news.joined);
        if !joined.is_empty() {
            let names: Vec<&str> = joined.iter().map(|(_, n)| n.as_str()).collect();
            let line = news(&names, "joined", online);
            let newcomers: HashSet<Token> = joined.iter().map(|(t, _)| *t).collect();
            self.fan_out(&line, |token| newcomers.contains(&token));
        }
        let left = std::mem::take(&mut self.news.left);
        if !left.is_empty() {
            let names: Vec<&str> = left.iter().map(String::as_str).collect();
            self.fan_out(&news(&names, "left", online), |_| false);
        }
    }

    /// `alice, bob and 9,998 more`, sorted without regard to case.
    fn member_names(&self) -> String {
        let nicks = self
            .nicks
            .values()
            .filter_map(|token| self.clients.get(token)?.nick.as_deref());
        some_names(nicks, self.nicks.len(), NAMES_SHOWN)
    }

    /// One line from a client: a nickname while it has none, then chat and commands.
    pub(super) fn on_line(&mut self, token: Token, framed: Framed) -> Flow {
        let bytes = match framed {
            Framed::Line(bytes) => bytes,
            Framed::TooLong => {
                self.send(
                    token,
                    &format!("! that line was longer than {MAX_LINE} bytes; it was dropped"),
                );
                return Flow::Continue(());
            }
        };
        let Ok(text) = String::from_utf8(bytes) else {
            self.send(
                token,
                "! that line was not UTF-8 text (this room speaks UTF-8; a GBK terminal? see \
                 lab 2); it was dropped",
            );
            return Flow::Continue(());
        };
        let Some(client) = self.clients.get(&token) else {
            return Flow::Break(());
        };
        match client.nick.clone() {
            None => self.choose_nick(token, text.trim()),
            Some(nick) => self.act(token, &nick, parse_command(&text)),
        }
    }

    /// The first lines: the client's nickname.
    fn choose_nick(&mut self, token: Token, wanted: &str) -> Flow {
        if wanted.eq_ignore_ascii_case("/quit") {
            self.send(token, "* bye");
            self.doomed.push((token, Gone::Quit));
            return Flow::Break(());
        }
        if wanted.is_empty() {
            return Flow::Continue(());
        }
        if let Err(why) = validate_nick(wanted) {
            let text = if wanted.starts_with('/') {
                "first choose a nickname (or /quit)".to_string()
            } else {
                why
            };
            self.send(token, &format!("! {text}. Choose a nickname:"));
            return Flow::Continue(());
        }
        let key = wanted.to_lowercase();
        if self.nicks.contains_key(&key) {
            self.send(
                token,
                &format!("! nickname \"{wanted}\" is taken. Choose another:"),
            );
            return Flow::Continue(());
        }
        let Some(client) = self.clients.get_mut(&token) else {
            return Flow::Break(());
        };
        client.nick = Some(wanted.to_string());
        let peer = client.peer;
        self.nicks.insert(key, token);
        let online = thousands(self.nicks.len());
        say!("[join] {wanted} {peer} ({online} online)");
        let here = self.member_names();
        self.send(
            token,
            &format!("* welcome, {wanted}! Online ({online}): {here}. /help lists the commands"),
        );
        self.news.joined.push((token, wanted.to_string()));
        self.news_maybe_now();
        Flow::Continue(())
    }

    /// A line from a client who has joined.
    fn act(&mut self, token: Token, nick: &str, command: Command) -> Flow {
        match command {
            Command::Nothing => {}
            Command::Say(text) => match check_text(text) {
                Err(why) => self.send(token, &format!("! {why}; the line was dropped")),
                Ok(text) => {
                    // The stamp: the server, not the client, writes who is speaking.
                    let line = format!("<{nick}> {text}");
                    let reached = self.broadcast(&line, Some(token));
                    if self.out.trace {
                        say!("  #{} {nick}: said a line, queued for {reached}", token.0);
                    }
                    if !self.quiet {
                        say!("{}", safe_str(&line));
                    }
                }
            },
            Command::Msg { to, text } => match check_text(text) {
                Err(why) => self.send(token, &format!("! {why}; the line was dropped")),
                Ok(text) => {
                    let target = self.nicks.get(&to.to_lowercase()).copied();
                    let Some(target) = target else {
                        let line = format!("! nobody called \"{to}\" is here; /list shows who is");
                        self.send(token, &line);
                        return Flow::Continue(());
                    };
                    let to = self.clients[&target].nick.clone().unwrap_or_default();
                    self.send(target, &format!("[private] <{nick}> {text}"));
                    self.send(token, &format!("[private to {to}] {text}"));
                    // The administrator sees that it happened, not what was said.
                    say!("[private] {nick} -> {to} ({} bytes)", text.len());
                }
            },
            Command::List => {
                let line = format!(
                    "* online ({}): {}",
                    thousands(self.nicks.len()),
                    self.member_names()
                );
                self.send(token, &line);
            }
            Command::Nick(new) => self.change_nick(token, nick, new),
            Command::Help => self.send(token, CLIENT_HELP),
            Command::Quit => {
                self.send(token, &format!("* bye, {nick}"));
                self.doomed.push((token, Gone::Quit));
                return Flow::Break(());
            }
            Command::Usage(usage) => self.send(token, &format!("! usage: {usage}")),
            Command::Unknown(word) => self.send(
                token,
                &format!(
                    "! unknown command {word}; /help lists the commands (start a line with // \
                     to say something that begins with /)"
                ),
            ),
        }
        Flow::Continue(())
    }

    fn change_nick(&mut self, token: Token, old: &str, new: &str) {
        if let Err(why) = validate_nick(new) {
            self.send(token, &format!("! {why}; you are still {old}"));
            return;
        }
        let key = new.to_lowercase();
        // Taken by someone else? (alice may become Alice: that is still her.)
        if self.nicks.get(&key).is_some_and(|&other| other != token) {
            self.send(
                token,
                &format!("! nickname \"{new}\" is taken; you are still {old}"),
            );
            return;
        }
        let Some(client) = self.clients.get_mut(&token) else {
            return;
        };
        client.nick = Some(new.to_string());
        self.nicks.remove(&old.to_lowercase());
        self.nicks.insert(key, token);
        say!("[nick] {old} is now {new}");
        self.send(token, &format!("* you are now {new}"));
        self.broadcast(&format!("* {old} is now known as {new}"), Some(token));
    }
}

const CLIENT_HELP: &str = "* commands:
*   text             say text to everyone
*   /msg NICK text   say text to NICK only
*   /list            who is here
*   /nick NEWNAME    change your nickname
*   /help            this list
*   /quit            leave
*   //text           say a line that starts with /";

#[cfg(test)]
mod tests {
    use super::*;

    fn pending() -> News {
        News {
            left: vec!["bob".to_string()],
            ..News::default()
        }
    }

    #[test]
    fn without_news_nothing_is_due() {
        assert_eq!(News::default().due(2), None);
    }

    #[test]
    fn a_quiet_room_hears_the_first_news_at_once_then_waits_for_the_next_window() {
        let mut news = pending();
        assert!(news.due(2).is_some_and(|due| due <= Instant::now()));
        let window = Instant::now();
        for _ in 0..NEWS_BURST {
            news.count_one();
        }
        // The burst is used up: the next line waits for the next window.
        assert!(news
            .due(2)
            .is_some_and(|due| due >= window + NEWS_EVERY / 2));
    }

    #[test]
    fn a_big_room_hears_one_news_line_per_window() {
        let mut news = pending();
        news.count_one();
        assert!(news
            .due(QUIET_ROOM + 1)
            .is_some_and(|due| due > Instant::now()));
        // The same news in a small room would still go out at once.
        assert!(news
            .due(QUIET_ROOM)
            .is_some_and(|due| due <= Instant::now()));
    }
}
