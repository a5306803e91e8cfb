//! The Chinese documents keep step with the English ones: every guide, the answers,
//! EXERCISES.md (lab by lab) and the README have a `.zh-CN.md` twin with the same
//! shape, so that a change to one without the other fails here instead of drifting.
//!
//! The shape, compared outside code blocks: the levels of the headings in order, the
//! fenced code blocks and their info strings (`console`, `text`), the numbers of the
//! top-level numbered items (the steps), the table rows, the questions (`*Question:*`,
//! `*问题：*`) and the answers' step numbers (`**Step N.**`, `**第 N 步：**`).

use std::fs;
use std::path::Path;

use super::LABS;

/// What two twins must have in common.
#[derive(Debug, Default, PartialEq)]
struct Shape {
    headings: Vec<usize>,
    fences: Vec<String>,
    numbered: Vec<u32>,
    table_rows: usize,
    questions: usize,
    answer_steps: Vec<u32>,
}

#[derive(Clone, Copy, PartialEq)]
enum Language {
    English,
    Chinese,
}

fn shape(markdown: &str, language: Language) -> Shape {
    let (question, step_start, step_end) = match language {
        Language::English => ("*Question:*", "**Step ", ".**"),
        Language::Chinese => ("*问题：*", "**第 ", " 步：**"),
    };
    let mut shape = Shape::default();
    let mut in_code = false;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            if !in_code {
                shape.fences.push(info.trim().to_string());
            }
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if hashes > 0 && line[hashes..].starts_with(' ') {
            shape.headings.push(hashes);
        }
        if let Some(n) = leading_number(line, ". ") {
            shape.numbered.push(n);
        }
        if line.starts_with('|') {
            shape.table_rows += 1;
        }
        shape.questions += line.matches(question).count();
        if let Some(rest) = line.strip_prefix(step_start) {
            if let Some(n) = leading_number(rest, step_end) {
                shape.answer_steps.push(n);
            }
        }
    }
    shape
}

/// `12` from `"12. text"` (with `after` = `". "`): a number at the very start of the
/// line, followed by `after`.
fn leading_number(line: &str, after: &str) -> Option<u32> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || !line[digits..].starts_with(after) {
        return None;
    }
    line[..digits].parse().ok()
}

/// The section of EXERCISES.md (or its twin) from `heading` to the next `## `.
fn section<'a>(exercises: &'a str, heading: &str) -> Option<&'a str> {
    let start = exercises.find(&format!("\n{heading}\n"))? + 1;
    let rest = &exercises[start + heading.len()..];
    let end = rest
        .find("\n## ")
        .map_or(exercises.len(), |i| start + heading.len() + i);
    Some(&exercises[start..end])
}

/// True if most of the prose (outside code) is Chinese: a twin that is really a copy
/// of the English, or left half done, fails.
fn reads_as_chinese(markdown: &str) -> bool {
    let mut in_code = false;
    let (mut chinese, mut latin) = (0usize, 0usize);
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        // Inline code and links stay as they are in both languages.
        let prose: String = line.split('`').step_by(2).collect();
        if in_code {
            continue;
        }
        chinese += prose
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .count();
        latin += prose.chars().filter(char::is_ascii_alphabetic).count();
    }
    // A Chinese character carries about as much as an English word (~5 letters).
    chinese * 5 > latin
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_twins(english: &str, chinese: &str, what: &str) {
    let (en, zh) = (
        shape(english, Language::English),
        shape(chinese, Language::Chinese),
    );
    assert_eq!(
        en, zh,
        "{what}: the Chinese twin differs in shape (left: English, right: Chinese)"
    );
    assert!(
        reads_as_chinese(chinese),
        "{what}: the Chinese twin is mostly not Chinese"
    );
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_guide_and_its_answers_have_a_chinese_twin_of_the_same_shape() {
    for lab in LABS {
        let folder = root().join("labs").join(lab.folder());
        let guide = folder.join("README.zh-CN.md");
        assert_eq!(
            read(&guide),
            lab.zh.guide,
            "{} is built in",
            guide.display()
        );
        assert_twins(lab.guide, lab.zh.guide, &guide.display().to_string());
        let answers = folder.join("answers.md");
        let answers_zh = folder.join("answers.zh-CN.md");
        assert_eq!(read(&answers_zh), lab.zh.answers);
        assert_twins(
            &read(&answers),
            lab.zh.answers,
            &answers_zh.display().to_string(),
        );
    }
}

#[test]
fn every_exercises_section_has_a_chinese_twin_of_the_same_shape() {
    let english = read(&root().join("EXERCISES.md"));
    let chinese = read(&root().join("EXERCISES.zh-CN.md"));
    let intro = |text: &str| {
        text[..text
            .find("\n## Lab 1 ")
            .or(text.find("\n## 实验 1 "))
            .unwrap()]
            .to_string()
    };
    assert_twins(
        &intro(&english),
        &intro(&chinese),
        "EXERCISES.zh-CN.md, the introduction",
    );
    for lab in LABS {
        let en = section(&english, &format!("## Lab {} — {}", lab.number, lab.slug));
        let zh = section(&chinese, &format!("## 实验 {} — {}", lab.number, lab.slug));
        let what = format!(
            "EXERCISES.zh-CN.md, `## 实验 {} — {}`",
            lab.number, lab.slug
        );
        let (Some(en), Some(zh)) = (en, zh) else {
            panic!("{what}: missing (or its English section is)");
        };
        assert_twins(en, zh, &what);
    }
    assert_twins(&english, &chinese, "EXERCISES.zh-CN.md");
}

#[test]
fn the_readme_has_a_chinese_twin_of_the_same_shape() {
    let english = read(&root().join("README.md"));
    let chinese = read(&root().join("README.zh-CN.md"));
    assert_twins(&english, &chinese, "README.zh-CN.md");
    assert!(english.contains("README.zh-CN.md") && chinese.contains("(README.md)"));
}

#[test]
fn the_shape_sees_headings_steps_questions_tables_and_code() {
    let english = "# T\n\n## A\n\n1. Do.\n\n   *Question:* why?\n\n| a |\n|---|\n\n\
                   ```console\n# not a heading\n2. not a step\n```\n\n**Step 1.** Because.\n";
    let chinese = "# 题\n\n## 甲\n\n1. 做。\n\n   *问题：* 为什么？\n\n| a |\n|---|\n\n\
                   ```console\n# not a heading\n2. not a step\n```\n\n**第 1 步：** 因为。\n";
    let en = shape(english, Language::English);
    assert_eq!(en.headings, vec![1, 2]);
    assert_eq!(en.numbered, vec![1]);
    assert_eq!((en.questions, en.table_rows), (1, 2));
    assert_eq!(en.fences, vec!["console".to_string()]);
    assert_eq!(en.answer_steps, vec![1]);
    assert_eq!(en, shape(chinese, Language::Chinese));
    // One question fewer, and the twins differ.
    let fewer = chinese.replace("*问题：* ", "");
    assert_ne!(en, shape(&fewer, Language::Chinese));
    assert!(reads_as_chinese(chinese) && !reads_as_chinese(english));
}
