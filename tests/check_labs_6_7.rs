//! `lab check` for labs 6 and 7: the correct example program of each role passes
//! every stage; each wrong one (labs/NN-slug/check/ROLE_wrong_STAGE.py) fails at
//! STAGE, with a hint. Our own `lab 6 server`, `lab 6 client` and
//! `lab 7 server --echo` pass their lab's check.
//!
//! The example programs are Python: where python3 is missing these tests say so and
//! pass without running.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::lab_binary;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// True if python3 runs here; otherwise says why the test is skipped.
fn have_python(test: &str) -> bool {
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
struct TempDir(PathBuf);

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

fn temp_dir(name: &str) -> TempDir {
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

/// At most this many `lab` runs at once in this file: a loaded two-core machine
/// starts fifty Python programs at once very slowly, and then every timeout is short.
/// Most runs here spend their time waiting for a wrong program's timeout, so more
/// of them share the machine than in tests/check.rs.
const AT_ONCE: usize = 14;

/// A slot among the [`AT_ONCE`], held until dropped.
struct Slot;

static SLOTS: (Mutex<usize>, Condvar) = (Mutex::new(0), Condvar::new());

impl Slot {
    fn take() -> Slot {
        let (count, freed) = &SLOTS;
        let mut running = count.lock().unwrap_or_else(|e| e.into_inner());
        while *running >= AT_ONCE {
            running = freed.wait(running).unwrap_or_else(|e| e.into_inner());
        }
        *running += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let (count, freed) = &SLOTS;
        *count.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        freed.notify_one();
    }
}

/// Runs `lab ARGS` to the end (with a generous bound), colours off, progress kept in
/// `home`.
fn lab(args: &[&str], home: &Path) -> Output {
    let _slot = Slot::take();
    let mut child = Command::new(lab_binary())
        .args(args)
        .env("NO_COLOR", "1")
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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Checks every example program in labs/NN-slug/check/ for `role`, all at once;
/// returns what went wrong.
fn check_examples(folder: &str, lab_number: &str, role: &str) -> Vec<String> {
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
                let slow = match wrong_stage.as_deref() {
                    None => "4",
                    Some("accept" | "connect") => "0.5",
                    Some(_) => "3",
                };
                let path = program.to_string_lossy().into_owned();
                let out = lab(
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

/// Labs 6 and 7, both roles, at once (bounded by [`AT_ONCE`]): the correct program
/// passes every stage, each wrong one fails at its own.
#[test]
fn every_lab_6_and_7_example_program_passes_or_fails_where_it_should() {
    if !have_python("every_lab_6_and_7_example_program") {
        return;
    }
    let sets = [("06-chat-room", "6"), ("07-framing", "7")];
    let handles: Vec<_> = sets
        .iter()
        .flat_map(|&(folder, lab)| {
            ["server", "client"]
                .map(|role| thread::spawn(move || check_examples(folder, lab, role)))
        })
        .collect();
    let problems: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("a set of checks"))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Our own roles speak the tasks' protocols: `lab 6 server`, `lab 6 client` (the
/// nickname typed as its first line) and `lab 7 server --echo` in both framings.
#[test]
fn our_lab_6_roles_and_lab_7_echo_server_pass_their_checks() {
    let home = temp_dir("own");
    let runs: [(&str, &str, &[&str]); 3] = [
        ("6", "server", &["6", "server", "--port", "{port}"]),
        ("6", "client", &["6", "client", "--port", "{port}"]),
        (
            "7",
            "server",
            &[
                "7",
                "server",
                "--port",
                "{port}",
                "--framing",
                "{framing}",
                "--echo",
            ],
        ),
    ];
    let handles: Vec<_> = runs
        .iter()
        .map(|&(lab_number, role, ours)| {
            let home = home.to_path_buf();
            thread::spawn(move || {
                let mut args = vec!["check", lab_number, role, "--slow", "4", "--", lab_binary()];
                args.extend_from_slice(ours);
                (lab_number, role, lab(&args, &home))
            })
        })
        .collect();
    for handle in handles {
        let (lab_number, role, out) = handle.join().expect("a check");
        assert_eq!(
            out.status.code(),
            Some(0),
            "lab {lab_number} {role}:\n{}",
            text(&out.stdout)
        );
        assert!(
            text(&out.stdout).contains("DONE all"),
            "{}",
            text(&out.stdout)
        );
    }
}

/// A failure in a labelled run names the framing, and the report shows the hint.
#[test]
fn a_lab_7_failure_names_its_framing_and_its_hint() {
    if !have_python("a_lab_7_failure_names_its_framing") {
        return;
    }
    let home = temp_dir("framing-report");
    let program = root().join("labs/07-framing/check/server_wrong_fifty.py");
    let out = lab(
        &[
            "check",
            "7",
            "server",
            "--slow",
            "3",
            "--",
            "python3",
            &program.to_string_lossy(),
            "{port}",
            "{framing}",
        ],
        &home,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("-- line: {framing} = line"), "{stdout}");
    assert!(stdout.contains("PASS 3/10 line/one-byte"), "{stdout}");
    assert!(stdout.contains("FAIL 4/10 line/fifty"), "{stdout}");
    assert!(
        stdout.contains("hint: one recv() may hold many"),
        "{stdout}"
    );
    assert!(stdout.contains("see lab 7"), "{stdout}");
}

#[test]
fn the_lab_6_and_7_rust_starters_compile_with_rustc_alone() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    if Command::new(&rustc).arg("--version").output().is_err() {
        eprintln!("SKIPPED: rustc is not on PATH");
        return;
    }
    let dir = temp_dir("rust-starters-6-7");
    let starters: Vec<PathBuf> = ["06-chat-room", "07-framing"]
        .iter()
        .flat_map(|folder| {
            std::fs::read_dir(root().join("labs").join(folder).join("starters"))
                .expect("starters folder")
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "rs"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!starters.is_empty());
    let handles: Vec<_> = starters
        .into_iter()
        .map(|source| {
            let rustc = rustc.clone();
            let exe = dir.join(source.file_stem().unwrap());
            thread::spawn(move || {
                let out = Command::new(&rustc)
                    .args(["--edition", "2021", "-o"])
                    .arg(&exe)
                    .arg(&source)
                    .output()
                    .expect("rustc runs");
                assert!(
                    out.status.success(),
                    "{}: {}",
                    source.display(),
                    text(&out.stderr)
                );
                assert!(
                    !text(&out.stderr).contains("warning"),
                    "{}: {}",
                    source.display(),
                    text(&out.stderr)
                );
                let run = Command::new(&exe)
                    .arg("1")
                    .output()
                    .expect("the starter runs");
                assert!(
                    text(&run.stdout).contains("TODO 1 ("),
                    "{}",
                    source.display()
                );
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("a starter compiles");
    }
}
