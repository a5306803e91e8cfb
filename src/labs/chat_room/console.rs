//! The administrator's console: the server's own terminal, read by a thread of its
//! own. A plain line is an announcement; /kick, /max, /list and /shutdown act on the
//! room. Read it after server.rs. It uses only the room (room.rs), shutting down
//! included (`room::shut_down`), as the server's threads do.

use std::net::SocketAddr;

use super::room::{shut_down, Gone, Shared};
use crate::chat_protocol::{check_text, parse_admin, AdminCommand};
use crate::lang::{pick, tr};
use crate::term::{safe_str, say, Lines};

/// Reads the administrator's lines from stdin until its end.
pub(super) fn administer(shared: &Shared) {
    let mut console = Lines::from_stdin();
    while let Some(line) = console.read("") {
        match parse_admin(&line) {
            AdminCommand::Nothing => {}
            AdminCommand::Announce(text) => match check_text(text) {
                Err(why) => say!("not sent: {why}"),
                Ok(text) => {
                    let count = shared.with_room(|room, log| {
                        room.broadcast(&format!("[admin] {text}"), None, log);
                        room.online()
                    });
                    say!("[admin] {text} (sent to {count})");
                }
            },
            AdminCommand::Kick { nick, reason } => kick(shared, nick, reason),
            AdminCommand::Max(max) => {
                let here = shared.with_room(|room, _| {
                    room.max = max;
                    room.online()
                });
                match max {
                    Some(max) => say!(
                        "max set to {max}: newcomers are turned away while {max} are in the room \
                         (now {here}; nobody is sent away; connections still choosing a \
                         nickname do not count)"
                    ),
                    None => say!("max off: no cap on the room (now {here} in the room)"),
                }
            }
            AdminCommand::ShowMax => {
                let (max, here) = shared.with_room(|room, _| (room.max, room.online()));
                match max {
                    Some(max) => say!("max {max} ({here} in the room now)"),
                    None => say!("no max ({here} in the room now); /max N sets one"),
                }
            }
            AdminCommand::List => list_for_admin(shared),
            AdminCommand::Shutdown => {
                shut_down(shared);
                return;
            }
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
    // stdin ended: started with `< /dev/null`, from a pipe, or Ctrl-D. A server is
    // often run like that (in the background, from a script), so it keeps serving.
    say!(
        "{}",
        pick(
            "console: end of input (stdin closed). The room keeps running without an \
             administrator; Ctrl-C or SIGTERM shuts it down",
            "控制台：输入结束（stdin 已关闭）。聊天室在没有管理员的情况下继续运行；\
             Ctrl-C 或 SIGTERM 会关闭它"
        )
    );
}

const ADMIN_HELP: &str = "administrator commands:
  text                 announce text to everyone, as [admin] text
  /kick NICK [reason]  tell NICK why, close its connection, tell the others
  /max N               turn newcomers away while N have joined (/max off: no cap)
  /max                 show the cap
  /list                who is connected, with address:port
  /shutdown            tell everyone, close every connection, exit (Ctrl-C does the same)
  //text               announce a line that starts with /";

const ADMIN_HELP_ZH: &str = "管理员命令：
  文字                 把文字广播给所有人，显示为 [admin] 文字
  /kick NICK [原因]    告诉 NICK 原因，关闭它的连接，再告诉其他人
  /max N               已有 N 人加入时拒绝新来的人（/max off：不设上限）
  /max                 显示上限
  /list                谁已连接，带上 地址:端口
  /shutdown            通知所有人，关闭所有连接，然后退出（Ctrl-C 也一样）
  //文字               广播一行以 / 开头的文字";

fn kick(shared: &Shared, nick: &str, reason: Option<&str>) {
    let kicked = shared.with_room(|room, log| {
        let Some(id) = room.find(nick) else {
            return false;
        };
        let line = match reason {
            Some(reason) => format!("[admin] you were kicked by the administrator: {reason}"),
            None => "[admin] you were kicked by the administrator".to_string(),
        };
        room.send(id, &line, log);
        if let Some(notice) = room.remove(id, Gone::Kicked(reason.map(str::to_string)), log) {
            room.broadcast(&notice, None, log);
        }
        true
    });
    if !kicked {
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

fn list_for_admin(shared: &Shared) {
    let (lines, max) = shared.with_room(|room, _| {
        let mut lines: Vec<(String, SocketAddr)> = room
            .members
            .values()
            .map(|m| {
                (
                    m.nick
                        .clone()
                        .unwrap_or_else(|| "(choosing a nickname)".into()),
                    m.peer,
                )
            })
            .collect();
        lines.sort_by_key(|(nick, _)| nick.to_lowercase());
        (lines, room.max)
    });
    let max = max.map(|m| format!(", max {m}")).unwrap_or_default();
    say!("connected: {}{max}", lines.len());
    for (nick, peer) in lines {
        // The address first: a nick such as 尹哲 is wider on screen than its
        // character count, so padding it would leave the column crooked.
        say!("  {:<22} {nick}", peer.to_string());
    }
}
