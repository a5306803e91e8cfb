//! `lab --lang zh check`: the stages of labs 3 to 5 speak Chinese. Stage ids, the
//! program's own output and the bytes on the wire stay as they are.

use crate::harness::*;

/// A lab 3 server that sends the typed str instead of bytes fails at `reply`: the
/// stage names, the phrase the failure quotes and the hint are Chinese.
#[test]
fn lab_3_in_chinese_names_its_stages_and_hints_in_chinese() {
    if !have_python("lab_3_in_chinese") {
        return;
    }
    let home = temp_dir("lang-3");
    let program = root().join("labs/03-half-duplex/check/server_wrong_reply.py");
    let out = lab(
        &[
            "--lang",
            "zh",
            "check",
            "3",
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
