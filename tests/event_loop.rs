//! Lab 9 — event-loop: lab 6's protocol tests against `lab 9 server` (one thread),
//! then what is lab 9's own: `--trace`, the thread count, and `lab 9 swarm`.

#[path = "common/chat.rs"]
#[macro_use]
mod chat;
mod common;

use common::Lab;

const LAB: &str = "9";

// Lab 6's protocol tests, each a #[test] of this file, run against this lab.
chat_protocol_tests!(LAB);

#[test]
fn trace_shows_what_poll_reported_and_what_the_loop_did() {
    let (mut server, port) = Lab::server(LAB, &["--trace"]);
    let mut alice = chat::Peer::join(port, "alice");
    server.wait_for("poll() -> 1 ready: #0 (listener) readable");
    server.wait_for("#0 (listener): accept() -> #2 127.0.0.1:");
    server.wait_for("#2: read 6 bytes, 1 line(s), then WouldBlock");
    server.wait_for("#2 alice: wrote ");
    alice.send("/quit");
    server.wait_for("poll() -> 1 ready: #2 readable");
    server.wait_for("#2 alice: deregistered and closed");
}

/// One thread for every socket: the loop, the console reader, the Ctrl-C handler.
#[cfg(target_os = "linux")]
#[test]
fn the_server_runs_at_most_three_threads_however_many_clients() {
    let (mut server, port) = Lab::server(LAB, &["--quiet"]);
    let peers: Vec<chat::Peer> = (0..40)
        .map(|i| chat::Peer::join(port, &format!("t{i}")))
        .collect();
    server.wait_for("[join] t39");
    let tasks = std::fs::read_dir(format!("/proc/{}/task", server.pid()))
        .expect("/proc/PID/task is readable")
        .count();
    assert!(tasks <= 3, "{tasks} threads for {} clients", peers.len());
}

#[test]
fn swarm_of_50_all_join_and_every_round_reaches_everyone() {
    let (mut server, port) = Lab::server(LAB, &["--quiet"]);
    let mut swarm = Lab::start(&[
        LAB,
        "swarm",
        "-n",
        "50",
        "--rounds",
        "3",
        "--port",
        &port.to_string(),
    ]);
    swarm.wait_for("joined: 50/50 in");
    swarm.wait_for("round 3: 49/49 got it");
    swarm.wait_for("lost: 0 of 147 round lines; dropped by the server: 0");
    assert!(swarm.wait_exit().success());
    server.wait_for("[join] sw49");
}

#[test]
fn swarm_reports_a_full_room_honestly() {
    let (_server, port) = Lab::server(LAB, &["--quiet", "--max", "5"]);
    let mut swarm = Lab::start(&[
        LAB,
        "swarm",
        "-n",
        "8",
        "--rounds",
        "1",
        "--port",
        &port.to_string(),
    ]);
    let joined = swarm.wait_for("joined: ");
    assert!(joined.starts_with("joined: 5/8 in"), "{joined}");
    assert!(joined.contains("(3 turned away or refused"), "{joined}");
    swarm.wait_for("first problem: the server said: ! the room is full (5 at most)");
    swarm.wait_for("round 1: 4/4 got it");
    assert!(swarm.wait_exit().success());
}

#[test]
fn swarm_without_a_server_says_to_start_one() {
    let port = common::free_port().to_string();
    common::lab_cmd(&[LAB, "swarm", "-n", "3", "--port", &port])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("lab 9 server"));
}
