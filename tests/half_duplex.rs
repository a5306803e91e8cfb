//! Lab 3 — half-duplex: turn-taking between the server's operator and one client.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{connect, lab_cmd, read_until_contains, Lab};
use predicates::prelude::*;

/// `lab 3 client --name NAME` against the server on `port`, stdin fed by the test.
fn client(port: u16, name: &str) -> Lab {
    let port = port.to_string();
    let mut client = Lab::start(&["3", "client", "--port", &port, "--name", name]);
    client.wait_for("connected to");
    client
}

#[test]
fn client_and_server_take_turns_both_ways() {
    let (mut server, port) = Lab::server("3", &[]);
    let mut amy = client(port, "amy");

    amy.send_line("hello server");
    server.wait_for("[connect] 127.0.0.1:");
    server.wait_for("amy: hello server");
    server.send_line("hello amy");
    amy.wait_for("server: hello amy");

    amy.send_line("你好");
    server.wait_for("amy: 你好");
    server.send_line("再见");
    amy.wait_for("server: 再见");

    amy.send_line("q");
    assert!(amy.wait_exit().success());
    amy.wait_for("you ended the conversation");
    server.wait_for("amy ended the conversation (q)");
}

#[test]
fn q_from_the_server_ends_the_client_and_the_next_client_is_accepted() {
    let (mut server, port) = Lab::server("3", &[]);
    let mut amy = client(port, "amy");
    amy.send_line("hi");
    server.wait_for("amy: hi");
    server.send_line("Q");
    assert!(amy.wait_exit().success());
    amy.wait_for("the server ended the conversation (it sent q)");
    server.wait_for("you ended the conversation (q)");

    // The server goes back to accept() for the next client.
    let mut bob = client(port, "bob");
    bob.send_line("my turn?");
    server.wait_for("[connect] 127.0.0.1:");
    server.wait_for("bob: my turn?");
    server.send_line("yes");
    bob.wait_for("server: yes");
}

#[test]
fn a_second_client_waits_in_the_queue_until_the_first_one_quits() {
    let (mut server, port) = Lab::server("3", &[]);
    let mut amy = client(port, "amy");
    amy.send_line("first");
    server.wait_for("amy: first");

    // Bob's connect() succeeds (the kernel queues him), but nobody reads his message.
    let mut bob = client(port, "bob");
    bob.send_line("second");
    server.send_line("one moment");
    amy.wait_for("server: one moment");
    amy.send_line("q");
    assert!(amy.wait_exit().success());

    // Only now is Bob accepted; his message was waiting for him.
    server.wait_for("amy ended the conversation");
    server.wait_for("bob: second");
    server.send_line("sorry for the wait");
    bob.wait_for("server: sorry for the wait");
}

#[test]
fn client_reports_server_gone_instead_of_hanging() {
    let (mut server, port) = Lab::server("3", &[]);
    let mut amy = client(port, "amy");
    amy.send_line("are you there?");
    server.wait_for("amy: are you there?");

    // The operator's terminal is closed: the process dies while Amy waits for a reply.
    let killed = Instant::now();
    server.kill();
    let status = amy.wait_exit();
    assert!(
        killed.elapsed() < Duration::from_secs(3),
        "took {:?}",
        killed.elapsed()
    );
    assert_eq!(status.code(), Some(1));
    // The floor's one sentence for a server that went away, with lab 3's number.
    let error = amy.wait_for_err("closed the connection (recv() returned 0 bytes)");
    assert!(error.contains("Start `lab 3 server` again"), "{error}");
}

#[test]
fn the_end_of_the_server_input_counts_as_q_and_tells_the_client() {
    let (mut server, port) = Lab::server("3", &[]);
    let mut amy = client(port, "amy");
    amy.send_line("hello");
    server.wait_for("amy: hello");
    server.close_stdin();
    assert!(amy.wait_exit().success());
    amy.wait_for("the server ended the conversation");
    assert!(server.wait_exit().success());
    server.wait_for("no one is left to type replies");
}

#[test]
fn the_end_of_the_client_input_counts_as_q() {
    let (mut server, port) = Lab::server("3", &[]);
    let mut amy = client(port, "amy");
    amy.close_stdin();
    assert!(amy.wait_exit().success());
    server.wait_for("127.0.0.1:");
    server.wait_for("ended the conversation (q)");
}

#[test]
fn a_plain_socket_without_a_name_tag_is_shown_by_its_address_and_its_escapes_are_harmless() {
    let (mut server, port) = Lab::server("3", &[]);
    let mut peer = connect(port);
    let me = peer.local_addr().expect("a local address").to_string();
    // As nc sends it: with a newline. And an escape sequence that would clear the screen.
    peer.write_all(b"hi \x1b[2J there\n").expect("send");
    let line = server.wait_for(&format!("{me}: hi"));
    assert!(line.ends_with("hi \\e[2J there"), "{line}");
    assert!(!line.contains('\x1b'));
    server.send_line("welcome, stranger");
    read_until_contains(&mut peer, "welcome, stranger");
    // The first line had no tag, so a later `note:` is text, never a name.
    peer.write_all(b"note: meet at 5\n").expect("send");
    server.wait_for(&format!("{me}: note: meet at 5"));
    server.send_line("ok");
    read_until_contains(&mut peer, "ok");
    peer.write_all(b"q\n").expect("send");
    server.wait_for(&format!("{me} ended the conversation (q)"));
}

#[test]
fn a_classic_client_tags_every_line_and_its_tagged_q_ends_the_conversation() {
    let (mut server, port) = Lab::server("3", &[]);
    let mut peer = connect(port);
    // The classic client: `name_and_qq + ":" + msg`, no newline.
    peer.write_all("小马过河1234QQ:hello".as_bytes())
        .expect("send");
    server.wait_for("小马过河1234QQ: hello");
    server.send_line("hi there");
    read_until_contains(&mut peer, "hi there");
    // Another tag on this connection is not a rename: the line is shown whole.
    peer.write_all(b"bob:hi").expect("send");
    server.wait_for("小马过河1234QQ: bob:hi");
    server.send_line("who is bob?");
    read_until_contains(&mut peer, "who is bob?");
    peer.write_all("小马过河1234QQ:q".as_bytes()).expect("send");
    server.wait_for("小马过河1234QQ ended the conversation (q)");
}

#[test]
fn a_client_without_a_server_says_which_server_to_start() {
    let port = common::free_port().to_string();
    lab_cmd(&["3", "client", "--port", &port])
        .write_stdin("hello\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("lab 3 server"));
}

#[test]
fn a_name_with_a_colon_is_refused_before_connecting() {
    lab_cmd(&["3", "client", "--name", "a:b"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("without spaces, `:`"));
    lab_cmd(&["3", "client", "--name", "two words"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("1 to 16 characters"));
}

#[test]
fn in_chinese_both_sides_say_whose_turn_it_is_to_speak() {
    let (mut server, port) = Lab::server("3", &["--lang", "zh"]);
    let port = port.to_string();
    let mut client = Lab::start(&[
        "--lang", "zh", "3", "client", "--name", "amy", "--port", &port,
    ]);
    let connected = client.wait_for("以 amy 的身份连接到 127.0.0.1:");
    assert!(
        connected.ends_with("。你先说；输入 q 退出。"),
        "{connected}"
    );
    client.send_line("");
    client.wait_for("（空行是 0 字节：对方什么也收不到。请输入点内容，或输入 q）");
    client.send_line("hi");
    server.wait_for("amy: hi");
    server.send_line("q");
    server.wait_for("你结束了这次对话（q）");
    client.wait_for("服务器结束了这次对话（它发来了 q）");
}
