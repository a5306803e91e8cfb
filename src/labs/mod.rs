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
    /// The lab's roles (server, client, ...) with their options, from the lab's `Role`.
    pub roles: fn() -> Command,
    /// Runs the role that clap parsed.
    pub run: fn(&Lab, &ArgMatches) -> anyhow::Result<()>,
}

impl Lab {
    /// `01-echo`: the folder of the lab's guide under `labs/`.
    pub fn folder(&self) -> String {
        format!("{:02}-{}", self.number, self.slug)
    }

    /// The role names with their one-line help, in the order the lab declares them.
    pub fn role_names(&self) -> Vec<(String, String)> {
        (self.roles)()
            .get_subcommands()
            .map(|role| {
                let about = role.get_about().map(|a| a.to_string()).unwrap_or_default();
                (role.get_name().to_string(), about)
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
