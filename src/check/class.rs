//! `lab check N ROLE --class DIR -- CMD...`: the check, once per student. Each folder
//! in DIR is one student's work; `{dir}` in CMD becomes that folder, which is also the
//! program's working directory. Students are checked one at a time (a check uses
//! ports and timing; two at once would slow each other into false failures), and
//! each program, with everything it started, is ended before the next one starts.
//! The result is a table, or `--json` / `--csv` for a gradebook. Progress is never
//! recorded: that file is the student's own.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{error_label, plan_for, run_stages, CheckArgs, Session};
use crate::labs::{self, Lab};
use crate::lang::{pick, tr};
use crate::term::{safe_str, say};

/// One student's result.
struct Row {
    student: String,
    passed: usize,
    total: usize,
    /// The first stage that failed and why, in one sentence.
    first_failed: Option<(String, String)>,
    seconds: f64,
    stages: Vec<serde_json::Value>,
}

/// Checks every student; returns the exit code (0: all passed every stage).
pub(super) fn run(lab: &Lab, args: &CheckArgs, dir: &Path) -> i32 {
    let students = match students(dir) {
        Ok(students) if !students.is_empty() => students,
        Ok(_) => {
            eprintln!(
                "{}{}",
                error_label(),
                tr!(
                    "{} holds no folders: --class wants one folder per student",
                    "{} 里没有文件夹：--class 要求每个学生一个文件夹",
                    safe_str(&dir.display().to_string())
                )
            );
            return 2;
        }
        Err(err) => {
            let why = if err.kind() == std::io::ErrorKind::NotFound {
                pick("there is no such folder", "没有这个文件夹").to_string()
            } else {
                crate::hint::describe(&err)
            };
            eprintln!(
                "{}{}",
                error_label(),
                tr!(
                    "cannot read the class folder {}: {why}",
                    "无法读取班级文件夹 {}：{why}",
                    safe_str(&dir.display().to_string())
                )
            );
            return 2;
        }
    };
    let table = !args.json && !args.csv;
    let chatty = !table && std::io::stderr().is_terminal();
    if table {
        say!(
            "{}",
            tr!(
                "lab check {} {} --class {}: {} students, one at a time; program: {}",
                "lab check {} {} --class {}：共 {} 名学生，逐个检查；程序：{}",
                lab.number,
                args.role.name(),
                safe_str(&dir.display().to_string()),
                students.len(),
                super::shown_command(&args.command)
            )
        );
        say!("{}", header());
    }
    let mut rows = Vec::new();
    for (number, (name, folder)) in students.iter().enumerate() {
        if chatty {
            eprintln!(
                "{}",
                tr!(
                    "checking {} ({}/{})",
                    "正在检查 {}（{}/{}）",
                    safe_str(name),
                    number + 1,
                    students.len()
                )
            );
        }
        let row = check_one(lab, args, name, folder);
        if table {
            say!("{}", line(&row));
        }
        rows.push(row);
    }
    let all = rows.iter().filter(|r| r.passed == r.total).count();
    if args.json {
        say!("{}", json(lab, args, dir, &rows));
    } else if args.csv {
        print!("{}", csv(&rows));
    } else {
        say!(
            "{}",
            tr!(
                "{all} of {} students passed every stage (details: the same check without \
                 --class).",
                "{} 名学生中有 {all} 名通过了所有阶段（详情：去掉 --class 再运行同一个检查）。",
                rows.len()
            )
        );
    }
    if all == rows.len() {
        0
    } else {
        1
    }
}

/// The sub-folders of `dir`, by name (hidden ones left out), as (name, absolute path).
fn students(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    // Absolute, because each program runs in its own folder; not canonicalize(),
    // which on Windows gives `\\?\C:\...` paths that some programs reject.
    let dir = std::path::absolute(dir)?;
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            )
        })
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    found.sort();
    Ok(found)
}

/// One student's check, silent, in their folder, with `{dir}` filled in.
fn check_one(lab: &Lab, args: &CheckArgs, name: &str, folder: &Path) -> Row {
    let started = Instant::now();
    let shown = folder.display().to_string();
    let command: Vec<String> = args
        .command
        .iter()
        .map(|arg| arg.replace("{dir}", &shown))
        .collect();
    let plan = plan_for(lab.number, args.role).expect("the plan was found before");
    let total = plan.total();
    let mut session = Session::new(args.role, args.slow, command);
    session.udp = lab.protocol == labs::Protocol::Udp;
    session.cwd = Some(folder.to_path_buf());
    let (passed, first_failed, stages) = match run_stages(args, &plan, &mut session, false) {
        Ok(results) => {
            let passed = results.iter().filter(|r| r.passed).count();
            let first = results
                .iter()
                .find(|r| !r.passed && !r.reason.is_empty())
                .map(|r| (r.id.clone(), r.reason.clone()));
            let stages = results
                .iter()
                .map(|r| serde_json::json!({"id": r.id, "passed": r.passed, "reason": r.reason}))
                .collect();
            (passed, first, stages)
        }
        Err(what) => (0, Some(("start".to_string(), what)), Vec::new()),
    };
    Row {
        student: name.to_string(),
        passed,
        total,
        first_failed,
        seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        stages,
    }
}

const NAME: usize = 16;
const SCORE: usize = 6;
const SECS: usize = 6;
/// The whole line fits in 80 columns.
const WIDTH: usize = 80;

fn header() -> String {
    let secs = pick("secs", "秒");
    format!(
        "{} {} {} {}{secs}",
        fit(pick("student", "学生"), NAME),
        fit(pick("passed", "通过"), SCORE),
        fit(
            pick("first failed stage: why", "第一个失败的阶段：原因"),
            WIDTH - NAME - SCORE - SECS - 3
        ),
        // Right-aligned by columns: `{:>6}` would count a Chinese character as one.
        " ".repeat(SECS.saturating_sub(secs.width()))
    )
}

fn line(row: &Row) -> String {
    let failed = match &row.first_failed {
        Some((id, why)) => format!("{id}{}{}", pick(": ", "："), safe_str(why)),
        None => "-".to_string(),
    };
    format!(
        "{} {} {} {:>SECS$.1}",
        fit(&safe_str(&row.student), NAME),
        fit(&format!("{}/{}", row.passed, row.total), SCORE),
        fit(&failed, WIDTH - NAME - SCORE - SECS - 3),
        row.seconds
    )
}

/// `text` cut (with `…`) or padded to exactly `width` columns.
fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return format!("{text}{}", " ".repeat(width - text.width()));
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    used += 1;
    format!("{out}{}", " ".repeat(width - used))
}

fn json(lab: &Lab, args: &CheckArgs, dir: &Path, rows: &[Row]) -> serde_json::Value {
    let students: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let (stage, reason) = match &row.first_failed {
                Some((id, why)) => (Some(id.clone()), Some(why.clone())),
                None => (None, None),
            };
            serde_json::json!({
                "student": row.student,
                "passed": row.passed,
                "total": row.total,
                "first_failed": stage,
                "reason": reason,
                "seconds": row.seconds,
                "stages": row.stages,
            })
        })
        .collect();
    serde_json::json!({
        "lab": lab.number,
        "role": args.role.name(),
        "class": dir.display().to_string(),
        "command": args.command,
        "students": students,
    })
}

fn csv(rows: &[Row]) -> String {
    let mut out = String::from("student,passed,total,first_failed,reason,seconds\n");
    for row in rows {
        let (stage, reason) = match &row.first_failed {
            Some((id, why)) => (id.as_str(), why.as_str()),
            None => ("", ""),
        };
        out.push_str(&format!(
            "{},{},{},{},{},{:.1}\n",
            field(&row.student),
            row.passed,
            row.total,
            field(stage),
            field(reason),
            row.seconds
        ));
    }
    out
}

/// One CSV field: quoted when it holds a comma or a quote; a leading
/// `=`, `+`, `-` or `@` is defused, so a spreadsheet never runs a folder name as a
/// formula.
fn field(text: &str) -> String {
    // Control characters (a folder named with an ESC) shown escaped, as everywhere.
    let mut text = safe_str(&text.replace(['\r', '\n'], " "));
    if text.starts_with(['=', '+', '-', '@']) {
        text.insert(0, '\'');
    }
    if text.contains([',', '"']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("amy"), "amy");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(field("two\nlines"), "two lines");
        assert_eq!(field("a\x1bb"), "a\\eb");
    }

    #[test]
    fn cells_are_cut_or_padded_to_their_width_in_columns() {
        assert_eq!(fit("amy", 5), "amy  ");
        assert_eq!(fit("abcdefgh", 5), "abcd…");
        assert_eq!(fit("张三李四王五", 7).width(), 7);
        let row = Row {
            student: "a-very-long-student-folder-name".into(),
            passed: 3,
            total: 6,
            first_failed: Some(("exit".into(), "timed out: ".repeat(20))),
            seconds: 12.3,
            stages: Vec::new(),
        };
        assert_eq!(line(&row).width(), WIDTH);
        assert_eq!(header().width(), WIDTH);
    }
}
