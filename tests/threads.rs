//! Lab 4 — threads: a thread per client, the log of comings and goings, the console,
//! the full-duplex client and the swarm.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{connect, free_port, lab_cmd, read_until_contains, Lab};
use predicates::prelude::*;

/// A plain socket client that has read its welcome; with its own address.
fn join(port: u16) -> (TcpStream, String) {
    let mut stream = connect(port);
    let me = stream.local_addr().expect("a local address").to_string();
    let welcome = read_until_contains(&mut stream, "welcome");
    assert!(welcome.contains(&me), "the welcome names {me}: {welcome:?}");
    (stream, me)
}

fn say(stream: &mut TcpStream, line: &str) {
    stream
        .write_all(format!("{line}\n").as_bytes())
        .expect("the server reads");
}

#[test]
fn six_clients_at_once_each_get_a_welcome_and_replies_naming_their_own_port() {
    let (mut server, port) = Lab::server("4", &[]);
    let mut clients: Vec<(TcpStream, String)> = (0..6).map(|_| join(port)).collect();
    server.wait_for("(6 online)");

    // All six are online; each speaks in turn and each reply is its own.
    for (i, (stream, me)) in clients.iter_mut().enumerate() {
        say(stream, &format!("hello from {i}"));
        let reply = read_until_contains(stream, &format!("hello from {i}"));
        assert!(reply.contains(&format!("reply to {me}")), "{reply:?}");
    }
    for (i, (_, me)) in clients.iter().enumerate() {
        server.wait_for(&format!("{me}: hello from {i}"));
    }
}

#[test]
fn each_way_of_leaving_gets_its_own_end_line() {
    let (mut server, port) = Lab::server("4", &[]);

    let (mut polite, polite_addr) = join(port);
    say(&mut polite, "exit");
    read_until_contains(&mut polite, "goodbye");
    server.wait_for(&format!("[disconnect] {polite_addr} said exit"));

    let (silent, silent_addr) = join(port);
    drop(silent);
    server.wait_for(&format!("[lost] {silent_addr} closed without exit"));

    let (rude, rude_addr) = join(port);
    socket2::SockRef::from(&rude)
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER can be set");
    drop(rude); // with SO_LINGER 0, close() sends a reset (RST)
    server.wait_for(&format!("[error] {rude_addr} connection reset"));
}

#[test]
fn the_console_sends_to_one_client_by_number_or_port_and_to_all() {
    let (mut server, port) = Lab::server("4", &[]);
    let (mut first, _) = join(port);
    let (mut second, second_addr) = join(port);
    server.wait_for("(2 online)");

    server.send_line("/list");
    server.wait_for("2 online");
    server.wait_for("#1 127.0.0.1:");

    server.send_line("/send #1 just for you");
    read_until_contains(&mut first, "[server] just for you");
    let second_port = second_addr.rsplit(':').next().expect("a port");
    server.send_line(&format!("/send {second_port} only you"));
    read_until_contains(&mut second, "[server] only you");

    server.send_line("/all hello everyone");
    read_until_contains(&mut first, "[server] hello everyone");
    read_until_contains(&mut second, "[server] hello everyone");

    server.send_line("/send #9 nobody");
    server.wait_for("no client #9 is online");
    server.send_line("/help");
    server.wait_for("/shutdown");
}

#[test]
fn console_shutdown_tells_every_client_joins_the_threads_and_exits_zero() {
    let (mut server, port) = Lab::server("4", &[]);
    let (mut first, first_addr) = join(port);
    let (mut second, _) = join(port);
    server.wait_for("(2 online)");

    server.send_line("/shutdown");
    read_until_contains(&mut first, "shutting down");
    read_until_contains(&mut second, "shutting down");
    assert!(server.wait_exit().success());
    server.wait_for(&format!("[closed] {first_addr} by the server (shutdown)"));
    server.wait_for("2 client thread(s) joined");
}

#[cfg(unix)]
#[test]
fn sigterm_shuts_down_cleanly_and_tells_the_clients() {
    let (mut server, port) = Lab::server("4", &[]);
    let (mut client, _) = join(port);
    server.wait_for("(1 online)");
    server.signal("TERM");
    read_until_contains(&mut client, "shutting down");
    assert!(server.wait_exit().success());
    server.wait_for("server stopped");
}

#[test]
fn a_swarm_makes_the_server_show_every_kind_of_end_line_and_exits_zero() {
    let (mut server, port) = Lab::server("4", &[]);
    let port = port.to_string();
    lab_cmd(&["4", "swarm", "-n", "6", "--port", &port])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "6 connected, 6 welcomes, 18/18 replies; 2 said exit, 2 closed, 2 reset",
        ));
    server.wait_for("(6 online)");
    let mut ends = Vec::new();
    for _ in 0..6 {
        ends.push(server.wait_for("] 127.0.0.1:"));
    }
    for kind in ["said exit", "closed without exit", "connection reset"] {
        let count = ends.iter().filter(|line| line.ends_with(kind)).count();
        assert_eq!(count, 2, "{kind}: {ends:#?}");
    }
}

#[test]
fn a_swarm_without_a_server_says_so_and_exits_1() {
    let port = free_port().to_string();
    lab_cmd(&["4", "swarm", "-n", "3", "--port", &port])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("lab 4 server"));
}

#[test]
fn a_full_server_turns_the_next_client_away_politely() {
    let (mut server, port) = Lab::server("4", &["--max-clients", "1"]);
    let (_first, _) = join(port);
    let mut second = connect(port);
    read_until_contains(&mut second, "the server is full");
    server.wait_for("[full] 127.0.0.1:");
}

#[test]
fn a_turned_away_client_says_the_server_is_full_not_stopped() {
    let (mut server, port) = Lab::server("4", &["--max-clients", "1"]);
    let (_first, _) = join(port);
    let mut client = Lab::start(&["4", "client", "--port", &port.to_string()]);
    client.wait_for("the server is full");
    let error = client.wait_for_err("error: ");
    assert!(error.contains("is full"), "{error:?}");
    assert!(!error.contains("server` again"), "{error:?}");
    assert_eq!(client.wait_exit().code(), Some(1));
    server.wait_for("[full] 127.0.0.1:");
}

#[test]
fn the_client_prints_what_arrives_while_it_reads_its_input_and_exit_leaves() {
    let (mut server, port) = Lab::server("4", &[]);
    let mut client = Lab::start(&["4", "client", "--port", &port.to_string()]);
    client.wait_for("welcome, 127.0.0.1:");

    // Something arrives while the client is waiting for our typing: it shows at once.
    server.wait_for("(1 online)");
    server.send_line("/all are you there?");
    client.wait_for("[server] are you there?");

    client.send_line("你好");
    client.wait_for("reply to 127.0.0.1:");
    server.wait_for(": 你好");
    client.send_line("exit");
    client.wait_for("goodbye");
    assert!(client.wait_exit().success());
    server.wait_for("said exit");
}

#[test]
fn client_reports_server_gone_at_once_instead_of_hanging() {
    let (mut server, port) = Lab::server("4", &[]);
    let mut client = Lab::start(&["4", "client", "--port", &port.to_string()]);
    client.wait_for("welcome");
    let killed = Instant::now();
    server.kill();
    let status = client.wait_exit();
    assert!(
        killed.elapsed() < Duration::from_secs(3),
        "took {:?}",
        killed.elapsed()
    );
    assert_eq!(status.code(), Some(1));
    let error = client.wait_for_err("closed the connection");
    assert!(error.contains("Start `lab 4 server` again"), "{error}");
}

#[test]
fn invalid_utf8_a_huge_line_and_a_silent_client_never_block_the_others() {
    let (mut server, port) = Lab::server("4", &[]);
    let (_silent, _) = join(port);

    let (mut garbled, garbled_addr) = join(port);
    garbled.write_all(b"\xff\xfe\x1b[2J\n").expect("send");
    let line = server.wait_for(&format!("{garbled_addr}: "));
    assert!(line.ends_with("\\xff\\xfe\\e[2J"), "{line}");

    // 200 KB in one line, and the sender never reads its replies.
    let (mut flood, flood_addr) = join(port);
    flood.write_all(&vec![b'a'; 200_000]).expect("send");
    flood.write_all(b"\n").expect("send");
    server.wait_for(&format!("{flood_addr}: aaaa"));

    // Meanwhile a newcomer is welcomed and answered.
    let (mut newcomer, me) = join(port);
    say(&mut newcomer, "still alive?");
    let reply = read_until_contains(&mut newcomer, "still alive?");
    assert!(reply.contains(&format!("reply to {me}")), "{reply:?}");
}

#[test]
fn a_silent_client_is_told_and_closed_after_the_idle_timeout() {
    let (mut server, port) = Lab::server("4", &["--idle-timeout", "1"]);
    let (mut silent, silent_addr) = join(port);
    let told = read_until_contains(&mut silent, "you sent nothing for 1 s");
    assert!(told.contains("closes this connection"), "{told:?}");
    let mut rest = [0u8; 64];
    assert_eq!(
        std::io::Read::read(&mut silent, &mut rest).expect("an orderly close"),
        0,
        "the connection is closed after the notice"
    );
    server.wait_for(&format!(
        "[idle] {silent_addr} sent nothing for 1 s (--idle-timeout); told and closed"
    ));

    // lab 4 client says why the connection ended: not a stopped server.
    let mut client = Lab::start(&["4", "client", "--port", &port.to_string()]);
    client.wait_for("you sent nothing for 1 s");
    let error = client.wait_for_err("error: ");
    assert!(error.contains("sent nothing for too long"), "{error:?}");
    assert_eq!(client.wait_exit().code(), Some(1));
}

/// A stand-in for the classic Python server: its welcome and its replies have no
/// newline. Serves `clients` connections, each in a thread, then stops accepting.
fn classic_server_without_newlines(clients: usize) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("bound").port();
    std::thread::spawn(move || {
        for _ in 0..clients {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            std::thread::spawn(move || {
                let _ = conn.write_all("开始与 Dasi 聊天吧！".as_bytes());
                let mut buf = [0u8; 2048];
                while let Ok(n) = std::io::Read::read(&mut conn, &mut buf) {
                    if n == 0 || conn.write_all(b"Dasi: got it").is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn a_swarm_reads_a_welcome_without_newline_by_time_says_so_and_still_talks() {
    let port = classic_server_without_newlines(3).to_string();
    lab_cmd(&["4", "swarm", "-n", "3", "--messages", "2", "--port", &port])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "the server's welcome ends without a newline",
        ))
        .stdout(predicate::str::contains(
            "welcome (no newline), 2/2 replies, said exit",
        ))
        .stdout(predicate::str::contains(
            "3 connected, 3 welcomes, 6/6 replies; 1 said exit, 1 closed, 1 reset; \
             3 welcome(s) without a newline",
        ));
}

#[test]
fn a_swarm_never_counts_a_welcome_or_an_exit_that_did_not_happen() {
    // A "server" that accepts and closes at once: no welcome, no replies.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("bound").port().to_string();
    std::thread::spawn(move || {
        for _ in 0..3 {
            if listener.accept().is_err() {
                return;
            }
        }
    });
    lab_cmd(&["4", "swarm", "-n", "3", "--port", &port])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "0 of 3 clients read a welcome; now they talk all the same",
        ))
        .stdout(predicate::str::contains(
            "no welcome, 0/3 replies, closed after the problem; problem: the server closed \
             the connection before any welcome (it was to say exit)",
        ))
        .stdout(predicate::str::contains(
            "3 connected, 0 welcomes, 0/9 replies; 0 said exit, 0 closed, 0 reset",
        ))
        .stderr(predicate::str::contains(
            "3 of 3 swarm clients had a problem",
        ));
}

#[test]
fn in_chinese_the_server_console_lists_its_commands() {
    let (mut server, port) = Lab::server("4", &["--lang", "zh"]);
    server.wait_for("控制台：输入 /help 查看命令；Ctrl-C 或 /shutdown 停止服务器");
    server.send_line("/help");
    server.wait_for("控制台命令（在服务器的终端里输入）：");
    server.wait_for("  /all 文字             给每个客户端发一行");
    server.send_line("/kick 2");
    server.wait_for("控制台：未知命令 /kick；/help 列出所有命令");
    let mut client = Lab::start(&["--lang", "zh", "4", "client", "--port", &port.to_string()]);
    client.wait_for("输入 `exit` 离开。服务器发来的内容一到就会显示。");
    // What the server sends over the wire stays as the protocol says.
    client.wait_for("welcome, 127.0.0.1:");
}
