//! The starters in Chinese: `labs/NN-slug/starters/labN_server.zh-CN.py` beside
//! `labN_server.py`, the same program with its comments and docstrings in 简体中文.
//! The student gets it under the English file name (`lab1_server.py`) when `lab` speaks
//! Chinese. Only comments and docstrings differ: the code, and every string the
//! program prints or sends (`TODO 3 (listen): not written yet`, which `lab check`
//! quotes), are byte for byte the English ones; a test holds every twin to that.

use super::Language;
use crate::check::Role;

/// The Chinese twin of a lab's starter for a role and language, if there is one.
pub(super) fn starter(lab: u8, role: Role, language: Language) -> Option<&'static str> {
    use Language::{Python, Rust};
    use Role::{Client, Server};
    Some(match (lab, role, language) {
        (1, Server, Python) => include_str!("../../../labs/01-echo/starters/lab1_server.zh-CN.py"),
        (1, Client, Python) => include_str!("../../../labs/01-echo/starters/lab1_client.zh-CN.py"),
        (1, Server, Rust) => include_str!("../../../labs/01-echo/starters/lab1_server.zh-CN.rs"),
        (1, Client, Rust) => include_str!("../../../labs/01-echo/starters/lab1_client.zh-CN.rs"),
        (2, Server, Python) => {
            include_str!("../../../labs/02-encoding/starters/lab2_server.zh-CN.py")
        }
        (2, Client, Python) => {
            include_str!("../../../labs/02-encoding/starters/lab2_client.zh-CN.py")
        }
        (2, Server, Rust) => {
            include_str!("../../../labs/02-encoding/starters/lab2_server.zh-CN.rs")
        }
        (2, Client, Rust) => {
            include_str!("../../../labs/02-encoding/starters/lab2_client.zh-CN.rs")
        }
        (3, Server, Python) => {
            include_str!("../../../labs/03-half-duplex/starters/lab3_server.zh-CN.py")
        }
        (3, Client, Python) => {
            include_str!("../../../labs/03-half-duplex/starters/lab3_client.zh-CN.py")
        }
        (3, Server, Rust) => {
            include_str!("../../../labs/03-half-duplex/starters/lab3_server.zh-CN.rs")
        }
        (3, Client, Rust) => {
            include_str!("../../../labs/03-half-duplex/starters/lab3_client.zh-CN.rs")
        }
        (4, Server, Python) => {
            include_str!("../../../labs/04-threads/starters/lab4_server.zh-CN.py")
        }
        (4, Client, Python) => {
            include_str!("../../../labs/04-threads/starters/lab4_client.zh-CN.py")
        }
        (4, Server, Rust) => include_str!("../../../labs/04-threads/starters/lab4_server.zh-CN.rs"),
        (4, Client, Rust) => include_str!("../../../labs/04-threads/starters/lab4_client.zh-CN.rs"),
        (5, Server, Python) => include_str!("../../../labs/05-udp/starters/lab5_server.zh-CN.py"),
        (5, Client, Python) => include_str!("../../../labs/05-udp/starters/lab5_client.zh-CN.py"),
        (5, Server, Rust) => include_str!("../../../labs/05-udp/starters/lab5_server.zh-CN.rs"),
        (5, Client, Rust) => include_str!("../../../labs/05-udp/starters/lab5_client.zh-CN.rs"),
        (6, Server, Python) => {
            include_str!("../../../labs/06-chat-room/starters/lab6_server.zh-CN.py")
        }
        (6, Client, Python) => {
            include_str!("../../../labs/06-chat-room/starters/lab6_client.zh-CN.py")
        }
        (6, Server, Rust) => {
            include_str!("../../../labs/06-chat-room/starters/lab6_server.zh-CN.rs")
        }
        (6, Client, Rust) => {
            include_str!("../../../labs/06-chat-room/starters/lab6_client.zh-CN.rs")
        }
        (7, Server, Python) => {
            include_str!("../../../labs/07-framing/starters/lab7_server.zh-CN.py")
        }
        (7, Client, Python) => {
            include_str!("../../../labs/07-framing/starters/lab7_client.zh-CN.py")
        }
        (7, Server, Rust) => include_str!("../../../labs/07-framing/starters/lab7_server.zh-CN.rs"),
        (7, Client, Rust) => include_str!("../../../labs/07-framing/starters/lab7_client.zh-CN.rs"),
        _ => return None,
    })
}

/// Why a twin is not the English program with other comments: the first line pair
/// (1-based) whose code differs, or the line counts.
#[cfg(test)]
fn code_differs(en: &str, zh: &str, language: Language) -> Option<String> {
    let (en_lines, zh_lines): (Vec<&str>, Vec<&str>) = (en.lines().collect(), zh.lines().collect());
    if en_lines.len() != zh_lines.len() || en.ends_with('\n') != zh.ends_with('\n') {
        return Some(format!(
            "{} lines in English, {} in Chinese",
            en_lines.len(),
            zh_lines.len()
        ));
    }
    let (en_doc, zh_doc) = (
        docstring_lines(&en_lines, language),
        docstring_lines(&zh_lines, language),
    );
    for (i, (a, b)) in en_lines.iter().zip(&zh_lines).enumerate() {
        let same = a == b
            || (en_doc[i] && zh_doc[i])
            || (is_comment(a, language) && is_comment(b, language))
            || only_trailing_comment_differs(a, b, language);
        if !same {
            return Some(format!("line {}:\n  en: {a}\n  zh: {b}", i + 1));
        }
    }
    None
}

/// A line that is only a comment: `#` (Python) or `//`, `///`, `//!` (Rust) after the
/// indentation.
#[cfg(test)]
fn is_comment(line: &str, language: Language) -> bool {
    let line = line.trim_start();
    match language {
        Language::Python => line.starts_with('#'),
        Language::Rust => line.starts_with("//"),
    }
}

/// Which lines are inside a docstring: Python's `"""…"""` (the module's and the
/// functions'; the starters use `"""` for nothing else) or Rust's `//!` header.
#[cfg(test)]
fn docstring_lines(lines: &[&str], language: Language) -> Vec<bool> {
    match language {
        Language::Rust => {
            let header = lines.iter().take_while(|l| l.starts_with("//!")).count();
            (0..lines.len()).map(|i| i < header).collect()
        }
        Language::Python => {
            let mut inside = false;
            lines
                .iter()
                .map(|line| {
                    if inside {
                        inside = !line.contains("\"\"\"");
                        true
                    } else if let Some(rest) = line.trim_start().strip_prefix("\"\"\"") {
                        inside = !rest.contains("\"\"\"");
                        true
                    } else {
                        false
                    }
                })
                .collect()
        }
    }
}

/// Where a line's trailing comment starts (`#` or `//` outside a string), if it has
/// one.
#[cfg(test)]
fn comment_start(line: &str, language: Language) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match (language, c) {
                (Language::Python, b'#') => return Some(i),
                (Language::Rust, b'/') if bytes.get(i + 1) == Some(&b'/') => return Some(i),
                (Language::Python, b'"' | b'\'') | (Language::Rust, b'"') => quote = Some(c),
                // A Rust char literal: '"', '\'', 'x' (not a lifetime).
                (Language::Rust, b'\'') => {
                    if bytes.get(i + 1) == Some(&b'\\') {
                        i += 3;
                    } else if bytes.get(i + 2) == Some(&b'\'') {
                        i += 2;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// `code  # English` and `code  # 中文`: the same code, then each its own comment.
#[cfg(test)]
fn only_trailing_comment_differs(en: &str, zh: &str, language: Language) -> bool {
    match (comment_start(en, language), comment_start(zh, language)) {
        (Some(a), Some(b)) => a == b && en[..a] == zh[..b],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES: [Role; 2] = [Role::Server, Role::Client];
    const LANGUAGES: [Language; 2] = [Language::Python, Language::Rust];

    #[test]
    fn every_starter_has_a_chinese_twin_with_the_same_code() {
        let mut twins = 0;
        for lab in 1..=10 {
            for role in ROLES {
                for language in LANGUAGES {
                    let Some(en) = super::super::starter(lab, role, language) else {
                        assert!(starter(lab, role, language).is_none());
                        continue;
                    };
                    let zh = starter(lab, role, language)
                        .unwrap_or_else(|| panic!("no twin for lab {lab} {role:?} {language:?}"));
                    if let Some(why) = code_differs(en, zh, language) {
                        panic!("lab {lab} {role:?} {language:?}: the code differs at {why}");
                    }
                    twins += 1;
                }
            }
        }
        assert_eq!(twins, 28);
    }

    #[test]
    fn every_twin_speaks_chinese_and_keeps_its_todo_line() {
        for lab in 1..=7 {
            for role in ROLES {
                for language in LANGUAGES {
                    let zh = starter(lab, role, language).unwrap();
                    let han = zh
                        .chars()
                        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
                        .count();
                    assert!(
                        han > 100,
                        "lab {lab} {role:?} {language:?}: {han} Chinese characters"
                    );
                    assert!(zh.contains("TODO {number} ({step}): not written yet"));
                }
            }
        }
    }

    #[test]
    fn a_changed_line_of_code_is_caught() {
        let en = "\"\"\"Doc.\n\nMore.\n\"\"\"\nx = 1  # one\n# a comment\nprint(\"a # b\")\n";
        let zh = "\"\"\"文档。\n\n更多。\n\"\"\"\nx = 1  # 一\n# 注释\nprint(\"a # b\")\n";
        assert_eq!(code_differs(en, zh, Language::Python), None);
        for broken in [
            zh.replace("x = 1", "x = 2"),
            zh.replace("print(\"a # b\")", "print(\"a # c\")"),
            zh.replace("x = 1  # 一", "x = 1"),
            zh.replace("\"\"\"\nx", "x"),
            zh.replace("# 注释\n", ""),
        ] {
            assert!(
                code_differs(en, &broken, Language::Python).is_some(),
                "{broken}"
            );
        }
        let en = "//! Doc.\nfn main() {\n    let c = '\"'; // a quote\n    // say it\n    println!(\"a // b\");\n}\n";
        let zh = "//! 文档。\nfn main() {\n    let c = '\"'; // 引号\n    // 打印\n    println!(\"a // b\");\n}\n";
        assert_eq!(code_differs(en, zh, Language::Rust), None);
        for broken in [
            zh.replace("'\"'", "'x'"),
            zh.replace("a // b", "a // c"),
            zh.replace("    // 打印", "    println!();"),
            zh.replace("//! 文档。", "fn f() {}"),
        ] {
            assert!(
                code_differs(en, &broken, Language::Rust).is_some(),
                "{broken}"
            );
        }
    }
}
