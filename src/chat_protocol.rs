//! The chat room's protocol, as pure functions: no socket in sight. Labs 6, 9 and 10
//! serve the same room, and labs never import each other, so it lives here in the
//! shared floor. Nicknames (`validate_nick`), chat text (`check_text`), the commands a
//! client or the administrator types (`parse_command`, `parse_admin`), and the line
//! framer that cuts a TCP byte stream into lines (`LineFramer`). Read this file first:
//! lab 6's server (server.rs, console.rs) and client (client.rs) are built on it. Its
//! unit tests are at the bottom.

use std::borrow::Cow;

/// The longest line a client may send, in bytes (without its `\n`).
pub const MAX_LINE: usize = 4096;
/// The longest nickname, in characters.
pub const MAX_NICK: usize = 16;

/// Checks a nickname: 1-16 visible characters, no spaces, no control or invisible
/// characters, no `<` or `>` (they frame the nick in `<alice> hi`), not starting with
/// `/` (that is a command). Uniqueness is the room's business, not this function's.
pub fn validate_nick(nick: &str) -> Result<(), String> {
    let count = nick.chars().count();
    if count == 0 {
        return Err("a nickname needs at least one character".to_string());
    }
    if count > MAX_NICK {
        return Err(format!(
            "a nickname has at most {MAX_NICK} characters (that one has {count})"
        ));
    }
    if nick.chars().any(char::is_whitespace) {
        return Err("a nickname cannot contain spaces".to_string());
    }
    if nick.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err("a nickname cannot contain control or invisible characters".to_string());
    }
    if nick.contains(['<', '>']) {
        return Err(
            "a nickname cannot contain < or > (they frame nicks in chat lines)".to_string(),
        );
    }
    if nick.starts_with('/') {
        return Err("a nickname cannot start with / (that starts a command)".to_string());
    }
    if ["server", "admin"].contains(&nick.to_lowercase().as_str()) {
        return Err(format!("\"{nick}\" is reserved"));
    }
    Ok(())
}

/// Characters that print as nothing, or reorder what follows them: with them, `bob`
/// and `b\u{200b}ob` would look the same.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Chat text as the room will pass it on: a tab becomes a space; control characters
/// (escape sequences, a bell, a carriage return) and direction overrides are refused,
/// because `nc` users would get them raw on their terminals.
pub fn check_text(text: &str) -> Result<Cow<'_, str>, &'static str> {
    if text.chars().any(|c| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }) {
        return Err("control characters (such as ESC, a bell or a carriage return) are not allowed in messages");
    }
    if text.contains('\t') {
        return Ok(Cow::Owned(text.replace('\t', " ")));
    }
    Ok(Cow::Borrowed(text))
}

/// What a client's line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// An empty line: nothing to do.
    Nothing,
    /// Plain text for everyone else.
    Say(&'a str),
    /// `/msg NICK text`
    Msg { to: &'a str, text: &'a str },
    /// `/list`
    List,
    /// `/nick NEW`
    Nick(&'a str),
    /// `/help`
    Help,
    /// `/quit`
    Quit,
    /// A known command used the wrong way; holds the right way.
    Usage(&'static str),
    /// `/something` we do not know.
    Unknown(&'a str),
}

/// Reads one line from a client. Commands start with `/` (in any case: `/MSG`);
/// `//text` says `/text` to everyone.
pub fn parse_command(line: &str) -> Command<'_> {
    if line.trim().is_empty() {
        return Command::Nothing;
    }
    if line.starts_with("//") {
        return Command::Say(&line[1..]);
    }
    let Some(command) = line.strip_prefix('/') else {
        return Command::Say(line);
    };
    let (word, rest) = split_word(command);
    match word.to_lowercase().as_str() {
        "msg" => match split_word(rest) {
            (to, text) if !to.is_empty() && !text.trim().is_empty() => Command::Msg { to, text },
            _ => Command::Usage("/msg NICK text"),
        },
        "list" => Command::List,
        "nick" => match rest.trim() {
            "" => Command::Usage("/nick NEWNAME"),
            new => Command::Nick(new),
        },
        "help" => Command::Help,
        "quit" => Command::Quit,
        _ => Command::Unknown(line.split_whitespace().next().unwrap_or(line)),
    }
}

/// What the administrator typed on the server's console.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminCommand<'a> {
    Nothing,
    /// A plain line: an announcement to everyone.
    Announce(&'a str),
    /// `/kick NICK [reason]`
    Kick {
        nick: &'a str,
        reason: Option<&'a str>,
    },
    /// `/max N`, or `/max off` (`Max(None)`): the cap for newcomers.
    Max(Option<usize>),
    /// `/max` alone: show the cap.
    ShowMax,
    /// `/list`
    List,
    /// `/shutdown`
    Shutdown,
    /// `/help`
    Help,
    Usage(&'static str),
    Unknown(&'a str),
}

/// Reads one line from the administrator's console.
pub fn parse_admin(line: &str) -> AdminCommand<'_> {
    let line = line.trim();
    if line.is_empty() {
        return AdminCommand::Nothing;
    }
    if line.starts_with("//") {
        return AdminCommand::Announce(&line[1..]);
    }
    let Some(command) = line.strip_prefix('/') else {
        return AdminCommand::Announce(line);
    };
    let (word, rest) = split_word(command);
    let rest = rest.trim();
    match word.to_lowercase().as_str() {
        "kick" => match split_word(rest) {
            ("", _) => AdminCommand::Usage("/kick NICK [reason]"),
            (nick, reason) => AdminCommand::Kick {
                nick,
                reason: Some(reason.trim()).filter(|r| !r.is_empty()),
            },
        },
        "max" => match rest {
            "" => AdminCommand::ShowMax,
            "off" | "0" => AdminCommand::Max(None),
            n => match n.parse::<usize>() {
                Ok(n) => AdminCommand::Max(Some(n)),
                Err(_) => AdminCommand::Usage("/max N (a number of clients), or /max off"),
            },
        },
        "list" => AdminCommand::List,
        "shutdown" => AdminCommand::Shutdown,
        "help" => AdminCommand::Help,
        _ => AdminCommand::Unknown(line.split_whitespace().next().unwrap_or(line)),
    }
}

/// `"msg bob hi there"` → `("msg", "bob hi there")`: the first word and the rest.
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

/// What the framer found in the bytes so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Framed {
    /// One line, without its `\n` or `\r\n`.
    Line(Vec<u8>),
    /// A line went over the limit. Its bytes were thrown away, up to and including
    /// its `\n`; reported once, as soon as the limit is passed.
    TooLong,
}

/// Cuts a TCP byte stream into lines, keeping at most `limit` bytes of an unfinished
/// line. recv() returns whatever has arrived: half a line, or three lines and a bit
/// (lab 7 shows it), so a partial line waits here for the rest. It never holds more
/// than `limit + 1` bytes, however long a line a client sends.
pub struct LineFramer {
    partial: Vec<u8>,
    limit: usize,
    /// Inside an over-long line: throw bytes away until its `\n`.
    skipping: bool,
}

impl LineFramer {
    pub fn new(limit: usize) -> LineFramer {
        LineFramer {
            partial: Vec::new(),
            limit,
            skipping: false,
        }
    }

    /// Takes the bytes of one recv() and appends the lines they complete to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<Framed>) {
        // One more byte than the limit may wait: it could be the `\r` of `\r\n`.
        let room = self.limit + 1;
        loop {
            let Some(end) = bytes.iter().position(|&b| b == b'\n') else {
                // No newline yet: keep the piece, unless the line is already too long.
                if !self.skipping {
                    if self.partial.len() + bytes.len() > room {
                        self.partial.clear();
                        self.skipping = true;
                        out.push(Framed::TooLong);
                    } else {
                        self.partial.extend_from_slice(bytes);
                    }
                }
                return;
            };
            let piece = &bytes[..end];
            bytes = &bytes[end + 1..];
            if self.skipping {
                // The `\n` that ends the over-long line: back to normal.
                self.skipping = false;
                continue;
            }
            if self.partial.len() + piece.len() > room {
                self.partial.clear();
                out.push(Framed::TooLong);
                continue;
            }
            let mut line = std::mem::take(&mut self.partial);
            line.extend_from_slice(piece);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.len() > self.limit {
                out.push(Framed::TooLong);
            } else {
                out.push(Framed::Line(line));
            }
        }
    }
}

/// `<alice> hi` → `("alice", "hi")`: the nick the server stamped on a chat line.
/// `None` for the server's own lines (`* ...`, `[admin] ...`).
pub fn split_stamp(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = line.strip_prefix(b"<")?;
    let end = rest.windows(2).position(|pair| pair == b"> ")?;
    if end == 0 {
        return None;
    }
    Some((&rest[..end], &rest[end + 2..]))
}

// ---------------------------------------------------------------------------------
// Big rooms (labs 9 and 10 hold 10,000 clients): no line may name every member, and
// a burst of joins is announced in batches. Pure helpers, tested below.
// ---------------------------------------------------------------------------------

/// How many nicknames a welcome line or `/list` names at most (then "and N more").
pub const NAMES_SHOWN: usize = 20;

/// `9999` → `9,999`: counts are easier to read with a separator.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `alice, bob and 9,998 more`: at most `shown` of `nicks` (given in the order to
/// show), then how many of `total` were left out. A welcome line in a room of 10,000
/// stays a line, not 170 KB.
pub fn some_names<'a>(nicks: impl Iterator<Item = &'a str>, total: usize, shown: usize) -> String {
    let named: Vec<&str> = nicks.take(shown).collect();
    let more = total.saturating_sub(named.len());
    match (named.is_empty(), more) {
        (true, _) => "nobody".to_string(),
        (false, 0) => named.join(", "),
        (false, more) => format!("{} and {} more", named.join(", "), thousands(more)),
    }
}

/// The news line for members who arrived (or left) since the last news: one is named,
/// more are counted. `news(&["bob"], "joined", 2)` → `* bob joined (2 online)`;
/// `news(&[..37 nicks..], "joined", 9999)` → `* 37 joined (9,999 online)`.
pub fn news(nicks: &[&str], what: &str, online: usize) -> String {
    let online = thousands(online);
    match nicks {
        [one] => format!("* {one} {what} ({online} online)"),
        many => format!("* {} {what} ({online} online)", thousands(many.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_nicks_are_accepted_including_chinese_ones() {
        for nick in ["alice", "Bob_2", "尹哲", "a", "sixteen_chars_ok"] {
            assert_eq!(validate_nick(nick), Ok(()), "{nick}");
        }
    }

    #[test]
    fn nicks_are_refused_with_a_reason() {
        let refused = |nick: &str| validate_nick(nick).expect_err(nick);
        assert!(refused("").contains("at least one"));
        assert!(refused("seventeen_chars_x").contains("at most 16"));
        assert!(refused("a b").contains("spaces"));
        assert!(refused("a\tb").contains("spaces"));
        assert!(refused("bad\x1b[31m").contains("control"));
        assert!(refused("b\u{200b}ob").contains("invisible"));
        assert!(refused("<bob>").contains("< or >"));
        assert!(refused("/quit").contains("start with /"));
        assert!(refused("Server").contains("reserved"));
    }

    #[test]
    fn a_nick_is_counted_in_characters_not_bytes() {
        // 16 Chinese characters are 48 bytes in UTF-8, and still a fine nickname.
        assert_eq!(validate_nick(&"尹".repeat(16)), Ok(()));
        assert!(validate_nick(&"尹".repeat(17)).is_err());
    }

    #[test]
    fn plain_text_is_said_and_slash_lines_are_commands() {
        assert_eq!(parse_command("hello all"), Command::Say("hello all"));
        assert_eq!(parse_command("<bob> hi"), Command::Say("<bob> hi"));
        assert_eq!(parse_command("   "), Command::Nothing);
        assert_eq!(parse_command("//slash"), Command::Say("/slash"));
        assert_eq!(parse_command("/list"), Command::List);
        assert_eq!(parse_command("/LIST"), Command::List);
        assert_eq!(parse_command("/help"), Command::Help);
        assert_eq!(parse_command("/quit"), Command::Quit);
        assert_eq!(parse_command("/nick  al "), Command::Nick("al"));
        assert_eq!(parse_command("/nick"), Command::Usage("/nick NEWNAME"));
        assert_eq!(parse_command("/dance now"), Command::Unknown("/dance"));
    }

    #[test]
    fn msg_takes_a_nick_and_the_rest_of_the_line() {
        assert_eq!(
            parse_command("/msg bob  see you at 5 "),
            Command::Msg {
                to: "bob",
                text: "see you at 5 "
            }
        );
        assert_eq!(parse_command("/msg bob"), Command::Usage("/msg NICK text"));
        assert_eq!(parse_command("/msg"), Command::Usage("/msg NICK text"));
        assert_eq!(
            parse_command("/msg bob   "),
            Command::Usage("/msg NICK text")
        );
    }

    #[test]
    fn admin_lines_are_announcements_or_commands() {
        assert_eq!(
            parse_admin("class ends at 5"),
            AdminCommand::Announce("class ends at 5")
        );
        assert_eq!(parse_admin(""), AdminCommand::Nothing);
        assert_eq!(
            parse_admin("/kick bob spamming the room"),
            AdminCommand::Kick {
                nick: "bob",
                reason: Some("spamming the room")
            }
        );
        assert_eq!(
            parse_admin("/kick bob"),
            AdminCommand::Kick {
                nick: "bob",
                reason: None
            }
        );
        assert_eq!(
            parse_admin("/kick"),
            AdminCommand::Usage("/kick NICK [reason]")
        );
        assert_eq!(parse_admin("/max 3"), AdminCommand::Max(Some(3)));
        assert_eq!(parse_admin("/max off"), AdminCommand::Max(None));
        assert_eq!(parse_admin("/max"), AdminCommand::ShowMax);
        assert!(matches!(parse_admin("/max lots"), AdminCommand::Usage(_)));
        assert_eq!(parse_admin("/list"), AdminCommand::List);
        assert_eq!(parse_admin("/shutdown"), AdminCommand::Shutdown);
        assert_eq!(parse_admin("/help"), AdminCommand::Help);
        assert_eq!(parse_admin("/ban bob"), AdminCommand::Unknown("/ban"));
        assert_eq!(
            parse_admin("//kick is a command"),
            AdminCommand::Announce("/kick is a command")
        );
    }

    #[test]
    fn chat_text_with_control_characters_is_refused_and_tabs_become_spaces() {
        assert_eq!(check_text("你好 hi").as_deref(), Ok("你好 hi"));
        assert_eq!(check_text("a\tb").as_deref(), Ok("a b"));
        assert!(check_text("\x1b[2Jgotcha").is_err());
        assert!(check_text("ding\x07").is_err());
        assert!(check_text("over\rwrite").is_err());
        assert!(check_text("abc\u{202e}def").is_err());
    }

    fn frame_all(chunks: &[&[u8]], limit: usize) -> Vec<Framed> {
        let mut framer = LineFramer::new(limit);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk, &mut out);
        }
        out
    }

    fn line(text: &str) -> Framed {
        Framed::Line(text.as_bytes().to_vec())
    }

    #[test]
    fn lines_end_at_newlines_with_or_without_carriage_returns() {
        assert_eq!(
            frame_all(&[b"hi\nthere\r\n\nhalf"], 16),
            vec![line("hi"), line("there"), line("")]
        );
    }

    #[test]
    fn a_line_longer_than_the_limit_is_reported_once_and_the_next_line_is_kept() {
        assert_eq!(
            frame_all(&[b"12345678\n1234567890123\nok\n"], 8),
            vec![line("12345678"), Framed::TooLong, line("ok")]
        );
        // Reported as soon as the limit is passed, before the newline arrives.
        assert_eq!(frame_all(&[b"1234567890123"], 8), vec![Framed::TooLong]);
        // A `\r\n` line of exactly the limit is fine.
        assert_eq!(frame_all(&[b"12345678\r\n"], 8), vec![line("12345678")]);
    }

    #[test]
    fn framing_is_the_same_wherever_the_bytes_are_split() {
        // Chinese text (split inside a character too), CRLF, an over-long line.
        let input = "尹哲 hi\r\nabcdefghijklmnop\nok\n\nend\r\n".as_bytes();
        let whole = frame_all(&[input], 10);
        assert_eq!(
            whole,
            vec![
                line("尹哲 hi"),
                Framed::TooLong,
                line("ok"),
                line(""),
                line("end")
            ]
        );
        for i in 0..=input.len() {
            assert_eq!(
                frame_all(&[&input[..i], &input[i..]], 10),
                whole,
                "split at {i}"
            );
            for j in i..=input.len() {
                let parts = [&input[..i], &input[i..j], &input[j..]];
                assert_eq!(frame_all(&parts, 10), whole, "split at {i} and {j}");
            }
        }
    }

    #[test]
    fn a_huge_line_without_newline_never_grows_the_buffer_past_the_limit() {
        let mut framer = LineFramer::new(MAX_LINE);
        let mut out = Vec::new();
        for _ in 0..1000 {
            framer.push(&[b'x'; 1024], &mut out);
            assert!(framer.partial.len() <= MAX_LINE + 1);
        }
        assert_eq!(out, vec![Framed::TooLong]);
    }

    #[test]
    fn the_stamp_is_split_from_chat_lines_only() {
        assert_eq!(
            split_stamp(b"<alice> <bob> hi"),
            Some((&b"alice"[..], &b"<bob> hi"[..]))
        );
        assert_eq!(split_stamp(b"* alice joined"), None);
        assert_eq!(split_stamp(b"[admin] hi"), None);
        assert_eq!(split_stamp(b"<> x"), None);
        assert_eq!(split_stamp(b"<alice>"), None);
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(9999), "9,999");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn a_long_member_list_names_a_few_and_counts_the_rest() {
        let nicks = ["alice", "bob", "carol"];
        assert_eq!(some_names(nicks.into_iter(), 3, 20), "alice, bob, carol");
        assert_eq!(
            some_names(nicks.into_iter(), 10_000, 2),
            "alice, bob and 9,998 more"
        );
        assert_eq!(some_names(std::iter::empty(), 0, 20), "nobody");
    }

    #[test]
    fn one_arrival_is_named_and_a_batch_is_counted() {
        assert_eq!(news(&["bob"], "joined", 2), "* bob joined (2 online)");
        assert_eq!(news(&["a", "b"], "left", 9999), "* 2 left (9,999 online)");
    }
}
