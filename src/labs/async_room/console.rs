//! The administrator's console: lines typed in the server's terminal, read by a
//! thread of their own (server.rs) and acted on here by the main task.

use super::room::{Gone, Shared};
use crate::chat_protocol::{check_text, parse_admin, thousands, AdminCommand};
use crate::term::{safe_str, say};

/// The administrator's /list names at most this many connections.
const ADMIN_LIST_SHOWN: usize = 50;

pub(super) async fn admin(shared: &Shared, line: &str) {
    match parse_admin(line) {
        AdminCommand::Nothing => {}
        AdminCommand::Announce(text) => match check_text(text) {
            Err(why) => say!("not sent: {why}"),
            Ok(text) => {
                let line = format!("[admin] {text}");
                let count = shared.with_room(|room| room.broadcast(&line, None)).await;
                say!("[admin] {text} (sent to {})", thousands(count));
            }
        },
        AdminCommand::Kick { nick, reason } => {
            let kicked = shared
                .with_room(|room| {
                    let id = room.find(nick)?;
                    let line = match reason {
                        Some(reason) => {
                            format!("[admin] you were kicked by the administrator: {reason}")
                        }
                        None => "[admin] you were kicked by the administrator".to_string(),
                    };
                    room.send(id, &line);
                    room.remove(id, Gone::Kicked(reason.map(str::to_string)));
                    Some(())
                })
                .await;
            if kicked.is_none() {
                say!(
                    "nobody called \"{}\" is here; /list shows who is",
                    safe_str(nick)
                );
            }
        }
        AdminCommand::Max(max) => {
            let here = {
                let mut room = shared.lock();
                room.max = max;
                thousands(room.members.len())
            };
            match max {
                Some(max) => say!(
                    "max set to {max}: newcomers are turned away while {max} are connected \
                     (now {here}; nobody is sent away)"
                ),
                None => say!("max off: no cap on the room (now {here} connected)"),
            }
        }
        AdminCommand::ShowMax => {
            let (max, here) = {
                let room = shared.lock();
                (room.max, thousands(room.members.len()))
            };
            match max {
                Some(max) => say!("max {max} ({here} connected now)"),
                None => say!("no max ({here} connected now); /max N sets one"),
            }
        }
        AdminCommand::List => list_for_admin(shared),
        AdminCommand::Shutdown => shared.lock().closing = true,
        AdminCommand::Help => say!("{ADMIN_HELP}"),
        AdminCommand::Usage(usage) => say!("usage: {usage}"),
        AdminCommand::Unknown(word) => {
            say!(
                "unknown command {}; /help lists the commands",
                safe_str(word)
            )
        }
    }
}

const ADMIN_HELP: &str = "administrator commands:
  text                 announce text to everyone, as [admin] text
  /kick NICK [reason]  tell NICK why, close its connection, tell the others
  /max N               turn newcomers away while N clients are connected (/max off: no cap)
  /max                 show the cap
  /list                who is connected, with address:port (the first 50)
  /shutdown            tell everyone, close every connection, exit (Ctrl-C does the same)
  //text               announce a line that starts with /";

fn list_for_admin(shared: &Shared) {
    // Collected under the lock, printed after it is released.
    let (lines, total, max) = {
        let room = shared.lock();
        let named = room
            .nicks
            .values()
            .filter_map(|id| room.members.get(id))
            .map(|m| (m.peer, m.nick.clone().unwrap_or_default()));
        let unnamed = room
            .members
            .values()
            .filter(|m| m.nick.is_none())
            .map(|m| (m.peer, "(choosing a nickname)".to_string()));
        let lines: Vec<_> = named.chain(unnamed).take(ADMIN_LIST_SHOWN).collect();
        (lines, room.members.len(), room.max)
    };
    let max = max.map(|m| format!(", max {m}")).unwrap_or_default();
    say!("connected: {}{max}", thousands(total));
    for (peer, nick) in lines {
        say!("  {:<22} {nick}", peer.to_string());
    }
    if total > ADMIN_LIST_SHOWN {
        say!("  ... and {} more", thousands(total - ADMIN_LIST_SHOWN));
    }
}
