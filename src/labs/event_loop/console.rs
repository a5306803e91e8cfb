//! The administrator's console. The console thread (server.rs, `read_console`) only
//! reads stdin; each line reaches the loop through a channel and the waker, and the
//! loop acts on it here, between two sockets, like any other event. So an
//! announcement or a /kick never races with the room: the loop is the only thread
//! that touches it.

use super::server::{Gone, Server};
use crate::chat_protocol::{check_text, parse_admin, thousands, AdminCommand};
use crate::lang::{pick, tr};
use crate::term::{safe_str, say};

impl Server {
    /// One line the administrator typed.
    pub(super) fn admin(&mut self, line: &str) {
        match parse_admin(line) {
            AdminCommand::Nothing => {}
            AdminCommand::Announce(text) => match check_text(text) {
                Err(why) => say!("not sent: {why}"),
                Ok(text) => {
                    let count = self.broadcast(&format!("[admin] {text}"), None);
                    say!("[admin] {text} (sent to {})", thousands(count));
                }
            },
            AdminCommand::Kick { nick, reason } => self.kick(nick, reason),
            AdminCommand::Max(max) => {
                self.max = max;
                let here = thousands(self.clients.len());
                match max {
                    Some(max) => say!(
                        "max set to {max}: newcomers are turned away while {max} are connected \
                         (now {here}; nobody is sent away)"
                    ),
                    None => say!("max off: no cap on the room (now {here} connected)"),
                }
            }
            AdminCommand::ShowMax => {
                let here = thousands(self.clients.len());
                match self.max {
                    Some(max) => say!("max {max} ({here} connected now)"),
                    None => say!("no max ({here} connected now); /max N sets one"),
                }
            }
            AdminCommand::List => self.admin_list(),
            AdminCommand::Shutdown => self.shut_down(),
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
        self.bury_doomed();
    }

    fn kick(&mut self, nick: &str, reason: Option<&str>) {
        let Some(&token) = self.nicks.get(&nick.to_lowercase()) else {
            let nick = safe_str(nick);
            say!(
                "{}",
                tr!(
                    "nobody called \"{nick}\" is here; /list shows who is",
                    "这里没有叫“{nick}”的人；/list 列出在线的人"
                )
            );
            return;
        };
        let line = match reason {
            Some(reason) => format!("[admin] you were kicked by the administrator: {reason}"),
            None => "[admin] you were kicked by the administrator".to_string(),
        };
        self.send(token, &line);
        self.doomed
            .push((token, Gone::Kicked(reason.map(str::to_string))));
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
