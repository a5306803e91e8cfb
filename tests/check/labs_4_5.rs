//! `lab check` for labs 4 (threads) and 5 (udp): the correct example program of each
//! role passes every stage; each wrong one (labs/NN-slug/check/ROLE_wrong_STAGE.py)
//! fails at STAGE, with a hint (tests/check/main.rs runs them). `--class` checks a
//! folder of students one by one and leaves no process behind.
//!
//! The example programs are Python: where python3 is missing these tests say so and
//! pass without running.

use std::thread;

use crate::harness::*;

/// `--class`: three students (one passes, one fails at `exit`, one hangs, floods its
/// output and leaves a child behind in a session of its own) give a table, JSON and
/// CSV; no progress is recorded and no process is left.
#[test]
fn a_class_is_checked_student_by_student_and_leaves_no_process() {
    if !have_python("a_class_is_checked") {
        return;
    }
    let class = temp_dir("class");
    let examples = root().join("labs/01-echo/check");
    for (student, program) in [("alice", "server.py"), ("bob", "server_wrong_exit.py")] {
        std::fs::create_dir_all(class.join(student)).unwrap();
        std::fs::copy(
            examples.join(program),
            class.join(student).join("server.py"),
        )
        .unwrap();
    }
    std::fs::create_dir_all(class.join("carol")).unwrap();
    std::fs::write(
        class.join("carol").join("server.py"),
        "import os, socket, sys, time\n\
         s = socket.socket()\n\
         s.bind(('127.0.0.1', int(sys.argv[1])))\n\
         s.listen(5)\n\
         print('listening')\n\
         if hasattr(os, 'fork') and os.fork() == 0:\n    os.setsid()\n    while True:\n        time.sleep(1)\n\
         while True:\n    print('spinning ' * 20)\n",
    )
    .unwrap();
    // A file beside the folders is not a student.
    std::fs::write(class.join("notes.txt"), "not a student").unwrap();
    let home = temp_dir("class-home");
    let class_arg = class.to_string_lossy().into_owned();
    let handles: Vec<_> = [None, Some("--json"), Some("--csv")]
        .into_iter()
        .map(|format| {
            let class_arg = class_arg.clone();
            let home = home.to_path_buf();
            thread::spawn(move || {
                // Generous timeouts: alice must pass on a loaded machine; carol's
                // hang then costs about 5 s (three runs at once).
                let mut args = vec![
                    "check", "1", "server", "--slow", "2.5", "--class", &class_arg,
                ];
                args.extend(format);
                args.extend(["--", "python3", "{dir}/server.py", "{port}"]);
                (format, lab(&args, &home))
            })
        })
        .collect();
    for handle in handles {
        let (format, out) = handle.join().expect("a class check");
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{format:?}:\n{stdout}");
        match format {
            None => {
                let row = |name: &str| {
                    stdout
                        .lines()
                        .find(|l| l.starts_with(name))
                        .unwrap_or_else(|| panic!("no row for {name}:\n{stdout}"))
                        .to_string()
                };
                assert!(row("alice").contains("7/7"), "{stdout}");
                assert!(row("bob").contains("3/7"), "{stdout}");
                assert!(row("bob").contains(" exit: "), "{stdout}");
                assert!(row("carol").contains("hello: timed out"), "{stdout}");
                assert!(row("carol")
                    .trim_end()
                    .ends_with(|c: char| c.is_ascii_digit()));
                assert!(!stdout.contains("notes"), "{stdout}");
                for name in ["student", "alice", "bob", "carol"] {
                    assert_eq!(row(name).chars().count(), 80, "{stdout}");
                }
                assert!(stdout.contains("1 of 3 students passed"), "{stdout}");
            }
            Some("--json") => {
                let json: serde_json::Value =
                    serde_json::from_str(&stdout).expect("one JSON object");
                let students = json["students"].as_array().expect("students");
                let names: Vec<&str> = students
                    .iter()
                    .map(|s| s["student"].as_str().unwrap())
                    .collect();
                assert_eq!(names, ["alice", "bob", "carol"]);
                assert_eq!(students[0]["passed"], 7);
                assert_eq!(students[0]["first_failed"], serde_json::Value::Null);
                assert_eq!(students[1]["first_failed"], "exit");
                assert_eq!(students[1]["total"], 7);
                assert!(students[1]["reason"].as_str().unwrap().contains("exit"));
                assert_eq!(students[2]["first_failed"], "hello");
                assert!(students[2]["seconds"].as_f64().unwrap() < 60.0);
            }
            _ => {
                let lines: Vec<&str> = stdout.lines().collect();
                assert_eq!(lines[0], "student,passed,total,first_failed,reason,seconds");
                assert!(lines[1].starts_with("alice,7,7,,,"), "{stdout}");
                assert!(lines[2].starts_with("bob,3,7,exit,\""), "{stdout}");
                assert!(lines[3].starts_with("carol,1,7,hello,"), "{stdout}");
                assert_eq!(lines.len(), 4, "{stdout}");
            }
        }
    }
    // The class's own progress is never recorded.
    assert!(
        std::fs::read_dir(&*home).unwrap().next().is_none(),
        "--class wrote into the progress folder"
    );
    #[cfg(target_os = "linux")]
    {
        // No process runs a program from the class folder any more (carol's child
        // left her process group with setsid(); the checker reaped it as subreaper).
        let left: Vec<String> = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .filter(|c| c.contains(&class_arg))
            .collect();
        assert!(left.is_empty(), "left running: {left:?}");
    }
}

#[test]
fn a_class_folder_that_is_missing_or_empty_is_a_usage_error() {
    let home = temp_dir("class-usage");
    let empty = temp_dir("class-empty");
    for dir in [
        empty.to_string_lossy().into_owned(),
        "/no/such/class".to_string(),
    ] {
        let out = lab(
            &[
                "check",
                "1",
                "server",
                "--class",
                &dir,
                "--",
                "python3",
                "{dir}/x.py",
            ],
            &home,
        );
        assert_eq!(out.status.code(), Some(2), "{dir}");
        assert!(
            text(&out.stderr).contains("error:"),
            "{}",
            text(&out.stderr)
        );
        assert!(
            !text(&out.stderr).contains("os error"),
            "{}",
            text(&out.stderr)
        );
    }
    let out = lab(&["check", "1", "server", "--csv", "--", "x"], &home);
    assert_eq!(out.status.code(), Some(2));
}

/// The `--slow` factor for an example program (see labs_1_3.rs). The stages before
/// the failing one are quick exchanges; 2 keeps the waits of the failing one (lab 5's
/// `timeout`: 6.5 s) short.
pub(crate) fn slow_for(wrong_stage: Option<&str>) -> &'static str {
    match wrong_stage {
        None => "4",
        Some("connect") => "0.5",
        // Long enough that the stages before the wrong one pass on a loaded machine.
        Some(_) => "3",
    }
}

/// The `--slow` factor for a lab 5 example program: as [`slow_for`], but a client
/// that sends to the wrong port is only caught by the wait for its first datagram,
/// which is the start-up wait (10 s): shorten it for that one alone.
pub(crate) fn slow_for_udp(wrong_stage: Option<&str>) -> &'static str {
    match wrong_stage {
        Some("send") => "0.5",
        _ => slow_for(wrong_stage),
    }
}
