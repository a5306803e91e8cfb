//! The helpers every `lab check` test shares: python3 or a skip, temporary folders,
//! a bound on how many `lab` runs go at once, and running every example program of a
//! lab's check folder (labs/NN-slug/check/).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::lab_binary;

pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// True if python3 runs here; otherwise says why the test is skipped.
pub(crate) fn have_python(test: &str) -> bool {
    let ok = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIPPED {test}: python3 is not installed, so the example programs cannot run");
    }
    ok
}

/// A fresh empty folder for one test (progress file, starters), removed when the
/// test ends.
pub(crate) struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn temp_dir(name: &str) -> TempDir {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "socket-lab-check-{}-{name}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    TempDir(dir)
}

/// At most this many `lab` runs at once in this test binary: most of them wait for a
/// wrong program's timeout, but a loaded two-core machine starts fifty Python programs
/// at once very slowly, and then every timeout is short.
pub(crate) const AT_ONCE: usize = 24;

/// A slot among the [`AT_ONCE`], held until dropped. The example programs' runs
/// (a hundred, queued at once) take theirs after the other tests' runs, which then
/// wait for a slot no longer than one run lasts, and the longest first (by rank), so
/// that the last to start ends soon after the others.
pub(crate) struct Slot;

/// Runs holding a slot, other tests' runs waiting for one, and the ranks of the
/// example programs' runs waiting for one.
struct Slots {
    running: usize,
    waiting_first: usize,
    waiting_ranks: Vec<u32>,
}

static SLOTS: (Mutex<Slots>, Condvar) = (
    Mutex::new(Slots {
        running: 0,
        waiting_first: 0,
        waiting_ranks: Vec::new(),
    }),
    Condvar::new(),
);

impl Slot {
    /// `rank`: None for another test's run, else an example program's run's rank
    /// (higher goes first).
    fn take(rank: Option<u32>) -> Slot {
        let (slots, freed) = &SLOTS;
        let mut state = slots.lock().unwrap_or_else(|e| e.into_inner());
        match rank {
            None => state.waiting_first += 1,
            Some(rank) => state.waiting_ranks.push(rank),
        }
        let must_wait = |state: &Slots| {
            state.running >= AT_ONCE
                || rank.is_some_and(|rank| {
                    state.waiting_first > 0 || state.waiting_ranks.iter().any(|&r| r > rank)
                })
        };
        while must_wait(&state) {
            state = freed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        match rank {
            None => state.waiting_first -= 1,
            Some(rank) => {
                let at = state.waiting_ranks.iter().position(|&r| r == rank).unwrap();
                state.waiting_ranks.swap_remove(at);
            }
        }
        state.running += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let (slots, freed) = &SLOTS;
        slots.lock().unwrap_or_else(|e| e.into_inner()).running -= 1;
        freed.notify_all();
    }
}

/// `lab --lang zh check LAB ROLE --slow 3 -- python3 PROGRAM {port} EXTRA...`: a
/// program checked in Chinese.
pub(crate) fn check_in_chinese(
    lab_number: &str,
    role: &str,
    program: &Path,
    extra: &[&str],
    home: &Path,
) -> Output {
    let args = ["--lang", "zh", "check", lab_number, role, "--slow", "3"];
    check_python(&args, program, extra, home)
}

/// `lab ARGS -- python3 PROGRAM {port} EXTRA...`: a Python program under `lab check`.
pub(crate) fn check_python(args: &[&str], program: &Path, extra: &[&str], home: &Path) -> Output {
    let program = program.to_string_lossy();
    let mut args = args.to_vec();
    args.extend(["--", "python3", &program, "{port}"]);
    args.extend_from_slice(extra);
    lab(&args, home)
}

/// Runs `lab ARGS` to the end (with a generous bound), colours off, in English unless
/// ARGS say `--lang zh`, progress kept in `home`.
pub(crate) fn lab(args: &[&str], home: &Path) -> Output {
    run_lab(args, home, None)
}

/// [`lab`], with a rank for an example program's run (see [`Slot::take`]).
fn run_lab(args: &[&str], home: &Path, rank: Option<u32>) -> Output {
    let _slot = Slot::take(rank);
    let mut child = Command::new(lab_binary())
        .args(args)
        .env("NO_COLOR", "1")
        .env("LC_ALL", "C.UTF-8")
        .env("SOCKET_LAB_HOME", home)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lab starts");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "lab {args:?} did not end within 90 s:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// An example program's run's rank among the others: its `--slow` factor, which
/// [`check_examples`]'s callers choose by how long the run waits (the correct program
/// passes every stage; the wrong ones that hang wait for a timeout; those that never
/// listen or connect fail at once, after a short start-up wait).
fn rank(slow: &str) -> u32 {
    (slow.parse::<f64>().expect("a --slow factor") * 10.0) as u32
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Checks every example program in labs/NN-slug/check/ for `role`, all at once;
/// returns what went wrong.
pub(crate) fn check_examples(
    folder: &str,
    lab_number: &str,
    role: &str,
    slow_for: fn(Option<&str>) -> &'static str,
) -> Vec<String> {
    let dir = root().join("labs").join(folder).join("check");
    let mut programs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the check folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(role) && name.ends_with(".py")
        })
        .collect();
    programs.sort();
    assert!(
        programs.len() > 2,
        "{folder}: a correct program and wrong ones"
    );
    let home = temp_dir(&format!("{lab_number}-{role}"));
    let handles: Vec<_> = programs
        .into_iter()
        .map(|program| {
            let home = home.to_path_buf();
            let lab_number = lab_number.to_string();
            let role = role.to_string();
            thread::spawn(move || {
                let name = program.file_name().unwrap().to_string_lossy().into_owned();
                let wrong_stage = name
                    .strip_suffix(".py")
                    .and_then(|n| n.split_once("_wrong_"))
                    .map(|(_, stage)| stage.to_string());
                // Wrong programs that hang are caught by a timeout: keep those short.
                // A program that never listens on (or connects to) its port is only
                // caught by the 10 s start-up wait: shorten it for those alone.
                // Generous factors elsewhere: a loaded two-core machine is slow.
                let slow = slow_for(wrong_stage.as_deref());
                let path = program.to_string_lossy().into_owned();
                let out = run_lab(
                    &[
                        "check",
                        &lab_number,
                        &role,
                        "--json",
                        "--slow",
                        slow,
                        "--",
                        "python3",
                        &path,
                        "{port}",
                    ],
                    &home,
                    Some(rank(slow)),
                );
                (name, wrong_stage, out)
            })
        })
        .collect();
    let mut problems = Vec::new();
    for handle in handles {
        let (name, wrong_stage, out) = handle.join().expect("the check thread");
        let json: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(json) => json,
            Err(_) => {
                problems.push(format!(
                    "{name}: no JSON:\n{}\n{}",
                    text(&out.stdout),
                    text(&out.stderr)
                ));
                continue;
            }
        };
        let stages = json["stages"].as_array().expect("stages");
        let failed: Vec<&str> = stages
            .iter()
            .filter(|s| s["passed"] == false)
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        match wrong_stage {
            None => {
                // The JSON object names the run.
                assert_eq!(
                    json["lab"].as_u64().map(|n| n.to_string()),
                    Some(lab_number.to_string())
                );
                assert_eq!(json["role"], role);
                assert_eq!(json["command"][0], "python3");
                assert_eq!(json["command"][2], "{port}");
                assert_eq!(json["total"].as_u64(), Some(stages.len() as u64));
                assert!(json["seconds"].as_f64().is_some());
                assert!(stages
                    .iter()
                    .all(|s| s["name"].is_string() && s["id"].is_string()));
                if out.status.code() != Some(0)
                    || !failed.is_empty()
                    || json["passed"] != json["total"]
                {
                    problems.push(format!(
                        "{name} should pass every stage; failed {failed:?}:\n{json:#}"
                    ));
                }
            }
            Some(stage) => {
                // In a check that runs once per encoding, the stage may be `gbk/STAGE`.
                let first_failed = stages.iter().position(|s| s["passed"] == false);
                let meant = first_failed.filter(|&at| {
                    let id = stages[at]["id"].as_str().unwrap();
                    id == stage || id.ends_with(&format!("/{stage}"))
                });
                match meant {
                    Some(at) if out.status.code() == Some(1) => {
                        let detail = stages[at]["detail"].as_str().unwrap();
                        if !detail.contains("hint:") {
                            problems.push(format!("{name}: no hint at `{stage}`:\n{detail}"));
                        }
                    }
                    _ => problems.push(format!(
                        "{name} should first fail at `{stage}`, failed {failed:?}:\n{json:#}"
                    )),
                }
            }
        }
    }
    problems
}
