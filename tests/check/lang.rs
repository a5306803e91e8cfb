//! `lab --lang zh check`: the runner and the stages speak Chinese (stage names, the
//! failure, the diff's labels, the hint, the summary), while the bytes, the stage ids,
//! the socket calls, the program's own output and `--json`'s keys stay as they are.
//! Also `lab --lang zh N starter`.

use crate::harness::*;

/// A wrong lab 1 server (it echoes without the time) fails at `hello`, explained in
/// Chinese, with the bytes and the marker under the first difference as usual.
#[test]
fn a_failed_stage_is_explained_in_chinese_with_the_bytes_as_they_are() {
    if !have_python("a_failed_stage_in_chinese") {
        return;
    }
    let home = temp_dir("zh-hello");
    let program = root().join("labs/01-echo/check/server_wrong_hello.py");
    let out = check_in_chinese("1", "server", &program, &[], &home);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    for said in [
        "lab check 1 server：共 7 个阶段；你的程序：python3 ",
        "通过 1/7 accept：在给定的端口上监听，并接受一个客户端",
        "失败 2/7 hello：收到 `hello` 时回复 `<ctime> hello`",
        "  检查程序的操作：\n    - 发送了 \"hello\"（5 字节）",
        "检查程序在等回复，收到的字节却对不上",
        // The labels are as wide as each other: the marker sits under the `h`.
        "    收到：\"hello\"\n           ^ 第一处不同：字节 0\n",
        "  你的程序最后的输出：\n    [你的程序] listening on 127.0.0.1:",
        "  提示：回复 ctime() + \" \" + 收到的消息，用 UTF-8 编码",
        "详见实验 1（`lab 1 guide`）",
        "7 个阶段中通过了 1 个",
    ] {
        assert!(stdout.contains(said), "no {said:?} in:\n{stdout}");
    }
    assert!(stdout.contains("    期望：\"") && stdout.contains(" hello\"\n"));
    assert!(
        !stdout.contains("hint:") && !stdout.contains("PASS"),
        "{stdout}"
    );
}

/// A wrong lab 2 client (it sends UTF-8 whatever it is told) fails at `gbk/chinese`:
/// the sentence holds the stage's Chinese noun phrase; the expected bytes are GBK's.
#[test]
fn a_lab_2_client_is_told_in_chinese_which_bytes_it_should_have_sent() {
    if !have_python("a_lab_2_client_in_chinese") {
        return;
    }
    let home = temp_dir("zh-gbk");
    let program = root().join("labs/02-encoding/check/client_wrong_chinese.py");
    let out = check_in_chinese("2", "client", &program, &["{encoding}"], &home);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    for said in [
        "失败 9/10 gbk/chinese：按给定的编码进行编码",
        "    - 输入了 \"尹哲\" 并按下回车",
        "检查程序在等\"尹哲\" 编码后的字节，收到的却是别的字节",
        "    期望：\"\\xd2\\xfc\\xd5\\xdc\"\n",
        "  提示：用第二个参数（{encoding}）或 LAB_ENCODING 给出的编码来编码",
    ] {
        assert!(stdout.contains(said), "no {said:?} in:\n{stdout}");
    }
}

/// `--json` keeps its keys and the stage ids; the names and details a person reads
/// are Chinese.
#[test]
fn json_keeps_its_keys_and_ids_in_chinese() {
    if !have_python("json_in_chinese") {
        return;
    }
    let home = temp_dir("zh-json");
    let program = root().join("labs/01-echo/check/client_wrong_refused.py");
    let out = check_python(
        &[
            "--lang", "zh", "check", "1", "client", "--json", "--slow", "3",
        ],
        &program,
        &[],
        &home,
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("JSON: {}", text(&out.stdout)));
    let stages = json["stages"].as_array().expect("stages");
    let refused = stages.last().expect("a last stage");
    assert_eq!(refused["id"], "refused");
    assert_eq!(refused["passed"], false);
    assert_eq!(
        refused["name"],
        "没有程序在监听时，说明情况并以非零退出码退出"
    );
    let detail = refused["detail"].as_str().expect("detail");
    assert!(
        detail.contains("你的客户端没能连上服务器，却以退出码 0（成功）结束了")
            && detail.contains("提示：以非零退出码退出：sys.exit(1)"),
        "{detail}"
    );
}

/// Usage errors of `lab check` are Chinese too, after the `错误：` label.
#[test]
fn check_usage_errors_are_chinese() {
    let home = temp_dir("zh-usage");
    let out = lab(&["--lang", "zh", "check", "99", "server", "--", "x"], &home);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("错误：没有实验 \"99\"；`lab list` 会列出所有实验"),
        "{}",
        text(&out.stderr)
    );
    let empty = temp_dir("zh-empty-class");
    let class = empty.to_string_lossy().into_owned();
    let out = lab(
        &[
            "--lang", "zh", "check", "1", "server", "--class", &class, "--", "x",
        ],
        &home,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("里没有文件夹：--class 要求每个学生一个文件夹"),
        "{}",
        text(&out.stderr)
    );
}

/// A lab 3 server that sends the typed str instead of bytes fails at `reply`: the
/// stage names, the phrase the failure quotes and the hint are Chinese.
#[test]
fn lab_3_in_chinese_names_its_stages_and_hints_in_chinese() {
    if !have_python("lab_3_in_chinese") {
        return;
    }
    let home = temp_dir("lang-3");
    let program = root().join("labs/03-half-duplex/check/server_wrong_reply.py");
    let out = check_in_chinese("3", "server", &program, &[], &home);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("通过 2/8 client-first：让客户端先说话，并显示它的消息"),
        "{stdout}"
    );
    assert!(
        stdout.contains("失败 3/8 reply：发送操作员输入的回复"),
        "{stdout}"
    );
    // The failure names what the checker waited for in Chinese.
    assert!(stdout.contains("操作员的回复"), "{stdout}");
    assert!(
        stdout.contains(
            "把输入的一行作为字节发送：conn.sendall(reply.encode(\"utf-8\"))；直接发送 str \
             会引发 TypeError"
        ),
        "{stdout}"
    );
    assert!(
        !stdout.contains("sends the reply the operator typed"),
        "{stdout}"
    );
    // The student's own output is quoted as it was printed.
    assert!(
        stdout.contains("TypeError: a bytes-like object"),
        "{stdout}"
    );
}

/// A wrong lab 7 server (it answers only the first of fifty messages stuck together)
/// fails at `line/fifty`, named in Chinese, with the hint in Chinese.
#[test]
fn a_lab_7_failure_is_named_and_hinted_in_chinese() {
    if !have_python("a_lab_7_failure_is_named_and_hinted_in_chinese") {
        return;
    }
    let home = temp_dir("zh-framing");
    let program = root().join("labs/07-framing/check/server_wrong_fifty.py");
    let out = check_in_chinese("7", "server", &program, &["{framing}"], &home);
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
    let out = check_in_chinese("6", "server", &program, &[], &home);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("通过 10/11 endless-line：拒绝没有尽头的行，照常为其他成员服务"),
        "{stdout}"
    );
}
