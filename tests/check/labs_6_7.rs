//! `lab check` for labs 6 and 7: the correct example program of each role passes
//! every stage; each wrong one (labs/NN-slug/check/ROLE_wrong_STAGE.py) fails at
//! STAGE, with a hint. Our own `lab 6 server`, `lab 6 client` and
//! `lab 7 server --echo` pass their lab's check.
//!
//! The example programs are Python: where python3 is missing these tests say so and
//! pass without running.

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

/// The `--slow` factor for an example program (see labs_1_3.rs).
pub(crate) fn slow_for(wrong_stage: Option<&str>) -> &'static str {
    match wrong_stage {
        None => "4",
        Some("accept" | "connect") => "0.5",
        Some(_) => "3",
    }
}
