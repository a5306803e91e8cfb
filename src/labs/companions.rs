//! What comes with each lab's guide, built into the binary like the guide itself:
//!
//! - the Python peers that EXERCISES.md runs (`labs/NN-slug/peers/*.py`), which
//!   `lab N guide` prints after the guide, so a student without the repository
//!   still has them;
//! - the short answers to the lab's questions in EXERCISES.md
//!   (`labs/NN-slug/answers.md`), which `lab N answers` prints.
//!
//! The format of `answers.md` (the tests below check it for every registered lab):
//! Markdown; each answer is one paragraph that begins `**Step N.**`, where N is the
//! number of the EXERCISES.md step whose question it answers, in the order of the
//! questions. A question is a paragraph of its own inside its step that begins
//! `*Question:*`; a step with two questions has two `**Step N.**` paragraphs.
//!
//! Adding a lab: one row below (its number, `answers.md`, its peers, if any).

use std::io::{self, Write};

use super::Lab;
use crate::lang::tr;

/// A Python peer: a small program that EXERCISES.md runs against the lab.
pub struct Peer {
    /// The file name inside `labs/NN-slug/peers/`.
    pub file: &'static str,
    pub source: &'static str,
}

/// What comes with one lab's guide.
pub struct Companion {
    pub lab: u8,
    /// `labs/NN-slug/answers.md`.
    pub answers: &'static str,
    pub peers: &'static [Peer],
}

/// One row per lab, in the registry's order.
pub const COMPANIONS: &[Companion] = &[
    Companion {
        lab: 1,
        answers: include_str!("../../labs/01-echo/answers.md"),
        peers: &[Peer {
            file: "client.py",
            source: include_str!("../../labs/01-echo/peers/client.py"),
        }],
    },
    Companion {
        lab: 2,
        answers: include_str!("../../labs/02-encoding/answers.md"),
        peers: &[Peer {
            file: "half_character.py",
            source: include_str!("../../labs/02-encoding/peers/half_character.py"),
        }],
    },
    Companion {
        lab: 3,
        answers: include_str!("../../labs/03-half-duplex/answers.md"),
        peers: &[Peer {
            file: "client.py",
            source: include_str!("../../labs/03-half-duplex/peers/client.py"),
        }],
    },
    Companion {
        lab: 4,
        answers: include_str!("../../labs/04-threads/answers.md"),
        peers: &[Peer {
            file: "client.py",
            source: include_str!("../../labs/04-threads/peers/client.py"),
        }],
    },
    Companion {
        lab: 5,
        answers: include_str!("../../labs/05-udp/answers.md"),
        peers: &[Peer {
            file: "client.py",
            source: include_str!("../../labs/05-udp/peers/client.py"),
        }],
    },
    Companion {
        lab: 6,
        answers: include_str!("../../labs/06-chat-room/answers.md"),
        peers: &[
            Peer {
                file: "flood.py",
                source: include_str!("../../labs/06-chat-room/peers/flood.py"),
            },
            Peer {
                file: "sleepy.py",
                source: include_str!("../../labs/06-chat-room/peers/sleepy.py"),
            },
        ],
    },
    Companion {
        lab: 7,
        answers: include_str!("../../labs/07-framing/answers.md"),
        peers: &[
            Peer {
                file: "huge_prefix.py",
                source: include_str!("../../labs/07-framing/peers/huge_prefix.py"),
            },
            Peer {
                file: "length_sender.py",
                source: include_str!("../../labs/07-framing/peers/length_sender.py"),
            },
        ],
    },
    Companion {
        lab: 8,
        answers: include_str!("../../labs/08-lifecycle/answers.md"),
        peers: &[Peer {
            file: "four_clients.py",
            source: include_str!("../../labs/08-lifecycle/peers/four_clients.py"),
        }],
    },
    Companion {
        lab: 9,
        answers: include_str!("../../labs/09-event-loop/answers.md"),
        peers: &[
            Peer {
                file: "half_line.py",
                source: include_str!("../../labs/09-event-loop/peers/half_line.py"),
            },
            Peer {
                file: "sleepy.py",
                source: include_str!("../../labs/09-event-loop/peers/sleepy.py"),
            },
        ],
    },
    Companion {
        lab: 10,
        answers: include_str!("../../labs/10-async/answers.md"),
        peers: &[],
    },
];

/// The row of a lab, if it has one.
pub fn of(lab: &Lab) -> Option<&'static Companion> {
    COMPANIONS.iter().find(|c| c.lab == lab.number)
}

/// After the guide, `lab N guide` prints the lab's peers, each with its path.
pub fn print_peers(lab: &Lab, out: &mut impl Write) -> io::Result<()> {
    let Some(companion) = of(lab) else {
        return Ok(());
    };
    for peer in companion.peers {
        let path = format!("labs/{}/peers/{}", lab.folder(), peer.file);
        writeln!(out)?;
        writeln!(out, "{}", tr!("## Peer: {path}", "## 对端程序：{path}"))?;
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            tr!(
                "Run it with `python3 {path}` (from the repository),\n\
                 or save the lines below under that name.",
                "在仓库里用 `python3 {path}` 运行它，\n\
                 或者把下面的代码保存为这个文件名。"
            )
        )?;
        writeln!(out)?;
        writeln!(out, "```python")?;
        out.write_all(peer.source.as_bytes())?;
        writeln!(out, "```")?;
    }
    Ok(())
}

/// `lab N answers`.
pub fn print_answers(lab: &Lab, out: &mut impl Write) -> io::Result<()> {
    match of(lab) {
        Some(_) if crate::lang::zh() => out.write_all(lab.zh.answers.as_bytes()),
        Some(companion) => out.write_all(companion.answers.as_bytes()),
        None => writeln!(
            out,
            "{}",
            tr!(
                "Lab {} has no answers yet.",
                "实验 {} 还没有答案。",
                lab.number
            )
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::LABS;
    use std::fs;
    use std::path::Path;

    /// The step numbers of the `*Question:*` paragraphs in EXERCISES.md's section of
    /// lab `number`, in order. A step is a line `N. ` at the start of the line.
    fn question_steps(exercises: &str, number: u8) -> Vec<u32> {
        let mut steps = Vec::new();
        let mut step = 0;
        let mut in_section = false;
        let mut after_blank = true;
        for line in exercises.lines() {
            if let Some(heading) = line.strip_prefix("## ") {
                in_section = heading.starts_with(&format!("Lab {number} — "));
                step = 0;
            } else if in_section {
                if let Some(n) = step_number(line) {
                    step = n;
                }
                if after_blank && line.trim_start().starts_with("*Question:*") {
                    steps.push(step);
                }
            }
            after_blank = line.trim().is_empty();
        }
        steps
    }

    /// `12. Run ...` -> 12 (a step), `   1. nested` -> none.
    fn step_number(line: &str) -> Option<u32> {
        let (digits, _) = line.split_once(". ")?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }

    /// The step numbers of the `**Step N.**` paragraphs of an answers.md, in order.
    fn answer_steps(answers: &str) -> Vec<u32> {
        let mut steps = Vec::new();
        let mut after_blank = true;
        for line in answers.lines() {
            if after_blank {
                if let Some(rest) = line.strip_prefix("**Step ") {
                    if let Some((n, _)) = rest.split_once(".**") {
                        steps.push(n.parse().unwrap_or(0));
                    }
                }
            }
            after_blank = line.trim().is_empty();
        }
        steps
    }

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    fn exercises() -> String {
        fs::read_to_string(root().join("EXERCISES.md")).expect("EXERCISES.md")
    }

    #[test]
    fn questions_are_counted_by_step_and_nested_lists_are_not_steps() {
        let text = "## Lab 1 — echo\n\n1. Run it.\n\n   *Question:* why?\n\n\
                    2. Again.\n   1. nested\n\n   *Question:* a.\n\n   *Question:* b.\n\
                    \n## Lab 2 — encoding\n\n1. x\n\n   *Question:* c\n";
        assert_eq!(question_steps(text, 1), vec![1, 2, 2]);
        assert_eq!(question_steps(text, 2), vec![1]);
        let answers = "# Answers\n\n**Step 1.** Because.\n\n**Step 2.** A.\n\
                       **Step 9.** not a paragraph\n\n**Step 2.** B.\n";
        assert_eq!(answer_steps(answers), vec![1, 2, 2]);
    }

    #[test]
    fn every_lab_has_one_answer_per_question_in_the_order_of_its_steps() {
        let exercises = exercises();
        for lab in LABS {
            let companion = of(lab).unwrap_or_else(|| {
                panic!(
                    "lab {} has no row in src/labs/companions.rs (labs/{}/answers.md)",
                    lab.number,
                    lab.folder()
                )
            });
            let questions = question_steps(&exercises, lab.number);
            assert!(
                !questions.is_empty(),
                "EXERCISES.md has no `*Question:*` paragraph for lab {}",
                lab.number
            );
            assert_eq!(
                answer_steps(companion.answers),
                questions,
                "labs/{}/answers.md: the `**Step N.**` paragraphs must follow the \
                 steps of the `*Question:*` paragraphs in EXERCISES.md",
                lab.folder()
            );
        }
    }

    #[test]
    fn every_question_in_the_labs_uses_the_one_format() {
        let mut in_lab = false;
        let mut after_blank = true;
        for (i, line) in exercises().lines().enumerate() {
            if line.starts_with("## ") {
                in_lab = line.starts_with("## Lab ");
            }
            if in_lab && line.contains("Question:") {
                assert!(
                    after_blank && line.trim_start().starts_with("*Question:* "),
                    "EXERCISES.md line {}: a question is a paragraph of its own \
                     that begins `*Question:* `: {line}",
                    i + 1
                );
            }
            after_blank = line.trim().is_empty();
        }
    }

    #[test]
    fn every_peer_file_is_in_the_table_and_every_peer_exercises_names_exists() {
        for lab in LABS {
            let dir = root().join("labs").join(lab.folder()).join("peers");
            let listed: Vec<&str> = of(lab)
                .map(|c| c.peers.iter().map(|p| p.file).collect())
                .unwrap_or_default();
            if let Ok(entries) = fs::read_dir(&dir) {
                for entry in entries {
                    let name = entry.expect("readable peers/ entry").file_name();
                    let name = name.to_string_lossy().to_string();
                    assert!(
                        !name.ends_with(".py") || listed.contains(&name.as_str()),
                        "labs/{}/peers/{name} is not in src/labs/companions.rs",
                        lab.folder()
                    );
                }
            }
            for file in &listed {
                assert!(
                    dir.join(file).is_file(),
                    "missing {}",
                    dir.join(file).display()
                );
            }
        }
        let exercises = exercises();
        for (i, _) in exercises.match_indices("labs/") {
            let path: String = exercises[i..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '`')
                .collect();
            if path.contains("/peers/") && path.ends_with(".py") {
                assert!(root().join(&path).is_file(), "EXERCISES.md names {path}");
            }
        }
    }
}
