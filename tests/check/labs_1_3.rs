//! `lab check`: the correct example program of each lab and role passes every stage;
//! each wrong one (labs/NN-slug/check/ROLE_wrong_STAGE.py) fails at STAGE, with a
//! hint (tests/check/main.rs runs them all). The student's program, and whatever it
//! started, is gone when the check ends. Starters and progress.
//!
//! The example programs are Python: where python3 is missing these tests say so and
//! pass without running (`.ci/run` makes sure python3 is there).

use std::path::PathBuf;
use std::process::Command;
use std::thread;
#[cfg(target_os = "linux")]
use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
use crate::common::lab_binary;
use crate::harness::*;

#[test]
fn a_failure_shows_the_bytes_with_a_marker_the_output_and_the_hint() {
    if !have_python("a_failure_shows_the_bytes") {
        return;
    }
    let home = temp_dir("report");
    let program = root().join("labs/01-echo/check/server_wrong_utf-8.py");
    let out = check_python(
        &["check", "1", "server", "--slow", "3"],
        &program,
        &[],
        &home,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("PASS 2/7 hello"), "{stdout}");
    assert!(stdout.contains("FAIL 3/7 utf-8"), "{stdout}");
    assert!(
        !stdout.contains("4/7"),
        "the first failure ends the run:\n{stdout}"
    );
    let expected = stdout
        .lines()
        .find(|l| l.contains("expected: "))
        .expect("expected line");
    let received = stdout
        .lines()
        .find(|l| l.contains("received: "))
        .expect("received line");
    let marker = stdout
        .lines()
        .find(|l| l.trim_start().starts_with('^'))
        .expect("marker");
    assert!(expected.contains("你好"), "{stdout}");
    // The marker stands under the first character after the time and the space.
    // Everything before it is ASCII, so columns are characters.
    let col = marker.find('^').unwrap();
    assert_eq!(received.chars().nth(col), Some('ä'), "{stdout}");
    assert!(marker.contains("byte 25"), "{stdout}");
    assert!(stdout.contains("[your program] listening on"), "{stdout}");
    assert!(
        stdout.contains("hint: decode the bytes as UTF-8"),
        "{stdout}"
    );
    assert!(stdout.contains("see lab 2"), "{stdout}");
}

#[test]
fn keep_going_runs_every_stage_after_a_failure() {
    if !have_python("keep_going_runs_every_stage") {
        return;
    }
    let home = temp_dir("keep-going");
    let program = root().join("labs/01-echo/check/server_wrong_utf-8.py");
    let out = check_python(
        &["check", "1", "server", "--keep-going", "--slow", "3"],
        &program,
        &[],
        &home,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("FAIL 3/7 utf-8"), "{stdout}");
    // The program is started afresh after the failure, so the rest get a fair try.
    assert!(stdout.contains("PASS 7/7 client-resets"), "{stdout}");
    assert!(stdout.contains("6 of 7 stages passed"), "{stdout}");
}

#[test]
fn usage_errors_exit_with_code_2() {
    let home = temp_dir("usage");
    for args in [
        &["check", "9", "server", "--", "x"][..],
        &["check", "1", "server"][..],
        &["check", "1", "middle", "--", "x"][..],
        &["check", "1", "server", "--", "no-such-program-socket-lab"][..],
    ] {
        let out = lab(args, &home);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).is_empty(), "{args:?} says why");
    }
}

/// A server that starts a sleeping child and a sleeping child in a session of its
/// own (setsid), writes their pids to a file, and answers `hello` wrongly.
#[cfg(target_os = "linux")]
#[test]
fn the_program_and_everything_it_started_are_ended_when_the_check_ends() {
    if !have_python("the_program_and_everything_it_started") {
        return;
    }
    let dir = temp_dir("orphans");
    let pids = dir.join("pids");
    let script = dir.join("forker.py");
    std::fs::write(
        &script,
        "import socket, subprocess, sys, time\n\
         a = subprocess.Popen(['sleep', '300'])\n\
         b = subprocess.Popen(['sleep', '301'], start_new_session=True)\n\
         open(sys.argv[2], 'w').write(f'{a.pid} {b.pid}')\n\
         print('started', a.pid, b.pid, flush=True)\n\
         s = socket.create_server(('127.0.0.1', int(sys.argv[1])))\n\
         conn, _ = s.accept()\n\
         conn.recv(1024)\n\
         conn.sendall(b'nope')\n\
         time.sleep(300)\n",
    )
    .unwrap();
    // `--slow 3`: on a loaded machine, Python starting two processes before it prints
    // may take longer than the usual 10 s start-up wait.
    let out = check_python(
        &["check", "1", "server", "--slow", "3"],
        &script,
        &[&pids.to_string_lossy()],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("[your program] started"),
        "{}",
        text(&out.stdout)
    );
    let pids = std::fs::read_to_string(&pids).expect("the program wrote its children's pids");
    for pid in pids.split_whitespace() {
        let alive = std::path::Path::new(&format!("/proc/{pid}")).exists();
        assert!(
            !alive,
            "process {pid} started by the program is still there"
        );
    }
}

#[test]
fn progress_keeps_passes_and_a_failure_never_erases_one() {
    if !have_python("progress_keeps_passes") {
        return;
    }
    let home = temp_dir("progress");
    let fresh = lab(&["progress"], &home);
    let shown = text(&fresh.stdout);
    assert!(shown.contains("  1  server     0/7  never"), "{shown}");
    assert!(shown.contains("lab 1 starter"), "{shown}");

    let check = |file: &str| {
        let program = root().join("labs/01-echo/check").join(file);
        check_python(
            &["check", "1", "server", "--slow", "3"],
            &program,
            &[],
            &home,
        )
    };
    assert_eq!(check("server_wrong_utf-8.py").status.code(), Some(1));
    let shown = text(&lab(&["progress"], &home).stdout);
    assert!(shown.contains("  1  server     2/7"), "{shown}");
    assert!(shown.contains("make stage `utf-8` pass"), "{shown}");
    assert!(shown.contains("server_wrong_utf-8.py"), "{shown}");

    assert_eq!(check("server.py").status.code(), Some(0));
    assert_eq!(check("server_wrong_hello.py").status.code(), Some(1));
    let shown = text(&lab(&["progress"], &home).stdout);
    assert!(shown.contains("  1  server     7/7"), "{shown}");
    let row = shown.lines().find(|l| l.contains("  1  server")).unwrap();
    assert!(row.ends_with("done"), "{shown}");
}

#[test]
fn a_starter_is_written_once_and_the_check_quotes_its_first_todo() {
    let dir = temp_dir("starter");
    let home = dir.to_path_buf();
    let dir_arg = dir.to_string_lossy().into_owned();
    let out = lab(&["1", "starter", "--dir", &dir_arg], &home);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("lab check 1 server -- python3"));
    let file = dir.join("lab1_server.py");
    std::fs::write(&file, "# my work\n").unwrap();
    let again = lab(&["1", "starter", "--dir", &dir_arg], &home);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("never overwrites"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# my work\n");
    // A --dir that does not exist yet is made.
    let nested = dir.join("week 3").join("lab1");
    let nested_arg = nested.to_string_lossy().into_owned();
    let out = lab(&["1", "starter", "--dir", &nested_arg], &home);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(nested.join("lab1_server.py").is_file());

    if !have_python("a_starter_is_checked") {
        return;
    }
    let out = lab(
        &["1", "starter", "--role", "client", "--dir", &dir_arg],
        &home,
    );
    assert_eq!(out.status.code(), Some(0));
    let client = dir.join("lab1_client.py");
    let out = check_python(
        &["check", "1", "client", "--slow", "3"],
        &client,
        &[],
        &home,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("FAIL 1/6 connect"), "{stdout}");
    assert!(
        stdout.contains("It reached `TODO 1 (socket): not written yet`"),
        "{stdout}"
    );
}

#[test]
fn the_lab1_server_starter_with_its_todos_written_passes_every_stage() {
    if !have_python("the_lab1_server_starter_with_its_todos_written") {
        return;
    }
    // The English starter, and the Chinese one (the same code, other comments).
    for lang in ["en", "zh"] {
        fill_and_check_the_lab1_server_starter(lang);
    }
}

fn fill_and_check_the_lab1_server_starter(lang: &str) {
    let dir = temp_dir("filled");
    let out = lab(
        &[
            "--lang",
            lang,
            "1",
            "starter",
            "--dir",
            &dir.to_string_lossy(),
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0));
    let file = dir.join("lab1_server.py");
    let mut source = std::fs::read_to_string(&file).unwrap();
    // What a student writes in place of each TODO.
    for (todo, code) in [
        (
            r#"server = todo(1, "socket")"#,
            "server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)",
        ),
        (r#"todo(2, "bind")"#, r#"server.bind(("127.0.0.1", PORT))"#),
        (r#"todo(3, "listen")"#, "server.listen(5)"),
        (
            r#"conn, addr = todo(4, "accept")"#,
            "conn, addr = server.accept()",
        ),
        (r#"data = todo(5, "recv")"#, "data = conn.recv(1024)"),
        (
            r#"todo(6, "closed")"#,
            "if not data:\n                break",
        ),
        (
            r#"todo(7, "exit")"#,
            "if data == b\"exit\":\n                break",
        ),
        (
            r#"todo(8, "send")"#,
            r#"conn.sendall((time.ctime() + " ").encode() + data)"#,
        ),
        (
            r#"todo(9, "reset")"#,
            r#"print(addr, "reset the connection")"#,
        ),
        (r#"todo(10, "close")"#, "conn.close()"),
    ] {
        assert!(source.contains(todo), "the {lang} starter has {todo}");
        source = source.replace(todo, code);
    }
    std::fs::write(&file, source).unwrap();
    let out = check_python(&["check", "1", "server", "--slow", "3"], &file, &[], &dir);
    assert_eq!(out.status.code(), Some(0), "{lang}: {}", text(&out.stdout));
}

/// Under Chinese, `lab N starter` writes the Chinese twin under the English name:
/// comments in Chinese, the code and the line `lab check` quotes exactly the same.
#[test]
fn a_chinese_starter_has_chinese_comments_and_the_same_todo_line() {
    let dir = temp_dir("starter-zh");
    let dir_arg = dir.to_string_lossy().into_owned();
    let out = lab(&["--lang", "zh", "1", "starter", "--dir", &dir_arg], &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.join("lab1_server.py")).unwrap();
    let starters = root().join("labs/01-echo/starters");
    assert_eq!(
        written,
        std::fs::read_to_string(starters.join("lab1_server.zh-CN.py")).unwrap()
    );
    assert!(
        written.contains("# TODO 1 (socket)：创建一个 TCP 套接字"),
        "{written}"
    );
    assert!(
        written.contains("    print(f\"TODO {number} ({step}): not written yet\", flush=True)\n"),
        "{written}"
    );
    let out = lab(
        &[
            "--lang", "zh", "1", "starter", "rust", "--role", "client", "--dir", &dir_arg,
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.join("lab1_client.rs")).unwrap();
    assert!(
        written.contains("//! 实验 1：自己写一个回显客户端"),
        "{written}"
    );
    assert!(
        written.contains("    println!(\"TODO {number} ({step}): not written yet\");\n"),
        "{written}"
    );
    // English stays English.
    let out = lab(
        &[
            "--lang", "en", "1", "starter", "--role", "client", "--dir", &dir_arg,
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.join("lab1_client.py")).unwrap();
    assert_eq!(
        written,
        std::fs::read_to_string(starters.join("lab1_client.py")).unwrap()
    );
}

/// Every Python starter and its Chinese twin (`lab1_server.zh-CN.py`) fail the same
/// stage of their lab's check, quoting the same first TODO (the Rust twins are
/// compiled and run by `the_rust_starters_compile_with_rustc_alone`). A starter ends
/// at its first TODO at once, so a generous `--slow` costs nothing, and keeps a loaded
/// machine's slow Python start-up from turning that end into a timeout.
#[test]
fn every_python_starter_and_its_chinese_twin_meet_the_check_alike() {
    if !have_python("every_python_starter_and_its_chinese_twin") {
        return;
    }
    let folders = [
        "01-echo",
        "02-encoding",
        "03-half-duplex",
        "04-threads",
        "05-udp",
        "06-chat-room",
        "07-framing",
    ];
    let handles: Vec<_> = folders
        .iter()
        .enumerate()
        .flat_map(|(i, folder)| {
            let number = (i + 1).to_string();
            ["server", "client"].map(|role| {
                let starters = root().join("labs").join(folder).join("starters");
                let number = number.clone();
                thread::spawn(move || {
                    let home = temp_dir("py-twins");
                    // What else the check passes, as `lab N starter` says.
                    let extra: &[&str] = match (number.as_str(), role) {
                        ("2", _) => &["{encoding}"],
                        ("3", "client") => &["amy"],
                        ("7", _) => &["{framing}"],
                        _ => &[],
                    };
                    let run = |name: String| {
                        let file = starters.join(&name);
                        assert!(file.exists(), "{}", file.display());
                        let file = file.to_string_lossy().into_owned();
                        let mut args = vec![
                            "check", &number, role, "--slow", "10", "--", "python3", &file,
                            "{port}",
                        ];
                        args.extend_from_slice(extra);
                        let out = lab(&args, &home);
                        (out.status.code(), text(&out.stdout))
                    };
                    // Without the lines that name the file or the time taken, and with
                    // every number (ports) as `#`.
                    let same = |shown: &str| -> Vec<String> {
                        shown
                            .lines()
                            .filter(|l| !l.contains(".py") && !l.contains(" passed ("))
                            .map(|l| {
                                l.split(|c: char| c.is_ascii_digit())
                                    .filter(|part| !part.is_empty())
                                    .collect::<Vec<_>>()
                                    .join("#")
                            })
                            .collect()
                    };
                    let en = run(format!("lab{number}_{role}.py"));
                    let zh = run(format!("lab{number}_{role}.zh-CN.py"));
                    assert_eq!(en.0, Some(1), "lab {number} {role}: {}", en.1);
                    assert!(
                        en.1.contains("It reached `TODO 1 ("),
                        "lab {number} {role}: {}",
                        en.1
                    );
                    assert_eq!(en.0, zh.0, "lab {number} {role}: {}", zh.1);
                    assert_eq!(same(&en.1), same(&zh.1), "lab {number} {role}");
                })
            })
        })
        .collect();
    for handle in handles {
        handle
            .join()
            .expect("a starter and its twin meet the check alike");
    }
}

/// Ctrl-C (SIGINT) to the checker ends the student's program too.
#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_ends_the_check_and_the_program() {
    if !have_python("ctrl_c_ends_the_check_and_the_program") {
        return;
    }
    let dir = temp_dir("ctrl-c");
    let pid_file = dir.join("pid");
    let script = dir.join("slow.py");
    std::fs::write(
        &script,
        "import os, sys, time\n\
         open(sys.argv[1], 'w').write(str(os.getpid()))\n\
         time.sleep(300)\n",
    )
    .unwrap();
    let mut check = Command::new(lab_binary())
        .args(["check", "1", "server", "--", "python3"])
        .arg(&script)
        .arg(&pid_file)
        .env("NO_COLOR", "1")
        .env("LC_ALL", "C.UTF-8")
        .env("SOCKET_LAB_HOME", &*dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("lab check starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let pid = loop {
        if let Ok(pid) = std::fs::read_to_string(&pid_file) {
            if !pid.is_empty() {
                break pid;
            }
        }
        assert!(Instant::now() < deadline, "the program never started");
        thread::sleep(Duration::from_millis(20));
    };
    // SAFETY: sending SIGINT to the child we started.
    unsafe {
        libc::kill(check.id() as i32, libc::SIGINT);
    }
    let status = check.wait().expect("lab check ends");
    assert_eq!(status.code(), Some(130));
    let mut err = String::new();
    use std::io::Read;
    check
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains("your program and everything it started were ended"),
        "{err}"
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the program {pid} is still there"
    );
}

/// Every lab's Rust starters (labs 1 to 7) compile with rustc alone, without a
/// warning, and stop at their first TODO.
#[test]
fn the_rust_starters_compile_with_rustc_alone() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    if Command::new(&rustc).arg("--version").output().is_err() {
        eprintln!("SKIPPED: rustc is not on PATH");
        return;
    }
    let dir = temp_dir("rust-starters");
    let starters: Vec<PathBuf> = [
        "01-echo",
        "02-encoding",
        "03-half-duplex",
        "04-threads",
        "05-udp",
        "06-chat-room",
        "07-framing",
    ]
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
            // A Chinese twin (lab1_server.zh-CN.rs) is compiled as the student gets
            // it: lab1_server.rs, in a folder of its own.
            let name = source.file_name().unwrap().to_string_lossy().into_owned();
            let (folder, name) = match name.replace(".zh-CN.", ".") {
                student if student != name => (dir.join("zh-CN"), student),
                _ => (dir.to_path_buf(), name),
            };
            std::fs::create_dir_all(&folder).unwrap();
            let exe = folder.join(name.trim_end_matches(".rs"));
            let source = if folder == *dir {
                source
            } else {
                let copy = folder.join(&name);
                std::fs::copy(&source, &copy).unwrap();
                copy
            };
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

/// The `--slow` factor for an example program: generous for the correct one, short
/// for wrong ones that hang (a timeout catches them), and shortest for the ones that
/// never listen or connect (only the 10 s start-up wait catches those).
pub(crate) fn slow_for(wrong_stage: Option<&str>) -> &'static str {
    match wrong_stage {
        None => "4",
        Some("accept" | "connect") => "0.5",
        // Long enough that the stages before the wrong one pass on a loaded machine.
        Some(_) => "3",
    }
}
