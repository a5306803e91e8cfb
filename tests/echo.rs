//! Lab 1 — echo, through the real `lab` binary: the server's steps, the ctime reply,
//! `exit`, one client after another, nc- and Python-style peers, bad input.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

use common::{connect, read_until_contains, Lab};
use socket2::SockRef;

#[test]
fn server_shows_its_socket_steps_in_order_before_it_listens() {
    let (mut server, _port) = Lab::server("1", &[]);
    let out = server.stdout_so_far();
    let steps: Vec<&str> = out.lines().collect();
    let at = |call: &str| {
        steps
            .iter()
            .position(|line| line.starts_with(call))
            .unwrap_or_else(|| panic!("no {call} step in {out}"))
    };
    assert!(at("socket()") < at("bind(127.0.0.1:0)"));
    assert!(at("bind(") < at("listen(5)"));
    assert!(at("listen(5)") < at("listening on 127.0.0.1:"));
    server.wait_for("accept() waiting...");
}

#[test]
fn client_lines_come_back_with_the_time_in_front() {
    let (mut server, port) = Lab::server("1", &[]);
    let mut client = Lab::start(&["1", "client", "--port", &port.to_string()]);
    client.send_line("hello");
    client.wait_for("recv(1024) -> 30 bytes");
    // ctime form: `Mon Nov 23 03:47:53 2026 hello`
    let reply = client.wait_for(" hello");
    let words: Vec<&str> = reply.split_whitespace().collect();
    assert_eq!(words.len(), 6, "{reply}");
    assert_eq!(words[5], "hello");
    assert!(words[3].matches(':').count() == 2, "a time in {reply}");

    server.wait_for("accept() -> 127.0.0.1:");
    server.wait_for("recv(1024) -> 5 bytes: hello");
    server.wait_for("send(30 bytes): ");
}

#[test]
fn exit_ends_the_conversation_and_the_server_accepts_the_next_client() {
    let (mut server, port) = Lab::server("1", &[]);
    let port = port.to_string();

    let mut first = Lab::start(&["1", "client", "--port", &port]);
    first.send_line("one");
    first.wait_for(" one");
    first.send_line("exit");
    assert!(first.wait_exit().success());
    server.wait_for("it said exit");

    let mut second = Lab::start(&["1", "client", "--port", &port]);
    second.send_line("two");
    second.wait_for(" two");
    second.close_stdin();
    assert!(second.wait_exit().success());
    server.wait_for("recv(1024) -> 0 bytes: the client closed");
    server.wait_for("it closed the connection");
}

#[test]
fn a_second_client_waits_in_the_backlog_until_the_first_leaves() {
    let (mut server, port) = Lab::server("1", &[]);
    let mut first = connect(port);
    first.write_all(b"first").unwrap();
    read_until_contains(&mut first, "first");

    // connect() succeeds at once (the kernel queued it), but nobody answers yet.
    let mut second = connect(port);
    second.write_all(b"second").unwrap();
    second
        .set_read_timeout(Some(std::time::Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 64];
    let waited = second.read(&mut buf);
    assert!(
        waited.is_err(),
        "the second client was answered while the first was served"
    );

    first.write_all(b"exit").unwrap();
    second.set_read_timeout(Some(common::PATIENCE)).unwrap();
    assert!(read_until_contains(&mut second, "second").ends_with(" second"));
    server.wait_for("recv(1024) -> 6 bytes: second");
}

#[test]
fn a_python_style_client_without_newline_gets_one_reply_per_recv() {
    // As the classic Python client: send(b"hello"), recv(1024), close().
    let (_server, port) = Lab::server("1", &[]);
    let mut peer = connect(port);
    peer.write_all(b"hello").unwrap();
    let mut buf = [0u8; 1024];
    let n = peer.read(&mut buf).unwrap();
    let reply = String::from_utf8_lossy(&buf[..n]);
    assert!(reply.ends_with(" hello"), "{reply}");
    assert_eq!(
        n, 30,
        "24 bytes of ctime, a space, 5 bytes of hello: {reply}"
    );
}

#[test]
fn an_nc_style_client_with_newlines_and_exit_newline_works() {
    let (mut server, port) = Lab::server("1", &[]);
    let mut peer = connect(port);
    peer.write_all(b"hi\n").unwrap();
    let reply = read_until_contains(&mut peer, "hi\n");
    assert!(reply.ends_with(" hi\n"), "{reply:?}");
    peer.write_all(b"exit\n").unwrap();
    server.wait_for("it said exit");
}

#[test]
fn escape_sequences_and_invalid_utf8_are_shown_escaped_and_echoed_back_as_bytes() {
    let (mut server, port) = Lab::server("1", &[]);
    let mut peer = connect(port);
    peer.write_all(b"\x1b[2J\xff").unwrap();
    let mut buf = [0u8; 1024];
    let n = peer.read(&mut buf).unwrap();
    assert!(
        buf[..n].ends_with(b" \x1b[2J\xff"),
        "the bytes come back as sent"
    );
    let line = server.wait_for("recv(1024) -> 5 bytes: ");
    assert!(line.ends_with("\\e[2J\\xff"), "{line:?}");
    assert!(
        !server.stdout_so_far().contains('\x1b'),
        "a raw ESC reached the terminal"
    );
}

#[test]
fn a_reset_client_is_logged_in_one_line_and_the_next_client_is_served() {
    let (mut server, port) = Lab::server("1", &["--quiet"]);
    let peer = connect(port);
    server.wait_for("[connect] 127.0.0.1:");
    // SO_LINGER 0 then close: the kernel sends RST instead of the normal FIN.
    SockRef::from(&peer)
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    drop(peer);
    server.wait_for("reset the connection");

    let mut next = connect(port);
    next.write_all(b"still here").unwrap();
    read_until_contains(&mut next, "still here");
}

#[test]
fn a_one_mebibyte_burst_without_newline_does_not_break_the_server() {
    let (mut server, port) = Lab::server("1", &["--quiet"]);
    let mut peer = connect(port);
    // Write 1 MiB while reading the replies, so neither side's buffers fill up.
    let mut reader = peer.try_clone().unwrap();
    let drain = std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = reader.read_to_end(&mut sink);
        sink.len()
    });
    peer.write_all(&vec![b'x'; 1 << 20]).unwrap();
    peer.shutdown(Shutdown::Write).unwrap();
    assert!(
        drain.join().unwrap() > 1 << 20,
        "every byte came back, with times"
    );
    server.wait_for("it closed the connection");

    let mut next = connect(port);
    next.write_all(b"after").unwrap();
    read_until_contains(&mut next, "after");
}

#[test]
fn client_reports_server_gone_instead_of_hanging() {
    let (mut server, port) = Lab::server("1", &[]);
    let mut client = Lab::start(&["1", "client", "--port", &port.to_string()]);
    client.send_line("ping");
    client.wait_for(" ping");
    server.kill();
    client.send_line("anyone?");
    let status = client.wait_exit();
    assert_eq!(status.code(), Some(1));
    let err = client.stderr_so_far();
    assert!(
        err.contains("closed the connection") || err.contains("reset the connection"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_empty_line_is_not_sent_because_it_is_zero_bytes() {
    let (_server, port) = Lab::server("1", &[]);
    let mut client = Lab::start(&["1", "client", "--port", &port.to_string()]);
    client.send_line("");
    client.wait_for("an empty line is 0 bytes");
    client.send_line("after");
    client.wait_for(" after");
}

#[test]
fn step_mode_runs_one_socket_call_per_enter_and_accept_waits_for_it() {
    let mut server = Lab::start(&["1", "server", "--port", "0", "--step"]);
    server.wait_for("next: socket()");
    server.send_line(""); // socket()
    server.wait_for("socket() -> a new TCP socket");
    if cfg!(unix) {
        server.wait_for("next: setsockopt(SO_REUSEADDR, 1)");
        server.send_line("");
    }
    server.wait_for("next: bind(127.0.0.1:0)");
    server.send_line("");
    server.wait_for("next: listen(5)");
    server.send_line("");
    let port = server.port();
    server.wait_for("next: accept()");

    // After listen() a client can connect, although accept() has not run yet...
    let mut peer = TcpStream::connect(("127.0.0.1", port)).expect("connect succeeds before accept");
    peer.write_all(b"early").unwrap();
    // ...and accept() returns only when the student presses Enter.
    assert!(!server.stdout_so_far().contains("accept() -> "));
    server.send_line("");
    server.wait_for("accept() -> 127.0.0.1:");
    server.wait_for("next: recv(1024)");
    server.send_line("");
    server.wait_for("recv(1024) -> 5 bytes: early");
}

#[test]
fn a_tiny_bufsize_splits_one_message_across_several_recvs() {
    let (mut server, port) = Lab::server("1", &["--bufsize", "4"]);
    let mut peer = connect(port);
    peer.write_all(b"abcdefgh").unwrap();
    server.wait_for("recv(4) -> 4 bytes: abcd");
    server.wait_for("recv(4) -> 4 bytes: efgh");
}

#[test]
fn the_server_answers_over_ipv6_loopback() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback on this machine; skipping");
        return;
    }
    let mut server = Lab::start(&["1", "server", "--host", "::1", "--port", "0"]);
    let line = server.wait_for("listening on [::1]:");
    let port = common::parse_port(&line).unwrap();
    let mut client = Lab::start(&["1", "client", "--host", "::1", "--port", &port.to_string()]);
    client.send_line("six");
    client.wait_for(" six");
}

#[test]
fn binding_all_interfaces_warns_that_classmates_can_connect() {
    let mut server = Lab::start(&["1", "server", "--host", "0.0.0.0", "--port", "0"]);
    server.wait_for("listening on 0.0.0.0:");
    server.wait_for_err("other machines on your network can now connect");
}

#[test]
fn in_chinese_the_client_explains_an_empty_line_and_the_replies_stay_bytes() {
    let (_server, port) = Lab::server("1", &[]);
    let port = port.to_string();
    let mut client = Lab::start(&["--lang", "zh", "1", "client", "--port", &port]);
    client.send_line("");
    client.wait_for("（空行是 0 字节：没有内容可发，所以什么也不发送）");
    // The socket trace stays English: it names the calls.
    client.send_line("after");
    client.wait_for("recv(1024) -> 30 bytes");
}
