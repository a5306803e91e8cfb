//! `lab N starter [python|rust] [--role server|client] [--dir DIR]`: writes the classic
//! program of lab N for the student to finish, with the parts to write marked by
//! numbered TODOs. Reaching a TODO prints `TODO 3 (listen): not written yet` and
//! ends the program, and `lab check` quotes that line.
//!
//! The starters live in `labs/NN-slug/starters/` and are built into the binary. A
//! starter never overwrites a file.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::Role;
use crate::labs::Lab;
use crate::lang::{pick, tr};

mod zh;

#[derive(Args, Debug)]
pub struct StarterArgs {
    /// The language of the starter
    #[arg(value_enum, default_value_t = Language::Python)]
    language: Language,

    /// Which program to start: the server (default) or the client
    #[arg(long, value_enum, default_value_t = Role::Server)]
    role: Role,

    /// The folder to write the file in, made if needed (default: the current folder)
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Python,
    Rust,
}

/// The starter text for a lab, role and language, if there is one: in Chinese (its
/// comments and docstrings; the code is the same) when `lab` speaks Chinese.
fn starter(lab: u8, role: Role, language: Language) -> Option<&'static str> {
    if crate::lang::zh() {
        if let Some(text) = zh::starter(lab, role, language) {
            return Some(text);
        }
    }
    use Language::{Python, Rust};
    use Role::{Client, Server};
    Some(match (lab, role, language) {
        (1, Server, Python) => include_str!("../../labs/01-echo/starters/lab1_server.py"),
        (1, Client, Python) => include_str!("../../labs/01-echo/starters/lab1_client.py"),
        (1, Server, Rust) => include_str!("../../labs/01-echo/starters/lab1_server.rs"),
        (1, Client, Rust) => include_str!("../../labs/01-echo/starters/lab1_client.rs"),
        (2, Server, Python) => include_str!("../../labs/02-encoding/starters/lab2_server.py"),
        (2, Client, Python) => include_str!("../../labs/02-encoding/starters/lab2_client.py"),
        (2, Server, Rust) => include_str!("../../labs/02-encoding/starters/lab2_server.rs"),
        (2, Client, Rust) => include_str!("../../labs/02-encoding/starters/lab2_client.rs"),
        (3, Server, Python) => include_str!("../../labs/03-half-duplex/starters/lab3_server.py"),
        (3, Client, Python) => include_str!("../../labs/03-half-duplex/starters/lab3_client.py"),
        (3, Server, Rust) => include_str!("../../labs/03-half-duplex/starters/lab3_server.rs"),
        (3, Client, Rust) => include_str!("../../labs/03-half-duplex/starters/lab3_client.rs"),
        (4, Server, Python) => include_str!("../../labs/04-threads/starters/lab4_server.py"),
        (4, Client, Python) => include_str!("../../labs/04-threads/starters/lab4_client.py"),
        (4, Server, Rust) => include_str!("../../labs/04-threads/starters/lab4_server.rs"),
        (4, Client, Rust) => include_str!("../../labs/04-threads/starters/lab4_client.rs"),
        (5, Server, Python) => include_str!("../../labs/05-udp/starters/lab5_server.py"),
        (5, Client, Python) => include_str!("../../labs/05-udp/starters/lab5_client.py"),
        (5, Server, Rust) => include_str!("../../labs/05-udp/starters/lab5_server.rs"),
        (5, Client, Rust) => include_str!("../../labs/05-udp/starters/lab5_client.rs"),
        (6, Server, Python) => include_str!("../../labs/06-chat-room/starters/lab6_server.py"),
        (6, Client, Python) => include_str!("../../labs/06-chat-room/starters/lab6_client.py"),
        (6, Server, Rust) => include_str!("../../labs/06-chat-room/starters/lab6_server.rs"),
        (6, Client, Rust) => include_str!("../../labs/06-chat-room/starters/lab6_client.rs"),
        (7, Server, Python) => include_str!("../../labs/07-framing/starters/lab7_server.py"),
        (7, Client, Python) => include_str!("../../labs/07-framing/starters/lab7_client.py"),
        (7, Server, Rust) => include_str!("../../labs/07-framing/starters/lab7_server.rs"),
        (7, Client, Rust) => include_str!("../../labs/07-framing/starters/lab7_client.rs"),
        _ => return None,
    })
}

/// `lab1_server.py`.
fn file_name(lab: u8, role: Role, language: Language) -> String {
    let ext = match language {
        Language::Python => "py",
        Language::Rust => "rs",
    };
    format!("lab{lab}_{}.{ext}", role.name())
}

/// Writes the starter and says how to run and check it.
pub fn write(lab: &Lab, args: StarterArgs, out: &mut impl Write) -> anyhow::Result<()> {
    // The role as a sentence names it: `server`, 服务器.
    let role = match args.role {
        Role::Server => pick("server", "服务器"),
        Role::Client => pick("client", "客户端"),
    };
    let Some(text) = starter(lab.number, args.role, args.language) else {
        anyhow::bail!(tr!(
            "lab {} has no {role} starter yet: starters exist for labs 1 to 7",
            "实验 {} 还没有{role}的起始文件：只有实验 1 到 7 有起始文件",
            lab.number
        ));
    };
    let name = file_name(lab.number, args.role, args.language);
    // `--dir week3/lab1`: the folder is made if it is not there yet.
    std::fs::create_dir_all(&args.dir).with_context(|| {
        tr!(
            "could not create the folder {}",
            "无法创建文件夹 {}",
            args.dir.display()
        )
    })?;
    let path = args.dir.join(&name);
    let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => anyhow::bail!(tr!(
            "{} already exists, and a starter never overwrites a file: it may hold your \
             work. Rename or move it, or use --dir to write the starter elsewhere",
            "{} 已经存在，而起始文件从不覆盖已有的文件：里面可能有你写的代码。\
             请把它改名或移走，或者用 --dir 把起始文件写到别处",
            path.display()
        )),
        Err(err) => {
            return Err(err)
                .with_context(|| tr!("could not create {}", "无法创建 {}", path.display()))
        }
    };
    file.write_all(text.as_bytes())
        .with_context(|| tr!("could not write {}", "无法写入 {}", path.display()))?;
    let shown = path.display().to_string();
    // What else the check passes: lab 2's encoding, lab 3 client's name.
    let extra = match (lab.number, args.role) {
        (2, _) => " {encoding}",
        (3, Role::Client) => " amy",
        (7, _) => " {framing}",
        _ => "",
    };
    let (build, run) = match args.language {
        Language::Python => (None, format!("python3 {shown} {{port}}{extra}")),
        Language::Rust => {
            let exe = path.with_extension("");
            let exe = exe.display();
            (
                Some(format!("rustc -o {exe} {shown}")),
                format!("{exe} {{port}}{extra}"),
            )
        }
    };
    let number = lab.number;
    let wrote = tr!(
        "wrote {shown}: lab {number}'s {role}, with numbered TODOs to write.",
        "已写入 {shown}：实验 {number} 的{role}，要写的部分标有编号的 TODO。"
    );
    writeln!(out, "{wrote}")?;
    // The labels line up: `build it:  ` and `check it:  `, 编译： and 检查：.
    if let Some(build) = build {
        writeln!(out, "{}{build}", pick("build it:  ", "编译："))?;
    }
    let command = format!("lab check {number} {} -- {run}", args.role.name());
    writeln!(out, "{}{command}", pick("check it:  ", "检查："))?;
    let stops = pick(
        "The check stops at the first TODO not written yet.",
        "检查会停在第一个还没写的 TODO 处。",
    );
    writeln!(out, "{stops}")?;
    let guide = tr!(
        "`lab {number} guide` has the protocol, stage by stage (\"Your turn\").",
        "`lab {number} guide` 里有协议，按阶段逐个讲解（见“动手：自己写一个”一节）。"
    );
    writeln!(out, "{guide}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lab_with_a_check_has_every_starter() {
        for lab in 1..=10 {
            for role in [Role::Server, Role::Client] {
                if super::super::plan_for(lab, role).is_none() {
                    continue;
                }
                for language in [Language::Python, Language::Rust] {
                    let text = starter(lab, role, language)
                        .unwrap_or_else(|| panic!("lab {lab} {role:?} {language:?}"));
                    assert!(text.contains("TODO 1 "), "lab {lab} {role:?} {language:?}");
                    assert!(text.contains("LAB_PORT"), "lab {lab} {role:?} {language:?}");
                }
            }
        }
    }
}
