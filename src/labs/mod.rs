//! The registry: every lab, in the order a student takes them.
//!
//! This list is the one place a lab's number, slug, title, port and roles are
//! written down. `lab list`, the menu, `lab N guide`, `--help` and the tests all read
//! them from here. Adding a lab means: one file in `src/labs/`, one entry below, its
//! guide in `labs/NN-slug/README.md`, a section in EXERCISES.md, a row in the README's
//! lab table and one test file. The tests at the bottom check that they agree. Its
//! `answers.md` and Python peers get a row in `companions.rs` (its tests say how).
//!
//! Each lab file is a complete program of its own and never imports another lab.

use std::fmt;

use clap::{ArgMatches, Command, FromArgMatches, Subcommand};

use crate::lang;

pub mod async_room;
pub mod chat_room;
pub mod companions;
pub mod echo;
pub mod echo_playground;
pub mod encoding;
pub mod event_loop;
pub mod framing;
pub mod half_duplex;
pub mod lifecycle;
pub mod threads;
#[cfg(test)]
mod translations;
pub mod udp;

/// TCP (a connected byte stream) or UDP (separate datagrams).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        })
    }
}

/// One lab.
pub struct Lab {
    pub number: u8,
    /// The lab's name on the command line: `lab echo server` = `lab 1 server`.
    pub slug: &'static str,
    pub title: &'static str,
    /// What the student learns, in one line.
    pub goal: &'static str,
    /// The classic Python program's port, so old clients and new servers meet.
    pub port: u16,
    pub protocol: Protocol,
    /// `labs/NN-slug/README.md`, built into the binary so `lab N guide` works anywhere.
    pub guide: &'static str,
    /// The lab's title, goal and role descriptions in Chinese (`--lang zh`).
    pub zh: Zh,
    /// The lab's roles (server, client, ...) with their options, from the lab's `Role`.
    pub roles: fn() -> Command,
    /// Runs the role that clap parsed.
    pub run: fn(&Lab, &ArgMatches) -> anyhow::Result<()>,
}

/// What `lab list`, the menu and `lab N` say about a lab in Chinese. (The English is
/// the lab's own fields, and each role's help in the lab's `Role`.)
pub struct Zh {
    pub title: &'static str,
    pub goal: &'static str,
    /// Each role's one-line description: (role, description), every role once.
    pub roles: &'static [(&'static str, &'static str)],
    /// `labs/NN-slug/README.zh-CN.md`: the guide in Chinese.
    pub guide: &'static str,
    /// `labs/NN-slug/answers.zh-CN.md`: the answers in Chinese (`**第 N 步：**`).
    pub answers: &'static str,
}

impl Lab {
    /// The title in the language `lab` speaks.
    pub fn title(&self) -> &'static str {
        lang::pick(self.title, self.zh.title)
    }

    /// The guide in the language `lab` speaks.
    pub fn guide(&self) -> &'static str {
        lang::pick(self.guide, self.zh.guide)
    }

    /// What the student learns, in the language `lab` speaks.
    pub fn goal(&self) -> &'static str {
        lang::pick(self.goal, self.zh.goal)
    }

    /// `01-echo`: the folder of the lab's guide under `labs/`.
    pub fn folder(&self) -> String {
        format!("{:02}-{}", self.number, self.slug)
    }

    /// The role names with their one-line help, in the order the lab declares them.
    pub fn role_names(&self) -> Vec<(String, String)> {
        (self.roles)()
            .get_subcommands()
            .map(|role| {
                let name = role.get_name();
                let zh = self.zh.roles.iter().find(|(role, _)| *role == name);
                let about = match zh {
                    Some((_, about)) if lang::zh() => about.to_string(),
                    _ => role.get_about().map(|a| a.to_string()).unwrap_or_default(),
                };
                (name.to_string(), about)
            })
            .collect()
    }
}

pub const LABS: &[Lab] = &[
    Lab {
        number: 1,
        slug: "echo",
        title: "The socket steps, one client at a time",
        goal: "socket, bind, listen, accept, recv, send, close, in order, and which calls block",
        port: 6666,
        protocol: Protocol::Tcp,
        guide: include_str!("../../labs/01-echo/README.md"),
        zh: Zh {
            title: "套接字的基本步骤，一次服务一个客户端",
            goal: "按顺序学会 socket、bind、listen、accept、recv、send、close，以及哪些调用会阻塞",
            roles: &[
                ("server", "回显服务器：每个套接字调用发生时都显示出来"),
                ("client", "客户端：发送你输入的每一行，并打印回复"),
                ("playground", "一个窗口：每个套接字调用一个按键，顺序随你，用的是真实的套接字"),
            ],
            guide: include_str!("../../labs/01-echo/README.zh-CN.md"),
            answers: include_str!("../../labs/01-echo/answers.zh-CN.md"),
        },
        roles: roles_of::<echo::Role>,
        run: |lab, matches| run_role(matches, |role| echo::run(role, lab)),
    },
    Lab {
        number: 2,
        slug: "encoding",
        title: "Text is bytes: UTF-8 vs GBK",
        goal: "why 尹哲 sent as UTF-8 reads as 灏瑰摬 in GBK, why GBK bytes are not UTF-8, \
               and characters split across recv()",
        port: 12345,
        protocol: Protocol::Tcp,
        guide: include_str!("../../labs/02-encoding/README.md"),
        zh: Zh {
            title: "文本就是字节：UTF-8 与 GBK",
            goal: "为什么用 UTF-8 发送的“尹哲”按 GBK 读成“灏瑰摬”，为什么 GBK 字节不是合法的 UTF-8，以及一个字符被 recv() 拆开",
            roles: &[
                ("server", "服务器：以十六进制显示每次 recv() 的字节，并分别按 UTF-8 和 GBK 解读"),
                ("client", "客户端：把你输入的每一行按 UTF-8 或 GBK 编码成字节发送"),
                ("demo", "不联网：一段文本的 UTF-8 和 GBK 字节，各用两种编码解读"),
            ],
            guide: include_str!("../../labs/02-encoding/README.zh-CN.md"),
            answers: include_str!("../../labs/02-encoding/answers.zh-CN.md"),
        },
        roles: roles_of::<encoding::Role>,
        run: |lab, matches| run_role(matches, |role| encoding::run(role, lab)),
    },
    Lab {
        number: 3,
        slug: "half-duplex",
        title: "Taking turns: a chat with one client at a time",
        goal: "a turn-taking chat: who may speak when, q from either side, the next client, \
               and a client that notices at once that the server went away",
        port: 9000,
        protocol: Protocol::Tcp,
        guide: include_str!("../../labs/03-half-duplex/README.md"),
        zh: Zh {
            title: "轮流说话：一次只和一个客户端聊天",
            goal: "轮流发言的聊天：谁在何时可以说话，任一方输入 q 退出，接着服务下一个客户端，以及客户端如何立刻发现服务器已离开",
            roles: &[
                ("server", "服务器：一次和一个客户端轮流对话，回复由你输入"),
                ("client", "客户端：发送 NAME:text，然后等待服务器回复；输入 `q` 退出"),
            ],
            guide: include_str!("../../labs/03-half-duplex/README.zh-CN.md"),
            answers: include_str!("../../labs/03-half-duplex/answers.zh-CN.md"),
        },
        roles: roles_of::<half_duplex::Role>,
        run: |lab, matches| run_role(matches, |role| half_duplex::run(role, lab)),
    },
    Lab {
        number: 4,
        slug: "threads",
        title: "A thread per client: many at once",
        goal: "one thread per client, five and more clients at once, and telling a clean \
               exit from a lost or reset connection",
        port: 12000,
        protocol: Protocol::Tcp,
        guide: include_str!("../../labs/04-threads/README.md"),
        zh: Zh {
            title: "每个客户端一个线程：同时服务多个客户端",
            goal: "每个客户端一个线程，同时服务五个乃至更多客户端，并区分正常退出、连接丢失和连接被重置",
            roles: &[
                ("server", "服务器：每个客户端一个线程，记录谁来谁走，并提供控制台（/help）"),
                ("client", "客户端：你输入的同时显示收到的内容（全双工）；输入 `exit` 离开"),
                ("swarm", "同时打开 N 个客户端：它们说话，然后以三种方式各自离开"),
            ],
            guide: include_str!("../../labs/04-threads/README.zh-CN.md"),
            answers: include_str!("../../labs/04-threads/answers.zh-CN.md"),
        },
        roles: roles_of::<threads::Role>,
        run: |lab, matches| run_role(matches, |role| threads::run(role, lab)),
    },
    Lab {
        number: 5,
        slug: "udp",
        title: "Datagrams: one socket, many peers, no connection",
        goal: "recvfrom/sendto with no accept, one socket for many peers, and the classic UDP mistakes made live",
        port: 9000,
        protocol: Protocol::Udp,
        guide: include_str!("../../labs/05-udp/README.md"),
        zh: Zh {
            title: "数据报：一个套接字，多个对端，没有连接",
            goal: "不需要 accept 的 recvfrom/sendto，一个套接字服务多个对端，并现场重现 UDP 的典型错误",
            roles: &[
                ("server", "UDP 服务器：一个套接字，打印每个数据报及其发送方，并回复"),
                ("client", "客户端：你输入的每一行是一个数据报；显示是谁回复的"),
                ("errors", "在回环地址上现场重现 UDP 的典型错误，并检查操作系统的实际行为"),
            ],
            guide: include_str!("../../labs/05-udp/README.zh-CN.md"),
            answers: include_str!("../../labs/05-udp/answers.zh-CN.md"),
        },
        roles: roles_of::<udp::Role>,
        run: |lab, matches| run_role(matches, |role| udp::run(role, lab)),
    },
    Lab {
        number: 6,
        slug: "chat-room",
        title: "A chat room with nicknames and an administrator",
        goal: "many clients at once: nicknames, messages to all or to one, an administrator who \
               can announce, kick and cap the room, and why one slow client must not stall the rest",
        port: 5555,
        protocol: Protocol::Tcp,
        guide: include_str!("../../labs/06-chat-room/README.md"),
        zh: Zh {
            title: "带昵称和管理员的聊天室",
            goal: "同时服务多个客户端：昵称、群发与私聊、可以发公告、踢人和限制人数的管理员，以及为什么一个慢客户端不能拖住其他人",
            roles: &[
                ("server", "聊天室：同时服务多个客户端，这个终端就是管理员"),
                ("client", "聊天客户端：你输入的同时显示别人说的话"),
            ],
            guide: include_str!("../../labs/06-chat-room/README.zh-CN.md"),
            answers: include_str!("../../labs/06-chat-room/answers.zh-CN.md"),
        },
        roles: roles_of::<chat_room::Role>,
        run: |lab, matches| run_role(matches, |role| chat_room::run(role, lab)),
    },
    Lab {
        number: 7,
        slug: "framing",
        title: "Message boundaries in a byte stream",
        goal: "TCP is a byte stream: messages stick together and split apart (粘包); \
               newline and length-prefix framing get them back whole",
        port: 7777,
        protocol: Protocol::Tcp,
        guide: include_str!("../../labs/07-framing/README.md"),
        zh: Zh {
            title: "字节流中的消息边界",
            goal: "TCP 是字节流：消息会粘在一起，也会被拆开（粘包）；用换行符分帧或长度前缀分帧把完整的消息找回来",
            roles: &[
                ("server", "服务器：打印每次 recv()，以及从字节流中还原出的每条消息"),
                ("client", "客户端：连续发送一串短消息和一条长消息，中间不停顿"),
            ],
            guide: include_str!("../../labs/07-framing/README.zh-CN.md"),
            answers: include_str!("../../labs/07-framing/answers.zh-CN.md"),
        },
        roles: roles_of::<framing::Role>,
        run: |lab, matches| run_role(matches, |role| framing::run(role, lab)),
    },
    Lab {
        number: 8,
        slug: "lifecycle",
        title: "A connection's life, as the OS holds it",
        goal: "handshake and backlog, half-close, CLOSE_WAIT, TIME_WAIT and SO_REUSEADDR, \
               a reset, and closing the listener, each read from the OS's own socket table",
        port: 8888,
        protocol: Protocol::Tcp,
        guide: include_str!("../../labs/08-lifecycle/README.md"),
        zh: Zh {
            title: "一个连接的一生，按操作系统的记录",
            goal: "三次握手与 backlog、半关闭、CLOSE_WAIT、TIME_WAIT 与 SO_REUSEADDR、连接重置、关闭监听套接字，每一项都从操作系统自己的套接字表中读出",
            roles: &[
                ("server", "服务器：回复每一行，并在每一步之后显示它的套接字状态"),
                ("client", "客户端：发送你输入的每一行；/shutdown、/close、/reset、/stop、/read"),
                ("states", "实时显示本机该端口上的 TCP 套接字表（本地地址、远端地址、状态、队列）"),
                ("experiments", "在回环地址上现场运行八个实验，并检查操作系统的实际行为"),
            ],
            guide: include_str!("../../labs/08-lifecycle/README.zh-CN.md"),
            answers: include_str!("../../labs/08-lifecycle/answers.zh-CN.md"),
        },
        roles: roles_of::<lifecycle::Role>,
        run: |lab, matches| run_role(matches, |role| lifecycle::run(role, lab)),
    },
    Lab {
        number: 9,
        slug: "event-loop",
        title: "One thread, ten thousand clients: an event loop",
        goal: "lab 6's chat room served by one thread: non-blocking sockets, poll() for \
               readiness, partial writes kept in per-client outboxes, and nothing that blocks",
        port: 5509,
        protocol: Protocol::Tcp,
        guide: include_str!("../../labs/09-event-loop/README.md"),
        zh: Zh {
            title: "一个线程，一万个客户端：事件循环",
            goal: "由一个线程服务的实验 6 聊天室：非阻塞套接字、用 poll() 等待就绪、部分写入的数据留在每个客户端的发件箱里，没有任何阻塞操作",
            roles: &[
                ("server", "单线程的实验 6 聊天室：一个事件循环处理所有套接字"),
                ("swarm", "由一个线程驱动的 N 个聊天客户端（客户端一侧的事件循环），并给出报告"),
            ],
            guide: include_str!("../../labs/09-event-loop/README.zh-CN.md"),
            answers: include_str!("../../labs/09-event-loop/answers.zh-CN.md"),
        },
        roles: roles_of::<event_loop::Role>,
        run: |lab, matches| run_role(matches, |role| event_loop::run(role, lab)),
    },
    Lab {
        number: 10,
        slug: "async",
        title: "The same room with async/await: a task per client",
        goal: "lab 6's chat room with tokio: tasks instead of threads, bounded channels as \
               outboxes, and what threads, an event loop and async each cost",
        port: 5510,
        protocol: Protocol::Tcp,
        guide: include_str!("../../labs/10-async/README.md"),
        zh: Zh {
            title: "同一个聊天室，用 async/await：每个客户端一个任务",
            goal: "用 tokio 实现的实验 6 聊天室：用任务代替线程，用有界通道做发件箱，以及线程、事件循环和 async 各自的代价",
            roles: &[
                ("server", "用 async/await（tokio）实现的实验 6 聊天室：每个客户端一个任务，而不是一个线程"),
            ],
            guide: include_str!("../../labs/10-async/README.zh-CN.md"),
            answers: include_str!("../../labs/10-async/answers.zh-CN.md"),
        },
        roles: roles_of::<async_room::Role>,
        run: |lab, matches| run_role(matches, |role| async_room::run(role, lab)),
    },
];

/// Finds a lab by number (`1`, `01`) or slug (`echo`).
pub fn find(name: &str) -> Option<&'static Lab> {
    LABS.iter()
        .find(|lab| lab.slug == name || name.parse::<u8>().ok() == Some(lab.number))
}

/// A lab's `Role` enum as a clap command whose subcommands are the roles.
fn roles_of<R: Subcommand>() -> Command {
    R::augment_subcommands(Command::new("roles"))
}

/// Rebuilds the lab's `Role` from what clap parsed, and runs it.
fn run_role<R: FromArgMatches>(
    matches: &ArgMatches,
    run: impl FnOnce(R) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    run(R::from_arg_matches(matches)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::Path;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn every_lab_says_its_title_goal_and_each_role_in_chinese_too() {
        for lab in LABS {
            assert!(!lab.zh.title.is_empty() && !lab.zh.goal.is_empty());
            let mut roles: Vec<&str> = lab.zh.roles.iter().map(|(role, _)| *role).collect();
            roles.sort_unstable();
            let mut wanted: Vec<String> = (lab.roles)()
                .get_subcommands()
                .map(|role| role.get_name().to_string())
                .collect();
            wanted.sort_unstable();
            assert_eq!(
                roles, wanted,
                "lab {}: src/labs/mod.rs, `zh.roles`",
                lab.number
            );
        }
    }

    #[test]
    fn labs_are_numbered_one_after_another_with_unique_slugs_and_ports_above_1023() {
        for (i, lab) in LABS.iter().enumerate() {
            assert_eq!(
                usize::from(lab.number),
                i + 1,
                "lab {} is out of order",
                lab.slug
            );
            assert!(lab.port > 1023, "lab {} uses a privileged port", lab.slug);
            assert_eq!(LABS.iter().filter(|l| l.slug == lab.slug).count(), 1);
            assert!(
                !lab.role_names().is_empty(),
                "lab {} has no roles",
                lab.slug
            );
        }
    }

    #[test]
    fn every_registered_lab_has_a_guide_folder_and_every_guide_folder_is_registered() {
        for lab in LABS {
            let guide = root().join("labs").join(lab.folder()).join("README.md");
            assert!(guide.is_file(), "missing {}", guide.display());
        }
        for entry in fs::read_dir(root().join("labs")).expect("labs/ exists") {
            let name = entry.expect("readable labs/ entry").file_name();
            let name = name.to_string_lossy();
            assert!(
                LABS.iter().any(|lab| lab.folder() == name),
                "labs/{name} is not in the registry (src/labs/mod.rs)"
            );
        }
    }

    #[test]
    fn every_registered_lab_has_an_exercises_section_and_every_section_is_registered() {
        let exercises = fs::read_to_string(root().join("EXERCISES.md")).expect("EXERCISES.md");
        let sections: Vec<&str> = exercises
            .lines()
            .filter(|line| line.starts_with("## Lab "))
            .collect();
        for lab in LABS {
            let heading = format!("## Lab {} — {}", lab.number, lab.slug);
            assert!(
                sections.iter().any(|s| s.starts_with(&heading)),
                "EXERCISES.md has no section starting `{heading}`"
            );
        }
        assert_eq!(
            sections.len(),
            LABS.len(),
            "EXERCISES.md sections: {sections:?}"
        );
    }

    #[test]
    fn the_readme_lab_table_matches_the_registry() {
        let readme = fs::read_to_string(root().join("README.md")).expect("README.md");
        let rows: Vec<&str> = readme
            .lines()
            .filter(|line| line.starts_with("| ") && line.as_bytes()[2].is_ascii_digit())
            .collect();
        assert_eq!(rows.len(), LABS.len(), "README lab table rows: {rows:?}");
        for (lab, row) in LABS.iter().zip(rows) {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            assert_eq!(cells[1], lab.number.to_string(), "{row}");
            assert_eq!(cells[2], format!("`{}`", lab.slug), "{row}");
            assert_eq!(cells[3], lab.title, "{row}");
            assert_eq!(cells[4], format!("{}/{}", lab.port, lab.protocol), "{row}");
        }
    }

    #[test]
    fn labs_are_found_by_number_or_slug() {
        assert_eq!(find("1").map(|l| l.slug), Some("echo"));
        assert_eq!(find("01").map(|l| l.slug), Some("echo"));
        assert_eq!(find("echo").map(|l| l.number), Some(1));
        assert!(find("99").is_none());
    }
}
