//! The chat-room protocol tests, for every server that speaks it: lab 6 (threads),
//! lab 9 (event loop), lab 10 (async). Each test takes the lab (number or slug) and
//! drives `lab LAB server --port 0` with plain std sockets (what `nc` does), the
//! server's stdin as the administrator's console.
//!
//! Used from a lab's test file with `#[path = "common/chat.rs"] mod chat;` (next to
//! `mod common;`); each `#[test]` there is one line calling a function here.
#![allow(dead_code)] // each test file calls the part it needs

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::{self, Lab, PATIENCE};

/// Lab 6's protocol tests as `#[test]`s of the file that calls it, each run against
/// `$lab`'s server: `chat_protocol_tests!("9");` (with `#[macro_use]` on `mod chat`).
#[macro_export]
macro_rules! chat_protocol_tests {
    ($lab:expr) => {
        chat_protocol_tests!($lab;
            chat_is_stamped_with_the_senders_nick_and_everyone_sees_joins_and_leaves,
            a_private_message_reaches_only_its_target,
            a_taken_or_invalid_nick_is_refused_with_a_reason_and_another_chance,
            list_and_nick_changes_are_seen_by_everyone,
            no_client_can_speak_as_another_or_as_the_server,
            an_over_long_line_or_invalid_utf8_gets_an_error_and_the_client_stays,
            the_administrator_announces_lists_and_kicks,
            max_turns_newcomers_away_when_the_room_is_full,
            max_from_the_command_line_caps_the_room,
            shutdown_tells_everyone_closes_and_exits_0,
            a_never_reading_client_is_dropped_while_others_keep_talking,
            a_connection_that_never_gives_a_nickname_is_closed_but_a_named_one_may_stay_silent,
            lab_6_clients_chat_through_this_server,
            a_crowd_joins_and_long_lists_stay_bounded,
            in_chinese_the_console_speaks_chinese_and_the_wire_stays_english
        );
    };
    ($lab:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                chat::$name($lab);
            }
        )*

        #[cfg(unix)]
        #[test]
        fn ctrl_c_and_sigterm_shut_down_like_the_command() {
            chat::ctrl_c_and_sigterm_shut_down_like_the_command($lab);
        }
    };
}

/// A chat client made of a plain socket, reading line by line.
pub struct Peer {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Peer {
    pub fn connect(port: u16) -> Peer {
        let stream = common::connect(port);
        let writer = stream.try_clone().expect("the socket can be cloned");
        Peer {
            reader: BufReader::new(stream),
            writer,
        }
    }

    /// Connects, answers the nickname question and waits for the welcome.
    pub fn join(port: u16, nick: &str) -> Peer {
        let mut peer = Peer::connect(port);
        peer.wait_line("Choose a nickname");
        peer.send(nick);
        peer.wait_line(&format!("* welcome, {nick}!"));
        peer
    }

    pub fn send(&mut self, line: &str) {
        self.send_bytes(format!("{line}\n").as_bytes());
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.writer
            .write_all(bytes)
            .expect("the server takes our bytes");
    }

    /// The next line (without `\n`), or `None` when the server closed the connection.
    pub fn next_line(&mut self) -> Option<String> {
        let mut raw = Vec::new();
        match self.reader.read_until(b'\n', &mut raw) {
            Ok(0) => None,
            Ok(_) => Some(
                String::from_utf8_lossy(&raw)
                    .trim_end_matches('\n')
                    .to_string(),
            ),
            Err(err) if err.kind() == ErrorKind::ConnectionReset => None,
            Err(err) => panic!("reading from the server failed: {err}"),
        }
    }

    /// Every line up to and including the first that contains `needle`.
    pub fn lines_until(&mut self, needle: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            match self.next_line() {
                Some(line) => {
                    let found = line.contains(needle);
                    lines.push(line);
                    if found {
                        return lines;
                    }
                }
                None => panic!("the server closed before {needle:?}; got {lines:#?}"),
            }
        }
    }

    /// The first line that contains `needle`.
    pub fn wait_line(&mut self, needle: &str) -> String {
        self.lines_until(needle)
            .pop()
            .expect("lines_until returns the match")
    }

    /// Every line until the server closes the connection.
    pub fn lines_until_closed(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(line) = self.next_line() {
            lines.push(line);
        }
        lines
    }
}

pub fn chat_is_stamped_with_the_senders_nick_and_everyone_sees_joins_and_leaves(lab: &str) {
    let (mut server, port) = Lab::server(lab, &[]);
    // The console's stdin ends: the room keeps serving.
    server.close_stdin();
    server.wait_for("console: end of input");

    let mut alice = Peer::join(port, "alice");
    let mut bob = Peer::join(port, "bob");
    alice.wait_line("* bob joined (2 online)");
    server.wait_for("[join] bob 127.0.0.1:");

    alice.send("hello 尹哲");
    assert_eq!(bob.wait_line("hello"), "<alice> hello 尹哲");
    server.wait_for("<alice> hello 尹哲");

    // bob vanishes without /quit: the room cleans up and tells the others.
    drop(bob);
    alice.wait_line("* bob left (1 online)");
    server.wait_for("[leave] bob 127.0.0.1:");

    alice.send("/quit");
    assert_eq!(alice.lines_until_closed(), vec!["* bye, alice"]);
    server.wait_for("[leave] alice 127.0.0.1:");
}

pub fn a_private_message_reaches_only_its_target(lab: &str) {
    let (mut server, port) = Lab::server(lab, &[]);
    let mut alice = Peer::join(port, "alice");
    let mut bob = Peer::join(port, "bob");
    let mut carol = Peer::join(port, "carol");

    alice.send("/msg BOB meet at 5");
    assert_eq!(alice.wait_line("[private"), "[private to bob] meet at 5");
    assert_eq!(bob.wait_line("[private"), "[private] <alice> meet at 5");

    alice.send("/msg nobody hello");
    alice.wait_line("! nobody called \"nobody\" is here");

    alice.send("now for everyone");
    let carol_saw = carol.lines_until("<alice> now for everyone");
    assert!(
        !carol_saw.iter().any(|l| l.contains("meet at 5")),
        "{carol_saw:#?}"
    );

    // The administrator sees that a private message went by, not what it said.
    server.wait_for("[private] alice -> bob");
    assert!(!server.stdout_so_far().contains("meet at 5"));
}

pub fn a_taken_or_invalid_nick_is_refused_with_a_reason_and_another_chance(lab: &str) {
    let (_server, port) = Lab::server(lab, &[]);
    let _alice = Peer::join(port, "alice");

    let mut newcomer = Peer::connect(port);
    newcomer.wait_line("Choose a nickname");
    newcomer.send("ALICE");
    newcomer.wait_line("! nickname \"ALICE\" is taken");
    newcomer.send("two words");
    newcomer.wait_line("cannot contain spaces");
    newcomer.send("seventeen_letters");
    newcomer.wait_line("at most 16 characters");
    newcomer.send("/list");
    newcomer.wait_line("first choose a nickname");
    newcomer.send("尹哲");
    newcomer.wait_line("* welcome, 尹哲! Online (2): alice, 尹哲");
}

pub fn list_and_nick_changes_are_seen_by_everyone(lab: &str) {
    let (mut server, port) = Lab::server(lab, &[]);
    let mut alice = Peer::join(port, "alice");
    let mut bob = Peer::join(port, "bob");

    bob.send("/list");
    assert_eq!(bob.wait_line("* online"), "* online (2): alice, bob");

    alice.send("/nick al");
    alice.wait_line("* you are now al");
    bob.wait_line("* alice is now known as al");
    server.wait_for("[nick] alice is now al");

    bob.send("/nick AL");
    bob.wait_line("! nickname \"AL\" is taken; you are still bob");
    alice.send("after the change");
    assert_eq!(bob.wait_line("after the change"), "<al> after the change");

    bob.send("/help");
    bob.wait_line("/msg NICK text");
    bob.send("/dance");
    bob.wait_line("! unknown command /dance");
}

pub fn no_client_can_speak_as_another_or_as_the_server(lab: &str) {
    let (_server, port) = Lab::server(lab, &[]);
    let mut mallory = Peer::join(port, "mallory");
    let mut bob = Peer::join(port, "bob");

    for fake in [
        "<bob> hi",
        "* server: restarting",
        "[admin] you are kicked",
        "! error",
    ] {
        mallory.send(fake);
        assert_eq!(bob.next_line(), Some(format!("<mallory> {fake}")));
    }

    // Escape sequences are refused, so nc users never get them raw.
    mallory.send_bytes(b"\x1b[2J\x1b]0;pwned\x07\n");
    mallory.wait_line("! control characters");
    mallory.send("done");
    let seen = bob.lines_until("<mallory> done");
    assert!(!seen.concat().contains('\x1b'), "{seen:?}");
}

pub fn an_over_long_line_or_invalid_utf8_gets_an_error_and_the_client_stays(lab: &str) {
    let (_server, port) = Lab::server(lab, &[]);
    let mut alice = Peer::join(port, "alice");
    let mut bob = Peer::join(port, "bob");

    // 1 MiB with no newline yet: refused at once, before the line ends.
    alice.send_bytes(&vec![b'x'; 1 << 20]);
    alice.wait_line("! that line was longer than 4096 bytes");
    alice.send_bytes(b"\n");
    // GBK bytes for 你好 are not UTF-8.
    alice.send_bytes(b"\xc4\xe3\xba\xc3\n");
    alice.wait_line("! that line was not UTF-8 text");

    alice.send("still here");
    let heard = bob.lines_until("still here");
    assert_eq!(heard.last().map(String::as_str), Some("<alice> still here"));
    assert!(!heard.iter().any(|l| l.contains("xxxx")), "{heard:?}");
}

pub fn the_administrator_announces_lists_and_kicks(lab: &str) {
    let (mut server, port) = Lab::server(lab, &[]);
    let mut alice = Peer::join(port, "alice");
    let mut bob = Peer::join(port, "bob");

    server.send_line("class ends at 5");
    assert_eq!(alice.wait_line("[admin]"), "[admin] class ends at 5");
    assert_eq!(bob.wait_line("[admin]"), "[admin] class ends at 5");

    server.send_line("/list");
    server.wait_for("connected: 2");
    server.wait_for("alice");

    server.send_line("/kick bob spamming the room");
    let last = bob.lines_until_closed();
    assert_eq!(
        last.last().map(String::as_str),
        Some("[admin] you were kicked by the administrator: spamming the room")
    );
    alice.wait_line("* bob was kicked by the administrator: spamming the room (1 online)");
    server.wait_for("[kick] bob 127.0.0.1:");

    server.send_line("/kick nobody");
    server.wait_for("nobody called \"nobody\" is here");
}

/// `--lang zh`: the administrator's console explains itself in Chinese; what goes
/// over the wire (the protocol, which `lab check` and clients match) stays English.
pub fn in_chinese_the_console_speaks_chinese_and_the_wire_stays_english(lab: &str) {
    let (mut server, port) = Lab::server(lab, &["--lang", "zh"]);
    server.wait_for("管理员控制台：输入一行文字即可广播给所有人；/help 列出所有命令");
    server.send_line("/help");
    server.wait_for("管理员命令：");
    server.wait_for("  /kick NICK [原因]    告诉 NICK 原因，关闭它的连接，再告诉其他人");
    server.send_line("/bogus");
    server.wait_for("未知命令 /bogus；/help 列出所有命令");
    server.send_line("/kick nobody");
    server.wait_for("这里没有叫“nobody”的人；/list 列出在线的人");

    let mut alice = Peer::join(port, "alice");
    alice.send("/bogus");
    alice.wait_line("! unknown command /bogus; /help lists the commands");
}

pub fn max_turns_newcomers_away_when_the_room_is_full(lab: &str) {
    let (mut server, port) = Lab::server(lab, &[]);
    let _alice = Peer::join(port, "alice");

    server.send_line("/max 1");
    server.wait_for("max set to 1");
    let mut late = Peer::connect(port);
    let told = late.lines_until_closed();
    assert_eq!(
        told,
        vec!["! the room is full (1 at most); try again later"]
    );
    server.wait_for("[full] 127.0.0.1:");
    // Lab 6's client says why it is leaving, whichever server turned it away.
    let mut turned_away = Lab::start(&["6", "client", "--port", &port.to_string()]);
    turned_away.wait_for_err("closed the connection after: ! the room is full");
    assert_eq!(turned_away.wait_exit().code(), Some(1));

    server.send_line("/max off");
    server.wait_for("max off");
    let _bob = Peer::join(port, "bob");
}

pub fn max_from_the_command_line_caps_the_room(lab: &str) {
    let (mut server, port) = Lab::server(lab, &["--max", "1"]);
    let _alice = Peer::join(port, "alice");
    let mut late = Peer::connect(port);
    assert_eq!(
        late.lines_until_closed(),
        vec!["! the room is full (1 at most); try again later"]
    );
    server.wait_for("[full] 127.0.0.1:");
}

pub fn shutdown_tells_everyone_closes_and_exits_0(lab: &str) {
    let (mut server, port) = Lab::server(lab, &[]);
    let mut alice = Peer::join(port, "alice");
    let mut waiting = Peer::connect(port); // still choosing a nickname

    let started = Instant::now();
    server.send_line("/shutdown");
    assert_eq!(
        alice.lines_until_closed(),
        vec!["[admin] the server is shutting down. Goodbye!"]
    );
    waiting.lines_until_closed();
    assert!(server.wait_exit().success());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // Nothing listens on the port any more.
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[cfg(unix)]
pub fn ctrl_c_and_sigterm_shut_down_like_the_command(lab: &str) {
    for signal in ["INT", "TERM"] {
        let (mut server, port) = Lab::server(lab, &[]);
        let mut alice = Peer::join(port, "alice");
        server.signal(signal);
        alice.wait_line("[admin] the server is shutting down");
        assert!(alice.next_line().is_none(), "SIG{signal}: still connected");
        assert!(server.wait_exit().success(), "SIG{signal}");
    }
}

pub fn a_never_reading_client_is_dropped_while_others_keep_talking(lab: &str) {
    let (mut server, port) = Lab::server(lab, &["--queue", "8", "--quiet"]);
    let mut talker = Peer::join(port, "talker");
    let mut listener = Peer::join(port, "listener");
    // Joins, then never reads a byte: its buffers fill, then its outbox.
    let _stuck = Peer::join(port, "stuck");
    listener.wait_line("* stuck joined");

    let filler = "x".repeat(4000);
    let deadline = Instant::now() + PATIENCE;
    let mut batch = 0;
    let mut heard = Vec::new();
    while !server.stdout_so_far().contains("[dropped] stuck") {
        assert!(Instant::now() < deadline, "stuck was never dropped");
        batch += 1;
        // Small batches: the listener reads each before the next, as a person would.
        for i in 0..10 {
            talker.send(&format!("batch {batch} line {i} {filler}"));
        }
        // The listener gets every line of the batch, in order, while stuck is stuck.
        let got = listener.lines_until(&format!("batch {batch} line 9 "));
        let chat = got.iter().filter(|l| l.starts_with("<talker> batch"));
        assert_eq!(chat.count(), 10, "batch {batch}");
        heard.extend(got);
    }
    if !heard
        .iter()
        .any(|l| l.starts_with("* stuck was dropped: not reading"))
    {
        listener.wait_line("* stuck was dropped: not reading");
    }
    talker.wait_line("* stuck was dropped: not reading");
    talker.send("after");
    listener.wait_line("<talker> after");
}

pub fn a_connection_that_never_gives_a_nickname_is_closed_but_a_named_one_may_stay_silent(
    lab: &str,
) {
    let (mut server, port) = Lab::server(lab, &["--nick-timeout", "1"]);
    let mut silent = Peer::connect(port);
    silent.wait_line("Choose a nickname");
    let mut named = Peer::join(port, "quiet");

    let started = Instant::now();
    silent.lines_until("! no nickname after 1 s; closing");
    assert_eq!(
        silent.next_line(),
        None,
        "the connection is closed after the notice"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "closed in about a second"
    );
    server.wait_for("gave no nickname in 1 s");

    // The named client said nothing for over a second too, and is still in the room.
    let mut other = Peer::join(port, "other");
    other.send("hello quiet");
    named.lines_until("<other> hello quiet");
}

pub fn lab_6_clients_chat_through_this_server(lab: &str) {
    let (mut server, port) = Lab::server(lab, &[]);
    let port = port.to_string();
    let mut alice = Lab::start(&["6", "client", "--port", &port, "--name", "alice"]);
    alice.wait_for("* welcome, alice!");
    let mut bob = Lab::start(&["6", "client", "--port", &port, "--name", "bob"]);
    bob.wait_for("* welcome, bob!");
    alice.wait_for("* bob joined");

    alice.send_line("hi bob, 你好");
    assert_eq!(bob.wait_for("hi bob"), "<alice> hi bob, 你好");
    bob.send_line("/msg alice psst");
    assert_eq!(alice.wait_for("psst"), "[private] <bob> psst");

    alice.send_line("/quit");
    alice.wait_for("* bye, alice");
    assert!(alice.wait_exit().success());
    bob.wait_for("* alice left");
    bob.close_stdin();
    assert!(bob.wait_exit().success());
    server.wait_for("[leave] bob");
}

/// Many clients join within a few milliseconds: everyone is welcomed, the welcome
/// and /list name a bounded number of members, and the joins are announced (one by
/// one or in batches, `* 7 joined (31 online)`), with the room's count right.
pub fn a_crowd_joins_and_long_lists_stay_bounded(lab: &str) {
    let (_server, port) = Lab::server(lab, &["--quiet"]);
    let mut first = Peer::join(port, "first");
    let mut crowd = Vec::new();
    for i in 0..30 {
        let mut peer = Peer::connect(port);
        peer.send(&format!("c{i}"));
        crowd.push(peer);
    }
    for (i, peer) in crowd.iter_mut().enumerate() {
        let welcome = peer.wait_line("* welcome, c");
        assert!(
            welcome.starts_with(&format!("* welcome, c{i}!")),
            "{welcome}"
        );
    }
    // `first` hears of all 30 newcomers, whichever way they were grouped.
    let mut announced = 0;
    while announced < 30 {
        let line = first.wait_line(" joined (");
        let what = line
            .trim_start_matches("* ")
            .split(' ')
            .next()
            .unwrap_or("");
        announced += what.parse::<usize>().unwrap_or(1);
    }
    assert_eq!(announced, 30);
    first.send("/list");
    let list = first.wait_line("* online (31)");
    assert!(list.ends_with(" and 11 more"), "{list}");
    assert_eq!(list.matches(", ").count(), 19, "20 names: {list}");
}
