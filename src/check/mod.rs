//! `lab check N server|client -- CMD...`: the student's own program, checked stage by
//! stage against the lab's protocol.
//!
//! The runner is here: it starts the student's program (`program.rs`) on a free
//! port, plays the other side through a [`Session`] (`session.rs`), runs the stages
//! in order, shows a failure with the bytes expected and received (`diff.rs`) and
//! the program's own output, prints `--json` for scripts, and records the passes
//! (`progress.rs`).
//!
//! What a student reads is said in English or Chinese (`lang::pick`, `tr!`): stage
//! names, failures, hints, the summary. Stage ids, `--json`'s keys, the bytes and the
//! socket calls stay as they are in both. A lab file passes [`Session`] noun phrases
//! in both languages (`pick("the reply", "回复")`), which its sentences take in:
//! `the checker waited 3.0 s for the reply`, `检查程序等了 3.0 秒，没等到回复`.
//!
//! The stages themselves are the labs' protocols written down, one file per lab
//! (`lab1.rs`, ...), apart from `src/labs/` so that a lab's listing stays a plain
//! server and client. A lab joins `lab check` with one file and one line in
//! [`plan_for`].

use std::thread;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use colored::Colorize;

use crate::labs::{self, Lab};
use crate::lang::{pick, tr};
use crate::term::{self, say};

mod class;
mod diff;
mod lab1;
mod lab2;
mod lab3;
mod lab4;
mod lab5;
mod lab6;
mod lab7;
mod program;
pub mod progress;
mod session;
pub mod starter;

use program::Stream;
use session::shown_command;
pub use session::{contains, Session};

/// The host every check uses: the student's program and the checker meet on loopback.
pub const HOST: &str = "127.0.0.1";

/// How long a server under check may take to start listening and accept.
pub(crate) const READY_SECS: f64 = 10.0;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The lab to check against: its number or its slug (`1`, `echo`)
    #[arg(value_name = "LAB")]
    lab: String,

    /// Which of your programs: `server` (the checker connects to it) or `client`
    /// (the checker plays the server and types into your client)
    #[arg(value_enum, value_name = "ROLE")]
    role: Role,

    /// Run every stage, even after one failed (normally the first failure ends the run)
    #[arg(long)]
    keep_going: bool,

    /// Show your program's output for the stages that pass too
    #[arg(long)]
    verbose: bool,

    /// Print one JSON object with every stage's result (for scripts and instructors)
    #[arg(long)]
    json: bool,

    /// Check a whole class: run the check once per folder in DIR (in name order, one
    /// student at a time), with `{dir}` in CMD replaced by that folder, which is also
    /// the program's working directory; prints a table. Exit code 0 only if every
    /// student passed every stage, 1 otherwise. Never records progress
    #[arg(long, value_name = "DIR")]
    class: Option<std::path::PathBuf>,

    /// With --class: print the table as CSV, for a gradebook
    #[arg(long, requires = "class", conflicts_with = "json")]
    csv: bool,

    /// Multiply every timeout by N, for a slow machine (`--slow 3`; 0.5 halves them)
    #[arg(long, value_name = "N", default_value_t = 1.0, value_parser = parse_slow)]
    slow: f64,

    /// Your program and its arguments, after `--`. `{port}` and `{host}` are replaced
    /// by the port and host the checker chose (also in LAB_PORT and LAB_HOST)
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

fn parse_slow(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if (0.1..=100.0).contains(&n) => Ok(n),
        _ => Err("a factor from 0.1 to 100, such as 2 or 0.5".to_string()),
    }
}

/// Which side the student wrote.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Server,
    Client,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Server => "server",
            Role::Client => "client",
        }
    }

    /// The role in a sentence: `server`, `服务器`.
    pub fn noun(self) -> &'static str {
        match self {
            Role::Server => pick("server", "服务器"),
            Role::Client => pick("client", "客户端"),
        }
    }
}

/// One stage: one behaviour of the protocol.
pub struct Stage {
    /// A stable English id (`exit-closes`), for `--json` and the progress file.
    pub id: &'static str,
    /// What the stage checks, in a few words.
    pub name: &'static str,
    pub run: fn(&mut Session) -> Outcome,
}

pub type Outcome = Result<(), Failure>;

/// The stages for one run of the program. Most labs have one run; lab 2 runs the
/// program once per encoding, with `{encoding}` filled in.
pub struct Run {
    /// `utf-8`: shown before the run's stages and in front of their ids.
    pub label: Option<String>,
    /// Placeholders and their values: `("encoding", "gbk")` fills `{encoding}` and sets
    /// `LAB_ENCODING`.
    pub vars: Vec<(&'static str, String)>,
    pub stages: Vec<Stage>,
}

pub struct Plan {
    pub runs: Vec<Run>,
}

impl Plan {
    /// One run, no placeholders.
    pub fn single(stages: Vec<Stage>) -> Plan {
        Plan {
            runs: vec![Run {
                label: None,
                vars: Vec::new(),
                stages,
            }],
        }
    }

    pub fn total(&self) -> usize {
        self.runs.iter().map(|run| run.stages.len()).sum()
    }

    /// Every stage's full id (`utf-8/split-character` in a labelled run).
    pub fn ids(&self) -> Vec<String> {
        self.runs
            .iter()
            .flat_map(|run| run.stages.iter().map(|stage| full_id(run, stage)))
            .collect()
    }
}

fn full_id(run: &Run, stage: &Stage) -> String {
    match &run.label {
        Some(label) => format!("{label}/{}", stage.id),
        None => stage.id.to_string(),
    }
}

/// The stages of lab `number`'s role, if that lab has a check.
pub fn plan_for(number: u8, role: Role) -> Option<Plan> {
    match number {
        1 => Some(lab1::plan(role)),
        2 => Some(lab2::plan(role)),
        3 => Some(lab3::plan(role)),
        4 => Some(lab4::plan(role)),
        5 => Some(lab5::plan(role)),
        6 => Some(lab6::plan(role)),
        7 => Some(lab7::plan(role)),
        _ => None,
    }
}

/// Why a stage failed.
#[derive(Debug, Default)]
pub struct Failure {
    /// What went wrong, in a sentence.
    pub what: String,
    pub expected: Option<Vec<u8>>,
    pub received: Option<Vec<u8>>,
    /// The likely mistake and the lab that explains it.
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(what: impl Into<String>) -> Failure {
        Failure {
            what: what.into(),
            ..Failure::default()
        }
    }

    /// What was expected, when the failure already holds what was received.
    pub fn expected(mut self, expected: &[u8]) -> Failure {
        if self.received.is_some() {
            self.expected = Some(expected.to_vec());
        }
        self
    }

    pub fn bytes(mut self, expected: &[u8], received: &[u8]) -> Failure {
        self.expected = Some(expected.to_vec());
        self.received = Some(received.to_vec());
        self
    }

    /// Adds the hint, unless one is set already.
    pub fn hint(mut self, lab: u8, text: &str) -> Failure {
        if self.hint.is_none() {
            self.hint = Some(tr!(
                "{text} (see lab {lab}: `lab {lab} guide`)",
                "{text}。详见实验 {lab}（`lab {lab} guide`）"
            ));
        }
        self
    }
}

/// `.map_err(hint(1, "..."))`: the stage's hint on whatever failure a step returns.
pub fn hint(lab: u8, text: &'static str) -> impl Fn(Failure) -> Failure {
    move |failure| failure.hint(lab, text)
}

// ---------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------

/// One stage's result, for the summary, `--json` and the progress file.
struct StageResult {
    id: String,
    name: &'static str,
    passed: bool,
    detail: String,
    /// The failure in one sentence (empty if passed), for `--class`.
    reason: String,
}

/// `lab check ...`: runs the stages and exits with 0 (all passed), 1 (one failed) or
/// 2 (the command line was wrong, or the program could not be started).
pub fn run(args: CheckArgs) -> ! {
    let Some(lab) = labs::find(&args.lab) else {
        usage(&tr!(
            "there is no lab {:?}; `lab list` shows the labs",
            "没有实验 {:?}；`lab list` 会列出所有实验",
            args.lab
        ));
    };
    let Some(plan) = plan_for(lab.number, args.role) else {
        usage(&tr!(
            "lab {} ({}) has no check yet: `lab check` covers labs 1 to 7",
            "实验 {}（{}）还没有检查：`lab check` 只检查实验 1 到 7",
            lab.number,
            lab.slug
        ));
    };
    program::prepare();
    let code = match &args.class {
        Some(dir) => class::run(lab, &args, dir),
        None => run_plan(lab, &args, plan),
    };
    std::process::exit(code)
}

fn usage(message: &str) -> ! {
    eprintln!("{}{message}", error_label());
    std::process::exit(2)
}

/// `error: ` before an error on stderr, as `lab` says it everywhere.
pub(super) fn error_label() -> &'static str {
    pick("error: ", "错误：")
}

/// Runs the plan's stages against the program in `session`; `human` prints each
/// stage's result as it comes. `Err` if the program could not be started at all.
fn run_stages(
    args: &CheckArgs,
    plan: &Plan,
    session: &mut Session,
    human: bool,
) -> Result<Vec<StageResult>, String> {
    let total = plan.total();
    let mut results: Vec<StageResult> = Vec::new();
    let mut stopped = false;
    let mut number = 0;
    'runs: for run in &plan.runs {
        session.vars = run.vars.clone();
        session.stop();
        if human && !stopped {
            if let Some(label) = &run.label {
                say!("-- {label}: {}", run_note(run));
            }
        }
        let mut started_ok = true;
        for stage in &run.stages {
            number += 1;
            let id = full_id(run, stage);
            if stopped {
                results.push(StageResult {
                    id,
                    name: stage.name,
                    passed: false,
                    detail: pick(
                        "not run: an earlier stage failed",
                        "未运行：前面有阶段失败了",
                    )
                    .to_string(),
                    reason: String::new(),
                });
                continue;
            }
            session.begin_stage();
            // The program runs from the first stage of a run on; after a failure
            // (with --keep-going) it is started afresh, so each stage gets a fair try.
            let mut outcome = Ok(());
            if session.program.is_none() || !started_ok {
                outcome = session.start();
                if outcome.is_err() && session.program.is_none() {
                    let failure = outcome.err().unwrap_or_default();
                    session.stop();
                    return Err(failure.what);
                }
                started_ok = true;
            }
            if outcome.is_ok() {
                outcome = (stage.run)(session);
            }
            match outcome {
                Ok(()) => {
                    if human {
                        say!(
                            "{} {number}/{total} {id}{}{}",
                            pick("PASS", "通过").green().bold(),
                            colon(),
                            stage.name
                        );
                        if args.verbose {
                            // What the program printed as the stage ended is
                            // usually on its way still.
                            thread::sleep(Duration::from_millis(50));
                            print_output(session);
                        }
                    }
                    results.push(StageResult {
                        id,
                        name: stage.name,
                        passed: true,
                        detail: String::new(),
                        reason: String::new(),
                    });
                }
                Err(failure) => {
                    let report = failure_report(session, &failure);
                    if human {
                        say!(
                            "{} {number}/{total} {id}{}{}",
                            pick("FAIL", "失败").red().bold(),
                            colon(),
                            stage.name
                        );
                        say!("{}", report.trim_end());
                    }
                    results.push(StageResult {
                        id,
                        name: stage.name,
                        passed: false,
                        detail: strip_ansi(&report),
                        reason: failure.what.clone(),
                    });
                    if args.keep_going {
                        session.stop();
                        started_ok = false;
                    } else {
                        stopped = true;
                    }
                }
            }
        }
        if stopped && !args.keep_going {
            // Record the stages of later runs as not run.
            continue 'runs;
        }
    }
    session.stop();
    Ok(results)
}

fn run_plan(lab: &Lab, args: &CheckArgs, plan: Plan) -> i32 {
    let started = Instant::now();
    let total = plan.total();
    let human = !args.json;
    let mut session = Session::new(args.role, args.slow, args.command.clone());
    session.udp = lab.protocol == labs::Protocol::Udp;
    if human {
        say!(
            "{}",
            tr!(
                "lab check {} {}: {} stages; your program: {}",
                "lab check {} {}：共 {} 个阶段；你的程序：{}",
                lab.number,
                args.role.name(),
                total,
                shown_command(&args.command)
            )
        );
    }
    let results = match run_stages(args, &plan, &mut session, human) {
        Ok(results) => results,
        Err(what) => {
            if human {
                eprintln!("{}{what}", error_label());
            }
            return 2;
        }
    };
    session.stop();
    let passed = results.iter().filter(|r| r.passed).count();
    let seconds = started.elapsed().as_secs_f64();
    let passed_ids: Vec<String> = results
        .iter()
        .filter(|r| r.passed)
        .map(|r| r.id.clone())
        .collect();
    if let Err(err) = progress::record(
        lab.number,
        args.role,
        total,
        &passed_ids,
        &shown_command(&args.command),
    ) {
        eprintln!(
            "{}",
            tr!(
                "note: your progress was not saved: {err}",
                "注意：你的进度没有保存：{err}"
            )
        );
    }
    if args.json {
        let stages: Vec<serde_json::Value> = results
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "name": r.name, "passed": r.passed, "detail": r.detail,
                })
            })
            .collect();
        let object = serde_json::json!({
            "lab": lab.number,
            "role": args.role.name(),
            "command": args.command,
            "stages": stages,
            "passed": passed,
            "total": total,
            "seconds": (seconds * 10.0).round() / 10.0,
        });
        say!("{object}");
    } else if passed == total {
        let done = tr!(
            "all {total} stages passed in {seconds:.1} s: your lab {} {} speaks the protocol.",
            "全部 {total} 个阶段都已通过，用时 {seconds:.1} 秒：你写的实验 {} {}符合协议。",
            lab.number,
            args.role.noun()
        );
        say!("{} {done}", pick("DONE", "完成").green().bold());
    } else {
        say!(
            "{}",
            fill(
                &tr!(
                    "{passed} of {total} stages passed ({seconds:.1} s). Fix the first failure \
                     and run the same command again; `lab progress` remembers what passed.",
                    "{total} 个阶段中通过了 {passed} 个（用时 {seconds:.1} 秒）。先修正第一个\
                     失败的阶段，再运行同一条命令；`lab progress` 会记住已通过的阶段。"
                ),
                "",
                ""
            )
            .trim_end()
        );
    }
    if passed == total {
        0
    } else {
        1
    }
}

fn run_note(run: &Run) -> String {
    let vars: Vec<String> = run
        .vars
        .iter()
        .map(|(name, value)| {
            format!(
                "{{{name}}} = {value}, LAB_{} = {value}",
                name.to_uppercase()
            )
        })
        .collect();
    vars.join("; ")
}

/// What a failed stage prints: what the checker did, what went wrong, the bytes, the
/// program's recent output, the hint.
fn failure_report(session: &Session, failure: &Failure) -> String {
    let mut out = String::new();
    if !session.did.is_empty() {
        out.push_str(pick("  the checker:\n", "  检查程序的操作：\n"));
        for step in &session.did {
            out.push_str(&format!("    - {step}\n"));
        }
    }
    out.push_str(&fill(&failure.what, "  ", "  "));
    match (&failure.expected, &failure.received) {
        // Nothing arrived: the sentence above says so; a diff would add nothing.
        (Some(_), Some(received)) if received.is_empty() => {}
        (Some(expected), Some(received)) => out.push_str(&diff::show(expected, received, "    ")),
        (None, Some(received)) => out.push_str(&format!(
            "    {}{}\n",
            diff::received_label(),
            diff::quoted(received)
        )),
        _ => {}
    }
    let lines = session.output_lines(false, 12);
    if lines.is_empty() {
        out.push_str(pick(
            "  your program printed nothing.\n",
            "  你的程序什么也没有输出。\n",
        ));
    } else {
        out.push_str(pick(
            "  your program's last output:\n",
            "  你的程序最后的输出：\n",
        ));
        out.push_str(&output_text(&lines));
    }
    if let Some(hint) = &failure.hint {
        let label = pick("hint:", "提示：");
        let text = fill(&format!("{label}{}{hint}", pick(" ", "")), "  ", "        ");
        out.push_str(&text.replacen(label, &label.yellow().bold().to_string(), 1));
    }
    out
}

fn output_text(lines: &[(Stream, Vec<u8>)]) -> String {
    lines
        .iter()
        .map(|(stream, line)| {
            let prefix = match stream {
                Stream::Out => pick("    [your program] ", "    [你的程序] "),
                Stream::Err => pick("    [your program, stderr] ", "    [你的程序，stderr] "),
            };
            format!("{prefix}{}\n", term::preview(line, 200))
        })
        .collect()
}

/// `--verbose`: the lines the program finished during the stage.
fn print_output(session: &Session) {
    let lines = session
        .program
        .as_ref()
        .and_then(|p| {
            p.output
                .0
                .lock()
                .ok()
                .map(|c| c.whole_lines_since(session.line_mark))
        })
        .unwrap_or_default();
    let text = output_text(&lines);
    if !text.is_empty() {
        say!("{}", text.trim_end());
    }
}

/// `: ` after a stage's id, `：` in Chinese.
fn colon() -> &'static str {
    pick(": ", "：")
}

/// On a terminal, `text` wrapped to 80 columns (the first line after `first`, the
/// others after `rest`): at spaces, and between Chinese characters; on a pipe, one
/// line.
fn fill(text: &str, first: &str, rest: &str) -> String {
    use std::io::IsTerminal;
    use unicode_width::UnicodeWidthStr;
    if !std::io::stdout().is_terminal() {
        return format!("{first}{text}\n");
    }
    let width = 80 - first.width();
    let hang = rest.width().saturating_sub(first.width());
    term::wrap_to(text, Some(width), hang)
        .lines()
        .map(|line| format!("{first}{line}\n"))
        .collect()
}

/// The report without colour codes, for `--json`.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_in_every_argument() {
        let mut s = Session::new(
            Role::Server,
            1.0,
            vec![
                "python3".into(),
                "x.py".into(),
                "{host}:{port}".into(),
                "{encoding}".into(),
            ],
        );
        s.port = 4242;
        s.vars = vec![("encoding", "gbk".to_string())];
        assert_eq!(s.argv(), ["python3", "x.py", "127.0.0.1:4242", "gbk"]);
    }

    #[test]
    fn every_stage_id_is_unique_within_its_plan() {
        for number in 1..=10 {
            for role in [Role::Server, Role::Client] {
                let Some(plan) = plan_for(number, role) else {
                    continue;
                };
                let ids = plan.ids();
                let mut unique = ids.clone();
                unique.sort();
                unique.dedup();
                assert_eq!(ids.len(), unique.len(), "lab {number} {role:?}: {ids:?}");
            }
        }
    }

    #[test]
    fn every_stage_has_a_correct_and_a_wrong_example_program() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for lab in labs::LABS {
            for role in [Role::Server, Role::Client] {
                let Some(plan) = plan_for(lab.number, role) else {
                    continue;
                };
                let dir = root.join("labs").join(lab.folder()).join("check");
                let name = role.name();
                assert!(
                    dir.join(format!("{name}.py")).is_file(),
                    "{dir:?}: {name}.py"
                );
                for id in plan.ids() {
                    // `gbk/split` is proven by the same program as `utf-8/split`.
                    let stage = id.rsplit('/').next().unwrap_or(&id);
                    let wrong = dir.join(format!("{name}_wrong_{stage}.py"));
                    assert!(wrong.is_file(), "lab {}: no {wrong:?}", lab.number);
                }
            }
        }
    }

    #[test]
    fn colour_codes_are_stripped_for_json() {
        assert_eq!(strip_ansi("\x1b[1;31mFAIL\x1b[0m x"), "FAIL x");
    }

    #[test]
    fn slow_must_be_a_sensible_factor() {
        assert_eq!(parse_slow("2"), Ok(2.0));
        assert_eq!(parse_slow("0.5"), Ok(0.5));
        assert!(parse_slow("0").is_err());
        assert!(parse_slow("x").is_err());
    }
}
