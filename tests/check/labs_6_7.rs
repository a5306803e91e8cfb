//! `lab check` for labs 6 and 7: the correct example program of each role passes
//! every stage; each wrong one (labs/NN-slug/check/ROLE_wrong_STAGE.py) fails at
//! STAGE, with a hint. Our own `lab 6 server`, `lab 6 client` and
//! `lab 7 server --echo` pass their lab's check.
//!
//! The example programs are Python: where python3 is missing these tests say so and
//! pass without running.

use std::path::PathBuf;
use std::process::Command;
use std::thread;

use crate::common::lab_binary;
use crate::harness::*;

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

/// The `--slow` factor for an example program (see labs_1_3.rs).
pub(crate) fn slow_for(wrong_stage: Option<&str>) -> &'static str {
    match wrong_stage {
        None => "4",
        Some("accept" | "connect") => "0.5",
        Some(_) => "3",
    }
}
