//! Lab 2 — encoding: the same text as different bytes, read both ways, and characters
//! split across recv() calls.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use common::{connect, lab_cmd, Lab};
use predicates::prelude::*;

// 尹哲 in UTF-8: 3 bytes a character. (In GBK it is d2 fc d5 dc, 2 bytes a character.)
const YIN_ZHE_UTF8: &[u8] = b"\xe5\xb0\xb9\xe5\x93\xb2";

#[test]
fn demo_shows_the_utf8_bytes_of_yin_zhe_read_as_gbk_as_mojibake() {
    lab_cmd(&["2", "demo", "尹哲"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "UTF-8 bytes (6): e5 b0 b9 e5 93 b2",
        ))
        .stdout(predicate::str::contains("GBK bytes (4): d2 fc d5 dc"))
        .stdout(predicate::str::contains(
            "read as GBK   ✓ 3 characters: \"灏瑰摬\"",
        ))
        .stdout(predicate::str::contains("read as UTF-8 ✗"));
}

#[test]
fn demo_says_when_gbk_has_no_code_for_a_character() {
    lab_cmd(&["encoding", "demo", "hi", "😀"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "GBK has no code for 😀 (U+1F600, written as &#128512;)",
        ))
        .stdout(predicate::str::contains("&#128512;"));
}

#[test]
fn utf8_bytes_from_a_plain_socket_read_as_yin_zhe_in_utf8_and_mojibake_in_gbk() {
    let (mut server, port) = Lab::server("2", &[]);
    // What the classic Python client does: send('尹哲'.encode('utf-8')).
    let mut peer = connect(port);
    peer.write_all(YIN_ZHE_UTF8).expect("send");
    server.wait_for("recv(1024) -> 6 bytes: e5 b0 b9 e5 93 b2");
    server.wait_for("as UTF-8 ✓ 2 characters: \"尹哲\"");
    server.wait_for("as GBK   ✓ 3 characters: \"灏瑰摬\"");
    drop(peer);
    server.wait_for("[end] 127.0.0.1:");
}

#[test]
fn gbk_client_sends_d2_fc_d5_dc_which_fail_as_utf8() {
    let (mut server, port) = Lab::server("2", &[]);
    let port = port.to_string();
    let mut client = Lab::start(&["2", "client", "--port", &port, "--encoding", "gbk"]);
    client.send_line("尹哲");
    client.wait_for("send(4 bytes): d2 fc d5 dc");
    server.wait_for("recv(1024) -> 4 bytes: d2 fc d5 dc");
    server.wait_for("as UTF-8 ✗ 4 characters (4 � = bytes not valid in UTF-8)");
    server.wait_for("as GBK   ✓ 2 characters: \"尹哲\"");
    client.close_stdin();
    assert!(client.wait_exit().success());
    server.wait_for("closed by the client");
}

#[test]
fn a_character_split_by_a_small_bufsize_shows_replacement_marks_without_stream() {
    let (mut server, port) = Lab::server("2", &["--bufsize", "2"]);
    let mut peer = connect(port);
    peer.write_all(YIN_ZHE_UTF8).expect("send");
    server.wait_for("recv(2) -> 2 bytes: e5 b0");
    server.wait_for("as UTF-8 ✗ 1 character (1 � = bytes not valid in UTF-8): \"�\"");
    server.wait_for("recv(2) -> 2 bytes: b9 e5");
    server.wait_for("as UTF-8 ✗ 2 characters");
}

#[test]
fn a_character_split_by_a_small_bufsize_decodes_whole_with_stream() {
    let (mut server, port) = Lab::server("2", &["--bufsize", "2", "--stream"]);
    let mut peer = connect(port);
    peer.write_all(YIN_ZHE_UTF8).expect("send");
    server.wait_for("recv(2) -> 2 bytes: e5 b0");
    server.wait_for("as UTF-8 ✓ 0 characters: \"\" + 2 bytes of an unfinished character");
    server.wait_for("recv(2) -> 2 bytes: b9 e5");
    server.wait_for("as UTF-8 ✓ 1 character: \"尹\" + 1 byte of an unfinished character");
    server.wait_for("recv(2) -> 2 bytes: 93 b2");
    server.wait_for("as UTF-8 ✓ 1 character: \"哲\"");
    let everything = server.stdout_so_far();
    assert!(!everything.contains("as UTF-8 ✗"), "{everything}");
}

#[test]
fn a_chunked_gbk_client_is_decoded_whole_by_a_streaming_server() {
    let (mut server, port) = Lab::server("2", &["--stream"]);
    let port = port.to_string();
    let args = [
        "2",
        "client",
        "--port",
        &port,
        "--encoding",
        "gbk",
        "--chunk",
        "1",
        "--pause",
        "20",
    ];
    let mut client = Lab::start(&args);
    client.send_line("尹哲");
    client.wait_for("\"尹哲\" in GBK is 4 bytes: d2 fc d5 dc; sending 1 byte at a time");
    for byte in ["d2", "fc", "d5", "dc"] {
        client.wait_for(&format!("send(1 byte): {byte}"));
    }
    // However the pieces were grouped on arrival, GBK comes out whole.
    server.wait_for("as GBK   ✓ 1 character: \"尹\"");
    server.wait_for("as GBK   ✓ 1 character: \"哲\"");
    client.close_stdin();
    assert!(client.wait_exit().success());
    let end = server.wait_for("[end]");
    assert!(
        end.contains("4 bytes") && end.contains("closed by the client"),
        "{end}"
    );
}

#[test]
fn a_client_leaving_mid_character_is_reported_and_the_next_client_is_served() {
    let (mut server, port) = Lab::server("2", &["--stream"]);
    let mut peer = connect(port);
    peer.write_all(b"\xe5\xb0").expect("send");
    server.wait_for("recv(1024) -> 2 bytes: e5 b0");
    drop(peer);
    server.wait_for("the connection ended in the middle of a character: as UTF-8 ✗");
    server.wait_for("[end]");

    let mut next = connect(port);
    next.write_all(YIN_ZHE_UTF8).expect("send");
    server.wait_for("as UTF-8 ✓ 2 characters: \"尹哲\"");
}

#[test]
fn the_server_survives_invalid_bytes_and_a_reset_and_serves_the_next_client() {
    let (mut server, port) = Lab::server("2", &[]);
    let peer = connect(port);
    (&peer).write_all(b"\xff\xfe\x1b[2J").expect("send");
    server.wait_for("recv(1024) -> 6 bytes: ff fe 1b 5b 32 4a");
    // The escape sequence is shown escaped, never sent raw to the terminal.
    let utf8 = server.wait_for("as UTF-8 ✗");
    assert!(utf8.contains("\\e[2J") && !utf8.contains('\x1b'), "{utf8}");

    // SO_LINGER 0 then close: the kernel sends a reset (RST) instead of the goodbye (FIN).
    socket2::SockRef::from(&peer)
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER can be set");
    drop(peer);
    let end = server.wait_for("[end]");
    assert!(end.contains("reset"), "{end}");

    let mut next = connect(port);
    next.write_all(b"hello").expect("send");
    server.wait_for("as UTF-8 ✓ 5 characters: \"hello\"");
}

#[test]
fn a_one_mebibyte_burst_is_shown_in_short_lines_and_the_server_goes_on() {
    // A large recv() buffer keeps the output (and this test) short: some 20 recv()s.
    let (mut server, port) = Lab::server("2", &["--bufsize", "65536"]);
    let mut peer = connect(port);
    peer.write_all(&vec![b'a'; 1 << 20]).expect("send 1 MiB");
    drop(peer);
    let end = server.wait_for("[end]");
    assert!(end.contains("1048576 bytes"), "{end}");
    let longest = server
        .stdout_so_far()
        .lines()
        .map(|l| l.chars().count())
        .max();
    assert!(longest < Some(200), "a line of {longest:?} characters");

    let mut next = connect(port);
    next.write_all(b"next").expect("send");
    server.wait_for("\"next\"");
}

#[test]
fn a_client_started_before_its_server_exits_1_with_the_sentence() {
    // A port nobody listens on: bind one, note it, close it.
    let port = {
        let free = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        free.local_addr().expect("local address").port()
    };
    lab_cmd(&["2", "client", "--port", &port.to_string()])
        .write_stdin("尹哲\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "nothing is listening on 127.0.0.1:{port}"
        )))
        .stderr(predicate::str::contains("`lab 2 server`"));
}

#[test]
fn client_gives_up_with_a_sentence_when_the_server_stops_reading() {
    // A server that accepts and never reads: once its receive buffer and the client's
    // send buffer are full, send() cannot go on.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("bound").port().to_string();
    let mut client = Lab::start(&["2", "client", "--port", &port, "--send-timeout", "1"]);
    let (_never_read, _) = listener.accept().expect("the client connects");
    // One line of 16 MiB: far more than both buffers hold on loopback.
    client.send_line(&"x".repeat(16 << 20));
    let status = client.wait_exit();
    assert_eq!(status.code(), Some(1));
    let said = client.wait_for_err("stopped reading");
    assert!(said.contains("--send-timeout 1 s"), "{said}");
}

#[test]
fn in_chinese_the_client_says_how_each_line_is_sent() {
    let (_server, port) = Lab::server("2", &[]);
    let port = port.to_string();
    let mut client = Lab::start(&["--lang", "zh", "2", "client", "--port", &port]);
    client.wait_for("；每一行都按 UTF-8 编码成字节发送，不带换行符");
    client.send_line("");
    client.wait_for("（空行是 0 字节：没有内容可发，所以什么也不发送）");
}
