//! Lab 5 — udp: the server answers datagrams from anyone on one socket, the client
//! never hangs on a missing server, and `lab 5 errors` sees every classic mistake.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use common::{lab_cmd, Lab, PATIENCE};
use predicates::prelude::*;

/// A plain std UDP socket on 127.0.0.1, as a Python peer would use, that never
/// waits longer than the harness's patience.
fn raw_peer() -> UdpSocket {
    let peer = UdpSocket::bind("127.0.0.1:0").expect("a UDP socket binds to any free port");
    peer.set_read_timeout(Some(PATIENCE))
        .expect("a read timeout can be set");
    peer
}

/// Sends one datagram to the server and returns its reply and who sent it.
fn ask(peer: &UdpSocket, port: u16, datagram: &[u8]) -> (String, SocketAddr) {
    peer.send_to(datagram, ("127.0.0.1", port))
        .expect("sendto works on loopback");
    let mut buf = [0u8; 2048];
    let (n, from) = peer.recv_from(&mut buf).expect("the server replies");
    (String::from_utf8_lossy(&buf[..n]).into_owned(), from)
}

/// A UDP port on 127.0.0.1 that nobody listens on (bound, noted, closed).
fn closed_port() -> u16 {
    raw_peer()
        .local_addr()
        .expect("a bound socket has an address")
        .port()
}

#[test]
fn server_replies_to_a_raw_udp_peer_from_its_own_address() {
    let (mut server, port) = Lab::server("5", &[]);
    let peer = raw_peer();
    let me = peer.local_addr().expect("a bound socket has an address");

    let (reply, from) = ask(&peer, port, b"alice:hi");

    assert_eq!(
        from,
        SocketAddr::from(([127, 0, 0, 1], port)),
        "the reply comes from the server's socket"
    );
    assert!(
        reply.contains(&me.to_string()),
        "the reply names the sender: {reply}"
    );
    assert!(reply.ends_with("alice:hi"), "{reply}");
    server.wait_for(&format!("{me} alice: hi"));
}

#[test]
fn one_server_socket_answers_two_peers_each_at_its_own_address() {
    let (mut server, port) = Lab::server("5", &[]);
    let (alice, bob) = (raw_peer(), raw_peer());

    let (to_alice, _) = ask(&alice, port, b"alice:first");
    let (to_bob, _) = ask(&bob, port, b"bob:second");
    let (again, _) = ask(&alice, port, b"alice:third");

    let alice_addr = alice.local_addr().expect("bound").to_string();
    let bob_addr = bob.local_addr().expect("bound").to_string();
    assert!(
        to_alice.contains(&alice_addr) && to_alice.ends_with("alice:first"),
        "{to_alice}"
    );
    assert!(
        to_bob.contains(&bob_addr) && to_bob.ends_with("bob:second"),
        "{to_bob}"
    );
    assert!(again.ends_with("alice:third"), "{again}");
    server.wait_for(&format!("new peer {alice_addr}"));
    server.wait_for(&format!("new peer {bob_addr}"));
    server.wait_for(&format!("{alice_addr} alice: third"));
    let out = server.stdout_so_far();
    assert_eq!(
        out.matches("new peer").count(),
        2,
        "alice's second datagram is not a new peer:\n{out}"
    );
}

#[test]
fn server_shows_a_peers_escape_sequences_and_bad_bytes_escaped() {
    let (mut server, port) = Lab::server("5", &[]);
    let peer = raw_peer();
    let (reply, _) = ask(&peer, port, b"eve:\x1b[2J\xff");
    assert!(reply.starts_with("heard you"), "{reply}");
    server.wait_for("eve: \\e[2J\\xff");
    assert!(
        !server.stdout_so_far().contains('\x1b'),
        "a raw escape reached the terminal"
    );
}

#[test]
fn a_second_server_on_the_same_port_says_it_is_in_use() {
    let taken = raw_peer();
    let port = taken.local_addr().expect("bound").port().to_string();
    lab_cmd(&["5", "server", "--port", &port])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "port {port} (udp) is already in use"
        )));
}

#[test]
fn client_sends_each_line_and_shows_who_replied() {
    let (mut server, port) = Lab::server("5", &[]);
    let mut client = Lab::start(&[
        "5",
        "client",
        "--name",
        "alice",
        "--port",
        &port.to_string(),
    ]);
    client.send_line("hello 尹哲");
    client.wait_for(&format!("reply from 127.0.0.1:{port}: heard you"));
    server.wait_for("alice: hello 尹哲");
    client.close_stdin();
    assert!(client.wait_exit().success(), "end of input ends the client");
}

#[test]
fn connected_client_uses_send_and_recv_and_says_q_when_leaving() {
    let (mut server, port) = Lab::server("5", &[]);
    let mut client = Lab::start(&[
        "5",
        "client",
        "--name",
        "bob",
        "--connect",
        "--port",
        &port.to_string(),
    ]);
    client.wait_for(&format!("connect(127.0.0.1:{port}): no packet sent"));
    client.send_line("hi");
    client.wait_for("send() -> 6 bytes");
    client.wait_for(&format!("reply from 127.0.0.1:{port}"));
    client.send_line("q");
    assert!(client.wait_exit().success(), "q ends the client");
    server.wait_for("bob said q");
}

#[test]
fn client_without_a_server_says_nobody_answered_and_exits_within_five_seconds() {
    let port = closed_port().to_string();
    let started = Instant::now();
    let mut client = Lab::start(&["5", "client", "--port", &port, "--timeout", "1"]);
    client.send_line("anyone there?");
    client.close_stdin();
    client.wait_for("nobody answered within 1s");
    assert!(client.wait_exit().success());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn connected_client_without_a_server_hears_refused_at_once_and_carries_on() {
    let port = closed_port().to_string();
    let mut client = Lab::start(&[
        "5",
        "client",
        "--connect",
        "--port",
        &port,
        "--timeout",
        "10",
    ]);
    client.send_line("first");
    client.send_line("second");
    client.close_stdin();
    client.wait_for("nobody is listening");
    client.wait_for("nobody is listening");
    assert!(client.wait_exit().success());
    assert!(
        !client.stdout_so_far().contains("nobody answered"),
        "refused is not silence"
    );
}

/// A raw UDP socket standing in for a server (the classic Python one, whose operator
/// types each answer), and the next datagram it receives and who sent it.
fn receive(server: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = [0u8; 2048];
    let (n, from) = server
        .recv_from(&mut buf)
        .expect("the client's datagram arrives");
    (buf[..n].to_vec(), from)
}

#[test]
fn client_quits_with_a_plain_q_that_the_classic_server_understands() {
    let classic = raw_peer();
    let port = classic.local_addr().expect("bound").port().to_string();
    let mut client = Lab::start(&["5", "client", "--name", "alice", "--port", &port]);
    client.send_line("hi");
    let (datagram, from) = receive(&classic);
    assert_eq!(datagram, b"alice:hi");
    classic.send_to(b"hello alice", from).expect("sendto");
    client.wait_for("reply from");
    client.send_line("q");
    // The classic server stops on `msg.decode().upper() == "Q"`: exactly `q`.
    let (datagram, _) = receive(&classic);
    assert_eq!(datagram, b"q");
    assert!(client.wait_exit().success());
}

#[test]
fn a_reply_after_the_timeout_is_shown_as_late_not_as_the_next_answer() {
    let classic = raw_peer();
    let port = classic.local_addr().expect("bound").port().to_string();
    let mut client = Lab::start(&[
        "5",
        "client",
        "--name",
        "amy",
        "--port",
        &port,
        "--timeout",
        "0.5",
    ]);
    client.send_line("first");
    let (datagram, from) = receive(&classic);
    assert_eq!(datagram, b"amy:first");
    // The operator is slow: the client gives up, then the answer comes.
    client.wait_for("nobody answered within 500ms");
    classic.send_to(b"answer one", from).expect("sendto");
    client.send_line("second");
    let (datagram, _) = receive(&classic);
    assert_eq!(datagram, b"amy:second");
    classic.send_to(b"answer two", from).expect("sendto");
    let late = client.wait_for("late reply from");
    assert!(
        late.contains("\"amy:first\"") && late.ends_with(": answer one"),
        "{late}"
    );
    let answer = client.wait_for("reply from");
    assert!(
        answer.starts_with("reply from") && answer.ends_with(": answer two"),
        "{answer}"
    );
    client.close_stdin();
    assert!(client.wait_exit().success());
}

/// `N/M cases behaved as described` → (N, M).
fn tally(out: &str) -> (usize, usize) {
    let line = out
        .lines()
        .find(|line| line.ends_with("cases behaved as described"))
        .unwrap_or_else(|| panic!("no tally line in:\n{out}"));
    let (behaved, total) = line
        .split_whitespace()
        .next()
        .and_then(|n| n.split_once('/'))
        .unwrap_or_else(|| panic!("no N/M in {line:?}"));
    (
        behaved.parse().expect("N is a number"),
        total.parse().expect("M is a number"),
    )
}

#[test]
fn errors_runs_every_classic_mistake_and_each_behaves_as_described() {
    let output = lab_cmd(&["5", "errors"]).output().expect("lab runs");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (behaved, total) = tally(&out);
    assert!(total >= 10, "at least the ten classic mistakes:\n{out}");
    assert_eq!(behaved, total, "{out}");
    assert!(out.matches("\n  observed").count() >= total, "{out}");
    assert_eq!(out.matches("\n  PASS").count(), total, "{out}");
    for label in ["Python, Linux", "Python, Windows", "Rust", "fix"] {
        assert_eq!(
            out.matches(&format!("\n  {label} ")).count(),
            total,
            "{label}:\n{out}"
        );
    }
}

#[test]
fn errors_only_runs_the_one_case_asked_for() {
    let output = lab_cmd(&["5", "errors", "--only", "7"])
        .output()
        .expect("lab runs");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}");
    assert_eq!(tally(&out), (1, 1));
    assert!(
        out.contains("Case 7/") && out.contains("larger than the receive buffer"),
        "{out}"
    );
    assert!(!out.contains("Case 1/"), "{out}");
}

#[test]
fn errors_only_outside_the_cases_is_a_usage_error() {
    lab_cmd(&["5", "errors", "--only", "99"]).assert().code(2);
    lab_cmd(&["5", "errors", "--only", "0"]).assert().code(2);
}

#[test]
fn errors_list_names_the_cases_without_running_them() {
    lab_cmd(&["5", "errors", "--list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "send() on an unconnected UDP socket",
        ))
        .stdout(predicate::str::contains("behaved").not());
}

/// The widest line of `text`, in terminal columns (a Chinese character takes two).
fn widest(text: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

#[test]
fn errors_wrap_at_the_terminal_width_at_word_boundaries_and_not_on_a_pipe() {
    // SOCKET_LAB_COLUMNS stands in for an 80-column terminal.
    let wrapped = lab_cmd(&["5", "errors", "--only", "1"])
        .env("SOCKET_LAB_COLUMNS", "80")
        .output()
        .expect("lab runs");
    let wrapped = String::from_utf8_lossy(&wrapped.stdout).into_owned();
    assert!(widest(&wrapped) <= 80, "{wrapped}");
    // Continuation lines hang under the text, and no word is cut.
    assert!(
        wrapped.contains("\n                   was disallowed because"),
        "{wrapped}"
    );
    let plain = lab_cmd(&["5", "errors", "--only", "1"])
        .env_remove("SOCKET_LAB_COLUMNS")
        .output()
        .expect("lab runs");
    let plain = String::from_utf8_lossy(&plain.stdout).into_owned();
    assert!(widest(&plain) > 80, "a pipe gets long lines:\n{plain}");
    // The same words in the same order (ports and times differ from run to run).
    let words = |text: &str| {
        text.split_whitespace()
            .filter(|word| !word.chars().any(|c| c.is_ascii_digit()))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(words(&wrapped), words(&plain));
}

#[test]
fn errors_predict_shows_the_code_and_waits_for_a_line_before_running_the_case() {
    let mut errors = Lab::start(&["5", "errors", "--predict", "--only", "7"]);
    errors.wait_for("Case 7/");
    errors.wait_for("Python ");
    errors.wait_for("Predict, then press Enter");
    // It waits for stdin now: nothing of the outcome or the explanation is out yet.
    let so_far = errors.stdout_so_far();
    for hidden in [
        "\n  observed",
        "\n  expected",
        "\n  fix",
        "\n  Python, Linux",
    ] {
        assert!(
            !so_far.contains(hidden),
            "{hidden} shown too early:\n{so_far}"
        );
    }
    errors.send_line("only 10 bytes arrive");
    let said = errors.wait_for("you predicted");
    assert!(said.ends_with("only 10 bytes arrive"), "{said}");
    errors.wait_for("Python, Linux");
    errors.wait_for("observed");
    errors.wait_for("fix");
    assert!(errors.wait_exit().success());
}

#[test]
fn errors_predict_without_input_runs_the_cases_without_waiting() {
    lab_cmd(&["5", "errors", "--predict", "--only", "1"])
        .write_stdin("")
        .assert()
        .success()
        .stdout(predicate::str::contains("run without waiting"))
        .stdout(predicate::str::contains("1/1 cases behaved as described"));
}

#[test]
fn in_chinese_the_server_and_a_client_without_a_server_explain_themselves() {
    let (mut server, _port) = Lab::server("5", &["--lang", "zh"]);
    server.wait_for("（没有 accept()：每个数据报都带着发送者的地址；一个套接字回答所有人。Ctrl-C 停止服务器。）");

    let port = closed_port().to_string();
    let mut client = Lab::start(&[
        "--lang",
        "zh",
        "5",
        "client",
        "--port",
        &port,
        "--timeout",
        "1",
    ]);
    client.send_line("anyone there?");
    client.wait_for("1s 内没有人回答。UDP 分不清“没有服务器”和“数据报丢了”");
    client.send_line("q");
    client.wait_for("已发送 q：服务器知道我们离开了，只因为我们告诉了它");
    assert!(client.wait_exit().success());
}
