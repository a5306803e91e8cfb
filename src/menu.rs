//! What `lab`, `lab list` and `lab N` show: on a terminal an interactive menu
//! (inquire), on a pipe a plain listing that says how to start a lab.
//!
//! The menu never runs a lab itself: it builds the command line the student would
//! have typed (`lab 1 server`) and hands it back, so the menu and the command line
//! always do the same thing.

use std::io::{self, IsTerminal, Write};

use inquire::{InquireError, Select, Text};

use crate::labs::{Lab, LABS};

/// True when both stdin and stdout are terminals, so a menu can be shown.
pub fn available() -> bool {
    io::stdin().is_terminal() && io::stdout().is_terminal()
}

/// `lab list`: one line per lab, in columns as wide as their widest entry.
pub fn print_list(out: &mut impl Write) -> io::Result<()> {
    let rows: Vec<[String; 5]> = LABS
        .iter()
        .map(|lab| {
            let roles: Vec<String> = lab.role_names().into_iter().map(|(name, _)| name).collect();
            [
                lab.number.to_string(),
                lab.slug.to_string(),
                lab.title.to_string(),
                roles.join(", "),
                format!("{}/{}", lab.port, lab.protocol),
            ]
        })
        .collect();
    let header = ["#", "lab", "title", "roles", "port"].map(String::from);
    let width = |col: usize| {
        rows.iter()
            .chain([&header])
            .map(|row| row[col].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w1, w2, w3) = (width(1), width(2), width(3));
    for row in [&header].into_iter().chain(&rows) {
        writeln!(
            out,
            "{:>2}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            row[0], row[1], row[2], row[3], row[4]
        )?;
    }
    Ok(())
}

/// `lab` on a pipe: the list, then how to start a lab.
pub fn print_list_and_how_to_start(out: &mut impl Write) -> io::Result<()> {
    print_list(out)?;
    writeln!(out)?;
    writeln!(
        out,
        "Start a lab in two terminals: `lab 1 server` in one, `lab 1 client` in the other."
    )?;
    writeln!(
        out,
        "Read a lab's guide with `lab 1 guide`; a lab's slug works too: `lab echo server`."
    )?;
    writeln!(
        out,
        "Run `lab` in a terminal for a menu; the step-by-step path is in EXERCISES.md."
    )
}

/// `lab N` on a pipe: what the lab is and how to run each role.
pub fn print_summary(lab: &Lab, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "Lab {} — {}: {}", lab.number, lab.slug, lab.title)?;
    writeln!(out, "You learn: {}.", lab.goal)?;
    writeln!(out, "Default port: {}/{}.", lab.port, lab.protocol)?;
    writeln!(out, "Roles:")?;
    for (name, about) in lab.role_names() {
        writeln!(out, "  lab {} {:<8} {}", lab.number, name, about)?;
    }
    writeln!(
        out,
        "  lab {} {:<8} Print this lab's guide (labs/{}/README.md)",
        lab.number,
        "guide",
        lab.folder()
    )?;
    if crate::check::plan_for(lab.number, crate::check::Role::Server).is_some() {
        writeln!(
            out,
            "  lab {} {:<8} Start your own server (or --role client) from a file with TODOs",
            lab.number, "starter"
        )?;
        writeln!(
            out,
            "Check your own program: `lab check {} server -- CMD` (see the guide, \"Your turn\").",
            lab.number
        )?;
    }
    writeln!(
        out,
        "Options of a role: `lab {} server --help`.",
        lab.number
    )
}

/// `lab N guide`.
pub fn print_guide(lab: &Lab, out: &mut impl Write) -> io::Result<()> {
    out.write_all(lab.guide.as_bytes())
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
        .map(|lab| format!("{:>2}  {:<12} {}", lab.number, lab.slug, lab.title))
        .collect();
    let progress = crate::check::progress::summary();
    let picked = Select::new("Which lab? (Esc leaves)", options)
        .with_page_size(LABS.len())
        .with_help_message(&progress)
        .raw_prompt();
    Ok(answered(picked)?.map(|option| &LABS[option.index]))
}

fn choose_role(lab: &Lab, can_go_back: bool) -> anyhow::Result<Option<Vec<String>>> {
    let mut roles = lab.role_names();
    roles.push(("guide".to_string(), "Print this lab's guide".to_string()));
    if crate::check::plan_for(lab.number, crate::check::Role::Server).is_some() {
        roles.push((
            "starter".to_string(),
            "Write a starter file for your own server (then `lab check`)".to_string(),
        ));
    }
    let options: Vec<String> = roles
        .iter()
        .map(|(name, about)| format!("{name:<8} {about}"))
        .collect();
    let esc = if can_go_back {
        "Esc goes back"
    } else {
        "Esc leaves"
    };
    let question = format!("Lab {} — {}: which role? ({esc})", lab.number, lab.slug);
    let Some(picked) = answered(Select::new(&question, options).raw_prompt())? else {
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

/// Esc and Ctrl-C are a way out, not an error.
fn answered<T>(result: Result<T, InquireError>) -> anyhow::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(InquireError::OperationCanceled | InquireError::OperationInterrupted) => Ok(None),
        Err(err) => Err(err.into()),
    }
}
