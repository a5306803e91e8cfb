//! `lab N guide`: the Markdown as it is on a pipe, laid out for an 80-column terminal
//! when asked to (`SOCKET_LAB_RENDER=1`, which a terminal implies; no pager on a pipe).

mod common;

use common::lab_cmd;
use unicode_width::UnicodeWidthStr;

/// The lab numbers `lab list` names (its lines that start with a number).
fn lab_numbers() -> Vec<String> {
    let list = lab_cmd(&["list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(list)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|first| first.parse::<u8>().is_ok())
        .map(str::to_string)
        .collect()
}

/// The languages `lab` speaks, and the guide file each one prints.
const LANGUAGES: [(&str, &str); 2] = [("en", "README.md"), ("zh", "README.zh-CN.md")];

fn guide(number: &str, render: bool, lang: &str) -> String {
    let mut cmd = lab_cmd(&["--lang", lang, number, "guide"]);
    if render {
        cmd.env("SOCKET_LAB_RENDER", "1")
            .env("SOCKET_LAB_COLUMNS", "80");
    }
    String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
}

/// The lines inside fenced code blocks (fences may be indented, in a list item), and
/// the headings outside them.
fn code_lines_and_headings(markdown: &str) -> (Vec<&str>, Vec<&str>) {
    let (mut code, mut headings) = (Vec::new(), Vec::new());
    let mut inside = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if inside {
            code.push(line);
        } else if line.starts_with('#') {
            headings.push(line);
        }
    }
    (code, headings)
}

fn each_lab_in_each_language() -> Vec<(String, (&'static str, &'static str))> {
    let labs = lab_numbers();
    LANGUAGES
        .iter()
        .flat_map(|language| labs.iter().map(move |n| (n.clone(), *language)))
        .collect()
}

fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn on_a_pipe_the_guide_is_the_markdown_file_as_it_is() {
    for (number, (lang, file)) in each_lab_in_each_language() {
        let raw = guide(&number, false, lang);
        let folder = std::fs::read_dir("labs")
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| {
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                name.split('-').next().and_then(|n| n.parse::<u8>().ok())
                    == number.parse::<u8>().ok()
            })
            .unwrap_or_else(|| panic!("no labs/ folder for lab {number}"));
        let file = std::fs::read_to_string(folder.join(file)).unwrap();
        assert!(
            raw.starts_with(&file),
            "lab {number} --lang {lang}: not the file as it is"
        );
    }
}

#[test]
fn laid_out_at_80_columns_every_guide_fits_and_keeps_its_headings() {
    for (number, (lang, _)) in each_lab_in_each_language() {
        let (raw, shown) = (guide(&number, false, lang), guide(&number, true, lang));
        // Named in the messages below as `lab 1 --lang zh`.
        let number = format!("{number} --lang {lang}");
        if raw.contains("\n| ") {
            assert!(
                shown.contains('│'),
                "lab {number}: its table is not laid out"
            );
        }
        assert!(
            !shown.contains('\x1b'),
            "lab {number}: colours with NO_COLOR"
        );
        let (code, headings) = code_lines_and_headings(&raw);
        for line in shown.lines() {
            // A code line is never re-wrapped (it would no longer be the command):
            // a wider one may overflow.
            if line.width() > 80 {
                assert!(
                    code.contains(&line),
                    "lab {number}: {} columns: {line:?}",
                    line.width()
                );
            }
        }
        let shown_words = words(&shown);
        for heading in headings {
            assert!(
                shown_words.contains(&words(heading)),
                "lab {number}: heading {heading:?} is missing"
            );
        }
        // Every line of code (commands, output, the Python peers) is there whole.
        let shown_lines: Vec<&str> = shown.lines().collect();
        for line in code.iter().filter(|line| !line.contains('\t')) {
            assert!(
                shown_lines.contains(line),
                "lab {number}: code line changed: {line:?}"
            );
        }
    }
}

#[test]
fn no_color_lays_the_guide_out_without_escapes() {
    let shown = lab_cmd(&["--no-color", "1", "guide"])
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .env("SOCKET_LAB_RENDER", "1")
        .env("SOCKET_LAB_COLUMNS", "80")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let shown = String::from_utf8(shown).unwrap();
    assert!(!shown.contains('\x1b'), "{shown}");
    assert!(shown.contains("## Run it"), "{shown}");
}

#[test]
fn in_chinese_the_guide_and_the_answers_are_the_chinese_ones() {
    let guide = lab_cmd(&["--lang", "zh", "3", "guide"]).assert().success();
    let guide = String::from_utf8_lossy(&guide.get_output().stdout).to_string();
    assert!(guide.starts_with("# 实验 3 — half-duplex"), "{guide}");
    let answers = lab_cmd(&["--lang", "zh", "3", "answers"])
        .assert()
        .success();
    let answers = String::from_utf8_lossy(&answers.get_output().stdout).to_string();
    assert!(answers.contains("**第 1 步：**"), "{answers}");
    // A Chinese locale chooses Chinese; `--lang en` overrides it.
    let chinese = lab_cmd(&["1", "answers"])
        .env_remove("LC_ALL")
        .env("LANG", "zh_CN.UTF-8")
        .assert()
        .success();
    let chinese = String::from_utf8_lossy(&chinese.get_output().stdout).to_string();
    assert!(chinese.contains("**第 1 步：**"), "{chinese}");
    let english = lab_cmd(&["--lang", "en", "1", "answers"])
        .env_remove("LC_ALL")
        .env("LANG", "zh_CN.UTF-8")
        .assert()
        .success();
    let english = String::from_utf8_lossy(&english.get_output().stdout).to_string();
    assert!(english.contains("**Step 1.**"), "{english}");
}
