//! The stages of lab 2 (encoding): text is bytes. Each check runs twice, once per
//! encoding: `{encoding}` in the command (and `LAB_ENCODING`) is `utf-8`, then `gbk`.
//!
//! - The server's task: print every complete character as it arrives, one line per
//!   recv(), decoding with the encoding it was given. A character split across two
//!   recv() calls comes out whole (a streaming decoder keeps the first half); bytes
//!   that are not valid in the encoding do not crash it; one client after another.
//!   (`lab 2 server --print ENCODING` does exactly this.)
//! - The client's task: send each typed line in the encoding it was given (`尹哲` is
//!   `e5 b0 b9 e5 93 b2` in UTF-8 and `d2 fc d5 dc` in GBK), without waiting for a
//!   reply (the server sends none); the end of input closes the connection.

use std::net::TcpStream;
use std::thread;

use encoding_rs::{Encoding, GBK, UTF_8};

use super::{hint, Failure, Outcome, Plan, Role, Run, Session, Stage};
use crate::lang::{pick, tr};

const LAB: u8 = 2;
/// How long the program may take to show or send something.
const WAIT: f64 = 3.0;

const ENCODINGS: [&str; 2] = ["utf-8", "gbk"];

pub fn plan(role: Role) -> Plan {
    let runs = ENCODINGS
        .iter()
        .map(|encoding| Run {
            label: Some(encoding.to_string()),
            vars: vec![("encoding", encoding.to_string())],
            stages: match role {
                Role::Server => server_stages(),
                Role::Client => client_stages(),
            },
        })
        .collect();
    Plan { runs }
}

fn server_stages() -> Vec<Stage> {
    vec![
        Stage {
            id: "accept",
            name: pick(
                "listens on the port it was given and accepts a client",
                "在给定的端口上监听，并接受一个客户端",
            ),
            run: server_accepts,
        },
        Stage {
            id: "text",
            name: pick(
                "prints what one recv() got as a line of text",
                "把一次 recv() 收到的内容作为一行文本打印出来",
            ),
            run: server_prints_text,
        },
        Stage {
            id: "chinese",
            name: pick("decodes with the encoding it was given", "用给定的编码解码"),
            run: server_decodes_chinese,
        },
        Stage {
            id: "split",
            name: pick(
                "prints a character split across two send()s whole",
                "被两次 send() 切开的字符也能完整打印",
            ),
            run: server_joins_split_character,
        },
        Stage {
            id: "invalid",
            name: pick(
                "survives bytes that are not valid in the encoding",
                "收到该编码中无效的字节时照常运行",
            ),
            run: server_survives_invalid_bytes,
        },
        Stage {
            id: "next-client",
            name: pick(
                "serves the next client after one leaves",
                "一个客户端离开后，接着服务下一个",
            ),
            run: server_serves_next_client,
        },
    ]
}

fn client_stages() -> Vec<Stage> {
    vec![
        Stage {
            id: "connect",
            name: pick("connects to the port it was given", "连接到给定的端口"),
            run: client_connects,
        },
        Stage {
            id: "ascii",
            name: pick("sends a typed line", "发送输入的一行"),
            run: client_sends_ascii,
        },
        Stage {
            id: "no-reply",
            name: pick(
                "sends the next line without waiting for a reply",
                "不等回复就发送下一行",
            ),
            run: client_does_not_wait_for_reply,
        },
        Stage {
            id: "chinese",
            name: pick(
                "encodes with the encoding it was given",
                "按给定的编码进行编码",
            ),
            run: client_encodes_chinese,
        },
        Stage {
            id: "end-of-input",
            name: pick(
                "closes the connection and ends at the end of input",
                "输入结束时关闭连接并结束",
            ),
            run: client_closes_at_end_of_input,
        },
    ]
}

/// The run's encoding.
fn encoding(s: &Session) -> &'static Encoding {
    if s.var("encoding") == "gbk" {
        GBK
    } else {
        UTF_8
    }
}

fn encode(s: &Session, text: &str) -> Vec<u8> {
    encoding(s).encode(text).0.into_owned()
}

// ---------------------------------------------------------------------------------
// Checking a server
// ---------------------------------------------------------------------------------

/// True if one of the lines of `out` is `text` (a `\r` before the newline allowed).
fn has_line(out: &[u8], text: &str) -> bool {
    out.split(|&b| b == b'\n')
        .any(|line| line.strip_suffix(b"\r").unwrap_or(line) == text.as_bytes())
}

/// Sends `text` encoded and waits for the line `text`.
fn expect_line(s: &mut Session, conn: &mut TcpStream, text: &str) -> Outcome {
    s.mark_output();
    let bytes = encode(s, text);
    s.send(conn, &bytes)?;
    s.expect_output_matching(WAIT, &tr!("the line {text:?}", "一行 {text:?}"), &|out| {
        has_line(out, text)
    })
    .map(|_| ())
}

fn take_or_connect(s: &mut Session) -> Result<TcpStream, Failure> {
    match s.conn.take() {
        Some(conn) => Ok(conn),
        None => s.connect(),
    }
}

fn server_accepts(s: &mut Session) -> Outcome {
    let conn = s.connect().map_err(hint(
        LAB,
        pick(
            "bind the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed 12345",
            "绑定命令行给出的端口（sys.argv[1]）或 LAB_PORT，而不是固定的 12345",
        ),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_prints_text(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    expect_line(s, &mut conn, "hello").map_err(hint(
        LAB,
        pick("print the decoded text, alone on its line: print(decoder.decode(data)); \
         print(data) shows b'...' instead", "打印解码后的文本，单独占一行：print(decoder.decode(data))；print(data) 显示的是 b'...'"),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_decodes_chinese(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    expect_line(s, &mut conn, "尹哲").map_err(hint(
        LAB,
        pick("decode with the encoding given as the second argument ({encoding}) or \
         LAB_ENCODING: GBK bytes read as UTF-8 (or the other way round) are not your text", "用第二个参数（{encoding}）或 LAB_ENCODING 给出的编码解码：把 GBK 字节当作 UTF-8 读（或者反过来），得到的就不是原来的文字"),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_joins_split_character(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    let bytes = encode(s, "你好");
    // Cut inside the first character: one byte in GBK, two in UTF-8.
    let cut = if encoding(s) == GBK { 1 } else { 2 };
    s.mark_output();
    s.send(&mut conn, &bytes[..cut])?;
    s.did(pick(
        "waited 0.3 s, so the two parts arrive in two recv() calls",
        "等了 0.3 秒，让这两部分分两次 recv() 到达",
    ));
    thread::sleep(s.secs(0.3));
    s.send(&mut conn, &bytes[cut..])?;
    s.expect_output_matching(WAIT, pick("\"你好\" whole", "完整的 \"你好\""), &|out| {
        let joined: Vec<u8> = out
            .iter()
            .copied()
            .filter(|&b| b != b'\n' && b != b'\r')
            .collect();
        super::contains(&joined, "你好".as_bytes())
    })
    .map_err(hint(
        LAB,
        pick("a recv() may end in the middle of a character: decode with an incremental \
         decoder that keeps the unfinished bytes for the next recv() \
         (codecs.getincrementaldecoder(encoding)(errors=\"replace\")), not data.decode() \
         on each recv() alone", "一次 recv() 可能在一个字符的中间结束：用增量解码器解码，它会把还不完整的字节留到下一次 recv()（codecs.getincrementaldecoder(encoding)(errors=\"replace\")），而不是对每次 recv() 收到的数据单独 data.decode()"),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn server_survives_invalid_bytes(s: &mut Session) -> Outcome {
    let mut conn = take_or_connect(s)?;
    let how = hint(
        LAB,
        pick("bytes that are not valid in the encoding must not crash the server: decode with \
         errors=\"replace\" (they show as �), as Python's strict decode() raises \
         UnicodeDecodeError", "该编码中无效的字节不能让服务器崩溃：用 errors=\"replace\" 解码（它们显示为 �），因为 Python 默认的严格 decode() 会抛出 UnicodeDecodeError"),
    );
    // 0xff starts no character in UTF-8 or in GBK.
    s.mark_output();
    s.send(&mut conn, b"\xff")?;
    s.did(pick("waited 0.2 s", "等了 0.2 秒"));
    thread::sleep(s.secs(0.2));
    // A decoder may print the replacement mark with the next characters: "�再见".
    let bytes = encode(s, "再见");
    s.send(&mut conn, &bytes)?;
    s.expect_output(
        "再见".as_bytes(),
        WAIT,
        pick("\"再见\" after the invalid byte", "无效字节之后的 \"再见\""),
    )
    .map_err(&how)?;
    s.conn = Some(conn);
    Ok(())
}

fn server_serves_next_client(s: &mut Session) -> Outcome {
    if let Some(conn) = s.conn.take() {
        s.close(conn);
    }
    let mut conn = s.connect()?;
    expect_line(s, &mut conn, "again").map_err(hint(
        LAB,
        pick("put accept() in a loop, and start a fresh decoder for each client: after one \
         client leaves (recv() returns 0 bytes), wait for the next", "把 accept() 放进循环，并为每个客户端新建一个解码器：一个客户端离开后（recv() 返回 0 字节），等待下一个"),
    ))?;
    s.close(conn);
    Ok(())
}

// ---------------------------------------------------------------------------------
// Checking a client
// ---------------------------------------------------------------------------------

fn take_or_accept(s: &mut Session) -> Result<TcpStream, Failure> {
    match s.conn.take() {
        Some(conn) => Ok(conn),
        None => s.accept(),
    }
}

fn client_connects(s: &mut Session) -> Outcome {
    let conn = s.accept().map_err(hint(
        LAB,
        pick(
            "connect to the port from the command line (sys.argv[1]) or LAB_PORT, not a fixed \
         12345",
            "连接命令行给出的端口（sys.argv[1]）或 LAB_PORT，而不是固定的 12345",
        ),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

/// Types `text` and expects its bytes in the run's encoding (a newline after them
/// allowed).
fn expect_typed(s: &mut Session, conn: &mut TcpStream, text: &str) -> Outcome {
    s.type_line(text)?;
    let bytes = encode(s, text);
    s.expect_bytes(
        conn,
        &bytes,
        true,
        WAIT,
        &tr!("{text:?} as bytes", "{text:?} 编码后的字节"),
    )
}

fn client_sends_ascii(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    expect_typed(s, &mut conn, "hello").map_err(hint(
        LAB,
        pick(
            "send each typed line: client.sendall(line.encode(encoding))",
            "发送输入的每一行：client.sendall(line.encode(encoding))",
        ),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_does_not_wait_for_reply(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    expect_typed(s, &mut conn, "world").map_err(hint(
        LAB,
        pick("the lab 2 server never replies: send each line and read the next one, without \
         a recv() in between (a lab 1 client waits for ever here)", "实验 2 的服务器从不回复：发送一行，接着读下一行，中间不要 recv()（实验 1 的客户端会在这里一直等下去）"),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_encodes_chinese(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    expect_typed(s, &mut conn, "尹哲").map_err(hint(
        LAB,
        pick("encode with the encoding given as the second argument ({encoding}) or \
         LAB_ENCODING: line.encode(encoding). 尹哲 is e5 b0 b9 e5 93 b2 in UTF-8 and \
         d2 fc d5 dc in GBK", "用第二个参数（{encoding}）或 LAB_ENCODING 给出的编码来编码：line.encode(encoding)。尹哲 在 UTF-8 中是 e5 b0 b9 e5 93 b2，在 GBK 中是 d2 fc d5 dc"),
    ))?;
    s.conn = Some(conn);
    Ok(())
}

fn client_closes_at_end_of_input(s: &mut Session) -> Outcome {
    let mut conn = take_or_accept(s)?;
    let how = hint(
        LAB,
        pick("at the end of input (input() raises EOFError; Ctrl-D, or the end of a piped \
         file) leave the loop and close the socket, so the server's recv() returns 0 bytes", "输入结束时（input() 抛出 EOFError；按了 Ctrl-D，或通过管道输入的文件读完了），跳出循环并关闭套接字，这样服务器的 recv() 才会返回 0 字节"),
    );
    s.close_stdin();
    s.expect_closed(
        &mut conn,
        WAIT,
        pick(
            "at the end of input the client closes",
            "输入结束时，客户端应关闭连接",
        ),
    )
    .map_err(&how)?;
    s.expect_exit(
        WAIT,
        pick(
            "at the end of input the client ends",
            "输入结束时，客户端应结束",
        ),
    )
    .map_err(&how)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_must_be_the_text_alone() {
        assert!(has_line(b"listening\nhello\n", "hello"));
        assert!(has_line(b"hello\r\n", "hello"));
        assert!(!has_line(b"b'hello'\n", "hello"));
        assert!(!has_line(b"hello world\n", "hello"));
    }

    #[test]
    fn yin_zhe_in_gbk_is_d2_fc_d5_dc() {
        assert_eq!(&GBK.encode("尹哲").0[..], b"\xd2\xfc\xd5\xdc");
        assert_eq!(&UTF_8.encode("尹哲").0[..], b"\xe5\xb0\xb9\xe5\x93\xb2");
    }
}
