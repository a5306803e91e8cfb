//! The command line (clap):
//!
//! ```text
//! lab                      the interactive menu (or, on a pipe, the lab list)
//! lab list                 the labs: number, slug, title, roles, port
//! lab N                    the lab's roles (a menu on a terminal, a summary on a pipe)
//! lab N guide              the lab's guide
//! lab N answers            short answers to the lab's questions in EXERCISES.md
//! lab N starter            write a starter file for your own program
//! lab N ROLE [options]     run a role: server, client, demo, ...
//! lab check N ROLE -- CMD  check your own server or client, stage by stage
//! lab progress             what your programs have passed
//! ```
//!
//! The global options are derived from [`Cli`]. Each lab's roles and their options
//! are derived from the `Role` enum in the lab's own file; this module hangs them
//! under a subcommand named by the lab's number (with its slug as an alias) and
//! gives each role's `--port` the lab's default port from the registry.

use clap::{Arg, ArgAction, Args, Command, CommandFactory, Parser};

use crate::labs::{Lab, LABS};

/// socket-lab: socket exercises for students, on real sockets.
///
/// Run a lab's server in one terminal and its client in another:
/// `lab 1 server`, then `lab 1 client`. `lab list` shows every lab.
#[derive(Parser, Debug)]
#[command(name = "lab", version, about, long_about = None)]
pub struct Cli {
    /// Turn colours off (they also follow the terminal and NO_COLOR).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// The language of menus, hints and errors: en or zh (中文). Default: the locale
    /// (LC_ALL, LC_MESSAGES, LANG; on Windows and macOS the system's)
    #[arg(long, global = true, value_name = "LANG", value_parser = parse_lang)]
    pub lang: Option<crate::lang::Lang>,
}

fn parse_lang(text: &str) -> Result<crate::lang::Lang, String> {
    crate::lang::parse(text).ok_or_else(|| "en (English) or zh (中文)".to_string())
}

/// The whole command line: [`Cli`] plus `list` and one subcommand per lab.
pub fn command() -> Command {
    let list = Command::new("list").about("List the labs: number, slug, title, roles, port");
    let check = crate::check::CheckArgs::augment_args(
        Command::new("check").about("Check your own server or client, stage by stage"),
    )
    .after_help(
        "Examples:\n  lab check 1 server -- python3 lab1_server.py {port}\n  \
         lab check 1 client -- python3 lab1_client.py {port}\n  \
         lab check 4 server --class students/ -- python3 {dir}/server.py {port}",
    );
    let progress = Command::new("progress").about("What your own programs have passed so far");
    LABS.iter().fold(
        Cli::command()
            .subcommand(list)
            .subcommand(check)
            .subcommand(progress)
            .after_help(
            "Examples:\n  lab 1 server       (then, in a second terminal)   lab 1 client\n  \
             lab echo guide     the guide of lab 1\n  lab 2 demo 尹哲     no network: text as bytes",
        ),
        |cmd, lab| cmd.subcommand(lab_command(lab)),
    )
}

/// `lab N`: the lab's roles, `guide`, and the lab's default port on every `--port`.
fn lab_command(lab: &Lab) -> Command {
    let guide = Command::new("guide").about("Print this lab's guide (its README)");
    let answers = Command::new("answers")
        .about("Print short answers to this lab's questions in EXERCISES.md");
    let starter = crate::check::starter::StarterArgs::augment_args(
        Command::new("starter").about("Write a starter file for your own program (TODOs to fill)"),
    );
    let roles = (lab.roles)()
        .get_subcommands()
        .map(|role| with_default_port(role.clone(), lab.port))
        .collect::<Vec<_>>();
    Command::new(lab.number.to_string())
        .visible_alias(lab.slug)
        .about(lab.title)
        .long_about(format!(
            "Lab {} — {}: {}.\n\n{}.\nDefault port: {}/{}.",
            lab.number, lab.slug, lab.title, lab.goal, lab.port, lab.protocol
        ))
        .subcommands(roles)
        .subcommand(guide)
        .subcommand(answers)
        .subcommand(starter)
}

/// Gives a role's `--port` option (if it has one) the lab's port as its default.
fn with_default_port(role: Command, port: u16) -> Command {
    let has_port = role.get_arguments().any(|arg| arg.get_id() == "port");
    if !has_port {
        return role;
    }
    role.mut_arg("port", |arg: Arg| {
        arg.required(false)
            .default_value(port.to_string())
            .action(ArgAction::Set)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        command().debug_assert();
    }

    #[test]
    fn a_role_port_defaults_to_the_lab_port_and_zero_is_accepted() {
        let m = command().get_matches_from(["lab", "echo", "server"]);
        let (_, lab) = m.subcommand().expect("a lab");
        let (_, role) = lab.subcommand().expect("a role");
        assert_eq!(role.get_one::<u16>("port"), Some(&6666));

        let m = command().get_matches_from(["lab", "1", "server", "--port", "0"]);
        let (_, lab) = m.subcommand().expect("a lab");
        let (_, role) = lab.subcommand().expect("a role");
        assert_eq!(role.get_one::<u16>("port"), Some(&0));
    }
}
