//! The Python peers that EXERCISES.md runs (`labs/NN-slug/peers/*.py`): `lab N
//! guide` prints each one, `lab N answers` prints the lab's answers, and each peer,
//! run once against its lab's server, does what the step says. The runs need
//! python3; without it they say so and pass.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{lab_cmd, Lab, PATIENCE};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every `labs/NN-slug/peers/*.py` that EXERCISES.md names, with its lab number.
fn peers_named_in_exercises() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("EXERCISES.md")).expect("EXERCISES.md");
    let mut peers: Vec<(String, String)> = Vec::new();
    for (i, _) in text.match_indices("labs/") {
        let path: String = text[i..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '`')
            .collect();
        if !(path.contains("/peers/") && path.ends_with(".py")) {
            continue;
        }
        let number = path["labs/".len().."labs/".len() + 2]
            .trim_start_matches('0')
            .to_string();
        if !peers.iter().any(|(_, p)| *p == path) {
            peers.push((number, path));
        }
    }
    peers
}

#[test]
fn every_peer_that_exercises_runs_exists_and_its_lab_guide_prints_it() {
    let peers = peers_named_in_exercises();
    assert!(!peers.is_empty(), "EXERCISES.md names no peer");
    for (number, path) in peers {
        let source = std::fs::read_to_string(root().join(&path))
            .unwrap_or_else(|_| panic!("EXERCISES.md names {path}, which does not exist"));
        let guide = lab_cmd(&[&number, "guide"]).assert().success();
        let guide = String::from_utf8_lossy(&guide.get_output().stdout).into_owned();
        assert!(
            guide.contains(&format!("## Peer: {path}")),
            "lab {number} guide"
        );
        assert!(guide.contains(&source), "lab {number} guide lacks {path}");
    }
}

#[test]
fn lab_answers_prints_the_answers_of_the_lab_by_number_or_slug() {
    let mut labs = 0;
    for entry in std::fs::read_dir(root().join("labs")).expect("labs/") {
        let folder = entry.expect("a labs/ entry").path();
        let Ok(answers) = std::fs::read_to_string(folder.join("answers.md")) else {
            continue;
        };
        let name = folder.file_name().unwrap().to_string_lossy().to_string();
        let (number, slug) = name.split_once('-').expect("labs/NN-slug");
        for lab in [number.trim_start_matches('0'), slug] {
            lab_cmd(&[lab, "answers"])
                .assert()
                .success()
                .stdout(answers.clone());
        }
        labs += 1;
    }
    assert!(labs >= 7, "answers.md found for {labs} labs");
}

/// python3, if this machine has it (looked up on PATH: starting Python only to ask
/// costs most of a second); otherwise the test says why it skips.
fn python3(test: &str) -> Option<PathBuf> {
    let names = ["python3", "python3.exe"];
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .flat_map(|dir| names.map(|name| dir.join(name)))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        eprintln!("{test}: skipped, python3 is not installed (not found on PATH)");
    }
    found
}

/// A running Python peer, killed when dropped (a failing test leaves nothing behind).
struct Peer {
    child: Option<Child>,
    name: String,
}

impl Peer {
    /// Starts `python3 PEER PORT ARGS...` from the repository.
    fn start(python: &Path, peer: &str, port: u16, args: &[&str]) -> Peer {
        let child = Command::new(python)
            .arg(root().join(peer))
            .arg(port.to_string())
            .args(args)
            .current_dir(root())
            .env("PYTHONUTF8", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 starts");
        Peer {
            child: Some(child),
            name: peer.to_string(),
        }
    }

    /// Waits for the peer to end (at most PATIENCE) and checks it succeeded.
    fn finish(mut self) -> Output {
        let mut child = self.child.take().expect("not finished yet");
        let deadline = Instant::now() + PATIENCE;
        while child.try_wait().expect("try_wait").is_none() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let output = child.wait_with_output().expect("the peer's output");
        assert!(
            output.status.success(),
            "{} failed or hung: {}{}",
            self.name,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs a peer to its end.
fn run_peer(python: &Path, peer: &str, port: u16, args: &[&str]) -> Output {
    Peer::start(python, peer, port, args).finish()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn lab1_python_client_gets_the_ctime_reply_and_says_exit() {
    let Some(python) = python3("lab1_python_client") else {
        return;
    };
    let (mut server, port) = Lab::server("1", &[]);
    let out = run_peer(&python, "labs/01-echo/peers/client.py", port, &[]);
    assert!(stdout(&out).contains(" hello'"), "{}", stdout(&out));
    server.wait_for("it said exit");
}

#[test]
fn lab2_half_character_peer_ends_in_the_middle_of_a_character() {
    let Some(python) = python3("lab2_half_character") else {
        return;
    };
    let (mut server, port) = Lab::server("2", &["--stream"]);
    run_peer(
        &python,
        "labs/02-encoding/peers/half_character.py",
        port,
        &[],
    );
    server.wait_for("recv(1024) -> 2 bytes: e5 b0");
    server.wait_for("the connection ended in the middle of a character");
}

#[test]
fn lab3_tagged_python_client_is_named_and_its_tagged_q_ends_the_conversation() {
    let Some(python) = python3("lab3_python_client") else {
        return;
    };
    let (mut server, port) = Lab::server("3", &[]);
    let peer = Peer::start(&python, "labs/03-half-duplex/peers/client.py", port, &[]);
    server.wait_for("小郭吹雪1234QQ: hello");
    server.send_line("hello python");
    let out = peer.finish();
    assert!(
        stdout(&out).contains("server: hello python"),
        "{}",
        stdout(&out)
    );
    server.wait_for("小郭吹雪1234QQ ended the conversation (q)");
}

#[test]
fn lab4_python_client_is_welcomed_answered_and_says_exit() {
    let Some(python) = python3("lab4_python_client") else {
        return;
    };
    let (mut server, port) = Lab::server("4", &[]);
    let out = stdout(&run_peer(
        &python,
        "labs/04-threads/peers/client.py",
        port,
        &[],
    ));
    assert!(out.contains("welcome, 127.0.0.1:"), "{out}");
    assert!(out.contains("reply to 127.0.0.1:"), "{out}");
    assert!(out.contains("goodbye, 127.0.0.1:"), "{out}");
    server.wait_for("said exit");
}

#[test]
fn lab5_python_datagram_is_shown_with_its_name_and_answered() {
    let Some(python) = python3("lab5_python_client") else {
        return;
    };
    let (mut server, port) = Lab::server("5", &[]);
    let out = stdout(&run_peer(&python, "labs/05-udp/peers/client.py", port, &[]));
    assert!(out.contains("heard you"), "{out}");
    server.wait_for("小马过河1234QQ: hi");
}

#[test]
fn lab6_flood_drops_the_sleepy_client_that_never_reads() {
    let Some(python) = python3("lab6_sleepy_and_flood") else {
        return;
    };
    let (mut server, port) = Lab::server("6", &["--quiet"]);
    let _sleepy = Peer::start(&python, "labs/06-chat-room/peers/sleepy.py", port, &[]);
    server.wait_for("[join] sleepy");
    let out = stdout(&run_peer(
        &python,
        "labs/06-chat-room/peers/flood.py",
        port,
        &[],
    ));
    assert!(out.contains("* sleepy was dropped: not reading"), "{out}");
    assert!(out.contains("* bye, flood"), "{out}");
    server.wait_for("[dropped] sleepy");
}

#[test]
fn lab7_python_length_sender_is_understood_with_and_without_count_header() {
    let Some(python) = python3("lab7_length_sender") else {
        return;
    };
    let (mut server, port) = Lab::server("7", &["--framing", "length"]);
    let peer = "labs/07-framing/peers/length_sender.py";
    let out = stdout(&run_peer(&python, peer, port, &[]));
    assert!(out.contains("sent 3 messages, "), "{out}");
    assert!(out.contains("messages recovered: 3"), "{out}");
    let out = stdout(&run_peer(&python, peer, port, &["--no-header"]));
    assert!(out.contains("sent ? messages (no count header)"), "{out}");
    let out = stdout(&run_peer(
        &python,
        "labs/07-framing/peers/huge_prefix.py",
        port,
        &[],
    ));
    assert!(out.contains("ff ff ff ff announces"), "{out}");
    server.wait_for("messages recovered: 0");
}
