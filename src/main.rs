//! `lab`: parse the command line, pick the lab and role, run it, and turn an error
//! into a sentence and an exit code: 0 done, 1 runtime error, 2 usage error.
//!
//! The socket code lives in `src/labs/`, one complete program per lab.

mod chat_protocol;
mod check;
mod cli;
mod hint;
mod labs;
mod lang;
mod markdown;
mod menu;
mod net;
mod screen;
mod tcp_table;
mod term;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::builder::Styles;
use clap::{ArgMatches, ColorChoice, FromArgMatches};

use crate::labs::Lab;

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    lang::init(&argv);
    // Did the student type anything a terminal would act on (`--host $'\e[2J'`)?
    let typed_unsafe = argv
        .iter()
        .any(|arg| !term::prints_as_is(&arg.to_string_lossy()));
    let mut command = cli::command();
    // clap prints its own help and usage errors, in colour on a terminal: `--no-color`
    // turns those off too (before parsing, since a usage error stops the parse).
    if argv.iter().skip(1).any(|arg| arg == "--no-color") {
        command = command.color(ColorChoice::Never);
    }
    // clap repeats a wrong argument in its error as typed. Plain styles let
    // `usage_error` show that error escaped, like a peer's bytes.
    if typed_unsafe {
        command = command.styles(Styles::plain());
    }
    let matches = match command.try_get_matches_from(argv) {
        Ok(matches) => matches,
        Err(err) => return usage_error(err, typed_unsafe),
    };
    match run(&matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Wrapped to the terminal's width (plain on a pipe), under the text.
            let label = lang::pick("error: ", "错误：");
            let sentence = format!("{label}{}", explain(&err));
            eprintln!(
                "{}",
                term::wrap_err(&sentence, unicode_width::UnicodeWidthStr::width(label))
            );
            ExitCode::from(1)
        }
    }
}

/// A usage error (unknown lab or role, bad option): clap's message, a pointer to
/// `lab list`, and exit code 2. (`--help` and `--version` also arrive here, exit 0.)
/// With `typed_unsafe`, clap's message is printed escaped (`\e[2J`, not the raw escape).
fn usage_error(err: clap::Error, typed_unsafe: bool) -> ExitCode {
    use clap::error::ErrorKind;
    let shows_what_was_typed = !matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    );
    if typed_unsafe && shows_what_was_typed {
        let rendered = err.render().ansi().to_string();
        let lines: Vec<String> = rendered.lines().map(term::safe_str).collect();
        eprintln!("{}", lines.join("\n"));
        if err.kind() == ErrorKind::InvalidSubcommand {
            eprintln!("{}", usage_tip());
        }
        return ExitCode::from(2);
    }
    if err.kind() == ErrorKind::InvalidSubcommand {
        let _ = err.print();
        eprintln!("{}", usage_tip());
        return ExitCode::from(2);
    }
    err.exit()
}

/// After an unknown lab or role: where to look.
fn usage_tip() -> &'static str {
    lang::pick(
        "tip: `lab list` shows the labs; `lab N` shows lab N's roles.",
        "提示：`lab list` 列出所有实验；`lab N` 列出实验 N 的角色。",
    )
}

fn run(matches: &ArgMatches) -> anyhow::Result<()> {
    let cli = cli::Cli::from_arg_matches(matches)?;
    if cli.no_color {
        colored::control::set_override(false);
    }
    let mut out = io::stdout().lock();
    match matches.subcommand() {
        None if menu::available() => {
            drop(out);
            run_from_menu(None, cli.no_color)
        }
        None => printed(menu::print_list_and_how_to_start(&mut out)),
        Some(("list", _)) => printed(menu::print_list(&mut out)),
        Some(("check", check_matches)) => {
            drop(out);
            check::run(check::CheckArgs::from_arg_matches(check_matches)?)
        }
        Some(("progress", _)) => printed(check::progress::print(&mut out)),
        Some((name, lab_matches)) => {
            let lab = labs::find(name).expect("clap only accepts registered labs");
            match lab_matches.subcommand() {
                None if menu::available() => {
                    drop(out);
                    run_from_menu(Some(lab), cli.no_color)
                }
                None => printed(menu::print_summary(lab, &mut out)),
                Some(("guide", _)) => printed(menu::print_guide(lab, &mut out)),
                Some(("answers", _)) => printed(menu::print_answers(lab, &mut out)),
                Some(("starter", starter_matches)) => {
                    let args = check::starter::StarterArgs::from_arg_matches(starter_matches)?;
                    check::starter::write(lab, args, &mut out)
                }
                Some((_, _)) => {
                    drop(out);
                    (lab.run)(lab, lab_matches)
                }
            }
        }
    }
}

/// The menu gives back the command line the student chose; parse and run it.
fn run_from_menu(start: Option<&'static Lab>, no_color: bool) -> anyhow::Result<()> {
    let Some(mut argv) = menu::choose(start)? else {
        return Ok(());
    };
    if no_color {
        argv.push("--no-color".to_string());
    }
    let matches = cli::command().try_get_matches_from(argv)?;
    io::stdout().flush()?;
    run(&matches)
}

/// The error as a sentence. Socket errors a lab did not explain itself are put into
/// words by `hint::describe`, so no bare `os error 104` reaches a student.
fn explain(err: &anyhow::Error) -> String {
    err.chain()
        .map(|cause| match cause.downcast_ref::<io::Error>() {
            Some(io_err) => hint::describe(io_err),
            None => cause.to_string(),
        })
        .collect::<Vec<_>>()
        .join(": ")
}

/// `lab list | head -1`: the reader left early. That is a normal end, not an error.
fn printed(result: io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
