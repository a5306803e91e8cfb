//! `lab check` for labs 6 and 7, and `lab N starter`, in Chinese (`--lang zh`): the
//! stage names and the hints of the check are the lab's own sentences in Chinese, and
//! the starter says in Chinese what it wrote and how to check it. The commands, the
//! stage ids and the bytes on the wire stay as they are.

use crate::harness::*;

/// A wrong lab 7 server (it answers only the first of fifty messages stuck together)
/// fails at `line/fifty`, named in Chinese, with the hint in Chinese.
#[test]
fn a_lab_7_failure_is_named_and_hinted_in_chinese() {
    if !have_python("a_lab_7_failure_is_named_and_hinted_in_chinese") {
        return;
    }
    let home = temp_dir("zh-framing");
    let program = root().join("labs/07-framing/check/server_wrong_fifty.py");
    let out = lab(
        &[
            "--lang",
            "zh",
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
    assert!(
        stdout.contains("通过 3/10 line/one-byte：还原每次 send() 只发一个字节的消息"),
        "{stdout}"
    );
    assert!(
        stdout.contains("失败 4/10 line/fifty：还原一次 send() 发来的五十条消息"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("一次 recv() 可能包含多条消息：每次 recv() 之后，取出缓冲区里所有完整的消息"),
        "{stdout}"
    );
}

/// `lab --lang zh 1 starter` says in Chinese what it wrote; the command to check it is
/// the same command; a second time it refuses, in Chinese, to overwrite the file.
#[test]
fn a_starter_speaks_chinese() {
    let dir = temp_dir("zh-starter");
    let home = dir.to_path_buf();
    let dir_arg = dir.to_string_lossy().into_owned();
    let out = lab(&["--lang", "zh", "1", "starter", "--dir", &dir_arg], &home);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("：实验 1 的服务器，要写的部分标有编号的 TODO。"),
        "{stdout}"
    );
    assert!(
        stdout.contains("检查：lab check 1 server -- python3"),
        "{stdout}"
    );
    assert!(
        stdout.contains("检查会停在第一个还没写的 TODO 处。"),
        "{stdout}"
    );
    assert!(dir.join("lab1_server.py").exists());

    let again = lab(&["--lang", "zh", "1", "starter", "--dir", &dir_arg], &home);
    assert_eq!(again.status.code(), Some(1));
    let stderr = text(&again.stderr);
    assert!(
        stderr.contains("已经存在，而起始文件从不覆盖已有的文件"),
        "{stderr}"
    );
}

/// Lab 6's server may refuse an endless line by closing the connection instead of an
/// error line: in Chinese too, where the checker cannot read the failure's English
/// words, a closed connection passes. (The example server, changed to close.)
#[test]
fn a_lab_6_server_that_closes_on_an_endless_line_passes_in_chinese() {
    if !have_python("a_lab_6_server_that_closes_on_an_endless_line") {
        return;
    }
    let dir = temp_dir("zh-endless-line");
    let server = std::fs::read_to_string(root().join("labs/06-chat-room/check/server.py"))
        .expect("the lab 6 example server");
    let refusal = concat!(
        "deliver(member, f\"! that line was longer than {MAX_LINE} bytes; it was dropped\")\n",
        "                continue"
    );
    assert!(
        server.contains(refusal),
        "the example server refuses this way"
    );
    let program = dir.join("server_closes.py");
    let closes = server.replace(
        refusal,
        "conn.shutdown(socket.SHUT_RDWR)\n                break",
    );
    std::fs::write(&program, closes).expect("a temporary program");
    let home = dir.to_path_buf();
    let out = lab(
        &[
            "--lang",
            "zh",
            "check",
            "6",
            "server",
            "--slow",
            "3",
            "--",
            "python3",
            &program.to_string_lossy(),
            "{port}",
        ],
        &home,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("通过 10/11 endless-line：拒绝没有尽头的行，照常为其他成员服务"),
        "{stdout}"
    );
}
