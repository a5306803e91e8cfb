//! `lab check` for labs 6 and 7: the correct example program of each role passes
//! every stage; each wrong one (labs/NN-slug/check/ROLE_wrong_STAGE.py) fails at
//! STAGE, with a hint (tests/check/main.rs runs them).
//!
//! The example programs are Python: where python3 is missing these tests say so and
//! pass without running.

use crate::harness::*;

/// A failure in a labelled run names the framing, and the report shows the hint.
#[test]
fn a_lab_7_failure_names_its_framing_and_its_hint() {
    if !have_python("a_lab_7_failure_names_its_framing") {
        return;
    }
    let home = temp_dir("framing-report");
    let program = root().join("labs/07-framing/check/server_wrong_fifty.py");
    let out = check_python(
        &["check", "7", "server", "--slow", "3"],
        &program,
        &["{framing}"],
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
        // Long enough that the stages before the wrong one pass on a loaded machine.
        Some(_) => "3",
    }
}
