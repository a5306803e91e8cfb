//! The chat room's protocol, as pure functions: no socket in sight. Labs 6, 9 and 10
//! serve the same room, and labs never import each other, so it lives here in the
//! shared floor. Nicknames (`validate_nick`, and `NickKey`, which tells when two nicks
//! would be mistaken for each other), chat text (`check_text`), the commands a client
//! or the administrator types (`parse_command`, `parse_admin`), the list of members a
//! welcome or `/list` names (`name_members`, bounded), and the line framer that cuts a
//! TCP byte stream into lines (`LineFramer`). Read this file first:
//! lab 6's server (server.rs, console.rs) and client (client.rs) are built on it. Its
//! unit tests are at the bottom.

use std::borrow::Cow;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use unicode_security::mixed_script::AugmentedScriptSet;
use unicode_security::skeleton;

use crate::term::unsafe_to_print;

/// The longest line a client may send, in bytes (without its `\n`).
pub const MAX_LINE: usize = 4096;
/// The longest nickname, in characters.
pub const MAX_NICK: usize = 16;

/// Names a nickname may not look like: they would read like the server speaking.
const RESERVED: [&str; 5] = ["server", "admin", "administrator", "system", "console"];

/// Checks a nickname: 1-16 visible characters, and nothing that lets it pass for
/// someone else, or for the server. Refused, each with the reason in a sentence:
/// spaces, control characters and direction overrides (what the terminal floor
/// escapes: [`unsafe_to_print`]), invisible or blank characters anywhere, `<` or `>`
/// (they frame the nick in `<alice> hi`), a first character the server's own lines or
/// commands start with (`* ! [ /`), fullwidth and other compatibility forms (`ａ` for
/// `a`), letters of two alphabets mixed (Cyrillic `а` among Latin letters: Unicode
/// TR39's mixed-script rule; Chinese, Japanese or Korean with Latin letters and digits
/// is fine, as in `小郭吹雪1234QQ`), and names that look like `server` or `admin`.
/// Whether the nick looks like a member's who is here is the room's business: it
/// compares [`NickKey`]s.
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
    if nick.chars().any(unsafe_to_print) {
        return Err(
            "a nickname cannot contain control characters (such as ESC) or direction overrides"
                .to_string(),
        );
    }
    if let Some(c) = nick.chars().find(|&c| is_invisible(c)) {
        return Err(format!(
            "a nickname cannot contain invisible or blank characters (it has U+{:04X}): \
             nobody could tell it from the same name without them",
            c as u32
        ));
    }
    if nick.contains(['<', '>']) {
        return Err(
            "a nickname cannot contain < or > (they frame nicks in chat lines)".to_string(),
        );
    }
    if nick.starts_with('/') {
        return Err("a nickname cannot start with / (that starts a command)".to_string());
    }
    if let Some(first) = nick.chars().next().filter(|c| matches!(c, '*' | '!' | '[')) {
        return Err(format!(
            "a nickname cannot start with {first}: the server's own lines start with *, ! or ["
        ));
    }
    if nick.chars().next().is_some_and(is_combining_mark) {
        return Err("a nickname cannot start with an accent on its own".to_string());
    }
    let plain = |c: char| -> String { std::iter::once(c).nfkc().collect() };
    if let Some(c) = nick
        .chars()
        .find(|&c| plain(c) != std::iter::once(c).nfc().collect::<String>())
    {
        let plain = plain(c);
        return Err(format!(
            "a nickname cannot use fullwidth or other special forms of letters and digits \
             (\"{c}\" stands for \"{plain}\"): type them as plain characters"
        ));
    }
    if let Some(scripts) = mixed_scripts(nick) {
        return Err(format!(
            "a nickname cannot mix alphabets ({scripts}): mixed letters are how one name \
             imitates another. Chinese, Japanese or Korean with Latin letters and digits is fine"
        ));
    }
    let key = NickKey::of(nick);
    if RESERVED
        .iter()
        .any(|name| key.looks_like(&NickKey::of(name)))
    {
        return Err(format!(
            "\"{nick}\" is reserved: it would read like the server"
        ));
    }
    Ok(())
}

/// Characters that print as nothing, or as blank space, so that `bob` and `b\u{200b}ob`
/// would look the same: Unicode's default-ignorable code points (zero-width spaces
/// and joiners, direction marks, variation selectors, tags, the Hangul fillers, ...)
/// and the blank braille pattern. Spaces are refused on their own.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{115f}'..='\u{1160}' | '\u{17b4}'..='\u{17b5}'
        | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}' | '\u{2800}' | '\u{3164}' | '\u{fe00}'..='\u{fe0f}'
        | '\u{feff}' | '\u{ffa0}' | '\u{fff0}'..='\u{fff8}' | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}' | '\u{e0000}'..='\u{e0fff}')
}

/// `Some("Latin, Cyrillic")` when the nick mixes alphabets in a way TR39's "highly
/// restrictive" level refuses: its letters do not all belong to one script, and
/// without its Latin letters they are not all Chinese, Japanese or Korean. Digits and
/// punctuation (`_`, `1234`) belong to every script.
fn mixed_scripts(nick: &str) -> Option<String> {
    let mut all = AugmentedScriptSet::default();
    let mut without_latin = AugmentedScriptSet::default();
    for c in nick.chars() {
        let set = AugmentedScriptSet::for_char(c);
        all.intersect_with(set);
        if !set.base.iter().any(|script| script.full_name() == "Latin") {
            without_latin.intersect_with(set);
        }
    }
    if !all.is_empty() || without_latin.hanb || without_latin.jpan || without_latin.kore {
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    for c in nick.chars() {
        let set = AugmentedScriptSet::for_char(c);
        if set.is_all() {
            continue;
        }
        if let Some(script) = set.base.iter().next() {
            if !names.contains(&script.full_name()) {
                names.push(script.full_name());
            }
        }
    }
    Some(names.join(" and "))
}

/// What the room compares nicknames by. Two nicks are the *same name* when they are
/// equal whatever the case (`alice`, `Alice`): `/msg` and `/kick` find members so.
/// They *look alike* when they are the same name or have the same skeleton (Unicode
/// TR39): each character replaced by the one it is confusable with, so `aIice` (a
/// capital i), `a1ice` and `аlice` (a Cyrillic а) all come out as `alice`. The
/// skeleton is taken again after lowercasing, so that `AIice` looks like `alice` too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NickKey {
    folded: String,
    skeleton: String,
}

impl NickKey {
    pub fn of(nick: &str) -> NickKey {
        let first: String = skeleton(nick).collect();
        NickKey {
            folded: nick.to_lowercase(),
            skeleton: skeleton(&first.to_lowercase()).collect(),
        }
    }

    /// The same name, whatever the case.
    pub fn same_name(&self, other: &NickKey) -> bool {
        self.folded == other.folded
    }

    /// The same name, or one that would be mistaken for it on screen.
    pub fn looks_like(&self, other: &NickKey) -> bool {
        self.same_name(other) || self.skeleton == other.skeleton
    }
}

/// Chat text as the room will pass it on: a tab becomes a space; control characters
/// (escape sequences, a bell, a carriage return) and direction overrides are refused,
/// because `nc` users would get them raw on their terminals.
pub fn check_text(text: &str) -> Result<Cow<'_, str>, &'static str> {
    if text.chars().any(|c| c != '\t' && unsafe_to_print(c)) {
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

impl LineFramer {
    /// The bytes of an unfinished line (no `\n` yet), taken out of the framer. When
    /// the peer closes, this is its last line: a server that ends with
    /// `goodbye` and no newline still said goodbye. Empty if nothing is waiting.
    pub fn take_partial(&mut self) -> Vec<u8> {
        self.skipping = false;
        std::mem::take(&mut self.partial)
    }
}

/// How many members the welcome and `/list` name at most. In a room of 10,000 the
/// full list would be a line of 100 KB, sent to every newcomer.
pub const MAX_NAMED: usize = 50;

/// The members a welcome or `/list` names: `alice, bob, 尹哲`, in alphabetical order
/// whatever the case; past [`MAX_NAMED`], the first ones and how many more:
/// `a1, a2, ..., a50 and 9950 more`. So the line stays under 1 KB however full the room.
pub fn name_members<'a>(nicks: impl IntoIterator<Item = &'a str>) -> String {
    let mut nicks: Vec<&str> = nicks.into_iter().collect();
    let total = nicks.len();
    fn by_name(a: &&str, b: &&str) -> std::cmp::Ordering {
        let (lower_a, lower_b) = (
            a.chars().flat_map(char::to_lowercase),
            b.chars().flat_map(char::to_lowercase),
        );
        lower_a.cmp(lower_b).then(a.cmp(b))
    }
    if total > MAX_NAMED {
        // Only the first MAX_NAMED need sorting: select them, then sort those.
        nicks.select_nth_unstable_by(MAX_NAMED - 1, by_name);
        nicks.truncate(MAX_NAMED);
    }
    nicks.sort_by(by_name);
    let named = nicks.join(", ");
    match total - nicks.len() {
        0 => named,
        more => format!("{named} and {more} more"),
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
        for nick in [
            "alice",
            "Bob_2",
            "尹哲",
            "a",
            "sixteen_chars_ok",
            "bob-2",
            "x!",
        ] {
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
    fn chinese_mixed_with_latin_letters_and_digits_is_fine() {
        for nick in [
            "小郭吹雪1234QQ",
            "尹哲",
            "QQ小马",
            "さくらSakura",
            "김철수kim",
            "Иван",
            "Zoë",
        ] {
            assert_eq!(validate_nick(nick), Ok(()), "{nick}");
        }
    }

    #[test]
    fn lookalike_tricks_are_refused_each_with_its_reason() {
        let refused = |nick: &str| validate_nick(nick).expect_err(nick);
        // Fullwidth letters and other compatibility forms.
        assert!(
            refused("ａlice").contains("fullwidth"),
            "{}",
            refused("ａlice")
        );
        assert!(refused("QQ２").contains("\"２\" stands for \"2\""));
        assert!(refused("ﬁsh").contains("special forms"));
        // Two alphabets: a Cyrillic а among Latin letters, Greek with Latin.
        assert!(
            refused("аlice").contains("Cyrillic and Latin"),
            "{}",
            refused("аlice")
        );
        assert!(refused("αlpha").contains("mix alphabets"));
        // Invisible or blank characters, anywhere.
        for nick in [
            "bob\u{200d}",
            "\u{2060}bob",
            "b\u{ad}ob",
            "bob\u{fe0f}",
            "\u{3164}",
            "b\u{2800}b",
        ] {
            assert!(refused(nick).contains("invisible or blank"), "{nick:?}");
        }
        // Lines that read like the server's own.
        for nick in ["*", "*bob", "!alert", "[admin]", "[private]"] {
            assert!(refused(nick).contains("the server's own lines"), "{nick:?}");
        }
        for nick in ["server", "SERVER", "Admin", "adrnin", "system", "console"] {
            assert!(refused(nick).contains("reserved"), "{nick:?}");
        }
        assert!(refused("\u{301}x").contains("accent"));
        // Direction overrides and control characters: what term::safe escapes.
        assert!(refused("a\u{202e}b").contains("control"));
        assert!(refused("a\u{9b}b").contains("control"));
    }

    #[test]
    fn every_character_the_terminal_escapes_is_refused_in_a_nick() {
        for code in (0..0x80u32)
            .chain(0x80..0xa0)
            .chain(0x202a..=0x202e)
            .chain(0x2066..=0x2069)
        {
            let c = char::from_u32(code).expect("a valid char");
            if crate::term::unsafe_to_print(c) {
                assert!(validate_nick(&format!("a{c}b")).is_err(), "U+{code:04X}");
            }
        }
    }

    #[test]
    fn nicks_that_look_alike_have_the_same_key() {
        let key = NickKey::of;
        assert!(key("alice").same_name(&key("ALICE")));
        for lookalike in ["aIice", "AIice", "a1ice", "аlice", "ａlice", "ALICE"] {
            assert!(key(lookalike).looks_like(&key("alice")), "{lookalike}");
        }
        assert!(key("rnary").looks_like(&key("mary")));
        assert!(key("b0b").looks_like(&key("bob")));
        assert!(!key("aIice").same_name(&key("alice")));
        for different in ["bob", "alicia", "alice2", "尹哲"] {
            assert!(!key(different).looks_like(&key("alice")), "{different}");
        }
        assert!(!key("尹哲").looks_like(&key("小郭吹雪1234QQ")));
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
    fn a_small_room_is_named_in_full_and_in_alphabetical_order() {
        assert_eq!(
            name_members(["bob", "Alice", "尹哲", "carol"]),
            "Alice, bob, carol, 尹哲"
        );
        assert_eq!(name_members([]), "");
    }

    #[test]
    fn a_crowd_is_named_up_to_the_limit_and_the_rest_counted() {
        let nicks: Vec<String> = (0..10_000).rev().map(|i| format!("user{i:05}")).collect();
        let line = name_members(nicks.iter().map(String::as_str));
        assert!(line.starts_with("user00000, user00001, "), "{line}");
        assert!(
            line.ends_with(&format!("user{:05} and 9950 more", MAX_NAMED - 1)),
            "{line}"
        );
        assert_eq!(line.matches(", ").count(), MAX_NAMED - 1);
        assert!(line.len() < 1024, "{} bytes", line.len());
        // At exactly the limit, everyone is named.
        let fifty: Vec<String> = (0..MAX_NAMED).map(|i| format!("n{i:02}")).collect();
        assert!(!name_members(fifty.iter().map(String::as_str)).contains("more"));
    }

    #[test]
    fn the_partial_line_is_handed_over_when_the_peer_closes() {
        let mut framer = LineFramer::new(64);
        let mut out = Vec::new();
        framer.push(b"one\ngoodbye, no newline", &mut out);
        assert_eq!(out, vec![line("one")]);
        assert_eq!(framer.take_partial(), b"goodbye, no newline");
        assert!(framer.take_partial().is_empty());
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
