//! Lab 7's client: the count header, then a burst of short messages and one large one,
//! each its own send(), back to back; then shutdown(SHUT_WR) and the server's answer.
//! Read `run` first. How each message is framed on the wire is in `readers.rs`.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use super::readers::{burst_messages, count_header, frame};
use super::ClientArgs;
use crate::hint;
use crate::labs::Lab;
use crate::lang::{pick, tr};
use crate::term::{preview, say, tell};

pub fn run(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    // socket() + connect(), to each address --host stands for until one answers
    // (Python: socket.create_connection((host, port))).
    let (mut stream, server) = args.endpoint.connect_tcp(lab.number)?;
    // A server that stops reading fills its receive buffer, then ours; send() would
    // then block for ever. The write timeout bounds each send() (Python:
    // s.settimeout(10), which bounds sendall() as well as recv()).
    stream.set_write_timeout(Some(args.send_timeout))?;
    let local = stream.local_addr()?;
    say!(
        "connect({server}) -> connected, from local port {}",
        local.port()
    );
    say!("framing: {}", args.framing.describe());

    let messages = burst_messages(args.burst, args.size as usize);
    // --burst stops at 100 000, so the count always fits in the header's 4 bytes.
    let count = u32::try_from(messages.len()).expect("at most 100 001 messages");

    // What each send() did. Printing to a terminal takes far longer than a send(), so
    // without --pause the lines wait until the burst is out: printing between the
    // sends would space them out and hide the very effect this lab shows.
    let mut log = SendLog::new(args.pause == 0);

    // The count header goes first, outside any framing: 8 bytes, always.
    let header = count_header(count);
    send(&mut stream, &header, server, args.send_timeout)?;
    log.line(format!(
        "send({} bytes): count header {} (not a message)",
        header.len(),
        preview(&header, 40)
    ));

    // Every message its own send(), back to back: nothing on the wire says where one
    // ends unless the framing writes it there.
    let mut total = header.len();
    for (i, message) in messages.iter().enumerate() {
        let wire = frame(args.framing, message);
        if let Err(err) = send(&mut stream, &wire, server, args.send_timeout) {
            log.flush();
            // The server may have said why before it closed; show it if it did.
            let said = read_reply(&mut stream, Duration::from_millis(500));
            let said = if said.is_empty() {
                String::new()
            } else {
                tr!(". The server said: {}", "。服务器说：{}", said.join(" / "))
            };
            anyhow::bail!(tr!(
                "{err} (at message {} of {count}){said}",
                "{err}（发送第 {} 条消息时，共 {count} 条）{said}",
                i + 1
            ));
        }
        log.line(format!(
            "send({} bytes): {}",
            wire.len(),
            preview(&wire, 40)
        ));
        total += wire.len();
        if args.pause > 0 {
            std::thread::sleep(Duration::from_millis(args.pause));
        }
    }
    log.flush();
    say!(
        "sent {count} messages ({} short + 1 large of {} bytes): {total} bytes with {} send() calls",
        args.burst,
        args.size,
        count + 1
    );

    // shutdown(SHUT_WR): "no more bytes from me". The server's recv() returns 0, and
    // we can still read its answer. close() would throw the answer away.
    if let Err(err) = stream.shutdown(Shutdown::Write) {
        // Every byte was handed to our kernel, but the server has gone meanwhile.
        let said = read_reply(&mut stream, Duration::from_millis(500));
        let said = if said.is_empty() {
            pick(
                ". Look at the server's terminal: it may have refused a message over its limit",
                "。看看服务器的终端：它可能拒绝了一条超过上限的消息",
            )
            .to_string()
        } else {
            tr!(". The server said: {}", "。服务器说：{}", said.join(" / "))
        };
        anyhow::bail!(tr!(
            "the server at {server} closed the connection before it read everything: {}{said}",
            "{server} 上的服务器还没读完所有数据就关闭了连接：{}{said}",
            hint::describe(&err)
        ));
    }
    say!("shutdown(write): the server's recv() now returns 0; waiting for its answer");
    let answer = read_reply(&mut stream, Duration::from_secs(10));
    if answer.is_empty() {
        tell!("(no answer from the server: it closed without one, or said nothing for 10 s)");
    }
    for line in answer {
        say!("server says: {line}");
    }
    Ok(())
}

/// The client's `send(...)` lines: printed at once, or kept until the burst is out.
struct SendLog {
    later: Option<Vec<String>>,
}

impl SendLog {
    fn new(hold: bool) -> SendLog {
        SendLog {
            later: hold.then(Vec::new),
        }
    }

    fn line(&mut self, line: String) {
        match self.later.as_mut() {
            Some(lines) => lines.push(line),
            None => say!("{line}"),
        }
    }

    fn flush(&mut self) {
        for line in self.later.iter_mut().flat_map(std::mem::take) {
            say!("{line}");
        }
    }
}

/// send() may take only part of the bytes; write_all loops until all are handed to the
/// kernel (Python's sendall() does the same).
/// A send() that waited `--send-timeout` without a byte taken is said as such.
fn send(
    stream: &mut TcpStream,
    bytes: &[u8],
    server: SocketAddr,
    timeout: Duration,
) -> anyhow::Result<()> {
    stream.write_all(bytes).map_err(|err| {
        if let Some(stalled) = hint::send_stalled(&err, server, timeout) {
            return stalled;
        }
        anyhow::anyhow!(tr!(
            "the connection to {server} broke while sending: {}. The server stopped, or \
             refused a message over its limit: look at its terminal",
            "与 {server} 的连接在发送时断开了：{}。服务器停止了，或者拒绝了一条超过上限的\
             消息：看看它的终端",
            hint::describe(&err)
        ))
    })
}

/// The lines the server wrote back (made safe to print), read until it closes or
/// `wait` passes without a byte.
fn read_reply(stream: &mut TcpStream, wait: Duration) -> Vec<String> {
    if stream.set_read_timeout(Some(wait)).is_err() {
        return Vec::new();
    }
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    // A bounded read: our server's answer is a line or two.
    while reply.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
        }
    }
    reply
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| preview(line, 400))
        .collect()
}
