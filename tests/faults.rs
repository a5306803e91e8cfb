//! The fault suite: what a classroom does to the servers, and what they must survive.
//!
//! A lecture hall is not a polite test: two hundred clients appear and vanish with a
//! reset, a laptop lid closes mid-line, somebody pipes /dev/urandom into nc, and the
//! instructor ends it all with Ctrl-C. Each test below does one of those things to a
//! real `lab` server on port 0 (loopback only) and checks that the server keeps
//! serving the others, prints nothing raw, keeps its threads and memory bounded, and
//! stops with exit code 0 and a free port.
//!
//! Labs 1, 3 and 7 serve one client at a time on purpose (lab 4 is the fix), so a
//! silent client blocks them by design; for them we check that they come back to the
//! next client. Lab 6's own file (tests/chat_room.rs) covers its signals, a client
//! that never reads and invalid UTF-8; here it gets the resets and the raw bytes.
//! Each test takes a second or two; every process is killed by the harness's Drop.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use common::{connect, read_until_contains, Lab};
use socket2::{Domain, Socket, Type};

/// How many clients connect and reset at once.
const STORM: usize = 200;

/// Opens `count` connections to `port` at once (non-blocking connect(), so nobody
/// waits for its own handshake), waits a bounded moment for the handshakes, then
/// closes every one with SO_LINGER 0: a reset (RST) instead of an orderly goodbye.
/// Returns how many were established before they were reset.
fn reset_storm(port: u16, count: usize) -> usize {
    let server: SocketAddr = ([127, 0, 0, 1], port).into();
    let sockets: Vec<Socket> = (0..count)
        .filter_map(|_| {
            let socket = Socket::new(Domain::IPV4, Type::STREAM, None).ok()?;
            socket.set_nonblocking(true).ok()?;
            // Err(EINPROGRESS) is the normal answer of a non-blocking connect().
            let _ = socket.connect(&server.into());
            Some(socket)
        })
        .collect();
    // A server that serves one client at a time has a short listen queue: the rest
    // stay half-open. Stop waiting when all are connected, when the count has not
    // grown for 200 ms, or after 2 s.
    let deadline = Instant::now() + Duration::from_secs(2);
    let (mut established, mut grew) = (0, Instant::now());
    loop {
        let now = sockets.iter().filter(|s| s.peer_addr().is_ok()).count();
        if now > established {
            (established, grew) = (now, Instant::now());
        }
        if established == sockets.len()
            || grew.elapsed() > Duration::from_millis(200)
            || Instant::now() >= deadline
        {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    for socket in sockets {
        let _ = socket.set_linger(Some(Duration::ZERO));
    }
    established
}

/// The number of threads of a process, from /proc/PID/status.
#[cfg(target_os = "linux")]
fn status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc works");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// Waits (bounded) until the process has at most `most` threads; returns the count.
#[cfg(target_os = "linux")]
fn threads_settle(pid: u32, most: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let now = status_field(pid, "Threads:");
        if now <= most || Instant::now() >= deadline {
            return now;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Nothing a peer sent reached the terminal raw: no escape byte, no other control
/// character (the harness has already cut the lines at `\n`).
fn assert_nothing_raw(printed: &str) {
    if let Some(bad) = printed.chars().find(|c| c.is_control() && *c != '\n') {
        panic!("the server printed the control character {bad:?} raw:\n{printed}");
    }
}

/// A plain client of lab 4 that has read its welcome.
fn join_lab4(port: u16) -> TcpStream {
    let mut stream = connect(port);
    read_until_contains(&mut stream, "welcome");
    stream
}

/// Sends a line and reads until the reply to it arrives.
fn ask(stream: &mut TcpStream, line: &str, reply_contains: &str) -> String {
    stream
        .write_all(format!("{line}\n").as_bytes())
        .expect("the server reads");
    read_until_contains(stream, reply_contains)
}

/// What a classroom sends that is not polite text: an escape sequence that would
/// clear the screen and set the terminal's title, bytes that are not UTF-8, a bell.
const GARBAGE: &[u8] = b"\x1b[2J\x1b]0;pwned\x07 \xff\xfe\xc3 \x1b[31mred\r\n";

// ---------------------------------------------------------------------------------
// Resets at once
// ---------------------------------------------------------------------------------

#[test]
fn lab_4_keeps_answering_through_200_resets_and_its_threads_return_to_idle() {
    let (mut server, port) = Lab::server("4", &[]);
    let mut steady = join_lab4(port);
    server.wait_for("(1 online)");
    #[cfg(target_os = "linux")]
    let idle = status_field(server.pid(), "Threads:");

    let established = reset_storm(port, STORM);
    assert!(established > STORM / 2, "only {established} connected");
    ask(&mut steady, "still there?", "got 12 bytes: still there?");

    #[cfg(target_os = "linux")]
    {
        let settled = threads_settle(server.pid(), idle + 2);
        assert!(
            settled <= idle + 2,
            "{settled} threads after the storm, {idle} before"
        );
    }
    ask(&mut steady, "and now?", "got 8 bytes: and now?");
    assert_nothing_raw(&server.stdout_so_far());
}

#[test]
fn lab_1_answers_its_client_through_200_resets_and_serves_the_next_one() {
    let (mut server, port) = Lab::server("1", &["--quiet"]);
    let mut steady = connect(port);
    steady.write_all(b"hello").expect("send");
    read_until_contains(&mut steady, "hello");

    reset_storm(port, STORM);
    steady.write_all(b"still there?").expect("send");
    read_until_contains(&mut steady, "still there?");
    steady.write_all(b"exit").expect("send");
    drop(steady);

    // The queued resets are accepted, fail at their first recv(), and are closed.
    let mut next = connect(port);
    next.write_all(b"next").expect("send");
    read_until_contains(&mut next, "next");
    assert_nothing_raw(&server.stdout_so_far());
}

#[test]
fn lab_3_answers_its_client_through_200_resets() {
    let (mut server, port) = Lab::server("3", &[]);
    let mut steady = connect(port);
    server.wait_for("[connect]");

    reset_storm(port, STORM);
    steady.write_all(b"amy:still there?\n").expect("send");
    server.wait_for("still there?");
    server.send_line("yes");
    read_until_contains(&mut steady, "yes");
    assert_nothing_raw(&server.stdout_so_far());
}

#[test]
fn lab_7_serves_the_next_client_after_200_resets() {
    let (mut server, port) = Lab::server("7", &["--framing", "line"]);
    reset_storm(port, STORM);
    let mut next = connect(port);
    next.write_all(b"one\ntwo\n").expect("send");
    next.shutdown(std::net::Shutdown::Write).expect("shutdown");
    read_until_contains(&mut next, "messages recovered: 2");
    assert_nothing_raw(&server.stdout_so_far());
}

// ---------------------------------------------------------------------------------
// Clients that misbehave
// ---------------------------------------------------------------------------------

#[test]
fn lab_4_serves_others_while_clients_die_mid_line_stay_silent_and_send_garbage() {
    let (mut server, port) = Lab::server("4", &[]);

    // Silent: connects and says nothing, for the whole test.
    let _silent = join_lab4(port);

    // Killed mid-line: half a line, then gone with a reset.
    let cut = join_lab4(port);
    (&cut).write_all(b"half a li").expect("send");
    socket2::SockRef::from(&cut)
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER");
    drop(cut);

    // Garbage: escape sequences and bytes that are not UTF-8.
    let mut garbled = join_lab4(port);
    garbled.write_all(GARBAGE).expect("send");

    // A mebibyte with no newline, then a close.
    let flood = join_lab4(port);
    (&flood).write_all(&vec![b'x'; 1 << 20]).expect("send");
    drop(flood);

    // Meanwhile a newcomer is welcomed and answered.
    let mut newcomer = join_lab4(port);
    ask(&mut newcomer, "anyone?", "got 7 bytes: anyone?");

    let printed = server.stdout_so_far();
    assert!(
        printed.contains("\\e[2J"),
        "escapes shown escaped:\n{printed}"
    );
    assert!(printed.contains("\\xff"), "bad bytes shown as \\xNN");
    assert_nothing_raw(&printed);
    #[cfg(target_os = "linux")]
    {
        let rss_kib = status_field(server.pid(), "VmRSS:");
        assert!(rss_kib < 64 * 1024, "server RSS {rss_kib} KiB");
    }
}

#[test]
fn lab_4_gives_up_on_a_client_that_never_reads_and_serves_the_others_meanwhile() {
    let (mut server, port) = Lab::server("4", &[]);
    // Never reads: a tiny receive buffer, and lines sent until the server gives up on
    // it (its replies fill our buffer and then the server's send buffer).
    let never_reads = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    never_reads.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let server_addr: SocketAddr = ([127, 0, 0, 1], port).into();
    never_reads.connect(&server_addr.into()).expect("connect");
    let never_reads: TcpStream = never_reads.into();
    let never_addr = never_reads.local_addr().expect("local address");
    never_reads
        .set_write_timeout(Some(Duration::from_millis(200)))
        .expect("write timeout");
    let writer = thread::spawn(move || {
        let line = [b'n'; 999]
            .iter()
            .chain(b"\n")
            .copied()
            .collect::<Vec<u8>>();
        let until = Instant::now() + Duration::from_secs(8);
        while Instant::now() < until {
            match (&never_reads).write_all(&line) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return, // the server closed on us: what we wanted
            }
        }
    });

    let mut other = join_lab4(port);
    ask(&mut other, "anyone?", "got 7 bytes: anyone?");
    // The server's send() to it waits at most 2 s per call, then it is closed.
    server.wait_for(&format!("[error] {never_addr} stopped reading"));
    let _ = writer.join();
    ask(&mut other, "still?", "got 6 bytes: still?");
}

#[test]
fn lab_1_and_lab_7_survive_garbage_and_a_mebibyte_without_newline() {
    let (mut echo, echo_port) = Lab::server("1", &["--quiet"]);
    let (mut framing, framing_port) = Lab::server("7", &["--framing", "line"]);
    for port in [echo_port, framing_port] {
        let mut rude = connect(port);
        rude.write_all(GARBAGE).expect("send");
        // The server may refuse the rest (lab 7 does at its line limit): fine.
        let _ = rude.write_all(&vec![b'x'; 1 << 20]);
        let _ = rude.shutdown(std::net::Shutdown::Write);
        // Read whatever comes back until the server closes.
        rude.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("read timeout");
        let mut sink = [0u8; 65536];
        while matches!(rude.read(&mut sink), Ok(n) if n > 0) {}
    }

    let mut next = connect(echo_port);
    next.write_all(b"next").expect("send");
    read_until_contains(&mut next, "next");
    let mut next = connect(framing_port);
    next.write_all(b"a\nb\n").expect("send");
    next.shutdown(std::net::Shutdown::Write).expect("shutdown");
    read_until_contains(&mut next, "messages recovered: 2");

    for server in [&mut echo, &mut framing] {
        let printed = server.stdout_so_far();
        assert!(
            printed.contains("\\e[2J"),
            "escapes shown escaped:\n{printed}"
        );
        assert_nothing_raw(&printed);
    }
}

// ---------------------------------------------------------------------------------
// Lab 6, the chat room
// ---------------------------------------------------------------------------------

/// A raw client of lab 6 that has chosen `nick` and read its welcome.
fn join_lab6(port: u16, nick: &str) -> TcpStream {
    let mut stream = connect(port);
    stream
        .write_all(format!("{nick}\n").as_bytes())
        .expect("send the nickname");
    read_until_contains(&mut stream, &format!("* welcome, {nick}!"));
    stream
}

#[test]
fn lab_6_keeps_chatting_through_200_resets_and_its_threads_return_to_idle() {
    let (mut server, port) = Lab::server("6", &[]);
    let mut amy = join_lab6(port, "amy");
    let mut bob = join_lab6(port, "bob");
    server.wait_for("[join] bob");
    #[cfg(target_os = "linux")]
    let idle = status_field(server.pid(), "Threads:");

    reset_storm(port, STORM);
    amy.write_all(b"still there?\n").expect("send");
    read_until_contains(&mut bob, "<amy> still there?");

    #[cfg(target_os = "linux")]
    {
        let settled = threads_settle(server.pid(), idle + 2);
        assert!(
            settled <= idle + 2,
            "{settled} threads after the storm, {idle} before"
        );
    }
    bob.write_all(b"yes\n").expect("send");
    read_until_contains(&mut amy, "<bob> yes");
    assert_nothing_raw(&server.stdout_so_far());
}

#[test]
fn lab_6_survives_garbage_a_mebibyte_without_newline_and_a_client_cut_mid_line() {
    let (mut server, port) = Lab::server("6", &[]);
    let mut amy = join_lab6(port, "amy");
    let mut bob = join_lab6(port, "bob");

    let mut rude = join_lab6(port, "rude");
    rude.write_all(GARBAGE).expect("send");
    let _ = rude.write_all(&vec![b'x'; 1 << 20]);
    let cut = join_lab6(port, "cut");
    (&cut).write_all(b"half a li").expect("send");
    socket2::SockRef::from(&cut)
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER");
    drop(cut);

    amy.write_all(b"hello bob\n").expect("send");
    let seen = read_until_contains(&mut bob, "<amy> hello bob");
    assert!(
        !seen.contains('\x1b'),
        "bob got an escape byte raw: {seen:?}"
    );
    #[cfg(target_os = "linux")]
    {
        let rss_kib = status_field(server.pid(), "VmRSS:");
        assert!(rss_kib < 64 * 1024, "server RSS {rss_kib} KiB");
    }
    assert_nothing_raw(&server.stdout_so_far());
}

// ---------------------------------------------------------------------------------
// accept() failing: the server runs out of file descriptors
// ---------------------------------------------------------------------------------

/// Reads (and with `new`, sets) the RLIMIT_NOFILE of process `pid`: what `ulimit -n`
/// shows in the server's own shell, changed from outside with prlimit(2).
#[cfg(target_os = "linux")]
fn open_files_limit(pid: u32, new: Option<libc::rlimit>) -> libc::rlimit {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    let new_ptr = new
        .as_ref()
        .map_or(std::ptr::null(), |limit| limit as *const _);
    // SAFETY: prlimit reads `new_ptr` (null or a live rlimit) and writes `old`.
    let rc = unsafe { libc::prlimit(pid as libc::pid_t, libc::RLIMIT_NOFILE, new_ptr, &mut old) };
    assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
    old
}

/// The lowest descriptor number process `pid` has not open: the one its next socket
/// would get (a blocked accept() has reserved it already).
#[cfg(target_os = "linux")]
fn lowest_free_descriptor(pid: u32) -> u64 {
    let open: Vec<u64> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc works")
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    (0..).find(|n| !open.contains(n)).expect("a free number")
}

/// Starts `lab N server`, then takes its file descriptors away (as a low `ulimit -n`
/// does): accept() fails. The server must say so once, in a sentence with what to do,
/// and not once per retry; when the limit is back, it must serve the waiting client.
/// Returns the server and that client, accepted (`accepted` is the server's line).
#[cfg(target_os = "linux")]
fn runs_out_of_descriptors_and_recovers(
    lab: &str,
    extra: &[&str],
    accepted: &str,
) -> (Lab, TcpStream) {
    let (mut server, port) = Lab::server(lab, extra);
    let pid = server.pid();
    let normal = open_files_limit(pid, None);
    let low = libc::rlimit {
        rlim_cur: lowest_free_descriptor(pid),
        rlim_max: normal.rlim_max,
    };
    open_files_limit(pid, Some(low));

    // A blocked accept() reserved its descriptor before the limit fell, so this
    // client may still get in; it leaves at once, and the next accept() fails.
    drop(connect(port));
    let said = server.wait_for("accept() failed");
    assert!(said.contains("ulimit -n"), "{said}");
    assert!(said.contains("Close some connections"), "{said}");

    // The next client waits in the listen queue; the server retries without a word.
    // (Printed on every retry, the sentence would appear hundreds of times by now.)
    let waiting = connect(port);
    thread::sleep(Duration::from_secs(1));
    let printed = server.stdout_so_far();
    assert_eq!(
        printed.matches("accept() failed").count(),
        1,
        "lab {lab} says it once:\n{printed}"
    );
    assert_nothing_raw(&printed);

    // The cause is gone: the waiting client is served.
    open_files_limit(pid, Some(normal));
    server.wait_for("accept() works again");
    server.wait_for(accepted);
    (server, waiting)
}

#[cfg(target_os = "linux")]
#[test]
fn lab_1_out_of_file_descriptors_says_so_once_and_serves_again() {
    let (mut server, mut client) =
        runs_out_of_descriptors_and_recovers("1", &["--quiet"], "[connect]");
    client.write_all(b"still there?\n").expect("send");
    read_until_contains(&mut client, "still there?");
    drop(client);
    server.wait_for("[disconnect]");
}

#[cfg(target_os = "linux")]
#[test]
fn lab_2_out_of_file_descriptors_says_so_once_and_serves_again() {
    let (mut server, mut client) = runs_out_of_descriptors_and_recovers("2", &[], "accept() ->");
    client.write_all("尹哲".as_bytes()).expect("send");
    server.wait_for("尹哲");
}

#[cfg(target_os = "linux")]
#[test]
fn lab_3_out_of_file_descriptors_says_so_once_and_serves_again() {
    let (mut server, mut client) = runs_out_of_descriptors_and_recovers("3", &[], "[connect]");
    client.write_all(b"amy:hello").expect("send");
    server.wait_for("hello");
}

#[cfg(target_os = "linux")]
#[test]
fn lab_7_out_of_file_descriptors_says_so_once_and_serves_again() {
    runs_out_of_descriptors_and_recovers("7", &[], "accept() ->");
}

#[cfg(target_os = "linux")]
#[test]
fn lab_4_out_of_file_descriptors_says_so_once_and_serves_again() {
    let (_server, mut client) = runs_out_of_descriptors_and_recovers("4", &[], "[connect]");
    read_until_contains(&mut client, "welcome");
}

#[cfg(target_os = "linux")]
#[test]
fn lab_6_out_of_file_descriptors_says_so_once_and_serves_again() {
    let (mut server, mut client) = runs_out_of_descriptors_and_recovers("6", &[], "[connect]");
    client.write_all(b"ann\n").expect("send");
    server.wait_for("[join] ann");
}

#[cfg(target_os = "linux")]
#[test]
fn lab_9_out_of_file_descriptors_says_so_once_and_serves_again() {
    let (mut server, mut client) = runs_out_of_descriptors_and_recovers("9", &[], "[connect]");
    client.write_all(b"ann\n").expect("send");
    server.wait_for("[join] ann");
}

#[cfg(target_os = "linux")]
#[test]
fn lab_10_out_of_file_descriptors_says_so_once_and_serves_again() {
    let (mut server, mut client) = runs_out_of_descriptors_and_recovers("10", &[], "[connect]");
    client.write_all(b"ann\n").expect("send");
    server.wait_for("[join] ann");
}

// ---------------------------------------------------------------------------------
// Ctrl-C and SIGTERM
// ---------------------------------------------------------------------------------

/// Starts `lab N server`, connects a client (TCP labs), sends `signal`, and checks:
/// exit code 0, a line saying it stopped, the client hears the end within 3 s, and
/// the port can be bound again at once.
#[cfg(unix)]
fn stops_cleanly(lab: &str, signal: &str, extra: &[&str], accepted: &str) {
    let (mut server, port) = Lab::server(lab, extra);
    let client = (lab != "5").then(|| {
        let client = connect(port);
        server.wait_for(accepted);
        client
    });

    server.signal(signal);
    let status = server.wait_exit();
    assert!(status.success(), "lab {lab} on SIG{signal}: {status}");
    let printed = server.stdout_so_far();
    assert!(
        printed.contains("stopped") || printed.contains("shutting down"),
        "lab {lab} says it stopped:\n{printed}"
    );

    if let Some(mut client) = client {
        // The client reads the end of the stream (after any goodbye) within 3 s.
        client
            .set_read_timeout(Some(Duration::from_secs(3)))
            .expect("read timeout");
        let mut buf = [0u8; 4096];
        loop {
            match client.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(err) => panic!("lab {lab}: the client did not hear the end: {err}"),
            }
        }
    }

    // No listener left behind: the same port binds again at once.
    if lab == "5" {
        std::net::UdpSocket::bind(("127.0.0.1", port)).expect("the UDP port is free again");
    } else {
        std::net::TcpListener::bind(("127.0.0.1", port)).expect("the TCP port is free again");
    }
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_stop_lab_1_with_exit_0_and_free_the_port() {
    for signal in ["INT", "TERM"] {
        stops_cleanly("1", signal, &["--quiet"], "[connect]");
    }
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_stop_lab_2_with_exit_0_and_free_the_port() {
    for signal in ["INT", "TERM"] {
        stops_cleanly("2", signal, &[], "accept");
    }
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_stop_lab_3_with_exit_0_and_free_the_port() {
    for signal in ["INT", "TERM"] {
        stops_cleanly("3", signal, &[], "[connect]");
    }
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_stop_lab_4_with_exit_0_tell_the_clients_and_free_the_port() {
    for signal in ["INT", "TERM"] {
        stops_cleanly("4", signal, &[], "(1 online)");
    }
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_stop_lab_5_with_exit_0_and_free_the_port() {
    for signal in ["INT", "TERM"] {
        stops_cleanly("5", signal, &[], "");
    }
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_stop_lab_7_with_exit_0_and_free_the_port() {
    for signal in ["INT", "TERM"] {
        stops_cleanly("7", signal, &[], "accept() ->");
    }
}

#[cfg(unix)]
#[test]
fn sigint_and_sigterm_stop_lab_6_with_exit_0_tell_the_clients_and_free_the_port() {
    for signal in ["INT", "TERM"] {
        stops_cleanly("6", signal, &[], "[connect]");
    }
}

/// A signal that comes the moment a server says it listens must find the handler in
/// place: the server stops with its stop line and exit code 0, instead of being killed
/// without a word. (With the handler installed after the line, lab 5 failed this
/// about one run in seven.) Each lab several times over, the labs side by side.
#[cfg(unix)]
#[test]
fn a_signal_right_after_the_listening_line_stops_every_server_cleanly() {
    let labs = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
    let runs: Vec<_> = labs
        .into_iter()
        .map(|lab| {
            thread::spawn(move || {
                for _ in 0..5 {
                    let (mut server, _) = Lab::server(lab, &[]);
                    // kill(2) at once, without starting a `kill` process first.
                    // SAFETY: sends SIGTERM to our own child, which is still running.
                    let sent = unsafe { libc::kill(server.pid() as libc::pid_t, libc::SIGTERM) };
                    assert_eq!(sent, 0, "kill: {}", std::io::Error::last_os_error());
                    let status = server.wait_exit();
                    let printed = server.stdout_so_far();
                    assert!(
                        status.success(),
                        "lab {lab} on SIGTERM: {status}\n{printed}"
                    );
                    assert!(
                        printed.contains("stopped") || printed.contains("shutting down"),
                        "lab {lab} says it stopped:\n{printed}"
                    );
                }
            })
        })
        .collect();
    for run in runs {
        run.join()
            .expect("every lab stopped cleanly (see the panic above)");
    }
}
