//! The language `lab` speaks (issue 17): the error sentences of hint.rs, `lab
//! progress` and the peers printed after a guide, in Chinese with `--lang zh` or a
//! Chinese locale, and in English with `--lang en` whatever the locale says.
//!
//! The harness sets LC_ALL=C.UTF-8 (English); these tests pass `--lang zh`, or remove
//! LC_ALL and set LANG to test the locale itself.

mod common;

use std::path::{Path, PathBuf};

use common::lab_cmd;
use predicates::prelude::*;

/// A port nobody listens on: bind one, note it, close it.
fn closed_port() -> String {
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    free.local_addr().expect("local address").port().to_string()
}

/// An empty folder for one test's progress file, removed when the test ends.
struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        let dir =
            std::env::temp_dir().join(format!("socket-lab-lang-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        Home(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_refused_connection_is_explained_in_chinese_with_the_server_to_start() {
    let port = closed_port();
    lab_cmd(&["--lang", "zh", "1", "client", "--port", &port])
        .write_stdin("hello\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "错误：127.0.0.1:{port} 上没有程序在监听，所以连接被拒绝"
        )))
        // The errno names stay as they are; the fix is the command to run.
        .stderr(predicate::str::contains(
            "[ECONNREFUSED；Windows 上为 WinError 10061]",
        ))
        .stderr(predicate::str::contains(
            "请先在另一个终端里启动服务器 `lab 1 server`",
        ))
        .stderr(predicate::str::contains("nothing is listening").not());
}

#[test]
fn a_port_in_use_is_explained_in_chinese_with_both_fixes() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = taken
        .local_addr()
        .expect("local address")
        .port()
        .to_string();
    lab_cmd(&["--lang", "zh", "1", "server", "--port", &port])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "错误：端口 {port}（tcp）在 127.0.0.1 上已被占用"
        )))
        .stderr(predicate::str::contains("用 Ctrl-C 停掉那个服务器"))
        .stderr(predicate::str::contains("`--port 0`"))
        .stderr(predicate::str::contains("EADDRINUSE"));
    drop(taken);
}

#[test]
fn a_chinese_locale_gives_chinese_and_lang_en_overrides_it() {
    let port = closed_port();
    lab_cmd(&["1", "client", "--port", &port])
        .env_remove("LC_ALL")
        .env("LANG", "zh_CN.UTF-8")
        .write_stdin("hello\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("没有程序在监听"));
    lab_cmd(&["--lang", "en", "1", "client", "--port", &port])
        .env_remove("LC_ALL")
        .env("LANG", "zh_CN.UTF-8")
        .write_stdin("hello\n")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "error: nothing is listening on 127.0.0.1:{port}, so the connection was refused"
        )))
        .stderr(predicate::str::contains(
            "`lab 1 server` in another terminal",
        ))
        .stderr(predicate::str::contains("没有").not());
}

#[test]
fn lab_progress_speaks_chinese_and_keeps_its_columns_aligned() {
    let home = Home::new("progress");
    let out = lab_cmd(&["--lang", "zh", "progress"])
        .env("SOCKET_LAB_HOME", home.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let shown = String::from_utf8(out).expect("UTF-8");
    let mut lines = shown.lines();
    // A Chinese character takes two columns: the values stay under their headers.
    assert_eq!(
        lines.next(),
        Some("实验  角色      通过  上次运行          下一步"),
        "{shown}"
    );
    assert_eq!(
        lines.next(),
        Some("   1  server     0/7  从未              lab 1 starter"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "下一步：`lab 1 starter`，然后运行\n        \
             `lab check 1 server -- python3 lab1_server.py {port}`。"
        ),
        "{shown}"
    );
    assert!(shown.contains("（记录保存在 "), "{shown}");
    assert!(!shown.contains("never"), "{shown}");
}

#[test]
fn lab_progress_stays_english_with_lang_en_under_a_chinese_locale() {
    let home = Home::new("progress-en");
    lab_cmd(&["--lang", "en", "progress"])
        .env("SOCKET_LAB_HOME", home.path())
        .env_remove("LC_ALL")
        .env("LANG", "zh_CN.UTF-8")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "lab  role    passed  last run          next\n",
        ))
        .stdout(predicate::str::contains("  1  server     0/7  never"))
        .stdout(predicate::str::contains("Next: `lab 1 starter`, then"));
}

#[test]
fn the_peers_after_a_guide_are_introduced_in_chinese() {
    lab_cmd(&["--lang", "zh", "1", "guide"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "## 对端程序：labs/01-echo/peers/client.py",
        ))
        .stdout(predicate::str::contains(
            "在仓库里用 `python3 labs/01-echo/peers/client.py` 运行它，",
        ));
}

#[test]
fn a_bad_argument_is_explained_in_chinese() {
    let prefix = "x".repeat(40);
    lab_cmd(&[
        "--lang", "zh", "9", "swarm", "--prefix", &prefix, "--port", "1",
    ])
    .assert()
    .code(1)
    .stderr(predicate::str::contains(format!(
        "错误：--prefix \"{prefix}\" 生成的昵称形如"
    )))
    .stderr(predicate::str::contains("请换一个更短的前缀"));
    // A value clap rejects: clap's frame stays English, our reason is Chinese.
    lab_cmd(&["--lang", "zh", "7", "client", "--send-timeout", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`x` 不是一个大于 0、不超过 3600 的秒数（试试 10 或 0.5）",
        ));
}
