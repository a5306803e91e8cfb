//! Lab 8 — lifecycle, through the real `lab` binary: each side shows its sockets'
//! states as the OS reports them after each step (half-close, close, reset, stop
//! reading, closing the listener), `states` prints the table of the port, and every
//! `experiments` case behaves as described.
//!
//! The states come from the OS's own table. Tests that read it run on Linux, where
//! it is /proc/net/tcp; elsewhere they are left out rather than guessed.

mod common;

use std::io::{Read, Write};
#[cfg(target_os = "linux")]
use std::net::TcpStream;

#[cfg(target_os = "linux")]
use common::read_until_contains;
use common::{connect, free_port, lab_cmd, Lab};
use predicates::prelude::*;

/// A server on port 0 and a `lab 8 client` connected to it, both past their first
/// state report.
fn server_and_client() -> (Lab, Lab, u16) {
    let (mut server, port) = Lab::server("8", &[]);
    server.wait_for("accept() waiting...");
    let mut client = Lab::start(&["8", "client", "--port", &port.to_string()]);
    client.wait_for("connect(127.0.0.1:");
    client.wait_for("ESTABLISHED");
    server.wait_for("accept() -> 127.0.0.1:");
    server.wait_for("ESTABLISHED");
    (server, client, port)
}

#[test]
fn each_line_gets_one_reply_like_lab_1() {
    let (mut server, mut client, _port) = server_and_client();
    client.send_line("hello");
    client.wait_for("send(6 bytes)");
    client.wait_for("recv() -> 12 bytes: echo: hello\\n");
    server.wait_for("recv() -> 6 bytes: hello\\n");
    server.wait_for("send(12 bytes): echo: hello\\n");
}

#[test]
#[cfg(target_os = "linux")]
fn half_close_shows_fin_wait_2_and_close_wait_then_time_wait_after_the_server_closes() {
    let (mut server, mut client, port) = server_and_client();
    client.send_line("/shutdown");
    client.wait_for("shutdown(SHUT_WR) -> ok");
    let row = client.wait_for("FIN-WAIT-2");
    assert!(row.contains(&format!("-> 127.0.0.1:{port}")), "{row}");
    client.wait_for("half-closed");

    // The server reads the end of file, and its socket waits for close(): CLOSE-WAIT.
    server.wait_for("recv() -> 0 bytes: the client closed its sending side");
    server.wait_for("CLOSE-WAIT");
    server.wait_for("classic socket leak");

    // A half-closed client still reads: the server's close() reaches it as 0 bytes,
    // and its end, which said goodbye first, waits in TIME-WAIT.
    server.send_line("/close");
    server.wait_for("close() -> ok");
    server.wait_for("(not in the table any more)");
    server.wait_for("gone: we closed second");
    server.wait_for("accept() waiting...");
    client.wait_for("recv() -> 0 bytes: the server closed its sending side");
    client.wait_for("TIME-WAIT");
}

#[test]
#[cfg(target_os = "linux")]
fn a_reset_leaves_no_time_wait_and_the_server_takes_the_next_client() {
    let (mut server, mut client, port) = server_and_client();
    client.send_line("/reset");
    client.wait_for("setsockopt(SO_LINGER, on, 0 s); close() -> ok: RST sent");
    client.wait_for("gone at once: a reset leaves no TIME-WAIT");

    server.wait_for("ECONNRESET");
    server.wait_for("close() -> ok: the connection was already gone");
    server.wait_for("accept() waiting...");

    let mut next = connect(port);
    next.write_all(b"next\n").expect("the server accepts again");
    read_until_contains(&mut next, "echo: next");
}

#[test]
#[cfg(target_os = "linux")]
fn a_server_that_stops_reading_sees_the_bytes_wait_in_its_receive_queue() {
    let (mut server, mut client, _port) = server_and_client();
    server.send_line("/stop");
    server.wait_for("stopped reading");
    client.send_line("abc");
    client.send_line("defg");
    client.wait_for("send(5 bytes)");
    // 4 + 5 bytes, in the OS, not read by the program. (Ask again until both lines
    // have crossed loopback: on a busy machine that may take a moment.)
    let deadline = std::time::Instant::now() + common::PATIENCE;
    loop {
        server.send_line("/states");
        let row = server.wait_for("send-q");
        if row.contains("recv-q 9") {
            assert!(row.contains("ESTABLISHED"), "{row}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never 9 bytes queued: {row}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    server.wait_for("have not read");

    server.send_line("/read");
    server.wait_for("recv() -> 9 bytes: abc\\ndefg\\n");
    client.wait_for("echo: defg");
}

#[test]
#[cfg(target_os = "linux")]
fn closing_the_listener_keeps_the_connection_and_refuses_new_clients() {
    let (mut server, port) = Lab::server("8", &[]);
    server.wait_for("accept() waiting...");
    let mut peer = connect(port);
    server.wait_for("accept() -> 127.0.0.1:");
    server.send_line("/unlisten");
    server.wait_for("close() the listening socket -> ok");
    server.wait_for("gone: nobody listens on this port now");

    let refused = TcpStream::connect(("127.0.0.1", port));
    assert!(refused.is_err(), "a new client was accepted: {refused:?}");
    peer.write_all(b"still here\n")
        .expect("the connection lives on");
    read_until_contains(&mut peer, "echo: still here");

    // With no listener, the server is done when its last connection ends.
    drop(peer);
    server.wait_for("recv() -> 0 bytes");
    server.send_line("/close");
    server.wait_for("the server is done");
    assert!(server.wait_exit().success());
}

#[test]
fn the_client_closes_at_the_end_of_its_input() {
    let (mut server, mut client, _port) = server_and_client();
    client.close_stdin();
    client.wait_for("leaving: close()");
    assert!(client.wait_exit().success());
    server.wait_for("recv() -> 0 bytes");
}

#[test]
fn a_client_without_a_server_is_told_to_start_lab_8_server() {
    let port = free_port();
    lab_cmd(&["8", "client", "--port", &port.to_string()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("`lab 8 server`"));
}

#[test]
fn a_port_in_use_names_time_wait_as_a_possible_holder() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = holder.local_addr().expect("bound").port().to_string();
    let expected = if cfg!(unix) {
        "TIME-WAIT"
    } else {
        "already in use"
    };
    lab_cmd(&["8", "server", "--port", &port, "--no-reuseaddr"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already in use"))
        .stderr(predicate::str::contains(expected));
}

#[test]
#[cfg(target_os = "linux")]
fn states_on_a_pipe_prints_one_table_with_the_listener_and_both_ends() {
    let (mut server, port) = Lab::server("8", &[]);
    let peer = connect(port);
    server.wait_for("accept() -> 127.0.0.1:");
    let me = peer.local_addr().expect("connected").to_string();
    let out = lab_cmd(&["8", "states", "--port", &port.to_string()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8_lossy(&out);
    // The port may also show TIME-WAIT rows of an earlier user of the same port
    // number: pick our rows by their addresses.
    let server_end = format!("127.0.0.1:{port}");
    let row = |first: &str, second: &str| {
        out.lines()
            .find(|line| {
                let mut cells = line.split_whitespace();
                cells.next() == Some(first) && cells.next() == Some(second)
            })
            .unwrap_or_else(|| panic!("no row {first} -> {second} in\n{out}"))
            .to_string()
    };
    let listener = row(&server_end, "0.0.0.0:0");
    assert!(
        listener.contains("LISTEN") && listener.ends_with("listener"),
        "{out}"
    );
    let server = row(&server_end, &me);
    assert!(
        server.contains("ESTABLISHED") && server.ends_with("server"),
        "{out}"
    );
    let client = row(&me, &server_end);
    assert!(
        client.contains("ESTABLISHED") && client.ends_with("client"),
        "{out}"
    );
    assert!(
        !out.contains("recent changes"),
        "a pipe gets one table: {out}"
    );
}

/// `states` in Chinese (`--lang zh`): the headers and each row's end are Chinese, the
/// state names stay as the RFC writes them, and each header stands above its column
/// (a Chinese character takes two columns of the terminal).
#[test]
#[cfg(target_os = "linux")]
fn states_in_chinese_keeps_the_state_names_and_its_columns_aligned() {
    let (mut server, port) = Lab::server("8", &[]);
    let _peer = connect(port);
    server.wait_for("accept() -> 127.0.0.1:");
    let out = lab_cmd(&["--lang", "zh", "8", "states", "--port", &port.to_string()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8_lossy(&out);
    assert!(
        out.contains(&format!("端口 {port} 上的 TCP 套接字")),
        "{out}"
    );
    let header = out
        .lines()
        .find(|line| line.starts_with("本端地址"))
        .unwrap_or_else(|| panic!("no Chinese header in\n{out}"));
    let listener = out
        .lines()
        .find(|line| line.contains("LISTEN"))
        .unwrap_or_else(|| panic!("no LISTEN row in\n{out}"));
    assert!(listener.ends_with("监听端"), "{out}");
    assert!(out
        .lines()
        .any(|l| l.contains("ESTABLISHED") && l.ends_with("服务器端")));
    // The column where a cell starts, in terminal columns.
    let column = |line: &str, cell: &str| {
        let at = line
            .find(cell)
            .unwrap_or_else(|| panic!("{cell} in {line}"));
        unicode_width::UnicodeWidthStr::width(&line[..at])
    };
    assert_eq!(column(header, "状态"), column(listener, "LISTEN"), "{out}");
    assert_eq!(
        column(header, "哪一端"),
        column(listener, "监听端"),
        "{out}"
    );
    assert!(
        out.lines()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) <= 80),
        "{out}"
    );
}

#[test]
#[cfg(target_os = "linux")]
fn every_experiment_behaves_as_described() {
    // Eight cases in one run (about 4 s on a quiet machine; case 1 alone waits 2 s
    // for the SYNs it expects to be dropped): a busy CI machine gets a wide margin.
    lab_cmd(&["8", "experiments"])
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success()
        .stdout(predicate::str::contains("8/8 cases behaved as described"))
        .stdout(predicate::str::contains("FAIL").not());
}

#[test]
#[cfg(target_os = "linux")]
fn predict_shows_the_code_and_waits_for_enter_before_the_result() {
    let mut run = Lab::start(&["8", "experiments", "--only", "3", "--predict"]);
    run.wait_for("Case 3/8 — CLOSE-WAIT");
    run.wait_for("Press Enter to run it.");
    assert!(
        !run.stdout_so_far().contains("observed"),
        "the result came before Enter"
    );
    run.send_line("");
    run.wait_for("observed");
    run.wait_for("1/1 cases behaved as described");
    assert!(run.wait_exit().success());
}

#[test]
fn experiments_list_names_the_eight_cases() {
    let out = lab_cmd(&["8", "experiments", "--list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8_lossy(&out);
    assert_eq!(out.lines().count(), 8, "{out}");
    for word in [
        "backlog",
        "half-close",
        "CLOSE-WAIT",
        "TIME-WAIT",
        "reset",
        "listening",
        "stops reading",
        "gone",
    ] {
        assert!(out.contains(word), "no {word} in {out}");
    }
}

#[test]
fn a_peer_that_sends_no_newline_still_gets_an_answer_after_the_limit() {
    let (mut server, port) = Lab::server("8", &[]);
    let mut peer = connect(port);
    server.wait_for("accept() -> 127.0.0.1:");
    peer.write_all(&[b'x'; 5000]).expect("the server reads");
    let mut buf = [0u8; 16];
    let n = peer.read(&mut buf).expect("an answer comes");
    assert!(buf[..n].starts_with(b"echo: x"), "{:?}", &buf[..n]);
}

#[test]
#[cfg(unix)]
fn ctrl_c_stops_the_server_with_exit_0_and_a_word() {
    let (mut server, port) = Lab::server("8", &[]);
    let _peer = connect(port);
    server.wait_for("accept() -> 127.0.0.1:");
    server.signal("INT");
    assert!(server.wait_exit().success());
    server.wait_for("stopped (Ctrl-C or SIGTERM)");
}

#[test]
#[cfg(target_os = "linux")]
fn a_client_whose_syn_is_dropped_shows_syn_sent_while_connect_waits() {
    // listen(0): Linux queues backlog + 1 = 1 connection. One client is accepted,
    // one waits in the queue, so the queue is full and the next SYN is dropped.
    let (mut server, port) = Lab::server("8", &["--backlog", "0"]);
    let _served = connect(port);
    server.wait_for("accept() -> 127.0.0.1:");
    let _queued = connect(port);
    // The queue is full once the server's kernel has the second client's last ACK.
    wait_until_the_accept_queue_holds(port, 1);
    let mut client = Lab::start(&["8", "client", "--port", &port.to_string()]);
    client.wait_for("is still waiting");
    let row = client.wait_for("SYN-SENT");
    assert!(row.contains(&format!("-> 127.0.0.1:{port}")), "{row}");
    client.wait_for("accept queue is probably full");
}

/// Waits until `lab 8 states` shows the listener on `port` with `n` connections in
/// its accept queue (its recv-q).
#[cfg(target_os = "linux")]
fn wait_until_the_accept_queue_holds(port: u16, n: u32) {
    let listener = format!("127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + common::PATIENCE;
    loop {
        let out = lab_cmd(&["8", "states", "--port", &port.to_string()])
            .output()
            .expect("lab 8 states runs");
        let out = String::from_utf8_lossy(&out.stdout).into_owned();
        let queued = out.lines().find_map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            (cells.first() == Some(&listener.as_str()) && cells.get(2) == Some(&"LISTEN"))
                .then(|| cells.get(4).and_then(|q| q.parse::<u32>().ok()))
                .flatten()
        });
        if queued == Some(n) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the accept queue never held {n}:\n{out}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn in_chinese_both_sides_list_their_commands_and_read_the_states() {
    let (mut server, port) = Lab::server("8", &["--lang", "zh"]);
    server.wait_for("  /states    再问一次操作系统：我们这些套接字处于什么状态");
    server.wait_for("  /unlisten  close() 监听套接字（已建立的连接继续存在）");
    server.wait_for("accept() waiting...");
    server.send_line("hello");
    server.wait_for("没有客户端连接：现在只能用 /states、/unlisten 或 /help");

    let mut client = Lab::start(&["--lang", "zh", "8", "client", "--port", &port.to_string()]);
    if cfg!(target_os = "linux") {
        // What the state means, under its row (the state's name stays as the OS says it).
        client.wait_for("ESTABLISHED");
        client.wait_for("打开：双方都可以发送和接收");
    }
    client.wait_for("输入一行文字即可发送；命令：");
    client.wait_for("  /quit      （或 Ctrl-D）关闭并离开");
    client.send_line("/nope");
    client.wait_for("未知命令 \"/nope\"；/help 列出所有命令");
    server.wait_for("accept() -> 127.0.0.1:");
    server.send_line("hi");
    server.wait_for("（服务器只回答，不发起：请输入一条命令，或 /help）");
}
