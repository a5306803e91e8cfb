//! Lab 6 — chat-room: the real `lab 6 server` on port 0, talked to by plain std
//! sockets (what `nc` does) and by `lab 6 client`, with the server's stdin as the
//! administrator's console.

#[path = "common/chat.rs"]
#[macro_use]
mod chat;
mod common;

use std::io::{ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use chat::Peer;
use common::{lab_cmd, Lab, PATIENCE};
use predicates::prelude::*;

// Lab 6's protocol tests, shared with labs 9 and 10 (tests/common/chat.rs), each a
// #[test] of this file; below them, what is lab 6's own.
chat_protocol_tests!("6";
    chat_is_stamped_with_the_senders_nick_and_everyone_sees_joins_and_leaves,
    a_private_message_reaches_only_its_target,
    a_taken_or_invalid_nick_is_refused_with_a_reason_and_another_chance,
    list_and_nick_changes_are_seen_by_everyone,
    no_client_can_speak_as_another_or_as_the_server,
    an_over_long_line_or_invalid_utf8_gets_an_error_and_the_client_stays,
    the_administrator_announces_lists_and_kicks,
    max_turns_newcomers_away_when_the_room_is_full,
    shutdown_tells_everyone_closes_and_exits_0,
    a_never_reading_client_is_dropped_while_others_keep_talking,
    in_chinese_the_console_speaks_chinese_and_the_wire_stays_english,
);

#[test]
fn two_lab_clients_chat_in_full_duplex_and_quit_with_exit_0() {
    let (mut server, port) = Lab::server("6", &[]);
    let port = port.to_string();
    let mut alice = Lab::start(&["6", "client", "--port", &port, "--name", "alice"]);
    alice.wait_for("* welcome, alice!");
    let mut bob = Lab::start(&["6", "client", "--port", &port, "--name", "bob"]);
    bob.wait_for("* welcome, bob!");
    alice.wait_for("* bob joined");

    // bob has typed nothing, yet alice's line shows up: reading does not wait for typing.
    alice.send_line("hi bob, 你好");
    assert_eq!(bob.wait_for("hi bob"), "<alice> hi bob, 你好");
    bob.send_line("/msg alice psst");
    assert_eq!(alice.wait_for("psst"), "[private] <bob> psst");

    alice.send_line("/quit");
    alice.wait_for("* bye, alice");
    assert!(alice.wait_exit().success());
    bob.wait_for("* alice left");

    // End of input leaves too.
    bob.close_stdin();
    assert!(bob.wait_exit().success());
    server.wait_for("[leave] bob");
}

#[test]
fn the_client_never_prints_escape_bytes_raw_and_exits_1_when_the_server_goes() {
    // A hostile "server" of our own, which sends what the real one would refuse.
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("bound").port().to_string();
    let mut client = Lab::start(&["6", "client", "--port", &port, "--name", "eve"]);
    let (mut conn, _) = listener.accept().expect("the client connects");
    // Read the nickname line first: closing a socket with unread bytes resets it.
    let mut name = [0u8; 4];
    std::io::Read::read_exact(&mut conn, &mut name).expect("the client sends its name");
    assert_eq!(&name, b"eve\n");
    conn.write_all(b"<ev\x1bil> \x1b[2J\x1b]0;pwned\x07 hi\n* \x1b[31mred\x9b\n")
        .expect("the client reads");
    client.wait_for("red");
    let shown = client.stdout_so_far();
    assert!(
        !shown.contains('\x1b') && !shown.contains('\x07'),
        "{shown:?}"
    );
    assert!(shown.contains("\\e[2J\\e]0;pwned\\x07 hi"), "{shown}");

    drop(conn);
    client.wait_for_err("closed the connection");
    assert_eq!(client.wait_exit().code(), Some(1));
}

#[test]
fn client_reports_server_gone_instead_of_hanging() {
    let (mut server, port) = Lab::server("6", &[]);
    let mut client = Lab::start(&["6", "client", "--port", &port.to_string(), "--name", "ann"]);
    client.wait_for("* welcome, ann!");
    server.kill();
    let started = Instant::now();
    let error = client.wait_for_err("closed the connection");
    assert!(error.contains("Start `lab 6 server` again"), "{error}");
    assert_eq!(client.wait_exit().code(), Some(1));
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_client_started_before_the_server_is_told_to_start_the_server() {
    let free = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = free.local_addr().expect("bound").port().to_string();
    drop(free);
    lab_cmd(&["6", "client", "--port", &port, "--name", "early"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("lab 6 server"));
}

#[test]
fn a_connection_that_never_gives_a_nickname_is_told_and_closed_but_a_named_one_may_stay_silent() {
    let (mut server, port) = Lab::server("6", &["--nick-timeout", "1"]);
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

#[test]
fn nicknames_that_would_pass_for_a_member_or_the_server_are_refused_with_the_reason() {
    let (_server, port) = Lab::server("6", &[]);
    let mut alice = Peer::join(port, "alice");

    let mut newcomer = Peer::connect(port);
    newcomer.wait_line("Choose a nickname");
    // A capital i for the l, fullwidth letters, a Cyrillic а: alice to the eye.
    newcomer.send("aIice");
    let told = newcomer.wait_line("! nickname");
    assert_eq!(
        told,
        "! nickname \"aIice\" looks too much like \"alice\", who is here. Choose another:"
    );
    newcomer.send("ａlice");
    newcomer.wait_line("fullwidth or other special forms");
    newcomer.send("аlice");
    newcomer.wait_line("cannot mix alphabets (Cyrillic and Latin)");
    newcomer.send("[admin]");
    newcomer.wait_line("the server's own lines start with");
    newcomer.send("Server");
    newcomer.wait_line("reserved");
    newcomer.send_bytes("bob\u{200b}\n".as_bytes());
    newcomer.wait_line("invisible or blank characters (it has U+200B)");
    // Chinese with Latin letters and digits is a fine nickname.
    newcomer.send("小郭吹雪1234QQ");
    newcomer.wait_line("* welcome, 小郭吹雪1234QQ! Online (2): alice, 小郭吹雪1234QQ");
    alice.wait_line("* 小郭吹雪1234QQ joined (2 online)");

    // Nor can a member rename itself into a lookalike.
    newcomer.send("/nick AIice");
    newcomer.wait_line(
        "! nickname \"AIice\" looks too much like \"alice\", who is here; you are still 小郭吹雪1234QQ",
    );
    // alice may change her own case: that is still her.
    alice.send("/nick Alice");
    alice.wait_line("* you are now Alice");
}

#[test]
fn error_replies_escape_what_the_peer_sent() {
    let (_server, port) = Lab::server("6", &[]);
    let mut mallory = Peer::join(port, "mallory");
    let mut raw = |bytes: &[u8], needle: &str| {
        mallory.send_bytes(bytes);
        let line = mallory.wait_line(needle);
        assert!(!line.contains('\x1b') && !line.contains('\x07'), "{line:?}");
        line
    };
    let line = raw(b"/msg \x1b[2Jbob hi\n", "! nobody called");
    assert!(line.contains("\"\\e[2Jbob\""), "{line:?}");
    let line = raw(b"/\x1b]0;pwned\x07 now\n", "! unknown command");
    assert!(line.contains("/\\e]0;pwned\\x07;"), "{line:?}");
}

#[test]
fn the_nickname_deadline_runs_from_connect_and_a_trickling_peer_cannot_extend_it() {
    let (mut server, port) = Lab::server("6", &["--nick-timeout", "2"]);
    let mut stream = common::connect(port);
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("a read timeout can be set");
    // One byte of a nickname every 200 ms or so, never a newline.
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        assert!(
            started.elapsed() < PATIENCE,
            "still open after {PATIENCE:?}: {:?}",
            String::from_utf8_lossy(&got)
        );
        let _ = stream.write_all(b"a");
        match std::io::Read::read(&mut stream, &mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break, // reset: we wrote after the server closed
        }
    }
    let got = String::from_utf8_lossy(&got);
    assert!(got.contains("! no nickname after 2 s; closing"), "{got:?}");
    server.wait_for("gave no nickname in 2 s");
}

#[test]
fn connections_still_choosing_a_nickname_do_not_count_toward_max() {
    let (mut server, port) = Lab::server("6", &["--max", "1"]);
    // Connected, no nickname yet: it does not fill the room...
    let mut undecided = Peer::connect(port);
    undecided.wait_line("Choose a nickname");
    // ...so a student who does give one gets in.
    let _alice = Peer::join(port, "alice");
    // Now the room is full: a newcomer is turned away at once, and the undecided
    // connection is told when it finally picks a nickname.
    let mut late = Peer::connect(port);
    assert_eq!(
        late.lines_until_closed(),
        vec!["! the room is full (1 at most); try again later"]
    );
    undecided.send("bob");
    assert_eq!(
        undecided.lines_until_closed(),
        vec!["! the room is full (1 at most); try again later"]
    );
    server.wait_for("the room filled up (max 1) while it chose a nickname");
}

#[test]
fn a_crowd_is_named_fifty_at_a_time_in_the_welcome_and_the_list() {
    let (_server, port) = Lab::server("6", &["--quiet"]);
    let crowd: Vec<Peer> = (0..54)
        .map(|i| Peer::join(port, &format!("m{i:02}")))
        .collect();
    let mut last = Peer::connect(port);
    last.wait_line("Choose a nickname");
    last.send("zz");
    let welcome = last.wait_line("* welcome, zz!");
    assert!(
        welcome.starts_with("* welcome, zz! Online (55): m00, m01, "),
        "{welcome}"
    );
    assert!(
        welcome.contains(", m49 and 5 more. /help lists the commands"),
        "{welcome}"
    );
    last.send("/list");
    let list = last.wait_line("* online");
    assert!(list.starts_with("* online (55): m00, "), "{list}");
    assert!(list.ends_with(", m49 and 5 more"), "{list}");
    drop(crowd);
}

/// A fake chat server for one `lab 6 client`: accepts it and reads its nickname line.
fn fake_server_with_client(nick: &str) -> (Lab, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("bound").port().to_string();
    let client = Lab::start(&["6", "client", "--port", &port, "--name", nick]);
    let (mut conn, _) = listener.accept().expect("the client connects");
    conn.set_read_timeout(Some(PATIENCE))
        .expect("a read timeout can be set");
    let mut name = vec![0u8; nick.len() + 1];
    std::io::Read::read_exact(&mut conn, &mut name).expect("the client sends its name");
    assert_eq!(name, format!("{nick}\n").as_bytes());
    (client, conn)
}

#[test]
fn the_client_shows_a_last_line_without_newline_when_the_server_closes() {
    let (mut client, mut conn) = fake_server_with_client("ann");
    conn.write_all(b"* hello ann\n! closing now, and no newline")
        .expect("the client reads");
    drop(conn);
    client.wait_for("* hello ann");
    client.wait_for("! closing now, and no newline");
    client.wait_for_err("closed the connection after: ! closing now, and no newline");
    assert_eq!(client.wait_exit().code(), Some(1));
}

#[test]
fn the_client_sends_each_line_with_its_newline_in_one_send() {
    let (mut client, mut conn) = fake_server_with_client("ann");
    for line in ["hello there", "尹哲 says hi"] {
        client.send_line(line);
        // One send() of `line\n`: the first recv() holds the whole line. (Two sends,
        // the text and then `\n`, arrive as two recv()s on loopback.)
        let mut buf = [0u8; 256];
        let n = std::io::Read::read(&mut conn, &mut buf).expect("the client sends");
        assert_eq!(
            String::from_utf8_lossy(&buf[..n]),
            format!("{line}\n"),
            "one recv() should hold the whole line"
        );
    }
}
