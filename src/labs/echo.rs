//! Lab 1 — echo. One client at a time: the server's socket steps, in order.
//!
//! Run `lab 1 server` in one terminal and `lab 1 client` in another. Each line you
//! type in the client comes back with the server's time in front of it, as in the
//! classic Python `ctime` echo server on port 6666. `exit` ends the conversation and
//! the server goes back to accept() for the next client.
//!
//! The server is written with `socket2`, where every method is one system call, so
//! the steps stand one per line as in C or Python. (Rust's std `TcpListener::bind`
//! does socket + SO_REUSEADDR + bind + listen(128) in one call: handy, and labs 3 to 7
//! use it, but it hides the lesson here.)
//!
//! | Python                                  | here                                        |
//! |-----------------------------------------|---------------------------------------------|
//! | `s = socket(AF_INET, SOCK_STREAM)`      | `Socket::new(Domain::IPV4, Type::STREAM, None)` |
//! | `s.bind(("127.0.0.1", 6666))`           | `listener.bind(&addr.into())`               |
//! | `s.listen(5)`                           | `listener.listen(5)`                        |
//! | `conn, addr = s.accept()`               | `let (conn, addr) = listener.accept()?`     |
//! | `data = conn.recv(1024)`                | `conn.read(&mut buf)` (socket2's recv)      |
//! | `conn.send(data)`                       | `conn.send(&reply)`                         |
//! | `conn.close()`                          | `drop(conn)`                                |
//! | `c.connect(("127.0.0.1", 6666))`        | `socket.connect(&addr.into())`              |
//!
//! Which calls block (wait): `accept()` until a client connects; `recv()` until bytes
//! arrive or the peer closes; `connect()` until the server's kernel answers; `send()`
//! only when the peer's receive buffer is full.
//!
//! The limit kept on purpose: while one client is being served, the next one waits.
//! Its connect() has already succeeded (the kernel queued it, up to the listen backlog),
//! but nobody calls accept() for it yet. Lab 4 gives each client a thread of its own.

use std::io::Read;
use std::net::SocketAddr;

use anyhow::Context;
use clap::{Args, Subcommand};
use colored::ColoredString;
use socket2::{Domain, Socket, Type};

use crate::hint;
use crate::labs::Lab;
use crate::lang::pick;
use crate::net::{self, Endpoint};
use crate::term::{self, paint, preview, safe, say, tell, Lines};

#[derive(Subcommand, Debug)]
pub enum Role {
    /// The echo server: shows each socket call as it happens
    Server(ServerArgs),
    /// The client: sends each line you type and prints the reply
    Client(ClientArgs),
    /// A window: a key per socket call, in any order, on real sockets
    Playground(super::echo_playground::PlaygroundArgs),
}

#[derive(Args, Debug)]
pub struct ServerArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// listen() backlog: how many connected clients the kernel queues while the server
    /// is busy with another one
    #[arg(long, default_value_t = 5)]
    backlog: i32,

    /// recv() buffer size: the most bytes one recv() may return
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    bufsize: u32,

    /// Print only connections and messages, not every socket call
    #[arg(long)]
    quiet: bool,

    /// Pause before each socket call, say what it will do, and run it when you press
    /// Enter (one line of stdin per step when stdin is not a terminal)
    #[arg(long)]
    step: bool,
}

#[derive(Args, Debug)]
pub struct ClientArgs {
    #[command(flatten)]
    endpoint: Endpoint,

    /// Print only the replies, not every socket call
    #[arg(long)]
    quiet: bool,

    /// Pause before each socket call and run it when you press Enter
    #[arg(long)]
    step: bool,
}

pub fn run(role: Role, lab: &Lab) -> anyhow::Result<()> {
    match role {
        Role::Server(args) => server(args, lab),
        Role::Client(args) => client(args, lab),
        Role::Playground(args) => super::echo_playground::run(args, lab),
    }
}

// ---------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------

fn server(args: ServerArgs, lab: &Lab) -> anyhow::Result<()> {
    let addr = args.endpoint.resolve_one()?;
    let mut input = Lines::from_stdin();
    let mut steps = Steps::new(args.quiet, args.step);

    // 1. socket(): a new TCP socket. It has no address yet; nothing is on the network.
    //    `None` lets the OS pick the protocol for SOCK_STREAM, which is TCP (Python's
    //    third argument, proto=0, means the same).
    steps.next(
        &mut input,
        "socket()",
        "creates a TCP socket. It has no address yet.",
    );
    let listener =
        Socket::new(Domain::for_address(addr), Type::STREAM, None).context("socket() failed")?;
    steps.done(format!("socket() -> a new TCP socket ({})", family(addr)));

    // SO_REUSEADDR lets us bind the port again right after a restart, while the last
    // connection still lingers in TIME_WAIT. Python's classic server does not set it,
    // and students meet "Address already in use" for a minute after every Ctrl-C.
    // (On Windows the same option means "share the port with a running server", which
    // is not what we want, so there we leave it alone, as std does.)
    #[cfg(unix)]
    {
        steps.next(
            &mut input,
            "setsockopt(SO_REUSEADDR, 1)",
            "allows binding the port again at once after a restart.",
        );
        listener
            .set_reuse_address(true)
            .context("setsockopt(SO_REUSEADDR) failed")?;
        steps.done("setsockopt(SO_REUSEADDR, 1)");
    }

    // 2. bind(): give the socket its address. This is where "port already in use" and
    //    "permission denied" (ports below 1024) happen.
    steps.next(
        &mut input,
        &format!("bind({addr})"),
        "gives the socket its address. Fails if another server has this port.",
    );
    listener
        .bind(&addr.into())
        .map_err(|err| hint::bind_failed(err, addr, lab.protocol))?;
    steps.done(format!("bind({addr})"));

    // 3. listen(): from now on the kernel completes handshakes with clients by itself
    //    and queues up to `backlog` of them, even before we call accept().
    steps.next(
        &mut input,
        &format!("listen({})", args.backlog),
        "makes it a listening socket. Clients can connect from now on, before accept().",
    );
    listener.listen(args.backlog).context("listen() failed")?;
    steps.done(format!("listen({})", args.backlog));

    // With --port 0 the OS chose the port during bind(); ask which one we got.
    let local = listener
        .local_addr()?
        .as_socket()
        .context("the listening socket has no IP address")?;
    // Ctrl-C or SIGTERM ends the server with a word and exit code 0. The OS closes its
    // sockets: a connected client's recv() returns 0 bytes, and the port is free again.
    // Installed before we say we listen: a signal that comes right after that line
    // (a script, a test) must find the handler already in place.
    term::stop_on_ctrl_c()?;
    net::announce_listening(local, lab.protocol);

    // One client at a time, for ever (Ctrl-C stops the server). Each client's address
    // is shown in a colour of its own, so one conversation is easy to tell from the next.
    let mut accept_failures = net::AcceptFailures::default();
    for client_number in 0.. {
        // 4. accept(): blocks until a client has connected, then returns a NEW socket
        //    for that client. The listening socket stays open for the next one.
        steps.next(
            &mut input,
            "accept()",
            "takes the next connected client, or waits until one connects.",
        );
        steps.done("accept() waiting...");
        // accept() fails when the server runs out of file descriptors (every socket
        // is one) or memory. The client stays queued, so accept() would fail again at
        // once: the floor says why once, pauses, and we try again.
        let (conn, peer) = loop {
            match listener.accept() {
                Ok(accepted) => break accepted,
                Err(err) => accept_failures.failed(&err),
            }
        };
        accept_failures.recovered();
        let peer = peer.as_socket().context("the client has no IP address")?;
        let shown = paint(&peer.to_string(), client_number);
        steps.done(format!("accept() -> {shown}"));
        if args.quiet {
            say!("[connect] {shown}");
        }

        let end = serve_one_client(&conn, &shown, &args, &mut steps, &mut input);

        // 7. close(): the client's recv() now returns 0 bytes. (Dropping a socket2
        //    Socket calls close(); we drop it explicitly to show where it happens.)
        steps.next(&mut input, "close()", "closes this client's socket.");
        drop(conn);
        let why = match end {
            End::SaidExit => "it said exit".to_string(),
            End::Closed => "it closed the connection".to_string(),
            End::Failed(err) => hint::describe(&err),
        };
        if args.quiet {
            tell!("[disconnect] {shown}: {why}");
        } else {
            tell!("close() {shown}: {why}");
        }
    }
    unreachable!("the server loops until it is stopped")
}

/// Why a conversation ended.
enum End {
    SaidExit,
    Closed,
    Failed(std::io::Error),
}

/// recv, reply, repeat, until the client says `exit`, closes, or breaks the connection.
fn serve_one_client(
    mut conn: &Socket,
    peer: &ColoredString,
    args: &ServerArgs,
    steps: &mut Steps,
    input: &mut Lines,
) -> End {
    let mut buf = vec![0u8; args.bufsize as usize];
    loop {
        // 5. recv(): blocks until the client sends something. It returns whatever
        //    bytes have arrived, at most `bufsize`: maybe a whole message, maybe part
        //    of one, maybe two stuck together (lab 7 shows it). Ok(0) means the client
        //    closed its side (end of file), not "no data yet".
        steps.next(
            input,
            &format!("recv({})", args.bufsize),
            "waits for bytes from the client. 0 bytes means it closed the connection.",
        );
        let n = match conn.read(&mut buf) {
            Ok(0) => {
                steps.done(format!(
                    "recv({}) -> 0 bytes: the client closed",
                    args.bufsize
                ));
                return End::Closed;
            }
            Ok(n) => n,
            Err(err) => return End::Failed(err),
        };
        let data = &buf[..n];
        steps.done(format!(
            "recv({}) -> {}: {}",
            args.bufsize,
            bytes(n),
            preview(data, 60)
        ));
        if args.quiet {
            say!("{peer}: {}", preview(data, 200));
        }

        // The classic protocol: the message `exit` ends the conversation. (`nc` sends
        // `exit\n`, a Python client sends `exit`: both count.)
        if data.trim_ascii() == b"exit" {
            return End::SaidExit;
        }

        // 6. send(): the time, a space and the bytes we got, as Python's
        //    `ctime() + " " + data` does. Bytes go back as they came, even if they are
        //    not valid text.
        let mut reply = format!("{} ", ctime_now()).into_bytes();
        reply.extend_from_slice(data);
        steps.next(
            input,
            &format!("send({})", bytes(reply.len())),
            "hands the reply to the kernel, which sends it to the client.",
        );
        if let Err(err) = send_all(conn, &reply, steps) {
            return End::Failed(err);
        }
        steps.done(format!(
            "send({}): {}",
            bytes(reply.len()),
            preview(&reply, 60)
        ));
    }
}

/// send() may take fewer bytes than it was given (Python's send() too; sendall()
/// loops for you). Loop until every byte has been handed over.
fn send_all(conn: &Socket, mut bytes: &[u8], steps: &Steps) -> std::io::Result<()> {
    while !bytes.is_empty() {
        let sent = conn.send(bytes)?;
        if sent < bytes.len() {
            steps.done(format!(
                "send() took {sent} of {} bytes; sending the rest",
                bytes.len()
            ));
        }
        bytes = &bytes[sent..];
    }
    Ok(())
}

/// The time as Python's `time.ctime()` writes it: `Mon Nov 23 03:47:53 2026`.
fn ctime_now() -> String {
    chrono::Local::now()
        .format("%a %b %e %H:%M:%S %Y")
        .to_string()
}

fn family(addr: SocketAddr) -> &'static str {
    if addr.is_ipv4() {
        "AF_INET, SOCK_STREAM"
    } else {
        "AF_INET6, SOCK_STREAM"
    }
}

// ---------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------

fn client(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    let mut input = Lines::from_stdin();
    let mut steps = Steps::new(args.quiet, args.step);

    // `localhost` can mean ::1 and 127.0.0.1; try each address until one answers.
    let mut refused = None;
    let mut connected = None;
    for server in args.endpoint.resolve()? {
        // 1. socket(): the client's socket. It needs no bind(): connect() picks a free
        //    local port for it (the "ephemeral" port the server will see).
        steps.next(&mut input, "socket()", "creates the client's TCP socket.");
        let socket = Socket::new(Domain::for_address(server), Type::STREAM, None)
            .context("socket() failed")?;
        steps.done(format!("socket() -> a new TCP socket ({})", family(server)));

        // 2. connect(): the TCP handshake. Blocks until the server's kernel answers;
        //    "refused" means nothing listens on that port.
        steps.next(
            &mut input,
            &format!("connect({server})"),
            "opens a connection to the server (the TCP handshake).",
        );
        match socket.connect(&server.into()) {
            Ok(()) => {
                connected = Some((socket, server));
                break;
            }
            Err(err) => refused = Some((err, server)),
        }
    }
    let (mut socket, server) = match (connected, refused) {
        (Some(pair), _) => pair,
        (None, Some((err, server))) => return Err(hint::connect_failed(err, server, lab.number)),
        (None, None) => unreachable!("resolve() returns at least one address"),
    };
    let local = socket
        .local_addr()?
        .as_socket()
        .context("no local address")?;
    steps.done(format!(
        "connect({server}) -> connected, from local port {}",
        local.port()
    ));
    if input.interactive() {
        say!(
            "{}",
            pick(
                "Type a message and press Enter; `exit` ends the conversation.",
                "输入一条消息，按 Enter 发送；输入 `exit` 结束对话。"
            )
        );
    }

    let mut buf = [0u8; 1024];
    loop {
        let Some(line) = input.read("> ") else {
            // End of input (Ctrl-D, or the end of a piped file): leave politely.
            steps.done("end of input: close()");
            return Ok(());
        };
        if line.is_empty() {
            // send(b"") sends nothing at all, so the server's recv() would never wake
            // and we would wait for a reply for ever (the classic client hangs here).
            say!(
                "{}",
                pick(
                    "(an empty line is 0 bytes: nothing to send, so nothing is sent)",
                    "（空行是 0 字节：没有内容可发，所以什么也不发送）"
                )
            );
            continue;
        }

        // 3. send(): the text as UTF-8 bytes, without a newline, as the Python client does.
        steps.next(
            &mut input,
            &format!("send({})", bytes(line.len())),
            "hands your message to the kernel, which sends it to the server.",
        );
        send_all(&socket, line.as_bytes(), &steps)
            .map_err(|err| server_gone(server, pick("sending", "发送时"), &err, lab))?;
        steps.done(format!("send({})", bytes(line.len())));

        if line == "exit" {
            // 5. close(): the server's recv() returns 0 bytes, and it moves on.
            steps.next(&mut input, "close()", "closes the connection.");
            drop(socket);
            steps.done("close()");
            return Ok(());
        }

        // 4. recv(): blocks until the reply arrives.
        steps.next(&mut input, "recv(1024)", "waits for the server's reply.");
        match socket.read(&mut buf) {
            Ok(0) => anyhow::bail!(hint::server_went_away(server, lab.number)),
            Ok(n) => {
                steps.done(format!("recv(1024) -> {}", bytes(n)));
                // Show the reply as text; a trailing newline (from nc, say) is not news.
                let reply = buf[..n].strip_suffix(b"\n").unwrap_or(&buf[..n]);
                say!("{}", safe(reply));
            }
            Err(err) => {
                return Err(server_gone(
                    server,
                    pick("waiting for the reply", "等待回复时"),
                    &err,
                    lab,
                ))
            }
        }
    }
}

/// `1 byte`, `5 bytes`: a count as a student would write it.
fn bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}

fn server_gone(server: SocketAddr, doing: &str, err: &std::io::Error, lab: &Lab) -> anyhow::Error {
    anyhow::anyhow!(hint::server_connection_broke(
        server, doing, err, lab.number
    ))
}

// ---------------------------------------------------------------------------------
// Showing the steps
// ---------------------------------------------------------------------------------

/// Prints each socket call after it ran (unless `--quiet`); with `--step`, first says
/// what the next call will do and waits for Enter, like the classic GUI tutorial with
/// one button per socket call.
struct Steps {
    quiet: bool,
    pause: bool,
}

impl Steps {
    fn new(quiet: bool, pause: bool) -> Steps {
        Steps { quiet, pause }
    }

    /// With `--step`: announce `call` and wait for Enter. At the end of input, stop pausing.
    fn next(&mut self, input: &mut Lines, call: &str, what: &str) {
        if !self.pause {
            return;
        }
        say!("next: {call} {what}");
        let press_enter = pick("      press Enter to run it ", "      按 Enter 执行它 ");
        if input.read(press_enter).is_none() {
            self.pause = false;
        }
    }

    /// What the call did.
    fn done(&self, line: impl AsRef<str>) {
        if !self.quiet {
            say!("{}", line.as_ref());
        }
    }
}
