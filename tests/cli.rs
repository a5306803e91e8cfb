//! The command line itself: the list, guides, aliases, usage errors (exit 2), and
//! runtime errors as sentences (exit 1).

mod common;

use common::{connect, hermetic, lab_cmd, parse_port, Lab};
use predicates::prelude::*;

#[test]
fn lab_list_shows_every_lab_with_number_slug_and_port() {
    lab_cmd(&["list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("echo"))
        .stdout(predicate::str::contains("6666/tcp"))
        .stdout(predicate::str::contains("server, client"));
}

#[test]
fn lab_list_speaks_chinese_with_lang_zh_or_a_chinese_locale_and_english_with_lang_en() {
    lab_cmd(&["--lang", "zh", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "套接字的基本步骤，一次服务一个客户端",
        ))
        .stdout(predicate::str::contains("角色：server, client, playground"));
    lab_cmd(&["list"])
        .env_remove("LC_ALL")
        .env("LANG", "zh_CN.UTF-8")
        .assert()
        .success()
        .stdout(predicate::str::contains("文本就是字节"));
    lab_cmd(&["list", "--lang", "en"])
        .env("LC_ALL", "zh_CN.UTF-8")
        .assert()
        .success()
        .stdout(predicate::str::contains("Text is bytes: UTF-8 vs GBK"))
        .stdout(predicate::str::contains("文本").not());
    // An unknown lab: clap's usage error, then the tip in Chinese.
    lab_cmd(&["--lang", "zh", "99", "server"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("提示：`lab list` 列出所有实验"));
    lab_cmd(&["--lang", "fr", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("en (English) or zh (中文)"));
}

#[test]
fn lab_without_a_terminal_prints_the_list_and_how_to_start_a_lab() {
    lab_cmd(&[])
        .assert()
        .success()
        .stdout(predicate::str::contains("6666/tcp"))
        .stdout(predicate::str::contains("`lab 1 server`"));
}

#[test]
fn lab_n_without_a_terminal_prints_the_lab_summary_and_its_roles() {
    lab_cmd(&["1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Lab 1 — echo"))
        .stdout(predicate::str::contains("lab 1 server"))
        .stdout(predicate::str::contains("lab 1 guide"));
}

#[test]
fn a_lab_is_named_by_number_or_by_slug() {
    let by_number = lab_cmd(&["1", "guide"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let by_slug = lab_cmd(&["echo", "guide"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(by_number, by_slug);
    assert!(String::from_utf8_lossy(&by_slug).starts_with("# Lab 1 — echo"));
}

#[test]
fn a_closed_stdout_ends_quietly_without_a_broken_pipe_panic() {
    // `lab 1 guide | head -1`: the reader leaves after one line.
    let mut child = hermetic(&["1", "guide"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // closed before the guide is written
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn an_unknown_lab_is_a_usage_error_with_exit_code_2() {
    lab_cmd(&["99", "server"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("99"))
        .stderr(predicate::str::contains("lab list"));
}

#[test]
fn an_unknown_role_or_option_is_a_usage_error_with_exit_code_2() {
    lab_cmd(&["1", "serve"]).assert().code(2);
    lab_cmd(&["1", "server", "--port", "not-a-port"])
        .assert()
        .code(2);
    lab_cmd(&["1", "server", "--port", "70000"])
        .assert()
        .code(2);
}

#[test]
fn help_and_version_exit_0() {
    lab_cmd(&["--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("list"));
    lab_cmd(&["1", "server", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--backlog"))
        .stdout(predicate::str::contains("[default: 6666]"));
    lab_cmd(&["--version"])
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn client_before_server_exits_1_and_says_which_server_to_start() {
    // A port that was free a moment ago: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    lab_cmd(&["1", "client", "--port", &port.to_string()])
        .write_stdin("hello\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "nothing is listening on 127.0.0.1:{port}"
        )))
        .stderr(predicate::str::contains("`lab 1 server`"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn a_second_server_on_the_same_port_names_the_port_and_the_fix() {
    let (_first, port) = Lab::server("1", &[]);
    lab_cmd(&["1", "server", "--port", &port.to_string()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "port {port} (tcp) is already in use"
        )))
        .stderr(predicate::str::contains("--port 0"));
}

#[test]
#[cfg(unix)]
fn a_port_below_1024_explains_privileged_ports_when_not_root() {
    // As root, binding port 1 works, so there is nothing to explain.
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(true);
    if root {
        eprintln!("running as root: privileged ports are allowed; skipping");
        return;
    }
    lab_cmd(&["1", "server", "--port", "1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("below 1024"));
}

#[test]
fn a_host_that_does_not_resolve_gets_a_sentence_and_exit_1() {
    lab_cmd(&["1", "client", "--host", "no-such-host.invalid"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "could not find the host `no-such-host.invalid`",
        ));
}

#[test]
fn the_port_is_read_from_ipv4_and_ipv6_listening_lines() {
    assert_eq!(
        parse_port("listening on 127.0.0.1:40123 (tcp)"),
        Some(40123)
    );
    assert_eq!(parse_port("listening on [::1]:9000 (udp)"), Some(9000));
    assert_eq!(parse_port("accept() waiting..."), None);
}

#[test]
fn an_error_wraps_at_the_terminal_width_under_its_text_and_not_on_a_pipe() {
    let port = common::free_port().to_string();
    let wrapped = lab_cmd(&["3", "client", "--port", &port])
        .env("SOCKET_LAB_COLUMNS", "80")
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let wrapped = String::from_utf8_lossy(&wrapped).into_owned();
    assert!(wrapped.lines().count() > 1, "{wrapped}");
    for line in wrapped.lines() {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
    assert!(
        wrapped
            .lines()
            .skip(1)
            .all(|line| line.starts_with("       ")),
        "continuation lines hang under the text after `error: `:\n{wrapped}"
    );
    let plain = lab_cmd(&["3", "client", "--port", &port])
        .env_remove("SOCKET_LAB_COLUMNS")
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let plain = String::from_utf8_lossy(&plain).into_owned();
    assert_eq!(plain.lines().count(), 1, "{plain}");
    assert_eq!(
        wrapped.split_whitespace().collect::<Vec<_>>(),
        plain.split_whitespace().collect::<Vec<_>>()
    );
}

/// The widest line of `text`, in terminal columns (a Chinese character takes two).
fn widest(text: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

#[test]
fn lab_list_fits_in_80_columns() {
    for args in [&["list"][..], &[]] {
        let output = lab_cmd(args).assert().success().get_output().stdout.clone();
        let list = String::from_utf8_lossy(&output);
        assert!(widest(&list) <= 80, "{list}");
        assert!(list.contains("roles: server, client"), "{list}");
    }
}

#[test]
fn a_lab_summary_wraps_at_80_columns_when_the_terminal_is_80_wide() {
    for lab in ["1", "2", "3", "4", "5", "6", "7"] {
        let output = lab_cmd(&[lab])
            .env("SOCKET_LAB_COLUMNS", "80")
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let summary = String::from_utf8_lossy(&output);
        assert!(widest(&summary) <= 80, "{summary}");
    }
}

// ---------------------------------------------------------------------------------
// Colours: --no-color wins over everything
// ---------------------------------------------------------------------------------

/// `lab ARGS` with colours forced on from outside: CLICOLOR_FORCE=1 (which the colour
/// crates obey even on a pipe) and no NO_COLOR, as a student's shell may have them.
fn colour_forced(args: &[&str]) -> assert_cmd::Command {
    let mut cmd = hermetic(args);
    cmd.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
    let mut cmd = assert_cmd::Command::from_std(cmd);
    cmd.timeout(common::PATIENCE);
    cmd
}

/// What `lab 1 server --quiet` (plus `extra`) prints for one client, colours forced on.
fn lab_1_server_with_colour_forced(extra: &[&str]) -> String {
    let mut args = vec!["1", "server", "--port", "0", "--quiet"];
    args.extend_from_slice(extra);
    let mut cmd = hermetic(&args);
    cmd.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
    let mut server = Lab::spawn(cmd);
    let port = server.port();
    drop(connect(port));
    server.wait_for("[disconnect]");
    server.stdout_so_far()
}

#[test]
fn clicolor_force_colours_the_peers_even_on_a_pipe() {
    // The control for the test below: without --no-color the colour does show.
    let printed = lab_1_server_with_colour_forced(&[]);
    assert!(printed.contains('\x1b'), "{printed:?}");
}

#[test]
fn no_color_turns_colours_off_even_when_clicolor_force_is_set() {
    let printed = lab_1_server_with_colour_forced(&["--no-color"]);
    assert!(!printed.contains('\x1b'), "{printed:?}");
    assert!(printed.contains("[connect] 127.0.0.1:"), "{printed}");
}

#[test]
fn no_color_also_turns_off_the_colours_of_help_and_usage_errors() {
    // clap colours its help and errors when forced to (the control)...
    let forced = colour_forced(&["1", "server", "--bogus"]).assert().code(2);
    assert!(forced.get_output().stderr.contains(&0x1b));
    // ...and --no-color, wherever it stands, turns that off too.
    for args in [
        &["--no-color", "1", "server", "--bogus"][..],
        &["1", "server", "--bogus", "--no-color"],
    ] {
        let usage = colour_forced(args).assert().code(2);
        let stderr = String::from_utf8_lossy(&usage.get_output().stderr).into_owned();
        assert!(!stderr.contains('\x1b'), "{args:?}: {stderr:?}");
        assert!(stderr.contains("--bogus"), "{stderr}");
    }
    let help = colour_forced(&["--no-color", "1", "server", "--help"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
    assert!(stdout.contains("--backlog"), "{stdout}");
}

// ---------------------------------------------------------------------------------
// What the student typed is printed back escaped
// ---------------------------------------------------------------------------------

#[test]
fn a_typed_host_is_printed_back_escaped() {
    for role in [["1", "client"], ["1", "server"], ["5", "client"]] {
        let mut args = role.to_vec();
        args.extend(["--port", "0", "--host", "\x1b[2Jevil\x07"]);
        let run = colour_forced(&args).assert().code(1);
        let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
        assert!(
            !stderr.contains('\x1b') && !stderr.contains('\x07'),
            "{stderr:?}"
        );
        assert!(
            stderr.contains("could not find the host `\\e[2Jevil\\x07`"),
            "{role:?}: {stderr}"
        );
    }
}

#[test]
fn control_characters_in_a_wrong_argument_are_printed_back_escaped() {
    let run = colour_forced(&["1", "server", "--port", "\x1b[2J1"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
    assert!(
        stderr.contains("invalid value '\\e[2J1' for '--port"),
        "{stderr}"
    );

    let run = colour_forced(&["\x1b]0;pwned\x07"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\x07'),
        "{stderr:?}"
    );
    assert!(stderr.contains("\\e]0;pwned\\x07"), "{stderr}");
    assert!(stderr.contains("lab list"), "{stderr}");
}
