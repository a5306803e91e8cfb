//! What `lab`, `lab list` and `lab N` show: on a terminal an interactive menu
//! (inquire), on a pipe a plain listing that says how to start a lab.
//!
//! The menu never runs a lab itself: it builds the command line the student would
//! have typed (`lab 1 server`) and hands it back, so the menu and the command line
//! always do the same thing.

use std::io::{self, IsTerminal, Write};

use inquire::{InquireError, Select, Text};

use unicode_width::UnicodeWidthStr;

use crate::labs::{Lab, LABS};
use crate::lang::{pick, tr};
use crate::term;

/// True when both stdin and stdout are terminals, so a menu can be shown.
pub fn available() -> bool {
    io::stdin().is_terminal() && io::stdout().is_terminal()
}

/// The width `lab list` fits in, whatever the terminal: the narrowest one in use.
pub const LIST_WIDTH: usize = 80;

/// `lab list`: each lab's number, slug and port in columns, its title beside them,
/// and its roles on the line below, under the title. Fits in [`LIST_WIDTH`] columns
/// (a longer title or list of roles wraps under itself).
pub fn print_list(out: &mut impl Write) -> io::Result<()> {
    let ports: Vec<String> = LABS
        .iter()
        .map(|lab| format!("{}/{}", lab.port, lab.protocol))
        .collect();
    let w1 = LABS
        .iter()
        .map(|lab| lab.slug.chars().count())
        .max()
        .unwrap_or(0);
    let w2 = ports
        .iter()
        .map(|port| port.chars().count())
        .max()
        .unwrap_or(0);
    let columns =
        |number: &str, slug: &str, port: &str| format!("{number:>2}  {slug:<w1$}  {port:<w2$}  ");
    let hang = columns("", "", "").chars().count();
    let fitted = |text: String| term::wrap_to(&text, Some(LIST_WIDTH), hang);
    writeln!(
        out,
        "{}",
        fitted(
            columns("#", "lab", "port")
                + pick("title, and the lab's roles", "标题，以及实验的角色")
        )
    )?;
    for (lab, port) in LABS.iter().zip(&ports) {
        let roles: Vec<String> = lab.role_names().into_iter().map(|(name, _)| name).collect();
        let first = columns(&lab.number.to_string(), lab.slug, port) + lab.title();
        writeln!(out, "{}", fitted(first))?;
        let below = tr!(
            "{:hang$}roles: {}",
            "{:hang$}角色：{}",
            "",
            roles.join(", ")
        );
        writeln!(out, "{}", fitted(below))?;
    }
    Ok(())
}

/// `lab` on a pipe: the list, then how to start a lab.
pub fn print_list_and_how_to_start(out: &mut impl Write) -> io::Result<()> {
    print_list(out)?;
    writeln!(out)?;
    let how = pick(
        "Start a lab in two terminals: `lab 1 server` in one, `lab 1 client` in another.\n\
         Read a lab's guide with `lab 1 guide`. A lab's slug works too: `lab echo guide`.\n\
         Run `lab` in a terminal for a menu; the step-by-step path is in EXERCISES.md.",
        "在两个终端里开始一个实验：一个运行 `lab 1 server`，另一个运行 `lab 1 client`。\n\
         用 `lab 1 guide` 阅读实验指南，也可以用实验名：`lab echo guide`。\n\
         在终端里运行 `lab` 会打开菜单；按步骤的练习在 EXERCISES.zh-CN.md 里。",
    );
    writeln!(out, "{how}")
}

/// `lab N` on a pipe: what the lab is and how to run each role.
pub fn print_summary(lab: &Lab, out: &mut impl Write) -> io::Result<()> {
    let (number, slug, title) = (lab.number, lab.slug, lab.title());
    writeln!(
        out,
        "{}",
        tr!(
            "Lab {number} — {slug}: {title}",
            "实验 {number} — {slug}：{title}"
        )
    )?;
    // Sentences wrap to the terminal's width (each role's text under itself).
    let label = pick("You learn: ", "你将学到：");
    let learn = tr!("{label}{}.", "{label}{}。", lab.goal());
    writeln!(out, "{}", term::wrap_hanging(&learn, label.width()))?;
    let (port, protocol) = (lab.port, lab.protocol);
    writeln!(
        out,
        "{}",
        tr!(
            "Default port: {port}/{protocol}.",
            "默认端口：{port}/{protocol}。"
        )
    )?;
    writeln!(out, "{}", pick("Roles:", "角色："))?;
    let mut roles = lab.role_names();
    roles.push((
        "guide".to_string(),
        tr!(
            "Print this lab's guide (labs/{}/README.md)",
            "打印本实验的指南（labs/{}/README.zh-CN.md）",
            lab.folder()
        ),
    ));
    roles.push((
        "answers".to_string(),
        pick(
            "Short answers to this lab's questions in EXERCISES.md",
            "EXERCISES.zh-CN.md 中本实验问题的简短答案",
        )
        .to_string(),
    ));
    let checked = crate::check::plan_for(lab.number, crate::check::Role::Server).is_some();
    if checked {
        roles.push((
            "starter".to_string(),
            pick(
                "Start your own server (or --role client) from a file with TODOs",
                "从一个带 TODO 的文件开始写你自己的服务器（或 --role client）",
            )
            .to_string(),
        ));
    }
    for (name, about) in roles {
        let line = format!("  lab {} {:<8} {}", lab.number, name, about);
        let hang = line.width() - about.width();
        writeln!(out, "{}", term::wrap_hanging(&line, hang))?;
    }
    if checked {
        let check = tr!(
            "Check your own program: `lab check {} server -- CMD` (see the guide, \"Your turn\").",
            "检查你自己的程序：`lab check {} server -- CMD`（见指南的“动手：自己写一个”一节）。",
            lab.number
        );
        writeln!(out, "{}", term::wrap(&check))?;
    }
    let n = lab.number;
    writeln!(
        out,
        "{}",
        tr!(
            "Options of a role: `lab {n} server --help`.",
            "角色的选项：`lab {n} server --help`。"
        )
    )
}

/// `lab N guide`: the guide, then the lab's Python peers. On a pipe the Markdown as
/// it is; on a terminal laid out to its width, through a pager (src/markdown.rs).
pub fn print_guide(lab: &Lab, out: &mut impl Write) -> io::Result<()> {
    let mut markdown = lab.guide().as_bytes().to_vec();
    crate::labs::companions::print_peers(lab, &mut markdown)?;
    print_markdown(&markdown, out)
}

/// `lab N answers`: like the guide, laid out on a terminal, as it is on a pipe.
pub fn print_answers(lab: &Lab, out: &mut impl Write) -> io::Result<()> {
    let mut markdown = Vec::new();
    crate::labs::companions::print_answers(lab, &mut markdown)?;
    print_markdown(&markdown, out)
}

/// Markdown on stdout: laid out for the terminal (and paged), or as it is on a pipe.
fn print_markdown(markdown: &[u8], out: &mut impl Write) -> io::Result<()> {
    let terminal = io::stdout().is_terminal();
    if !crate::markdown::wanted(terminal) {
        return out.write_all(markdown);
    }
    let width = term::width_of(term::Out::Stdout).unwrap_or(80);
    let color = colored::control::SHOULD_COLORIZE.should_colorize();
    let text = crate::markdown::render(&String::from_utf8_lossy(markdown), width, color);
    crate::markdown::show(&text, terminal, out)
}

/// The menu: pick a lab, then a role. Returns the command line to run, or `None`
/// when the student leaves (Esc or Ctrl-C).
pub fn choose(start: Option<&'static Lab>) -> anyhow::Result<Option<Vec<String>>> {
    let mut lab = start;
    loop {
        let chosen = match lab {
            Some(lab) => lab,
            None => match choose_lab()? {
                Some(lab) => lab,
                None => return Ok(None),
            },
        };
        match choose_role(chosen, start.is_none())? {
            Some(argv) => return Ok(Some(argv)),
            // Esc on the roles goes back to the labs (or leaves, if we started there).
            None if start.is_none() => lab = None,
            None => return Ok(None),
        }
    }
}

fn choose_lab() -> anyhow::Result<Option<&'static Lab>> {
    let options: Vec<String> = LABS
        .iter()
        .map(|lab| format!("{:>2}  {:<12} {}", lab.number, lab.slug, lab.title()))
        .collect();
    let progress = crate::check::progress::summary();
    let question = pick("Which lab? (Esc leaves)", "选择哪个实验？（Esc 退出）");
    let picked = Select::new(question, options)
        .with_page_size(LABS.len())
        .with_help_message(&progress)
        .with_formatter(&chosen)
        .raw_prompt();
    Ok(answered(picked)?.map(|option| &LABS[option.index]))
}

fn choose_role(lab: &Lab, can_go_back: bool) -> anyhow::Result<Option<Vec<String>>> {
    let mut roles = lab.role_names();
    let guide = pick("Print this lab's guide", "打印本实验的指南");
    roles.push(("guide".to_string(), guide.to_string()));
    // One line per role, cut to the terminal (inquire draws each option on one line).
    let width = term::width_of(term::Out::Stdout).unwrap_or(80);
    if crate::check::plan_for(lab.number, crate::check::Role::Server).is_some() {
        roles.push((
            "starter".to_string(),
            pick(
                "Write a starter file for your own server (then `lab check`)",
                "为你自己的服务器生成起始文件（然后用 `lab check` 检查）",
            )
            .to_string(),
        ));
    }
    let options: Vec<String> = roles
        .iter()
        .map(|(name, about)| term::fit_line(&format!("{name:<8} {about}"), width.saturating_sub(3)))
        .collect();
    let esc = match can_go_back {
        true => pick("Esc goes back", "Esc 返回"),
        false => pick("Esc leaves", "Esc 退出"),
    };
    let (number, slug) = (lab.number, lab.slug);
    let question = tr!(
        "Lab {number} — {slug}: which role? ({esc})",
        "实验 {number} — {slug}：选择哪个角色？（{esc}）"
    );
    let keys = pick(
        "↑↓ to move, enter to select, type to filter",
        "↑↓ 移动，Enter 选择，输入文字可筛选",
    );
    let select = Select::new(&question, options)
        .with_help_message(keys)
        .with_formatter(&chosen);
    let Some(picked) = answered(select.raw_prompt())? else {
        return Ok(None);
    };
    let role = &roles[picked.index].0;
    let mut argv = vec!["lab".to_string(), lab.number.to_string(), role.clone()];
    // A role with required values (`lab 2 demo TEXT`) asks for them here.
    if let Some(command) = (lab.roles)().find_subcommand(role) {
        for arg in command.get_positionals().filter(|a| a.is_required_set()) {
            let name = arg.get_id().to_string().to_uppercase();
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            match answered(
                Text::new(&format!("{name}:"))
                    .with_help_message(&help)
                    .prompt(),
            )? {
                Some(value) => argv.push(value),
                None => return Ok(None),
            }
        }
    }
    println!("$ {}", argv.join(" "));
    Ok(Some(argv))
}

/// What stays on the screen after a choice: the lab's number and slug, or the role,
/// without the description (a long one would wrap the answered question's line).
fn chosen(option: inquire::list_option::ListOption<&String>) -> String {
    let words: Vec<&str> = option.value.split_whitespace().collect();
    match words.first().map(|w| w.parse::<u8>().is_ok()) {
        Some(true) => words[..2.min(words.len())].join(" "),
        _ => words.first().unwrap_or(&"").to_string(),
    }
}

/// Esc and Ctrl-C are a way out, not an error.
fn answered<T>(result: Result<T, InquireError>) -> anyhow::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(InquireError::OperationCanceled | InquireError::OperationInterrupted) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    fn printed(print: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        print(&mut out).expect("writing to a Vec works");
        String::from_utf8(out).expect("the list is UTF-8")
    }

    #[test]
    fn the_lab_list_fits_in_80_columns_and_names_every_lab_and_role() {
        let list = printed(print_list);
        for line in list.lines() {
            assert!(
                line.width() <= LIST_WIDTH,
                "{} columns: {line:?}",
                line.width()
            );
        }
        for lab in LABS {
            assert!(
                list.contains(lab.slug) && list.contains(lab.title),
                "{list}"
            );
            for (role, _) in lab.role_names() {
                assert!(list.contains(&role), "{role}: {list}");
            }
        }
    }
}
