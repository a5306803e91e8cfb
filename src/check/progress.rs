//! What the student has passed: each passed stage of `lab check` is written to a
//! small JSON file in the user's data directory (`dirs::data_dir()`, such as
//! `~/.local/share/socket-lab/` on Linux, `%APPDATA%\socket-lab\` on Windows, or
//! `$SOCKET_LAB_HOME` when set). A failure never erases a pass: passes only add up.
//!
//! `lab progress` prints it as a table, with what to do next.

use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use serde_json::{json, Map, Value};
use unicode_width::UnicodeWidthStr;

use super::{plan_for, Role};
use crate::labs::LABS;
use crate::lang::{pick, tr};
use crate::term;

/// Where the progress file lives.
pub fn file() -> Option<PathBuf> {
    let dir = match std::env::var_os("SOCKET_LAB_HOME") {
        Some(home) if !home.is_empty() => PathBuf::from(home),
        _ => dirs::data_dir()?.join("socket-lab"),
    };
    Some(dir.join("progress.json"))
}

fn key(lab: u8, role: Role) -> String {
    format!("{lab} {}", role.name())
}

fn load() -> Map<String, Value> {
    let Some(path) = file() else {
        return Map::new();
    };
    let Ok(text) = fs::read_to_string(path) else {
        return Map::new();
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Adds this run's passes to the file.
pub fn record(
    lab: u8,
    role: Role,
    total: usize,
    passed: &[String],
    command: &str,
) -> Result<(), String> {
    let path = file().ok_or(pick(
        "no data directory was found (set SOCKET_LAB_HOME)",
        "找不到数据目录（请设置 SOCKET_LAB_HOME）",
    ))?;
    let mut all = load();
    let entry = all
        .entry(key(lab, role))
        .or_insert_with(|| json!({ "passed": [] }));
    let mut ids: Vec<String> = entry["passed"]
        .as_array()
        .map(|ids| {
            ids.iter()
                .filter_map(|id| id.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    for id in passed {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    *entry = json!({
        "passed": ids,
        "total": total,
        "last_run": chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
        "last_run_passed": passed.len(),
        "command": command,
    });
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&Value::Object(all)).map_err(|e| e.to_string())?;
    // Write a new file and rename it over the old one, so that two checks finishing
    // at once never leave half a file.
    let fresh = path.with_extension(format!("json.{}", std::process::id()));
    fs::write(&fresh, text).map_err(|err| format!("{}: {err}", fresh.display()))?;
    fs::rename(&fresh, &path).map_err(|err| format!("{}: {err}", path.display()))
}

/// One row of the table.
pub struct Row {
    pub lab: u8,
    pub role: Role,
    pub passed: usize,
    pub total: usize,
    pub last_run: Option<String>,
    /// The first stage not passed yet.
    pub next_stage: Option<String>,
    pub command: Option<String>,
}

/// Every lab and role that has a check, with what was passed.
pub fn rows() -> Vec<Row> {
    let all = load();
    let mut rows = Vec::new();
    for lab in LABS {
        for role in [Role::Server, Role::Client] {
            let Some(plan) = plan_for(lab.number, role) else {
                continue;
            };
            let entry = all.get(&key(lab.number, role));
            let passed_ids: Vec<&str> = entry
                .and_then(|e| e["passed"].as_array())
                .map(|ids| ids.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let ids = plan.ids();
            let passed = ids
                .iter()
                .filter(|id| passed_ids.contains(&id.as_str()))
                .count();
            rows.push(Row {
                lab: lab.number,
                role,
                passed,
                total: ids.len(),
                last_run: entry.and_then(|e| e["last_run"].as_str().map(String::from)),
                next_stage: ids
                    .into_iter()
                    .find(|id| !passed_ids.contains(&id.as_str())),
                command: entry.and_then(|e| e["command"].as_str().map(String::from)),
            });
        }
    }
    rows
}

impl Row {
    /// What to do next, in a few words.
    pub fn next(&self) -> String {
        match (&self.last_run, &self.next_stage) {
            (_, None) => pick("done", "已完成").to_string(),
            (None, _) => format!(
                "lab {} starter{}",
                self.lab,
                if self.role == Role::Client {
                    " --role client"
                } else {
                    ""
                }
            ),
            (Some(_), Some(stage)) => tr!("make stage `{stage}` pass", "让阶段 `{stage}` 通过"),
        }
    }
}

/// `text` padded with spaces to `width` display columns (a Chinese character takes
/// two), on the left (`right`: the text ends at the column's edge) or on the right.
fn pad(text: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(text.width()));
    if right {
        format!("{fill}{text}")
    } else {
        format!("{text}{fill}")
    }
}

/// `lab progress`.
pub fn print(out: &mut impl Write) -> io::Result<()> {
    let rows = rows();
    let headers = [
        pick("lab", "实验"),
        pick("role", "角色"),
        pick("passed", "通过"),
        pick("last run", "上次运行"),
        pick("next", "下一步"),
    ];
    // Each column as wide as its header or its widest value: `lab  role    passed ...`.
    let widths: Vec<usize> = [3, 6, 6, 16, 0]
        .iter()
        .zip(headers)
        .map(|(&w, header)| w.max(header.width()))
        .collect();
    let line = |cells: [String; 5]| {
        format!(
            "{}  {}  {}  {}  {}",
            pad(&cells[0], widths[0], true),
            pad(&cells[1], widths[1], false),
            pad(&cells[2], widths[2], true),
            pad(&cells[3], widths[3], false),
            cells[4]
        )
    };
    writeln!(out, "{}", line(headers.map(String::from)))?;
    for row in &rows {
        writeln!(
            out,
            "{}",
            line([
                row.lab.to_string(),
                row.role.name().to_string(),
                format!("{}/{}", row.passed, row.total),
                row.last_run
                    .clone()
                    .unwrap_or_else(|| pick("never", "从未").to_string()),
                row.next(),
            ])
        )?;
    }
    writeln!(out)?;
    let latest = rows
        .iter()
        .filter(|row| row.last_run.is_some() && row.next_stage.is_some())
        .max_by_key(|row| row.last_run.clone());
    match latest {
        Some(row) => writeln!(
            out,
            "{}",
            tr!(
                "Run it again: lab check {} {} -- {}",
                "再运行一次：lab check {} {} -- {}",
                row.lab,
                row.role.name(),
                row.command.as_deref().unwrap_or("CMD")
            )
        )?,
        None => match rows.iter().find(|row| row.next_stage.is_some()) {
            Some(row) => {
                let (lab, role) = (row.lab, row.role.name());
                let label = pick("Next: ", "下一步：");
                let then = pick(", then", "，然后运行");
                let end = pick(".", "。");
                writeln!(out, "{label}`{}`{then}", row.next())?;
                writeln!(
                    out,
                    "{}`lab check {lab} {role} -- python3 lab{lab}_{role}.py {{port}}`{end}",
                    " ".repeat(label.width())
                )?
            }
            None => writeln!(
                out,
                "{}",
                pick(
                    "Every check passed. Well done.",
                    "所有检查都通过了，干得好！"
                )
            )?,
        },
    }
    match file() {
        Some(path) => writeln!(
            out,
            "{}",
            tr!("(kept in {})", "（记录保存在 {}）", path.display())
        ),
        None => Ok(()),
    }
}

/// One line for the menu: `lab check: 9 of 40 stages passed (lab 1 server done)`.
pub fn summary() -> String {
    let rows = rows();
    let passed: usize = rows.iter().map(|r| r.passed).sum();
    let total: usize = rows.iter().map(|r| r.total).sum();
    let done: Vec<String> = rows
        .iter()
        .filter(|r| r.next_stage.is_none())
        .map(|r| format!("lab {} {}", r.lab, r.role.name()))
        .collect();
    let start = tr!(
        "your programs: {passed} of {total} check stages passed",
        "你的程序：{total} 个检查阶段中已通过 {passed} 个"
    );
    let more = pick("; `lab progress` shows more", "；`lab progress` 显示详情");
    // The menu shows this in one line under the labs: the programs done by name if
    // they fit in it, else how many.
    let width = term::width_of(term::Out::Stdout)
        .unwrap_or(80)
        .saturating_sub(2);
    let named = done.join(pick(", ", "、"));
    let counted = done.len();
    let candidates = [
        tr!(" ({named} done)", "（{named} 已完成）"),
        tr!(" ({counted} done)", "（{counted} 个已完成）"),
    ];
    let done = match counted {
        0 => String::new(),
        _ => candidates
            .iter()
            .find(|done| (start.clone() + done + more).width() <= width)
            .unwrap_or(&candidates[1])
            .clone(),
    };
    start + &done + more
}
