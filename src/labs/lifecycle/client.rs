//! The client: connect, then the same conversation as the server's side. Each line
//! you type is sent with its newline; the server's answer is printed when it arrives
//! (the client does not wait for it, so it also sees what comes after a half-close).

use std::time::Duration;

use anyhow::Context;
use socket2::Socket;

use super::conversation::{Conversation, Keyboard, OsView, Side, Typed, COMMANDS_HELP};
use super::ClientArgs;
use crate::labs::Lab;
use crate::term::say;

pub fn run(args: ClientArgs, lab: &Lab) -> anyhow::Result<()> {
    // socket() + connect(), Python's `socket.create_connection((host, port))`: the
    // handshake (SYN, SYN-ACK, ACK) happens inside connect().
    let (stream, server) = args.endpoint.connect_tcp(lab)?;
    let local = stream.local_addr().context("getsockname() failed")?;
    say!("connect({server}) -> connected, from {local}");
    // socket2's Socket offers every call this lab makes (shutdown, SO_LINGER, ...).
    let socket = Socket::from(stream);

    let mut view = OsView::new(Side::Client);
    view.watch_connection(local, server);
    let mut conversation = Conversation::new(Side::Client, socket, local, server)?;
    view.show(&conversation);
    say!("type a line to send it; {COMMANDS_HELP}\n  /quit      (or Ctrl-D) close and leave");

    let mut keyboard = Keyboard::start();
    loop {
        match keyboard.poll(Duration::ZERO) {
            Typed::Line(line) if line.trim() == "/quit" => break,
            Typed::Line(line) => {
                conversation.typed(&line, &mut view);
            }
            Typed::End => break,
            Typed::Nothing => {}
        }
        conversation.receive(&mut view);
        view.changes(Some(&conversation));
    }
    if conversation.is_open() {
        say!("leaving: close()");
        conversation.close(&mut view);
    }
    Ok(())
}
