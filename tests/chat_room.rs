//! Lab 6 — chat-room: the real `lab 6 server` on port 0, talked to by plain std
//! sockets (what `nc` does) and by `lab 6 client`, with the server's stdin as the
//! administrator's console.

mod common;

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use common::{lab_cmd, Lab, PATIENCE};
use predicates::prelude::*;

/// A chat client made of a plain socket, reading line by line.
struct Peer {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Peer {
    fn connect(port: u16) -> Peer {
        let stream = common::connect(port);
        let writer = stream.try_clone().expect("the socket can be cloned");
        Peer {
            reader: BufReader::new(stream),
            writer,
        }
    }

    /// Connects, answers the nickname question and waits for the welcome.
    fn join(port: u16, nick: &str) -> Peer {
        let mut peer = Peer::connect(port);
        peer.wait_line("Choose a nickname");
        peer.send(nick);
        peer.wait_line(&format!("* welcome, {nick}!"));
        peer
    }

    fn send(&mut self, line: &str) {
        self.send_bytes(format!("{line}\n").as_bytes());
    }

    fn send_bytes(&mut self, bytes: &[u8]) {
        self.writer
            .write_all(bytes)
            .expect("the server takes our bytes");
    }

    /// The next line (without `\n`), or `None` when the server closed the connection.
    fn next_line(&mut self) -> Option<String> {
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
    fn lines_until(&mut self, needle: &str) -> Vec<String> {
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
    fn wait_line(&mut self, needle: &str) -> String {
        self.lines_until(needle)
            .pop()
            .expect("lines_until returns the match")
    }

    /// Every line until the server closes the connection.
    fn lines_until_closed(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(line) = self.next_line() {
            lines.push(line);
        }
        lines
    }
}

#[test]
fn chat_is_stamped_with_the_senders_nick_and_everyone_sees_joins_and_leaves() {
    let (mut server, port) = Lab::server("6", &[]);
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

#[test]
fn a_private_message_reaches_only_its_target() {
    let (mut server, port) = Lab::server("6", &[]);
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

#[test]
fn a_taken_or_invalid_nick_is_refused_with_a_reason_and_another_chance() {
    let (_server, port) = Lab::server("6", &[]);
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

#[test]
fn list_and_nick_changes_are_seen_by_everyone() {
    let (mut server, port) = Lab::server("6", &[]);
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

#[test]
fn no_client_can_speak_as_another_or_as_the_server() {
    let (_server, port) = Lab::server("6", &[]);
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

#[test]
fn an_over_long_line_or_invalid_utf8_gets_an_error_and_the_client_stays() {
    let (_server, port) = Lab::server("6", &[]);
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
    assert_eq!(bob.lines_until("still here"), vec!["<alice> still here"]);
}

#[test]
fn the_administrator_announces_lists_and_kicks() {
    let (mut server, port) = Lab::server("6", &[]);
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

#[test]
fn max_turns_newcomers_away_when_the_room_is_full() {
    let (mut server, port) = Lab::server("6", &[]);
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
    // The lab's client says why it is leaving.
    let mut turned_away = Lab::start(&["6", "client", "--port", &port.to_string()]);
    turned_away.wait_for_err("closed the connection after: ! the room is full");
    assert_eq!(turned_away.wait_exit().code(), Some(1));

    server.send_line("/max off");
    server.wait_for("max off");
    let _bob = Peer::join(port, "bob");
}

#[test]
fn shutdown_tells_everyone_closes_and_exits_0() {
    let (mut server, port) = Lab::server("6", &[]);
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
#[test]
fn ctrl_c_and_sigterm_shut_down_like_the_command() {
    for signal in ["INT", "TERM"] {
        let (mut server, port) = Lab::server("6", &[]);
        let mut alice = Peer::join(port, "alice");
        server.signal(signal);
        alice.wait_line("[admin] the server is shutting down");
        assert!(alice.next_line().is_none(), "SIG{signal}: still connected");
        assert!(server.wait_exit().success(), "SIG{signal}");
    }
}

#[test]
fn a_never_reading_client_is_dropped_while_others_keep_talking() {
    let (mut server, port) = Lab::server("6", &["--queue", "8", "--quiet"]);
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
