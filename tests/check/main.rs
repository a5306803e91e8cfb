//! `lab check`, through the real binary: for every lab with a check, the correct
//! example program of each role passes every stage and each wrong one
//! (labs/NN-slug/check/ROLE_wrong_STAGE.py) fails at STAGE, with a hint; our own roles
//! pass their lab's check; the student's program, and whatever it started, is gone
//! when the check ends; starters, progress and `--class`; the check in Chinese.
//!
//! One test binary, so that the labs' checks run side by side (most of their time is
//! spent waiting for a wrong program's timeout), bounded by `harness::AT_ONCE`.
//! The example programs are Python: where python3 is missing these tests say so and
//! pass without running (`.ci/run` makes sure python3 is there).

#[path = "../common/mod.rs"]
mod common;
mod harness;
mod labs_1_3;
mod labs_4_5;
mod labs_6_7;
mod lang;

use std::thread;

use common::lab_binary;
use harness::{check_examples, have_python, lab, temp_dir, text};

/// Every lab's example programs, both roles, side by side (bounded by
/// `harness::AT_ONCE`; the programs mostly wait, so they share the machine well): the
/// correct program passes every stage, each wrong one fails at its own, with a hint.
#[test]
fn every_example_program_passes_or_fails_where_it_should() {
    if !have_python("every_example_program") {
        return;
    }
    type SlowFor = fn(Option<&str>) -> &'static str;
    let sets: [(&str, &str, SlowFor); 7] = [
        ("01-echo", "1", labs_1_3::slow_for),
        ("02-encoding", "2", labs_1_3::slow_for),
        ("03-half-duplex", "3", labs_1_3::slow_for),
        ("04-threads", "4", labs_4_5::slow_for),
        ("05-udp", "5", labs_4_5::slow_for_udp),
        ("06-chat-room", "6", labs_6_7::slow_for),
        ("07-framing", "7", labs_6_7::slow_for),
    ];
    let handles: Vec<_> = sets
        .iter()
        .flat_map(|&(folder, lab, slow_for)| {
            ["server", "client"]
                .map(|role| thread::spawn(move || check_examples(folder, lab, role, slow_for)))
        })
        .collect();
    let problems: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("a set of checks"))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Our own roles speak the protocols their labs' checks state, every lab side by side:
/// lab 2's server with `--print` and lab 7's with `--echo`, the options that follow
/// the check's task, and lab 6's client with the nickname typed as its first line.
#[test]
fn our_own_roles_pass_their_labs_check() {
    let home = temp_dir("own");
    let port = ["--port", "{port}"];
    let runs: [(&str, &str, &[&str]); 13] = [
        ("1", "server", &[]),
        ("1", "client", &[]),
        ("2", "server", &["--print", "{encoding}"]),
        ("2", "client", &["--encoding", "{encoding}"]),
        ("3", "server", &[]),
        ("3", "client", &["--name", "amy"]),
        ("4", "server", &[]),
        ("4", "client", &[]),
        ("5", "server", &[]),
        ("5", "client", &[]),
        ("6", "server", &[]),
        ("6", "client", &[]),
        ("7", "server", &["--framing", "{framing}", "--echo"]),
    ];
    let handles: Vec<_> = runs
        .iter()
        .map(|&(lab_number, role, options)| {
            let home = home.to_path_buf();
            thread::spawn(move || {
                let mut args = vec!["check", lab_number, role, "--slow", "4", "--"];
                args.extend([lab_binary(), lab_number, role]);
                args.extend(port);
                args.extend_from_slice(options);
                (lab_number, role, lab(&args, &home))
            })
        })
        .collect();
    for handle in handles {
        let (lab_number, role, out) = handle.join().expect("a check");
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "lab {lab_number} {role}:\n{stdout}"
        );
        assert!(
            stdout.contains("DONE all"),
            "lab {lab_number} {role}:\n{stdout}"
        );
    }
}
