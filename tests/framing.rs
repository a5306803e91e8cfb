//! Lab 7 — framing: without framing the message boundaries are lost; with `line` or
//! `length` every message comes back whole; limits and truncation are reported.

mod common;

use std::io::Write;
use std::net::{Shutdown, TcpListener};

use common::{connect, lab_cmd, read_until_contains, Lab};
use predicates::prelude::*;

/// Runs `lab 7 client --port PORT EXTRA...` to the end; returns what it printed.
fn run_client(port: u16, extra: &[&str]) -> String {
    let port = port.to_string();
    let mut args = vec!["7", "client", "--port", &port];
    args.extend_from_slice(extra);
    let output = lab_cmd(&args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8_lossy(&output).into_owned()
}

/// `sent N messages, recv() calls: R, messages recovered: M` → (N, R, M).
fn summary_numbers(line: &str) -> (u64, u64, u64) {
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|word| word.parse().ok())
        .collect();
    match numbers[..] {
        [n, r, m] => (n, r, m),
        _ => panic!("not a summary line: {line:?}"),
    }
}

#[test]
fn without_framing_the_message_boundaries_are_lost() {
    let (mut server, port) = Lab::server("7", &["--framing", "none"]);
    let client = run_client(port, &["--framing", "none", "--burst", "5"]);

    // 5 short messages + 1 large one. However the bytes were cut this time, recv()
    // did not hand them over one message per call.
    let summary = server.wait_for("sent 6 messages, recv() calls: ");
    let (sent, recv_calls, recovered) = summary_numbers(&summary);
    assert_eq!(sent, 6);
    assert!(
        recv_calls != sent || recovered != sent,
        "boundaries looked kept: {summary}"
    );
    assert!(client.contains("server says: sent 6 messages"), "{client}");
}

#[test]
fn line_framing_recovers_every_message_whole() {
    let (mut server, port) = Lab::server("7", &["--framing", "line"]);
    run_client(port, &["--framing", "line", "--burst", "20"]);

    server.wait_for("message 21 (100000 bytes): large message");
    let summary = server.wait_for("sent 21 messages, ");
    let (sent, _, recovered) = summary_numbers(&summary);
    assert_eq!(recovered, sent, "{summary}");
}

#[test]
fn length_framing_reassembles_messages_cut_into_tiny_recvs() {
    let (mut server, port) = Lab::server("7", &["--framing", "length", "--bufsize", "7"]);
    run_client(
        port,
        &["--framing", "length", "--burst", "10", "--size", "3000"],
    );

    server.wait_for("message 11 (3000 bytes)");
    let summary = server.wait_for("sent 11 messages, ");
    let (sent, recv_calls, recovered) = summary_numbers(&summary);
    assert_eq!(recovered, sent, "{summary}");
    assert!(
        recv_calls > sent,
        "7-byte recv() calls must have cut messages: {summary}"
    );
}

#[test]
fn a_peer_without_count_header_sending_length_prefixes_is_understood() {
    let (mut server, port) = Lab::server("7", &["--framing", "length"]);

    // What a Python peer does: sendall(struct.pack('>I', len(m)) + m), twice, here
    // written so that the second prefix is cut in half between two send() calls.
    let mut peer = connect(port);
    peer.write_all(b"\x00\x00\x00\x05hello\x00\x00")
        .expect("send");
    peer.write_all(b"\x00\x06world!").expect("send");
    peer.shutdown(Shutdown::Write).expect("shutdown");

    let reply = read_until_contains(&mut peer, "messages recovered: 2");
    assert!(reply.contains("sent ? messages"), "{reply}");
    server.wait_for("message 1 (5 bytes): hello");
    server.wait_for("message 2 (6 bytes): world!");
}

#[test]
fn an_oversized_length_prefix_is_refused_and_the_server_serves_the_next_client() {
    let (mut server, port) = Lab::server("7", &["--framing", "length"]);

    // ff ff ff ff announces 4 GiB: refused at once, nothing allocated.
    let mut peer = connect(port);
    peer.write_all(&[0xff; 4]).expect("send");
    let reply = read_until_contains(&mut peer, "error: ");
    assert!(reply.contains("over the limit"), "{reply}");
    server.wait_for("announces a message of 4294967295 bytes, over the limit");
    drop(peer);

    run_client(port, &["--framing", "length", "--burst", "2"]);
    let summary = server.wait_for("sent 3 messages, ");
    assert_eq!(summary_numbers(&summary).2, 3, "{summary}");
}

#[test]
fn an_overlong_line_is_refused_and_the_client_is_told_why() {
    let (mut server, port) = Lab::server("7", &["--framing", "line", "--max", "100"]);
    let client = run_client(
        port,
        &["--framing", "line", "--burst", "1", "--size", "5000"],
    );

    server.wait_for("more than 100 bytes arrived without a newline");
    assert!(
        client.contains("server says: error: more than 100 bytes"),
        "{client}"
    );
}

#[test]
fn a_peer_closing_mid_message_is_reported_as_truncated() {
    let (mut server, port) = Lab::server("7", &["--framing", "length"]);

    let mut peer = connect(port);
    peer.write_all(b"\x00\x00\x00\x0aabc").expect("send");
    peer.shutdown(Shutdown::Write).expect("shutdown");

    let reply = read_until_contains(&mut peer, "messages recovered: 0");
    assert!(reply.contains("truncated message"), "{reply}");
    server.wait_for("truncated message: the peer closed after 3 of the 10 bytes");
}

#[test]
fn a_client_without_a_server_says_which_server_to_start() {
    // A port that was free a moment ago: nothing listens there now.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    lab_cmd(&["7", "client", "--port", &port.to_string()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("`lab 7 server`"));
}

#[test]
fn a_delayed_first_recv_always_gets_the_short_messages_stuck_together() {
    // What EXERCISES lab 7 step 1 shows every time: the server waits before its
    // first recv(), so the client's separate send()s are all waiting in the kernel.
    let (mut server, port) = Lab::server("7", &["--framing", "none", "--delay", "2000"]);
    run_client(port, &["--framing", "none", "--burst", "5"]);

    server.wait_for("--delay: waiting 2000 ms before the first recv()");
    server.wait_for("recv() #1 -> 4096 bytes: LAB7");
    server.wait_for("message 1 (4088 bytes): msg 1msg 2msg 3msg 4msg 5large");
    let summary = server.wait_for("sent 6 messages, ");
    let (_, recv_calls, recovered) = summary_numbers(&summary);
    assert_eq!(recv_calls, recovered, "{summary}");
}

#[test]
fn client_gives_up_with_a_sentence_when_the_server_stops_reading() {
    // A server that accepts and never reads: once its receive buffer and the client's
    // send buffer are full, send() cannot go on.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("bound").port().to_string();
    let mut client = Lab::start(&[
        "7",
        "client",
        "--port",
        &port,
        "--burst",
        "1000",
        "--size",
        "16777216",
        "--send-timeout",
        "1",
    ]);
    let (_never_read, _) = listener.accept().expect("the client connects");
    let status = client.wait_exit();
    assert_eq!(status.code(), Some(1));
    let said = client.wait_for_err("stopped reading");
    assert!(said.contains("--send-timeout 1 s"), "{said}");
}
