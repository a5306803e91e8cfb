//! Lab 4's server console: the operator's commands, typed in the server's terminal
//! (its stdin). Read server.rs first: it starts this console. The console works on
//! what the server's threads share (clients.rs: `Shared`, `Peer`), nothing else.
//! Here: the commands and their pure parser (`parse_command`, unit-tested at the
//! bottom), then the console thread that reads a line and obeys it.

use std::sync::Arc;
use std::thread;

use anyhow::Context;

use super::clients::{Peer, Shared};
use crate::hint;
use crate::lang::{self, pick, tr};
use crate::term::{paint, say};

const CONSOLE_HELP: &[&str] = &[
    "console commands (type them in the server's terminal):",
    "  /list                 the clients online: #number and address",
    "  /send CLIENT text     send a line to one client: its #number (from /list) or its port",
    "  /all text             send a line to every client",
    "  /shutdown             tell every client, close, join the threads, exit (also Ctrl-C)",
    "  /help                 this list",
];

const CONSOLE_HELP_ZH: &[&str] = &[
    "控制台命令（在服务器的终端里输入）：",
    "  /list                 在线的客户端：#编号 和地址",
    "  /send CLIENT 文字     给一个客户端发一行：用它的 #编号（见 /list）或端口指定",
    "  /all 文字             给每个客户端发一行",
    "  /shutdown             通知每个客户端，关闭连接，等待线程结束，退出（Ctrl-C 也一样）",
    "  /help                 显示这个列表",
];

/// What the operator asked for.
#[derive(Debug, PartialEq, Eq)]
enum Command {
    List,
    Send { to: Target, text: String },
    All(String),
    Shutdown,
    Help,
}

/// A client, as the operator names it in `/send`.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Target {
    /// `#3` or `3`: the number from `/list` (numbers below 1024).
    Number(usize),
    /// `50312`: the client's port (clients' ports are 1024 and up).
    Port(u16),
}

impl Target {
    fn parse(word: &str) -> Option<Target> {
        if let Some(number) = word.strip_prefix('#') {
            return number.parse().ok().map(Target::Number);
        }
        match word.parse::<u32>().ok()? {
            n if n < 1024 => Some(Target::Number(n as usize)),
            n => u16::try_from(n).ok().map(Target::Port),
        }
    }

    fn names(self, peer: &Peer) -> bool {
        match self {
            Target::Number(n) => peer.number == n,
            Target::Port(port) => peer.addr.port() == port,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Target::Number(n) => write!(f, "#{n}"),
            Target::Port(port) => write!(f, "with port {port}"),
        }
    }
}

/// Reads one console line. `Ok(None)`: an empty line. `Err`: what to tell the operator.
fn parse_command(line: &str) -> Result<Option<Command>, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim_start();
    let command = match word {
        "/list" => Command::List,
        "/help" => Command::Help,
        "/shutdown" | "/quit" => Command::Shutdown,
        "/all" if !rest.is_empty() => Command::All(rest.to_string()),
        "/all" => return Err("/all needs the text to send: /all hello everyone".into()),
        "/send" => {
            let (client, text) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let to = Target::parse(client).ok_or_else(|| {
                format!("/send needs a client first: #number (see /list) or port, not {client:?}")
            })?;
            let text = text.trim_start();
            if text.is_empty() {
                return Err("/send needs text after the client: /send #1 hello".into());
            }
            Command::Send {
                to,
                text: text.to_string(),
            }
        }
        _ if word.starts_with('/') => {
            return Err(tr!(
                "unknown command {word}; /help lists them",
                "未知命令 {word}；/help 列出所有命令"
            ))
        }
        _ => {
            return Err(pick(
                "to send that, type /all TEXT or /send CLIENT TEXT (/help)",
                "要发送这句话，请输入 /all TEXT 或 /send CLIENT TEXT（/help）",
            )
            .into())
        }
    };
    Ok(Some(command))
}

pub(super) fn start_console(shared: Arc<Shared>) -> anyhow::Result<()> {
    thread::Builder::new()
        .name("console".to_string())
        .spawn(move || console(&shared))
        .context("could not start the console thread")?;
    Ok(())
}

fn console(shared: &Shared) {
    // Created here: a locked stdin belongs to the thread that reads it.
    let mut input = crate::term::Lines::from_stdin();
    while let Some(line) = input.read("") {
        match parse_command(&line) {
            Ok(None) => {}
            Ok(Some(command)) => obey(shared, command),
            Err(why) => say!("{}", tr!("console: {why}", "控制台：{why}")),
        }
        if shared.stopping() {
            return;
        }
    }
    // A server started with `< /dev/null` or in the background keeps serving.
    say!(
        "{}",
        pick(
            "console: end of input; the server keeps running (Ctrl-C stops it)",
            "控制台：输入结束；服务器继续运行（Ctrl-C 停止它）"
        )
    );
}

fn obey(shared: &Shared, command: Command) {
    match command {
        Command::Help => {
            let help = if lang::zh() {
                CONSOLE_HELP_ZH
            } else {
                CONSOLE_HELP
            };
            help.iter().for_each(|line| say!("{line}"))
        }
        Command::List => {
            let online = shared.online();
            say!("{} online", online.len());
            for peer in online {
                say!(
                    "  #{} {}",
                    peer.number,
                    paint(&peer.addr.to_string(), peer.number)
                );
            }
        }
        Command::Send { to, text } => {
            // Copy the list, let go of the lock, and only then send: a send may wait.
            let online = shared.online();
            match online.iter().find(|peer| to.names(peer)) {
                Some(peer) => {
                    if deliver(peer, &text) {
                        say!("console: sent to #{} {}", peer.number, peer.addr);
                    }
                }
                None => say!("console: no client {to} is online; /list shows who is"),
            }
        }
        Command::All(text) => {
            let online = shared.online();
            let sent = online.iter().filter(|peer| deliver(peer, &text)).count();
            say!("console: sent to {sent} of {} client(s)", online.len());
        }
        Command::Shutdown => shared.stop(),
    }
}

/// Sends the operator's line to one client; says so only when it fails.
fn deliver(peer: &Peer, text: &str) -> bool {
    match peer.send_line(&format!("[server] {text}")) {
        Ok(()) => true,
        Err(err) => {
            say!(
                "console: could not send to {}: {}",
                peer.addr,
                hint::describe(&err)
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_commands_are_understood() {
        assert_eq!(parse_command("/list"), Ok(Some(Command::List)));
        assert_eq!(parse_command("  /help "), Ok(Some(Command::Help)));
        assert_eq!(parse_command("/shutdown"), Ok(Some(Command::Shutdown)));
        assert_eq!(parse_command(""), Ok(None));
        assert_eq!(
            parse_command("/all hello  everyone"),
            Ok(Some(Command::All("hello  everyone".into())))
        );
        assert_eq!(
            parse_command("/send #2 hi"),
            Ok(Some(Command::Send {
                to: Target::Number(2),
                text: "hi".into()
            }))
        );
        assert_eq!(
            parse_command("/send 50312 你好"),
            Ok(Some(Command::Send {
                to: Target::Port(50312),
                text: "你好".into()
            }))
        );
    }

    #[test]
    fn numbers_below_1024_name_a_client_and_larger_ones_a_port() {
        assert_eq!(Target::parse("3"), Some(Target::Number(3)));
        assert_eq!(Target::parse("#3"), Some(Target::Number(3)));
        assert_eq!(Target::parse("#5000"), Some(Target::Number(5000)));
        assert_eq!(Target::parse("1024"), Some(Target::Port(1024)));
        assert_eq!(Target::parse("70000"), None);
        assert_eq!(Target::parse("amy"), None);
    }

    #[test]
    fn console_mistakes_get_a_sentence() {
        assert!(parse_command("/all").is_err());
        assert!(parse_command("/send").is_err());
        assert!(parse_command("/send 2").is_err());
        assert!(parse_command("/send amy hi").is_err());
        assert!(parse_command("/kick 2").unwrap_err().contains("/help"));
        assert!(parse_command("hello").unwrap_err().contains("/all"));
    }
}
