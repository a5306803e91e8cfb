//! `lab 5 errors`: the classic UDP mistakes, each one made for real on 127.0.0.1.
//!
//! Every case below is a small lesson with the same parts:
//! - `python`: the line from the classic programs that makes the mistake;
//! - `python_linux`, `python_windows`: what Python reports there (the Windows
//!   column is the `[WinError 100xx]` students meet in the classic tutorials);
//! - `rust`: what Rust does with the same mistake (some do not even compile);
//! - `claim`: what the lesson says this operating system will do;
//! - `observe()`: makes the mistake on real sockets now and reports what the OS did
//!   (the io::Error's kind and raw code, or the byte counts), then checks the claim;
//! - `fix`: what to write instead.
//!
//! Nothing observed is written in advance: each "observed" line is built from the
//! results of this run's system calls. A case whose OS did not behave as the lesson
//! says is reported as FAIL, and the run then exits with 1.

use std::fmt::Debug;
use std::io::{self, ErrorKind, Read, Write};
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use clap::Args;
use colored::Colorize;
use socket2::{Domain, MaybeUninitSlice, SockRef, Socket, Type};

use super::MAX_DATAGRAM;
use crate::labs::Lab;
use crate::lang::tr;
use crate::term::{self, safe, safe_str, say, tell, Lines};

#[derive(Args, Debug)]
pub struct ErrorsArgs {
    /// Run only case K (see --list)
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u8).range(1..=CASES.len() as i64))]
    only: Option<u8>,

    /// List the cases without running them
    #[arg(long)]
    list: bool,

    /// Predict first: show each case's code, wait for Enter (or a line of stdin),
    /// then run it and show what happened and why
    #[arg(long, conflicts_with = "list")]
    predict: bool,
}

/// One mistake, as a lesson. See the module's comment for what each part is.
struct Case {
    title: &'static str,
    python: &'static str,
    python_linux: &'static str,
    python_windows: &'static str,
    rust: &'static str,
    claim: &'static str,
    observe: fn() -> io::Result<Observed>,
    fix: &'static str,
}

/// What the sockets did in this run.
struct Observed {
    /// The calls made and what each returned.
    seen: Vec<String>,
    /// Whether that is what the lesson's claim says.
    as_described: bool,
}

pub fn run(args: ErrorsArgs, lab: &Lab) -> anyhow::Result<()> {
    if args.list {
        for (i, case) in CASES.iter().enumerate() {
            say!("{:>2}  {}", i + 1, case.title);
        }
        return Ok(());
    }
    let chosen: Vec<(usize, &Case)> = CASES
        .iter()
        .enumerate()
        .map(|(i, case)| (i + 1, case))
        .filter(|(number, _)| args.only.is_none_or(|k| usize::from(k) == *number))
        .collect();

    if args.predict {
        tell!(
            "The classic UDP mistakes, made for real on 127.0.0.1 ({}). Each case shows \
             its code and waits: predict what it will do, then press Enter to run it.",
            std::env::consts::OS
        );
    } else {
        tell!(
            "The classic UDP mistakes, made for real on 127.0.0.1 ({}). Predict each \
             \"observed\" line before you read it (`--predict` waits for you).",
            std::env::consts::OS
        );
    }
    // With --predict, each case waits for a line of input before it runs.
    let mut input = args.predict.then(Lines::from_stdin);
    let mut behaved = 0;
    let mut surprises = Vec::new();
    for &(number, case) in &chosen {
        if show_case(number, case, &mut input) {
            behaved += 1;
        } else {
            surprises.push(number.to_string());
        }
    }
    say!("");
    say!("{behaved}/{} cases behaved as described", chosen.len());
    tell!(
        "(The guide walks through them: `lab {} guide`, or labs/{}/README.md.)",
        lab.number,
        lab.folder()
    );
    if surprises.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(tr!(
            "case {} did not behave as the lesson says on this machine; its \"observed\" \
             line shows what the OS really did",
            "案例 {} 在这台机器上的表现与课程所说的不同：它的输出显示了操作系统实际的\
             行为",
            surprises.join(", ")
        ))
    }
}

/// Runs one case and prints its lesson. True if the OS behaved as described.
/// With `predict` (`--predict`), the code is shown first and the rest waits for a
/// line: the student's prediction, or just Enter.
fn show_case(number: usize, case: &Case, predict: &mut Option<Lines>) -> bool {
    say!("");
    say!(
        "{}",
        format!("Case {number}/{} — {}", CASES.len(), case.title).bold()
    );
    field("Python", case.python);
    if let Some(input) = predict {
        tell!(
            "  What will this do on {}? Predict, then press Enter.",
            std::env::consts::OS
        );
        match input.read("  your prediction> ") {
            Some(guess) if !guess.trim().is_empty() => field("you predicted", &safe_str(&guess)),
            Some(_) => {}
            None => {
                tell!("  (end of input: the remaining cases run without waiting)");
                *predict = None;
            }
        }
    }
    field("Python, Linux", case.python_linux);
    field("Python, Windows", case.python_windows);
    field("Rust", case.rust);
    field("expected", case.claim);
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
    field("fix", case.fix);
    observed.as_described
}

/// `  label           text`, the text wrapped under itself.
fn field(label: &str, text: &str) {
    field_painted(label, label.to_string(), text);
}

/// [`field`] with the label shown as `painted` (the same word in colour): the
/// padding is measured on the plain `label`, since colour codes take no room on screen.
/// On a terminal the text is wrapped to its width, each line under the first word.
fn field_painted(label: &str, painted: String, text: &str) {
    const LABEL_WIDTH: usize = 16;
    let pad = " ".repeat(LABEL_WIDTH.saturating_sub(label.chars().count()));
    let hang = 2 + LABEL_WIDTH + 1;
    let line = format!("  {painted}{pad} {text}");
    say!("{}", term::wrap_hanging(&line, hang));
}

// ---------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------

const CASES: [Case; 11] = [
    SEND_WITHOUT_CONNECT,
    SENDTO_WITHOUT_ADDRESS,
    SEND_WITH_AN_ADDRESS,
    RECV_INSTEAD_OF_RECVFROM,
    CONNECTED_TO_A_CLOSED_PORT,
    UNCONNECTED_TO_A_CLOSED_PORT,
    DATAGRAM_LARGER_THAN_THE_BUFFER,
    DATAGRAM_OVER_THE_SIZE_LIMIT,
    TCP_CLIENT_UDP_SERVER,
    BOUNDARIES_KEPT,
    RECEIVE_QUEUE_OVERFLOWS,
];

/// How long a case waits for something that should not come (silence is the lesson).
const SHORT_WAIT: Duration = Duration::from_millis(250);

/// How long a case waits for something that should come. On loopback it comes at
/// once; the margin is for a machine busy with other work.
const LONG_WAIT: Duration = Duration::from_secs(2);

// 1 -------------------------------------------------------------------------------

const SEND_WITHOUT_CONNECT: Case = Case {
    title: "send() on an unconnected UDP socket",
    python: "s = socket(type=SOCK_DGRAM); s.send(b\"hi\")",
    python_linux: "OSError: [Errno 89] Destination address required",
    python_windows: "OSError: [WinError 10057] A request to send or receive data was disallowed \
                     because the socket is not connected and (when sending on a datagram socket \
                     using a sendto call) no address was supplied",
    rust: "compiles: std's UdpSocket::send passes the call to the OS, and the OS's answer comes \
           back as an io::Error. A UDP socket has no peer until connect() gives it one. (std has \
           no ErrorKind for this code, so its kind shows as Uncategorized: the raw code says \
           which error it is.)",
    claim: if cfg!(windows) {
        "send() fails: not connected [WSAENOTCONN 10057]"
    } else {
        "send() fails: destination address required [EDESTADDRREQ]"
    },
    observe: send_without_connect,
    fix: "s.sendto(b\"hi\", addr) names the receiver on every call; or s.connect(addr) once, \
          then s.send(b\"hi\").",
};

fn send_without_connect() -> io::Result<Observed> {
    let socket = udp_socket()?;
    let sent = socket.send(b"hi");
    let expected = if cfg!(windows) {
        "WSAENOTCONN"
    } else {
        "EDESTADDRREQ"
    };
    Ok(Observed {
        seen: vec![format!(
            "send(b\"hi\") on {} (never connected) -> {}",
            socket.local_addr()?,
            shown(&sent)
        )],
        as_described: failed_with(&sent, expected),
    })
}

// 2 -------------------------------------------------------------------------------

const SENDTO_WITHOUT_ADDRESS: Case = Case {
    title: "sendto() without an address",
    python: "s.sendto(b\"hi\")",
    python_linux: "TypeError: sendto() takes 2 or 3 arguments (1 given)",
    python_windows: "the same TypeError: Python checks the arguments before any system call",
    rust: "does not compile: `socket.send_to(b\"hi\")` is error[E0061], send_to takes 2 \
           arguments. Its signature send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) makes \
           the address part of the call. So the mistake itself never reaches the OS: observed \
           instead is the call the compiler insists on.",
    claim: "send_to(b\"hi\", addr) delivers 2 bytes, and the receiver's recv_from names our \
            socket as the sender",
    observe: sendto_without_address,
    fix: "s.sendto(b\"hi\", (\"127.0.0.1\", 9000)): the address is a (host, port) tuple.",
};

fn sendto_without_address() -> io::Result<Observed> {
    let (receiver, to) = receiver()?;
    let sender = udp_socket()?;
    let sent = sender.send_to(b"hi", to);
    let mut buf = [0u8; 1024];
    let got = receiver.recv_from(&mut buf);
    let from_us = matches!(got, Ok((2, from)) if from == sender.local_addr()?);
    Ok(Observed {
        seen: vec![
            format!("send_to(b\"hi\", {to}) -> {}", shown(&sent)),
            format!(
                "receiver: recv_from() -> {} (the sender is {})",
                shown(&got),
                sender.local_addr()?
            ),
        ],
        as_described: matches!(sent, Ok(2)) && from_us,
    })
}

// 3 -------------------------------------------------------------------------------

const SEND_WITH_AN_ADDRESS: Case = Case {
    title: "send(data, addr): an address where send() expects flags",
    python: "s.send(b\"hi\", (\"127.0.0.1\", 9000))",
    python_linux: "TypeError: 'tuple' object cannot be interpreted as an integer (older Pythons: \
                   an integer is required (got type tuple))",
    python_windows: "the same TypeError: send()'s second parameter is `flags`, an integer",
    rust: "does not compile: `socket.send(b\"hi\", addr)` is error[E0061], send takes 1 \
           argument. socket2 shows what the second parameter really is: send_with_flags(buf, \
           flags). Observed: flags = 0 still gives no destination; connect() first does.",
    claim: if cfg!(windows) {
        "send_with_flags(b\"hi\", 0) fails [WSAENOTCONN 10057]; after connect(addr), send(b\"hi\") delivers 2 bytes"
    } else {
        "send_with_flags(b\"hi\", 0) fails [EDESTADDRREQ]; after connect(addr), send(b\"hi\") delivers 2 bytes"
    },
    observe: send_with_an_address,
    fix: "sendto(data, addr) when you name the address; send(data) only after connect(addr).",
};

fn send_with_an_address() -> io::Result<Observed> {
    let (receiver, to) = receiver()?;
    let sender = udp_socket()?;
    let with_flags = SockRef::from(&sender).send_with_flags(b"hi", 0);
    sender.connect(to)?;
    let after_connect = sender.send(b"hi");
    let mut buf = [0u8; 1024];
    let got = receiver.recv_from(&mut buf);
    let expected = if cfg!(windows) {
        "WSAENOTCONN"
    } else {
        "EDESTADDRREQ"
    };
    Ok(Observed {
        seen: vec![
            format!(
                "send_with_flags(b\"hi\", 0), not connected -> {}",
                shown(&with_flags)
            ),
            format!("connect({to}); send(b\"hi\") -> {}", shown(&after_connect)),
            format!("receiver: recv_from() -> {}", shown(&got)),
        ],
        as_described: failed_with(&with_flags, expected)
            && matches!(after_connect, Ok(2))
            && matches!(got, Ok((2, _))),
    })
}

// 4 -------------------------------------------------------------------------------

const RECV_INSTEAD_OF_RECVFROM: Case = Case {
    title: "recv() vs recvfrom(), and unpacking the result",
    python: "data, addr = s.recv(1024)",
    python_linux: "ValueError: too many values to unpack (expected 2) for b\"hello\"; not enough \
                   values to unpack (expected 2, got 1) for b\"2\"; and for b\"hi\" NO error: \
                   data = 104, addr = 105 (the two bytes!)",
    python_windows: "the same ValueError (or the same silent nonsense): recv() returns only the \
                     bytes, and Python unpacks the bytes themselves",
    rust: "does not compile: `let (data, addr) = socket.recv(&mut buf)?` is error[E0308] \
           mismatched types, recv returns a usize (the byte count), not a pair. recv_from \
           returns (usize, SocketAddr). The bytes go into `buf` either way.",
    claim: "recv() gives 5 bytes and no address; recv_from() gives 5 bytes and the sender's \
            address",
    observe: recv_instead_of_recvfrom,
    fix: "data, addr = s.recvfrom(1024) when you need to know who sent it (a server always \
          does); data = s.recv(1024) when you don't.",
};

fn recv_instead_of_recvfrom() -> io::Result<Observed> {
    let (receiver, to) = receiver()?;
    let sender = udp_socket()?;
    sender.send_to(b"hello", to)?;
    sender.send_to(b"hello", to)?;
    let mut buf = [0u8; 1024];
    let only_bytes = receiver.recv(&mut buf);
    let with_address = receiver.recv_from(&mut buf);
    let sender_addr = sender.local_addr()?;
    Ok(Observed {
        seen: vec![
            format!("sender {sender_addr}: send_to(b\"hello\") twice"),
            format!(
                "recv() -> {}: a count; who sent it is not said",
                shown(&only_bytes)
            ),
            format!("recv_from() -> {}", shown(&with_address)),
        ],
        as_described: matches!(only_bytes, Ok(5))
            && matches!(with_address, Ok((5, from)) if from == sender_addr),
    })
}

// 5 -------------------------------------------------------------------------------

const CONNECTED_TO_A_CLOSED_PORT: Case = Case {
    title: "a connected UDP socket sends to a port nobody listens on",
    python: "s.connect((\"127.0.0.1\", 9000)); s.send(b\"hi\"); s.recv(1024)   # no server",
    python_linux: "send() returns 2, then recv(): ConnectionRefusedError: [Errno 111] Connection \
                   refused",
    python_windows: "ConnectionResetError: [WinError 10054] An existing connection was forcibly \
                     closed by the remote host",
    rust: "the same io::Error, on the call after the send: the kernel got an ICMP \"port \
           unreachable\" back and keeps it for the socket connected to that port.",
    claim: if cfg!(windows) {
        "send() succeeds; the next recv() fails at once [WSAECONNRESET 10054]"
    } else {
        "send() succeeds; the next recv() fails at once with connection refused [ECONNREFUSED]"
    },
    observe: connected_to_a_closed_port,
    fix: "expect it: start the server first, and treat \"refused\" on a UDP socket as \"nobody \
          listens there\" (`lab 5 client --connect` does).",
};

fn connected_to_a_closed_port() -> io::Result<Observed> {
    let closed = closed_port()?;
    let socket = udp_socket()?;
    socket.connect(closed)?;
    let sent = socket.send(b"hi");
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let got = socket.recv(&mut buf);
    let waited = started.elapsed();
    let refused = if cfg!(windows) {
        failed_with(&got, "WSAECONNRESET")
    } else {
        matches!(&got, Err(err) if err.kind() == ErrorKind::ConnectionRefused)
    };
    Ok(Observed {
        seen: vec![
            format!("connect({closed}); send(b\"hi\") -> {}", shown(&sent)),
            format!("recv() -> {} after {} ms", shown(&got), waited.as_millis()),
        ],
        as_described: matches!(sent, Ok(2)) && refused && waited < LONG_WAIT,
    })
}

// 6 -------------------------------------------------------------------------------

const UNCONNECTED_TO_A_CLOSED_PORT: Case = Case {
    title: "an unconnected UDP socket sends to a port nobody listens on",
    python: "s.sendto(b\"hi\", (\"127.0.0.1\", 9000)); s.recvfrom(1024)   # no server",
    python_linux: "sendto() returns 2, then recvfrom() waits for ever (with settimeout: \
                   TimeoutError: timed out). Nothing reports the missing server.",
    python_windows: "ConnectionResetError: [WinError 10054] on the recvfrom(): Windows reports \
                     the ICMP even without connect (the classic's \"server not started\" error)",
    rust: "the same: send_to returns Ok, and recv_from waits. Only a read timeout \
           (set_read_timeout) stops the wait, as an io::Error of kind WouldBlock (Unix) or \
           TimedOut (Windows).",
    claim: if cfg!(windows) {
        "send_to() succeeds; recv_from() fails [WSAECONNRESET 10054]"
    } else {
        "send_to() succeeds; recv_from() hears nothing until the 250 ms timeout: silence"
    },
    observe: unconnected_to_a_closed_port,
    fix: "always set a timeout on a UDP client's recvfrom() and say \"no answer\" (UDP cannot \
          tell a missing server from a lost datagram); or connect() to learn of \"refused\".",
};

fn unconnected_to_a_closed_port() -> io::Result<Observed> {
    let closed = closed_port()?;
    let socket = udp_socket()?;
    socket.set_read_timeout(Some(SHORT_WAIT))?;
    let sent = socket.send_to(b"hi", closed);
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let got = socket.recv_from(&mut buf);
    let waited = started.elapsed();
    let as_claimed = if cfg!(windows) {
        failed_with(&got, "WSAECONNRESET")
    } else {
        matches!(&got, Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut))
    };
    Ok(Observed {
        seen: vec![
            format!("send_to(b\"hi\", {closed}) -> {}", shown(&sent)),
            format!(
                "recv_from(), read timeout 250 ms -> {} after {} ms",
                shown(&got),
                waited.as_millis()
            ),
        ],
        as_described: matches!(sent, Ok(2)) && as_claimed,
    })
}

// 7 -------------------------------------------------------------------------------

const DATAGRAM_LARGER_THAN_THE_BUFFER: Case = Case {
    title: "a datagram larger than the receive buffer",
    python: "data, addr = s.recvfrom(10)   # the peer sent 100 bytes",
    python_linux: "no error: data is the first 10 bytes; the other 90 are thrown away",
    python_windows: "OSError: [WinError 10040] A message sent on a datagram socket was larger \
                     than the internal message buffer or some other network limit, or the buffer \
                     used to receive a datagram into was smaller than the datagram itself",
    rust: "std's recv_from behaves like the OS: Ok(10) on Linux and macOS, Err(10040) on \
           Windows. socket2's recv_from_vectored also returns the flags, where MSG_TRUNC \
           (is_truncated) says the datagram was cut. Either way, the rest is lost: the next \
           recv gets the next datagram, never the 90 bytes.",
    claim: if cfg!(windows) {
        "recv_from with 10 bytes fails [WSAEMSGSIZE 10040]; the truncated flag is set; the next \
         recv_from gets the next datagram"
    } else {
        "recv_from with 10 bytes returns 10, silently; the MSG_TRUNC flag says it was cut; the \
         next recv_from gets the next datagram"
    },
    observe: datagram_larger_than_the_buffer,
    fix: "receive into a buffer as large as the largest datagram you accept (65,507 bytes takes \
          any UDP datagram over IPv4), and keep messages small.",
};

fn datagram_larger_than_the_buffer() -> io::Result<Observed> {
    let (receiver, to) = receiver()?;
    let sender = udp_socket()?;
    let hundred = [b'x'; 100];
    let mut seen = Vec::new();

    // The plain call, as Python makes it.
    sender.send_to(&hundred, to)?;
    sender.send_to(b"next", to)?;
    let mut small = [0u8; 10];
    let plain = receiver.recv_from(&mut small);
    seen.push(format!(
        "peer sent 100 bytes, then b\"next\"; recv_from(10-byte buffer) -> {}",
        shown(&plain)
    ));
    let mut big = [0u8; 1024];
    let next = receiver.recv_from(&mut big);
    let next_is_next = matches!(next, Ok((4, _))) && big.starts_with(b"next");
    seen.push(format!(
        "the next recv_from() -> {}: {}",
        shown(&next),
        received_text(&next, &big)
    ));

    // The same with the flags the OS returns alongside the bytes.
    sender.send_to(&hundred, to)?;
    let mut small = [MaybeUninit::<u8>::uninit(); 10];
    let with_flags = SockRef::from(&receiver)
        .recv_from_vectored(&mut [MaybeUninitSlice::new(&mut small)])
        .map(|(n, flags, _)| (n, flags.is_truncated()));
    seen.push(format!(
        "recv_from_vectored(10-byte buffer) -> (bytes, truncated) = {}",
        shown(&with_flags)
    ));
    let truncated = matches!(with_flags, Ok((10, true)));

    // Linux only: MSG_TRUNC passed IN makes recv return the datagram's real length.
    #[cfg(target_os = "linux")]
    {
        const MSG_TRUNC: std::ffi::c_int = 0x20; // from <sys/socket.h> on Linux
        sender.send_to(&hundred, to)?;
        let mut small = [MaybeUninit::<u8>::uninit(); 10];
        let real = SockRef::from(&receiver).recv_with_flags(&mut small, MSG_TRUNC);
        seen.push(format!(
            "Linux: recv(10-byte buffer, MSG_TRUNC) -> {}: the datagram's real size",
            shown(&real)
        ));
    }

    let plain_as_claimed = if cfg!(windows) {
        failed_with(&plain, "WSAEMSGSIZE")
    } else {
        matches!(plain, Ok((10, _)))
    };
    Ok(Observed {
        seen,
        as_described: plain_as_claimed && next_is_next && truncated,
    })
}

// 8 -------------------------------------------------------------------------------

const DATAGRAM_OVER_THE_SIZE_LIMIT: Case = Case {
    title: "a datagram over the UDP size limit",
    python: "s.sendto(b\"x\" * 65508, addr)",
    python_linux: "OSError: [Errno 90] Message too long",
    python_windows:
        "OSError: [WinError 10040] A message sent on a datagram socket was larger than \
                     the internal message buffer or some other network limit, ...",
    rust: "the same io::Error from send_to. The type system knows a slice's length, not the \
           network's limit: 65,535 (IPv4's size field) - 20 (IPv4 header) - 8 (UDP header) = \
           65,507 bytes of data at most.",
    claim: if cfg!(windows) {
        "65,507 bytes go through whole; 65,508 fail [WSAEMSGSIZE 10040]"
    } else if cfg!(target_os = "macos") {
        "65,508 bytes fail [EMSGSIZE] (macOS also refuses far smaller datagrams: \
         net.inet.udp.maxdgram is 9216 by default)"
    } else {
        "65,507 bytes go through whole; 65,508 fail [EMSGSIZE]"
    },
    observe: datagram_over_the_size_limit,
    fix: "keep each datagram well under the limit (under about 1,400 bytes avoids IP \
          fragmentation on real networks), or use TCP for bulk data.",
};

fn datagram_over_the_size_limit() -> io::Result<Observed> {
    let (receiver, to) = receiver()?;
    let sender = udp_socket()?;
    let at_limit = sender.send_to(&vec![b'x'; MAX_DATAGRAM], to);
    let over = sender.send_to(&vec![b'x'; MAX_DATAGRAM + 1], to);
    let mut seen = vec![
        format!("send_to({MAX_DATAGRAM} bytes) -> {}", shown(&at_limit)),
        format!("send_to({} bytes) -> {}", MAX_DATAGRAM + 1, shown(&over)),
    ];
    let mut arrived_whole = false;
    if at_limit.is_ok() {
        let mut buf = vec![0u8; MAX_DATAGRAM + 1];
        let got = receiver.recv_from(&mut buf);
        arrived_whole = matches!(got, Ok((MAX_DATAGRAM, _)));
        seen.push(format!(
            "receiver: recv_from(65,508-byte buffer) -> {}",
            shown(&got)
        ));
    }
    let expected = if cfg!(windows) {
        "WSAEMSGSIZE"
    } else {
        "EMSGSIZE"
    };
    let limit_as_claimed = cfg!(target_os = "macos") || arrived_whole;
    Ok(Observed {
        seen,
        as_described: failed_with(&over, expected) && limit_as_claimed,
    })
}

// 9 -------------------------------------------------------------------------------

const TCP_CLIENT_UDP_SERVER: Case = Case {
    title: "a TCP client talking to a UDP server",
    python: "c = socket.socket()   # SOCK_STREAM by default, not SOCK_DGRAM\n\
             c.sendto(b\"hi\", addr)  or  c.connect(addr)",
    python_linux: "sendto: BrokenPipeError: [Errno 32] Broken pipe; connect: \
                   ConnectionRefusedError: [Errno 111] Connection refused",
    python_windows: "sendto: OSError: [WinError 10057] (the classic's error); connect: \
                     ConnectionRefusedError: [WinError 10061] No connection could be made \
                     because the target machine actively refused it",
    rust: "std keeps the kinds apart by type: TcpStream has no send_to and UdpSocket no accept, \
           so only socket2 (or Python) can even try sendto on a TCP socket. TcpStream::connect \
           compiles and is refused: TCP port N and UDP port N are different ports.",
    claim: if cfg!(windows) {
        "TCP sendto fails [WSAENOTCONN 10057]; TCP connect is refused; the UDP server gets nothing"
    } else if cfg!(target_os = "linux") {
        "TCP sendto fails [EPIPE]; TCP connect is refused [ECONNREFUSED]; the UDP server gets nothing"
    } else {
        "TCP connect is refused [ECONNREFUSED]; the UDP server gets nothing (what sendto on a TCP \
         socket does varies among the BSDs)"
    },
    observe: tcp_client_udp_server,
    fix: "both sides must agree: socket(type=SOCK_DGRAM) on the client too (the type is part \
          of the address: 9000/udp is not 9000/tcp).",
};

fn tcp_client_udp_server() -> io::Result<Observed> {
    let (udp_server, to) = receiver()?;
    let tcp = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    let sent = tcp.send_to(b"hi", &to.into());
    let connected = TcpStream::connect_timeout(&to, Duration::from_secs(3)).map(|_| "connected");
    udp_server.set_nonblocking(true)?;
    let mut buf = [0u8; 1024];
    let heard = udp_server.recv_from(&mut buf);
    let heard_nothing = matches!(&heard, Err(err) if err.kind() == ErrorKind::WouldBlock);
    let sendto_as_claimed = if cfg!(windows) {
        failed_with(&sent, "WSAENOTCONN")
    } else if cfg!(target_os = "linux") {
        failed_with(&sent, "EPIPE")
    } else {
        true
    };
    Ok(Observed {
        seen: vec![
            format!("TCP socket: sendto(b\"hi\", {to}) -> {}", shown(&sent)),
            format!("TcpStream::connect({to}) -> {}", shown(&connected)),
            format!("the UDP server on {to}: recv_from() -> {}", shown(&heard)),
        ],
        as_described: sendto_as_claimed
            && matches!(&connected, Err(err) if err.kind() == ErrorKind::ConnectionRefused)
            && heard_nothing,
    })
}

// 10 ------------------------------------------------------------------------------

const BOUNDARIES_KEPT: Case = Case {
    title: "datagram boundaries are kept; a TCP stream merges them",
    python: "c.sendto(b\"one\", a); c.sendto(b\"two\", a); c.sendto(b\"three\", a)   # then recv three times",
    python_linux: "no error: three recvfrom() calls return b\"one\", b\"two\", b\"three\". Over TCP, \
                   the same three send() calls may come out of one recv() as b\"onetwothree\".",
    python_windows: "the same",
    rust: "the same: one send_to is one recv_from. TcpStream is a byte stream (Read/Write): \
           it keeps the order of the bytes, not where one write() ended.",
    claim: "UDP: 3 sends, 3 recvs of 3, 3 and 5 bytes. TCP: 3 writes, and the first read \
            returns more than the first write",
    observe: boundaries_kept,
    fix: "on UDP, nothing to fix: one message per datagram. On TCP, frame your messages \
          (a newline, or a length prefix): lab 7.",
};

fn boundaries_kept() -> io::Result<Observed> {
    const MESSAGES: [&[u8]; 3] = [b"one", b"two", b"three"];

    // UDP: three datagrams, three receives, each one whole.
    let (receiver, to) = receiver()?;
    let sender = udp_socket()?;
    for message in MESSAGES {
        sender.send_to(message, to)?;
    }
    let mut udp_reads = Vec::new();
    let mut buf = [0u8; 1024];
    for _ in MESSAGES {
        let (n, _) = receiver.recv_from(&mut buf)?;
        udp_reads.push(safe(&buf[..n]));
    }

    // TCP: three writes on a connection, then read what has arrived.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let mut client = TcpStream::connect(listener.local_addr()?)?;
    let (mut conn, _) = listener.accept()?;
    conn.set_read_timeout(Some(LONG_WAIT))?;
    for message in MESSAGES {
        client.write_all(message)?;
    }
    // Wait (briefly, bounded) until all 11 bytes are in the receive queue: peek
    // looks without taking. Then one read takes what is there.
    let total: usize = MESSAGES.iter().map(|m| m.len()).sum();
    let deadline = Instant::now() + LONG_WAIT;
    while conn.peek(&mut buf)? < total && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    let n = conn.read(&mut buf)?;
    let tcp_first_read = safe(&buf[..n]);

    let expected: Vec<String> = MESSAGES.iter().map(|m| safe(m)).collect();
    Ok(Observed {
        seen: vec![
            format!("UDP: 3 send_to(), then recv_from() x3 -> {udp_reads:?}"),
            format!("TCP: 3 write(), then the first read() -> {n} bytes {tcp_first_read:?}"),
        ],
        as_described: udp_reads == expected && n > MESSAGES[0].len(),
    })
}

// 11 ------------------------------------------------------------------------------

const RECEIVE_QUEUE_OVERFLOWS: Case = Case {
    title: "a busy receiver: datagrams are dropped without a word, even on one machine",
    python: "for i in range(100): c.sendto(b\"x\" * 1000, addr)   # the server is not reading yet",
    python_linux: "no error anywhere: every sendto() returns 1000, and the server later gets only \
                   the few that fit in its socket's receive queue (SO_RCVBUF)",
    python_windows: "the same: no error, datagrams missing",
    rust: "the same: send_to returns Ok(1000) each time. No type can promise delivery: UDP \
           does not. (socket2's set_recv_buffer_size is setsockopt(SO_RCVBUF).)",
    claim: "all 100 send_to() calls succeed; fewer than 100 datagrams arrive",
    observe: receive_queue_overflows,
    fix: "read promptly (a thread that only receives), a larger SO_RCVBUF, and in the protocol: \
          number the datagrams, acknowledge them, resend what was lost; or use TCP.",
};

fn receive_queue_overflows() -> io::Result<Observed> {
    const SENT: usize = 100;
    let (receiver, to) = receiver()?;
    // A small receive queue, so the overflow comes soon.
    let asked = 4096;
    SockRef::from(&receiver).set_recv_buffer_size(asked)?;
    let granted = SockRef::from(&receiver).recv_buffer_size()?;
    let sender = udp_socket()?;
    let mut accepted = 0;
    for _ in 0..SENT {
        if matches!(sender.send_to(&[b'x'; 1000], to), Ok(1000)) {
            accepted += 1;
        }
    }
    // Now read everything that is waiting, without blocking.
    receiver.set_nonblocking(true)?;
    let mut arrived = 0;
    let mut buf = [0u8; 2048];
    while arrived < SENT && receiver.recv_from(&mut buf).is_ok() {
        arrived += 1;
    }
    Ok(Observed {
        seen: vec![
            format!("setsockopt(SO_RCVBUF, {asked}); the OS granted {granted} bytes"),
            format!("{accepted} of {SENT} send_to(1000 bytes) returned Ok(1000)"),
            format!(
                "the receiver then found {arrived} datagrams waiting; {} were dropped",
                SENT - arrived
            ),
        ],
        as_described: accepted == SENT && arrived < SENT,
    })
}

// ---------------------------------------------------------------------------------
// Sockets for the cases, and how their results are shown
// ---------------------------------------------------------------------------------

/// A UDP socket on 127.0.0.1 with any free port. Its reads give up after a while,
/// so no case can hang.
fn udp_socket() -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    socket.set_read_timeout(Some(LONG_WAIT))?;
    Ok(socket)
}

/// A receiving socket and its address.
fn receiver() -> io::Result<(UdpSocket, SocketAddr)> {
    let socket = udp_socket()?;
    let addr = socket.local_addr()?;
    Ok((socket, addr))
}

/// A port on 127.0.0.1 that nobody listens on: we bind it, note it and close it.
/// (Another program could take it in between; on a lab machine that is rare.)
fn closed_port() -> io::Result<SocketAddr> {
    udp_socket()?.local_addr()
}

/// The bytes a receive got, as text.
fn received_text<T>(result: &io::Result<(usize, T)>, buf: &[u8]) -> String {
    match result {
        Ok((n, _)) => format!("{:?}", safe(&buf[..*n])),
        Err(_) => "nothing".to_string(),
    }
}

/// `Ok(2)`, or the error with its kind, raw code and the code's name.
fn shown<T: Debug>(result: &io::Result<T>) -> String {
    match result {
        Ok(value) => format!("Ok({value:?})"),
        Err(err) => shown_error(err),
    }
}

/// `Err(ConnectionRefused, os error 111 = ECONNREFUSED: "Connection refused")`.
fn shown_error(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => {
            let name = os_code::name(code)
                .map(|n| format!(" = {n}"))
                .unwrap_or_default();
            // The OS's wording without std's " (os error N)" suffix, which we show already.
            let text = err.to_string();
            let text = text
                .strip_suffix(&format!(" (os error {code})"))
                .unwrap_or(&text)
                .to_string();
            format!("Err({:?}, os error {code}{name}: {text:?})", err.kind())
        }
        None => format!("Err({:?}: {err})", err.kind()),
    }
}

/// True if `result` failed with the OS error called `name` on this platform.
fn failed_with<T>(result: &io::Result<T>, name: &str) -> bool {
    match result {
        Err(err) => err.raw_os_error().is_some() && err.raw_os_error() == os_code::number(name),
        Ok(_) => false,
    }
}

/// The error codes these lessons meet. The names are the same everywhere; the numbers
/// are not (EMSGSIZE is 90 on Linux, 40 on macOS, and Windows has WSAEMSGSIZE, 10040).
mod os_code {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) const CODES: &[(i32, &str)] = &[
        (11, "EAGAIN"),
        (32, "EPIPE"),
        (89, "EDESTADDRREQ"),
        (90, "EMSGSIZE"),
        (104, "ECONNRESET"),
        (107, "ENOTCONN"),
        (110, "ETIMEDOUT"),
        (111, "ECONNREFUSED"),
    ];

    // macOS and the BSDs share the old BSD numbering.
    #[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
    pub(super) const CODES: &[(i32, &str)] = &[
        (32, "EPIPE"),
        (35, "EAGAIN"),
        (39, "EDESTADDRREQ"),
        (40, "EMSGSIZE"),
        (54, "ECONNRESET"),
        (57, "ENOTCONN"),
        (60, "ETIMEDOUT"),
        (61, "ECONNREFUSED"),
    ];

    #[cfg(windows)]
    pub(super) const CODES: &[(i32, &str)] = &[
        (10035, "WSAEWOULDBLOCK"),
        (10039, "WSAEDESTADDRREQ"),
        (10040, "WSAEMSGSIZE"),
        (10054, "WSAECONNRESET"),
        (10057, "WSAENOTCONN"),
        (10058, "WSAESHUTDOWN"),
        (10060, "WSAETIMEDOUT"),
        (10061, "WSAECONNREFUSED"),
    ];

    #[cfg(not(any(unix, windows)))]
    pub(super) const CODES: &[(i32, &str)] = &[];

    pub fn name(number: i32) -> Option<&'static str> {
        CODES
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, name)| *name)
    }

    pub fn number(name: &str) -> Option<i32> {
        CODES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(number, _)| *number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_named_both_ways() {
        for (number, name) in os_code::CODES {
            assert_eq!(os_code::name(*number), Some(*name));
            assert_eq!(os_code::number(name), Some(*number));
        }
        if cfg!(target_os = "linux") {
            assert_eq!(os_code::name(90), Some("EMSGSIZE"));
        }
    }

    #[test]
    fn an_error_is_shown_with_its_kind_code_and_name() {
        if cfg!(target_os = "linux") {
            let shown = shown_error(&io::Error::from_raw_os_error(111));
            assert_eq!(
                shown,
                "Err(ConnectionRefused, os error 111 = ECONNREFUSED: \"Connection refused\")"
            );
        }
        assert_eq!(shown::<usize>(&Ok(2)), "Ok(2)");
    }

    #[test]
    fn every_case_has_every_part() {
        for case in &CASES {
            for part in [
                case.title,
                case.python,
                case.python_linux,
                case.python_windows,
                case.rust,
                case.claim,
                case.fix,
            ] {
                assert!(
                    !part.trim().is_empty(),
                    "case {:?} has an empty part",
                    case.title
                );
            }
        }
    }
}
