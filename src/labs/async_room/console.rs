//! The administrator's console: lines typed in the server's terminal, read by a
//! thread of their own (server.rs) and acted on here by the main task.

use super::room::{Gone, Shared};
use crate::chat_protocol::{check_text, parse_admin, thousands, AdminCommand};
use crate::lang::{pick, tr};
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
                let nick = safe_str(nick);
                say!(
                    "{}",
                    tr!(
                        "nobody called \"{nick}\" is here; /list shows who is",
                        "这里没有叫“{nick}”的人；/list 列出在线的人"
                    )
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
        AdminCommand::Help => say!("{}", pick(ADMIN_HELP, ADMIN_HELP_ZH)),
        AdminCommand::Usage(usage) => say!("usage: {usage}"),
        AdminCommand::Unknown(word) => {
            let word = safe_str(word);
            say!(
                "{}",
                tr!(
                    "unknown command {word}; /help lists the commands",
                    "未知命令 {word}；/help 列出所有命令"
                )
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

const ADMIN_HELP_ZH: &str = "管理员命令：
  文字                 把文字广播给所有人，显示为 [admin] 文字
  /kick NICK [原因]    告诉 NICK 原因，关闭它的连接，再告诉其他人
  /max N               已有 N 个客户端连接时拒绝新来的人（/max off：不设上限）
  /max                 显示上限
  /list                谁已连接，带上 地址:端口（最多显示前 50 个）
  /shutdown            通知所有人，关闭所有连接，然后退出（Ctrl-C 也一样）
  //文字               广播一行以 / 开头的文字";

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
