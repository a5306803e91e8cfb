//! `lab 8 experiments`: eight lessons about a connection's life, each one made for
//! real on 127.0.0.1 and checked against the OS's own table of sockets.
//!
//! Every case has the same parts:
//! - `python`: the Python lines that set the situation up;
//! - `claim`: what the lesson says this operating system does (Linux in detail; on
//!   macOS and Windows what the lab can check there);
//! - `windows`: what differs on Windows (WinError numbers, SO_EXCLUSIVEADDRUSE);
//! - `observe()`: makes the situation now, on real sockets, and reports each call's
//!   result and each socket's state as the OS's table shows it; then checks the claim;
//! - `why`: the explanation.
//!
//! Nothing observed is written in advance: each "observed" line is built from this
//! run's system calls and table readings. Timing is never assumed: where the OS needs
//! a moment (a FIN to be acknowledged, a TIME-WAIT to appear), the case reads the table
//! again and again until the state shows up or a generous deadline passes.
//! A case whose OS did not behave as described is reported as FAIL, and the run then
//! exits with 1.

use std::fmt::Debug;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use colored::Colorize;
use socket2::{Domain, SockRef, Socket, Type};

use super::wrap;
use crate::labs::Lab;
use crate::lang::tr;
use crate::tcp_table::{self, TcpState};
use crate::term::{say, Lines};

#[derive(Args, Debug)]
pub struct ExperimentsArgs {
    /// Run only case K (see --list)
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u8).range(1..=CASES.len() as i64))]
    only: Option<u8>,

    /// Show each case's code first and wait for Enter before running it, so you can
    /// predict what the OS will do (on a pipe: one line of stdin per case)
    #[arg(long)]
    predict: bool,

    /// List the cases without running them
    #[arg(long)]
    list: bool,
}

struct Case {
    title: &'static str,
    python: &'static str,
    claim: &'static str,
    windows: &'static str,
    observe: fn() -> io::Result<Observed>,
    why: &'static str,
}

/// What the sockets and the OS's table did in this run.
struct Observed {
    seen: Vec<String>,
    as_described: bool,
}

pub fn run(args: ExperimentsArgs, lab: &Lab) -> anyhow::Result<()> {
    if args.list {
        for (i, case) in CASES.iter().enumerate() {
            say!("{:>2}  {}", i + 1, case.title);
        }
        return Ok(());
    }
    // Every case reads the OS's table; if it cannot be read, say so once, up front.
    tcp_table::read()?;

    say!(
        "A connection's life, made for real on 127.0.0.1 ({}); states read from {}.",
        std::env::consts::OS,
        tcp_table::SOURCE
    );
    if !tcp_table::PLATFORM_NOTE.is_empty() {
        say!("(note: {})", tcp_table::PLATFORM_NOTE);
    }
    let mut input = args.predict.then(Lines::from_stdin);
    let mut behaved = 0;
    let mut ran = 0;
    let mut surprises = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let number = i + 1;
        if args.only.is_some_and(|k| usize::from(k) != number) {
            continue;
        }
        ran += 1;
        if show_case(number, case, &mut input) {
            behaved += 1;
        } else {
            surprises.push(number.to_string());
        }
    }
    say!("");
    say!("{behaved}/{ran} cases behaved as described");
    say!(
        "(The guide explains each state with its case: `lab {} guide`, or labs/{}/README.md.)",
        lab.number,
        lab.folder()
    );
    if surprises.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(tr!(
            "case {} did not behave as the lesson says on this machine; its \"observed\" \
             lines show what the OS really did",
            "案例 {} 在这台机器上的表现与课程所说的不同：它的输出显示了操作系统实际的\
             行为",
            surprises.join(", ")
        ))
    }
}

/// Runs one case and prints its lesson. True if the OS behaved as described.
fn show_case(number: usize, case: &Case, predict: &mut Option<Lines>) -> bool {
    say!("");
    say!(
        "{}",
        format!("Case {number}/{} — {}", CASES.len(), case.title).bold()
    );
    field("Python", case.python);
    if let Some(input) = predict {
        field(
            "predict",
            "what will each call return, and which states will the OS show? Press Enter to run it.",
        );
        if input.read("").is_none() {
            // End of input: run the rest without pausing.
            *predict = None;
        }
    }
    field("expected", case.claim);
    field("Windows", case.windows);
    let started = Instant::now();
    let observed = (case.observe)().unwrap_or_else(|err| Observed {
        seen: vec![format!("could not set the case up: {}", shown_error(&err))],
        as_described: false,
    });
    for line in &observed.seen {
        field("observed", line);
    }
    let took = format!("({} ms)", started.elapsed().as_millis());
    if observed.as_described {
        field_painted(
            "PASS",
            "PASS".green().bold().to_string(),
            &format!("behaved as described {took}"),
        );
    } else {
        field_painted(
            "FAIL",
            "FAIL".red().bold().to_string(),
            &format!("did not behave as described {took}"),
        );
    }
    field("why", case.why);
    observed.as_described
}

/// `  label     text`, the text wrapped under itself.
fn field(label: &str, text: &str) {
    field_painted(label, label.to_string(), text);
}

/// [`field`] with the label shown as `painted`; the padding is measured on the
/// plain `label`, since colour codes take no room on screen.
fn field_painted(label: &str, painted: String, text: &str) {
    const LABEL_WIDTH: usize = 9;
    let pad = " ".repeat(LABEL_WIDTH.saturating_sub(label.chars().count()));
    let indent = " ".repeat(2 + LABEL_WIDTH + 1);
    for (i, line) in wrap(text, 66).iter().enumerate() {
        if i == 0 {
            say!("  {painted}{pad} {line}");
        } else {
            say!("{indent}{line}");
        }
    }
}

// ---------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------

const CASES: [Case; 8] = [
    BACKLOG,
    HALF_CLOSE,
    CLOSE_WAIT,
    TIME_WAIT,
    RESET,
    CLOSING_THE_LISTENER,
    SENDING_TO_A_PEER_THAT_HAS_GONE,
    A_PEER_THAT_STOPS_READING,
];

/// How long a case waits for a state or a byte that should come. On loopback it
/// comes within milliseconds; the margin is for a machine busy with other work.
const LONG_WAIT: Duration = Duration::from_secs(10);

/// How long a case watches a state that should NOT change (CLOSE-WAIT staying).
const SHORT_WAIT: Duration = Duration::from_millis(300);

// 1 -------------------------------------------------------------------------------

/// Clients that connect to the listen(1) socket in case 1.
const BACKLOG_CLIENTS: usize = 4;

/// How long case 1 watches a client that stays outside the full queue: past its
/// first SYN retransmission (after 1 s), which the kernel drops too.
const DROPPED_WATCH: Duration = Duration::from_millis(1100);

const BACKLOG: Case = Case {
    title: "the backlog: listen(1), nobody calls accept(), four clients connect",
    python: "s.bind((\"127.0.0.1\", 0)); s.listen(1)   # and never s.accept()\n\
             for i in range(4): c = socket(); c.setblocking(False); c.connect_ex(addr)",
    claim: if cfg!(target_os = "linux") {
        "Linux: the kernel completes the handshake by itself and queues backlog + 1 = 2 \
         connections for accept(): clients 1 and 2 get in (ESTABLISHED; the listener's \
         accept queue shows 2). The queue is then full, so the kernel drops the SYN of \
         clients 3 and 4, and their retries too: they sit in SYN-SENT"
    } else {
        "the first client gets in although nobody calls accept(); once the queue is \
         full, the later ones do not (how many fit depends on the OS)"
    },
    windows: "once the queue is full, Windows answers the SYN with a reset: connect() \
              fails at once with ConnectionRefusedError [WinError 10061]",
    observe: backlog,
    why: "listen(n) is not \"n clients at most\": it sizes the queue of connections the \
          kernel has completed for you and that wait for accept(). A connect() succeeds \
          when the handshake completes, long before the server's program hears of it. A \
          server that is slow to accept() fills the queue, and new clients hang in \
          SYN-SENT, retrying their SYN (after 1, 3, 7 s ...), until a place is free.",
};

fn backlog() -> io::Result<Observed> {
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    listener.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())?;
    listener.listen(1)?;
    let addr = socket_addr(&listener)?;
    let mut seen = vec![format!("listen(1) on {addr}; accept() is never called")];

    // One client after the other, each watched until it is in (ESTABLISHED and in
    // the accept queue) or clearly out, so that each handshake is over before the
    // next SYN. Non-blocking connects: a client whose SYN is dropped does not hold up
    // the case; the table says where each one is.
    let mut clients = Vec::new();
    let mut got_in = Vec::new();
    for i in 1..=BACKLOG_CLIENTS {
        let client = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        client.set_nonblocking(true)?;
        // Ok, or "in progress" (EINPROGRESS; WSAEWOULDBLOCK on Windows): the
        // handshake goes on in the kernel.
        let started = client.connect(&addr.into());
        let local = socket_addr(&client)?;
        let (state, queue, waited) = watch_backlog_client(local, addr, got_in.len());
        let is_in = state == Some(TcpState::Established);
        seen.push(format!(
            "client {i} ({local}): connect() -> {}; after {} ms: {}, accept queue {}",
            match &started {
                Ok(()) => "Ok(())".to_string(),
                Err(_) => "in progress".to_string(),
            },
            waited.as_millis(),
            state_name(state),
            queue.map_or("not shown here".to_string(), |n| n.to_string())
        ));
        got_in.push(is_in);
        clients.push((client, local));
    }

    // A last look at all four together.
    let table = tcp_table::read().map_err(io::Error::other)?;
    let states: Vec<Option<TcpState>> = clients
        .iter()
        .map(|(_, local)| tcp_table::find_connection(&table, *local, addr).map(|r| r.state))
        .collect();
    let queue = tcp_table::find_listener(&table, addr).and_then(|r| r.recv_queue);
    seen.push(format!(
        "the OS's table: clients 1-{BACKLOG_CLIENTS} are {}; the listener's accept queue: {}",
        states
            .iter()
            .map(|s| state_name(*s))
            .collect::<Vec<_>>()
            .join(", "),
        queue.map_or("not shown here".to_string(), |n| n.to_string())
    ));

    let as_described = if cfg!(target_os = "linux") {
        got_in == [true, true, false, false]
            && states[..2]
                .iter()
                .all(|s| *s == Some(TcpState::Established))
            && states[2..].iter().all(|s| *s == Some(TcpState::SynSent))
            && queue == Some(2)
    } else {
        got_in[0] && got_in.contains(&false)
    };
    Ok(Observed { seen, as_described })
}

/// Watches one client of case 1 until it is in (ESTABLISHED, and the accept queue
/// has grown to hold it) or out (still SYN-SENT past its first retry while the queue
/// stays full, or refused). A busy machine only makes it take longer: a client is
/// judged "out" only while the queue is full. Returns the client's state, the
/// listener's accept queue and how long it took.
fn watch_backlog_client(
    local: SocketAddr,
    listener: SocketAddr,
    already_in: usize,
) -> (Option<TcpState>, Option<u32>, Duration) {
    let started = Instant::now();
    let deadline = started + LONG_WAIT;
    loop {
        let table = tcp_table::read().unwrap_or_default();
        let state = tcp_table::find_connection(&table, local, listener).map(|r| r.state);
        let queue = tcp_table::find_listener(&table, listener).and_then(|r| r.recv_queue);
        let waited = started.elapsed();
        // Linux: backlog + 1 = 2 places. Elsewhere the queue may not be shown.
        let queue_full = match queue {
            Some(n) => n >= 2,
            None => !cfg!(target_os = "linux"),
        };
        let queued = queue.is_none_or(|n| n as usize > already_in);
        let is_in = state == Some(TcpState::Established) && queued;
        let is_out = (state == Some(TcpState::SynSent) && queue_full && waited >= DROPPED_WATCH)
            || gone(state);
        if is_in || is_out || Instant::now() >= deadline {
            return (state, queue, waited);
        }
        thread::sleep(Duration::from_millis(10));
    }
}

// 2 -------------------------------------------------------------------------------

const HALF_CLOSE: Case = Case {
    title: "half-close: the client stops sending and still reads the answer",
    python: "c.sendall(b\"question\"); c.shutdown(socket.SHUT_WR)   # FIN: I am done sending\n\
             # server: recv() -> b\"question\", then b\"\"; sendall(b\"answer\"); close()\n\
             c.recv(1024)   # the answer still arrives",
    claim: "after shutdown(SHUT_WR) the client is FIN-WAIT-2 and the server CLOSE-WAIT; the \
            server reads the question, then 0 bytes (end of file), answers and closes; the \
            client reads the answer, then 0 bytes, and ends in TIME-WAIT (it closed first)",
    windows: "the same (shutdown(SD_SEND)); Windows shows the states with `netstat -an`",
    observe: half_close,
    why: "shutdown(SHUT_WR) closes one direction only. It is how a client says \"that \
          was my whole request\" without hanging up: the server's recv() returns 0, so it \
          knows the request is complete, and its answer can still come back. close() \
          instead would throw away whatever arrives after it.",
};

fn half_close() -> io::Result<Observed> {
    let (mut client, mut server) = connected_pair()?;
    let (c_addr, s_addr) = (client.local_addr()?, server.local_addr()?);
    let mut seen = Vec::new();

    client.write_all(b"question")?;
    let shut = client.shutdown(Shutdown::Write);
    let client_after = wait_for_state(c_addr, s_addr, |s| s == Some(TcpState::FinWait2));
    let server_after = wait_for_state(s_addr, c_addr, |s| s == Some(TcpState::CloseWait));
    seen.push(format!(
        "client: send(b\"question\"); shutdown(SHUT_WR) -> {}; client {}, server {}",
        shown(&shut),
        state_name(client_after),
        state_name(server_after)
    ));

    let (got, then) = read_to_end(&mut server);
    seen.push(format!(
        "server: recv() -> {}, then {}",
        quoted(&got),
        shown(&then)
    ));
    let answer = server.write_all(b"answer");
    drop(server); // close()
    seen.push(format!(
        "server: send(b\"answer\") -> {}; close()",
        shown(&answer)
    ));

    let (reply, end) = read_to_end(&mut client);
    let client_end = wait_for_state(c_addr, s_addr, |s| s == Some(TcpState::TimeWait));
    seen.push(format!(
        "client: recv() -> {}, then {}; client now {}",
        quoted(&reply),
        shown(&end),
        state_name(client_end)
    ));
    Ok(Observed {
        seen,
        as_described: shut.is_ok()
            && client_after == Some(TcpState::FinWait2)
            && server_after == Some(TcpState::CloseWait)
            && got == b"question"
            && matches!(then, Ok(0))
            && reply == b"answer"
            && matches!(end, Ok(0))
            && client_end == Some(TcpState::TimeWait),
    })
}

// 3 -------------------------------------------------------------------------------

const CLOSE_WAIT: Case = Case {
    title: "CLOSE-WAIT: the peer has closed, our side never calls close()",
    python: "c.close()   # the client hangs up\n\
             data = conn.recv(1024)   # the server gets b\"\" ... and forgets conn.close()",
    claim: "the server's socket goes to CLOSE-WAIT and stays there (recv() returns 0 each \
            time); the client's end waits in FIN-WAIT-2. Only when the server calls \
            close() does its socket go, and the client's end moves to TIME-WAIT",
    windows: "the same states (CLOSE_WAIT in netstat); the leak is the same",
    observe: close_wait,
    why: "CLOSE-WAIT means \"the peer has said goodbye; waiting for our program to call \
          close()\". The OS cannot do it for us: we might still want to send. A server \
          that never closes keeps one descriptor per departed client, until it hits its \
          limit (\"Too many open files\"). Many CLOSE-WAIT rows in `ss -tan` point at a \
          missing close() in the program, never at the network.",
};

fn close_wait() -> io::Result<Observed> {
    let (client, mut server) = connected_pair()?;
    let (c_addr, s_addr) = (client.local_addr()?, server.local_addr()?);
    let mut seen = Vec::new();

    drop(client); // the client's close()
    let server_state = wait_for_state(s_addr, c_addr, |s| s == Some(TcpState::CloseWait));
    let mut buf = [0u8; 64];
    let first = server.read(&mut buf);
    let second = server.read(&mut buf);
    seen.push(format!(
        "client: close(); server now {}; server: recv() -> {}, recv() again -> {}",
        state_name(server_state),
        shown(&first),
        shown(&second)
    ));

    thread::sleep(SHORT_WAIT); // a pause in which nothing should change
    let still = state_of(s_addr, c_addr)?;
    let client_end = state_of(c_addr, s_addr)?;
    seen.push(format!(
        "{} ms later, without close(): server {}, client {}",
        SHORT_WAIT.as_millis(),
        state_name(still),
        state_name(client_end)
    ));

    drop(server); // close(), at last
    let server_gone = wait_for_state(s_addr, c_addr, gone);
    let client_final = wait_for_state(c_addr, s_addr, |s| s == Some(TcpState::TimeWait));
    seen.push(format!(
        "server: close(); server {}, client {}",
        state_name(server_gone),
        state_name(client_final)
    ));
    Ok(Observed {
        seen,
        as_described: server_state == Some(TcpState::CloseWait)
            && matches!(first, Ok(0))
            && matches!(second, Ok(0))
            && still == Some(TcpState::CloseWait)
            && client_end == Some(TcpState::FinWait2)
            && gone(server_gone)
            && client_final == Some(TcpState::TimeWait),
    })
}

// 4 -------------------------------------------------------------------------------

const TIME_WAIT: Case = Case {
    title: "TIME-WAIT: the server closes first, restarts, and bind() fails without SO_REUSEADDR",
    python: "s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)   # the old server sets it too\n\
             conn.close(); s.close()   # the server closes first, then stops\n\
             s = socket(); s.bind((\"127.0.0.1\", port))   # restarted at once\n\
             s = socket(); s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1); s.bind(...)",
    claim: if cfg!(windows) {
        "the server's end of the connection is TIME-WAIT; with SO_REUSEADDR a new socket \
         binds the port"
    } else {
        "the server's end of the connection is TIME-WAIT; a new socket without \
         SO_REUSEADDR cannot bind the port (EADDRINUSE, \"Address already in use\"); \
         with SO_REUSEADDR it binds and listens"
    },
    windows: "TIME-WAIT does not block bind() there, and SO_REUSEADDR means something \
              else: any program may bind a port already in use and steal its traffic. \
              Windows servers set SO_EXCLUSIVEADDRUSE instead. (\"in use\" on Windows is \
              WinError 10048.)",
    observe: time_wait,
    why: "The side that closes first keeps the connection in TIME-WAIT for 2 x MSL (60 s \
          on Linux), so that a late packet of the old connection cannot be taken for part \
          of a new one with the same addresses. A server that closes first and is \
          restarted at once finds its port still \"in use\" by those records. \
          SO_REUSEADDR says \"that is fine\": every serious server sets it (std's \
          TcpListener::bind does, on Unix). On Linux the old socket must have set it too: \
          the TIME-WAIT record keeps the options of the socket it came from, so a server \
          run once without SO_REUSEADDR blocks the next one, with or without it.",
};

fn time_wait() -> io::Result<Observed> {
    // The "old server": port 0, so the OS picks a free port and no other run collides.
    // It sets SO_REUSEADDR as a well-behaved server does (see `why`).
    let listener = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    listener.set_reuse_address(true)?;
    listener.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())?;
    listener.listen(1)?;
    let addr = socket_addr(&listener)?;
    let mut client = TcpStream::connect(addr)?;
    client.set_read_timeout(Some(LONG_WAIT))?;
    let (conn, _) = listener.accept()?;
    let c_addr = client.local_addr()?;
    let mut seen = Vec::new();

    // The server closes first (the active close), then the client answers with its own.
    drop(conn);
    let eof = client.read(&mut [0u8; 16]);
    drop(client);
    let server_end = wait_for_state(addr, c_addr, |s| s == Some(TcpState::TimeWait));
    drop(listener); // the old server is gone; only the TIME-WAIT record holds the port
    seen.push(format!(
        "server on {addr} (with SO_REUSEADDR): close() first; client recv() -> {}, close(); the server's end is \
         now {}; the listening socket is closed",
        shown(&eof),
        state_name(server_end)
    ));

    let plain = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    let without = plain.bind(&addr.into());
    seen.push(format!("new socket, bind({addr}) -> {}", shown(&without)));

    let reusing = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    let with = reusing
        .set_reuse_address(true)
        .and_then(|()| reusing.bind(&addr.into()))
        .and_then(|()| reusing.listen(1));
    seen.push(format!(
        "new socket, setsockopt(SO_REUSEADDR, 1); bind({addr}); listen(1) -> {}",
        shown(&with)
    ));
    let blocked = matches!(&without, Err(err) if err.kind() == ErrorKind::AddrInUse);
    Ok(Observed {
        seen,
        as_described: server_end == Some(TcpState::TimeWait)
            && with.is_ok()
            && (cfg!(windows) || blocked),
    })
}

// 5 -------------------------------------------------------------------------------

const RESET: Case = Case {
    title: "a reset: SO_LINGER 0, then close()",
    python: "conn.setsockopt(SOL_SOCKET, SO_LINGER, struct.pack(\"ii\", 1, 0)); conn.close()\n\
             c.recv(1024)   # and then c.send(b\"x\")",
    claim: if cfg!(target_os = "linux") {
        "the server's end vanishes at once (no TIME-WAIT), and so does the client's; the \
         client's recv() fails with ECONNRESET (ConnectionResetError), its next send() \
         with EPIPE (BrokenPipeError)"
    } else {
        "both ends vanish from the table at once; the client's recv() fails with a reset \
         (ConnectionResetError) and its next send() fails too"
    },
    windows: "recv() fails with ConnectionResetError [WinError 10054] \"An existing \
              connection was forcibly closed by the remote host\"; the send() after it \
              fails as well",
    observe: reset,
    why: "With SO_LINGER on and a zero timeout, close() does not say goodbye: the OS \
          sends RST and forgets the connection, and any unsent data is thrown away. The \
          peer learns it at its next call: recv() reports the reset once, after which the \
          connection is simply gone, so send() finds nothing to send on (EPIPE). A \
          process that crashes, or a close() with unread data waiting, resets too.",
};

fn reset() -> io::Result<Observed> {
    let (mut client, server) = connected_pair()?;
    let (c_addr, s_addr) = (client.local_addr()?, server.local_addr()?);
    let mut seen = Vec::new();

    let linger = SockRef::from(&server).set_linger(Some(Duration::ZERO));
    drop(server); // close(): RST instead of FIN
    let server_end = wait_for_state(s_addr, c_addr, gone);
    let client_end = wait_for_state(c_addr, s_addr, gone);
    seen.push(format!(
        "server: setsockopt(SO_LINGER, on, 0) -> {}; close(); server's end {}, client's end {}",
        shown(&linger),
        state_name(server_end),
        state_name(client_end)
    ));

    let received = client.read(&mut [0u8; 16]);
    let sent = client.write(b"x");
    seen.push(format!(
        "client: recv() -> {}; then send(b\"x\") -> {}",
        shown(&received),
        shown(&sent)
    ));
    let reset_seen = matches!(&received, Err(err) if err.kind() == ErrorKind::ConnectionReset);
    let send_failed = if cfg!(target_os = "linux") {
        matches!(&sent, Err(err) if err.kind() == ErrorKind::BrokenPipe)
    } else {
        sent.is_err()
    };
    Ok(Observed {
        seen,
        as_described: linger.is_ok()
            && gone(server_end)
            && gone(client_end)
            && reset_seen
            && send_failed,
    })
}

// 6 -------------------------------------------------------------------------------

const CLOSING_THE_LISTENER: Case = Case {
    title: "closing the listening socket while clients are connected",
    python: "conn, addr = s.accept()   # client A; client B connected, not accepted yet\n\
             s.close()                 # the listening socket only\n\
             conn.sendall(b\"still here\")",
    claim: if cfg!(target_os = "linux") {
        "A's connection lives on: both ends ESTABLISHED, bytes still flow both ways. B, \
         still in the accept queue, is reset (its recv() fails with ECONNRESET); a new \
         connect() is refused (ECONNREFUSED)"
    } else {
        "A's connection lives on: both ends ESTABLISHED, bytes still flow both ways; a \
         new connect() is refused. (What happens to B, queued but never accepted, is shown, \
         not judged: it differs among systems)"
    },
    windows: "A lives on as well; a new connect() is refused [WinError 10061]",
    observe: closing_the_listener,
    why: "The listening socket and the connected sockets that accept() returned are \
          separate sockets. Closing the listener ends only the taking of new clients; \
          each accepted connection has its own life. Connections that completed the \
          handshake but were never accept()ed belong to the listener's queue, so they \
          go with it.",
};

fn closing_the_listener() -> io::Result<Observed> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let addr = listener.local_addr()?;
    let mut a = TcpStream::connect(addr)?;
    a.set_read_timeout(Some(LONG_WAIT))?;
    let (mut a_conn, _) = listener.accept()?;
    a_conn.set_read_timeout(Some(LONG_WAIT))?;
    let mut b = TcpStream::connect(addr)?;
    b.set_read_timeout(Some(LONG_WAIT))?;
    let (a_addr, a_conn_addr, b_addr) = (a.local_addr()?, a_conn.local_addr()?, b.local_addr()?);
    let mut seen = Vec::new();

    drop(listener); // close() the listening socket
    let a_client = wait_for_state(a_addr, a_conn_addr, |s| s.is_some());
    let a_server = state_of(a_conn_addr, a_addr)?;
    seen.push(format!(
        "accept() took A ({a_addr}); B ({b_addr}) waits in the queue; close() the \
         listener; A's ends: client {}, server {}",
        state_name(a_client),
        state_name(a_server)
    ));

    let to_a = a_conn.write_all(b"still here");
    let mut buf = [0u8; 64];
    let at_a = a.read(&mut buf).map(|n| buf[..n].to_vec());
    let from_a = a.write_all(b"me too");
    let mut buf2 = [0u8; 64];
    let at_server = a_conn.read(&mut buf2).map(|n| buf2[..n].to_vec());
    seen.push(format!(
        "server -> A: send -> {}, A recv() -> {}; A -> server: send -> {}, recv() -> {}",
        shown(&to_a),
        shown_bytes(&at_a),
        shown(&from_a),
        shown_bytes(&at_server)
    ));

    let b_read = b.read(&mut [0u8; 16]);
    let again = TcpStream::connect_timeout(&addr, LONG_WAIT).map(|_| "connected");
    seen.push(format!(
        "B: recv() -> {}; a new connect({addr}) -> {}",
        shown(&b_read),
        shown(&again)
    ));

    let a_lives = a_client == Some(TcpState::Established)
        && a_server == Some(TcpState::Established)
        && to_a.is_ok()
        && matches!(&at_a, Ok(bytes) if bytes == b"still here")
        && from_a.is_ok()
        && matches!(&at_server, Ok(bytes) if bytes == b"me too");
    let refused = matches!(&again, Err(err) if err.kind() == ErrorKind::ConnectionRefused);
    let b_reset = matches!(&b_read, Err(err) if err.kind() == ErrorKind::ConnectionReset);
    Ok(Observed {
        seen,
        as_described: a_lives && refused && (b_reset || !cfg!(target_os = "linux")),
    })
}

// 7 -------------------------------------------------------------------------------

const SENDING_TO_A_PEER_THAT_HAS_GONE: Case = Case {
    title: "sending to a peer that has gone: the first send() succeeds, the reset comes back",
    python: "conn.close()          # the server has closed (or its process ended)\n\
             c.send(b\"first\")      # no error!\n\
             c.send(b\"second\")     # BrokenPipeError",
    claim: if cfg!(target_os = "linux") {
        "the first send() returns 5: the OS took the bytes. The peer's OS has no socket \
         to give them to and answers with RST, which removes our end from the table. The \
         second send() fails with EPIPE (BrokenPipeError)"
    } else {
        "the first send() returns 5; the peer answers with RST, our end leaves the \
         table, and the second send() fails"
    },
    windows: "the first send() succeeds as well; the second fails with \
              ConnectionAbortedError [WinError 10053] or ConnectionResetError [WinError 10054]",
    observe: sending_to_a_peer_that_has_gone,
    why: "send() returning a count only means the bytes are in our OS's send queue, not \
          that anyone read them. The peer's close() sent FIN (\"I send no more\"), not \"I \
          read no more\"; only the data itself, arriving at a closed socket, provokes the \
          RST that tells us. So a client learns that a server went away one send() late: \
          read the 0 bytes of recv() (the FIN), or expect an error on the next send.",
};

fn sending_to_a_peer_that_has_gone() -> io::Result<Observed> {
    let (mut client, server) = connected_pair()?;
    let (c_addr, s_addr) = (client.local_addr()?, server.local_addr()?);
    let mut seen = Vec::new();

    drop(server); // the server's close(): FIN, not RST
    let ours = wait_for_state(c_addr, s_addr, |s| s == Some(TcpState::CloseWait));
    let first = client.write(b"first");
    let after_first = wait_for_state(c_addr, s_addr, gone);
    let second = client.write(b"second");
    seen.push(format!("server: close(); our end is {}", state_name(ours)));
    seen.push(format!(
        "send(b\"first\") -> {}; our end then {}",
        shown(&first),
        state_name(after_first)
    ));
    seen.push(format!("send(b\"second\") -> {}", shown(&second)));
    let second_failed = if cfg!(target_os = "linux") {
        matches!(&second, Err(err) if err.kind() == ErrorKind::BrokenPipe)
    } else {
        second.is_err()
    };
    Ok(Observed {
        seen,
        as_described: ours == Some(TcpState::CloseWait)
            && matches!(first, Ok(5))
            && gone(after_first)
            && second_failed,
    })
}

// 8 -------------------------------------------------------------------------------

/// The most case 8 sends before it stops: far more than any default socket buffer,
/// so the queues fill long before; a bound, so a machine with huge buffers cannot
/// make the case run for ever.
const FILL_LIMIT: usize = 256 * 1024 * 1024;

const A_PEER_THAT_STOPS_READING: Case = Case {
    title: "a peer that stops reading: the queues fill, and our FIN waits (FIN-WAIT-1)",
    python: "c.setblocking(False)\n\
             while True: c.send(b\"x\" * 65536)   # the server never calls recv()\n\
             # ... until BlockingIOError; then c.shutdown(socket.SHUT_WR)",
    claim: "send() takes bytes until both queues are full, then fails with EAGAIN \
            (BlockingIOError): the server's recv-q and our send-q hold the bytes. After \
            shutdown(SHUT_WR) we are FIN-WAIT-1, because the FIN waits behind the data. \
            Once the server reads everything, the FIN goes: we are FIN-WAIT-2, the server \
            CLOSE-WAIT, and it has received every byte we sent",
    windows: "the same: send() fails with BlockingIOError [WinError 10035] when the \
              buffers are full (netstat shows no queues there)",
    observe: a_peer_that_stops_reading,
    why: "TCP never drops what a slow reader has not taken: the receiver's OS stores it \
          (recv-q) and then advertises a zero window, so the sender's OS keeps the rest \
          (send-q), and a blocking send() simply waits. A FIN travels in order after the \
          data, so a close() or shutdown() that looks finished may still be waiting, in \
          FIN-WAIT-1, for a peer that does not read.",
};

fn a_peer_that_stops_reading() -> io::Result<Observed> {
    let (mut client, mut server) = connected_pair()?;
    let (c_addr, s_addr) = (client.local_addr()?, server.local_addr()?);
    let mut seen = Vec::new();

    // Send until the OS takes no more: non-blocking, so send() says EAGAIN instead
    // of waiting.
    client.set_nonblocking(true)?;
    let chunk = [b'x'; 65536];
    let mut sent = 0;
    let stopped = loop {
        match client.write(&chunk) {
            Ok(n) => sent += n,
            Err(err) => break Err::<usize, _>(err),
        }
        if sent >= FILL_LIMIT {
            break Ok(sent);
        }
    };
    client.set_nonblocking(false)?;
    let table = tcp_table::read().map_err(io::Error::other)?;
    let queue = |local, remote, pick: fn(&tcp_table::TcpSocket) -> Option<u32>| {
        tcp_table::find_connection(&table, local, remote).and_then(pick)
    };
    let send_q = queue(c_addr, s_addr, |r| r.send_queue);
    let recv_q = queue(s_addr, c_addr, |r| r.recv_queue);
    let shown_q = |q: Option<u32>| q.map_or("not shown here".to_string(), |n| n.to_string());
    seen.push(format!(
        "client: send() took {sent} bytes, then -> {}; client send-q {}, server recv-q {}",
        shown(&stopped),
        shown_q(send_q),
        shown_q(recv_q)
    ));

    let shut = client.shutdown(Shutdown::Write);
    let waiting = state_of(c_addr, s_addr)?;
    seen.push(format!(
        "client: shutdown(SHUT_WR) -> {}; client now {}",
        shown(&shut),
        state_name(waiting)
    ));

    // The server reads everything; its window opens, the data and then the FIN go.
    let mut received = 0;
    let mut buf = vec![0u8; 65536];
    let deadline = Instant::now() + LONG_WAIT * 4;
    let end = loop {
        match server.read(&mut buf) {
            Ok(0) => break Ok(0),
            Ok(n) if Instant::now() < deadline => received += n,
            Ok(n) => break Ok(n),
            Err(err) => break Err(err),
        }
    };
    let client_after = wait_for_state(c_addr, s_addr, |s| s == Some(TcpState::FinWait2));
    let server_after = state_of(s_addr, c_addr)?;
    seen.push(format!(
        "server: recv() until 0 -> {received} bytes, then {}; client {}, server {}",
        shown(&end),
        state_name(client_after),
        state_name(server_after)
    ));

    let full = matches!(&stopped, Err(err) if err.kind() == ErrorKind::WouldBlock);
    // Where the platform shows queues, together they hold what was sent.
    let queues_hold_it = match (send_q, recv_q) {
        (Some(s), Some(r)) => s > 0 && r > 0,
        _ => true,
    };
    Ok(Observed {
        seen,
        as_described: full
            && queues_hold_it
            && shut.is_ok()
            && waiting == Some(TcpState::FinWait1)
            && matches!(end, Ok(0))
            && received == sent
            && client_after == Some(TcpState::FinWait2)
            && server_after == Some(TcpState::CloseWait),
    })
}

// ---------------------------------------------------------------------------------
// Sockets for the cases, the OS's table, and how results are shown
// ---------------------------------------------------------------------------------

/// A connected client and the server's end of it, both with read timeouts so no case
/// can hang. The listener is closed at once: the cases are about the connection.
fn connected_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    client.set_read_timeout(Some(LONG_WAIT))?;
    server.set_read_timeout(Some(LONG_WAIT))?;
    Ok((client, server))
}

/// Reads until end of file (or an error, or the deadline): what arrived, and how it
/// ended (`Ok(0)` at end of file).
fn read_to_end(stream: &mut TcpStream) -> (Vec<u8>, io::Result<usize>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + LONG_WAIT;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (got, Ok(0)),
            Ok(n) if Instant::now() < deadline => got.extend_from_slice(&buf[..n]),
            Ok(n) => return (got, Ok(n)),
            Err(err) => return (got, Err(err)),
        }
    }
}

fn socket_addr(socket: &Socket) -> io::Result<SocketAddr> {
    socket
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("the socket has no IP address"))
}

/// The state of the connection end `local` -> `remote` in the OS's table now.
fn state_of(local: SocketAddr, remote: SocketAddr) -> io::Result<Option<TcpState>> {
    let table = tcp_table::read().map_err(io::Error::other)?;
    Ok(tcp_table::find_connection(&table, local, remote).map(|row| row.state))
}

/// Reads the table until `wanted(state)` holds or LONG_WAIT passes; returns the last
/// state seen (`None`: not in the table). A loaded machine gets time; a fast one
/// does not wait.
fn wait_for_state(
    local: SocketAddr,
    remote: SocketAddr,
    wanted: impl Fn(Option<TcpState>) -> bool,
) -> Option<TcpState> {
    let deadline = Instant::now() + LONG_WAIT;
    loop {
        let state = state_of(local, remote).ok().flatten();
        if wanted(state) || Instant::now() >= deadline {
            return state;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// The connection's end has left the OS's table. (The BSDs may still list a reset
/// socket whose descriptor is open, as CLOSED.)
fn gone(state: Option<TcpState>) -> bool {
    matches!(state, None | Some(TcpState::Close))
}

fn state_name(state: Option<TcpState>) -> String {
    state.map_or("not in the table".to_string(), |s| s.name().to_string())
}

fn quoted(bytes: &[u8]) -> String {
    format!("b{:?}", crate::term::safe(bytes))
}

fn shown_bytes(result: &io::Result<Vec<u8>>) -> String {
    match result {
        Ok(bytes) => quoted(bytes),
        Err(err) => shown_error(err),
    }
}

/// `Ok(5)`, or the error with its kind, raw code and the code's name.
fn shown<T: Debug>(result: &io::Result<T>) -> String {
    match result {
        Ok(value) => format!("Ok({value:?})"),
        Err(err) => shown_error(err),
    }
}

/// `Err(ConnectionReset, os error 104 = ECONNRESET)`.
fn shown_error(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => {
            let name = os_code::name(code)
                .map(|n| format!(" = {n}"))
                .unwrap_or_default();
            format!("Err({:?}, os error {code}{name})", err.kind())
        }
        None => format!("Err({:?}: {err})", err.kind()),
    }
}

/// The error codes these lessons meet, by name. The names are the same everywhere;
/// the numbers are not.
mod os_code {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const CODES: &[(i32, &str)] = &[
        (11, "EAGAIN"),
        (32, "EPIPE"),
        (98, "EADDRINUSE"),
        (104, "ECONNRESET"),
        (110, "ETIMEDOUT"),
        (111, "ECONNREFUSED"),
        (115, "EINPROGRESS"),
    ];

    #[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
    const CODES: &[(i32, &str)] = &[
        (32, "EPIPE"),
        (35, "EAGAIN"),
        (36, "EINPROGRESS"),
        (48, "EADDRINUSE"),
        (54, "ECONNRESET"),
        (60, "ETIMEDOUT"),
        (61, "ECONNREFUSED"),
    ];

    #[cfg(windows)]
    const CODES: &[(i32, &str)] = &[
        (10035, "WSAEWOULDBLOCK"),
        (10048, "WSAEADDRINUSE"),
        (10053, "WSAECONNABORTED"),
        (10054, "WSAECONNRESET"),
        (10058, "WSAESHUTDOWN"),
        (10060, "WSAETIMEDOUT"),
        (10061, "WSAECONNREFUSED"),
    ];

    #[cfg(not(any(unix, windows)))]
    const CODES: &[(i32, &str)] = &[];

    pub fn name(number: i32) -> Option<&'static str> {
        CODES
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, name)| *name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_has_every_part() {
        for case in &CASES {
            for part in [case.title, case.python, case.claim, case.windows, case.why] {
                assert!(
                    !part.trim().is_empty(),
                    "case {:?} has an empty part",
                    case.title
                );
            }
        }
    }

    #[test]
    fn an_error_is_shown_with_its_kind_code_and_name() {
        if cfg!(target_os = "linux") {
            let shown = shown_error(&io::Error::from_raw_os_error(104));
            assert_eq!(shown, "Err(ConnectionReset, os error 104 = ECONNRESET)");
        }
        assert_eq!(shown::<usize>(&Ok(5)), "Ok(5)");
    }
}
