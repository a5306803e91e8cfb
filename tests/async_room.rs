//! Lab 10 — async: lab 6's protocol tests against `lab 10 server` (tokio tasks),
//! then a room filled by `lab 9 swarm` (one load tool for every chat server).

#[path = "common/chat.rs"]
#[macro_use]
mod chat;
mod common;

use common::Lab;

const LAB: &str = "10";

// Lab 6's protocol tests, each a #[test] of this file, run against this lab.
chat_protocol_tests!(LAB);

#[test]
fn a_swarm_of_50_all_join_and_every_round_reaches_everyone() {
    let (mut server, port) = Lab::server(LAB, &["--quiet"]);
    let port = port.to_string();
    let mut swarm = Lab::start(&["9", "swarm", "-n", "50", "--rounds", "3", "--port", &port]);
    swarm.wait_for("joined: 50/50 in");
    swarm.wait_for("round 3: 49/49 got it");
    swarm.wait_for("lost: 0 of 147 round lines; dropped by the server: 0");
    assert!(swarm.wait_exit().success());
    server.wait_for("[join] sw49");
}

#[test]
fn one_worker_thread_is_enough_for_the_whole_room() {
    let (_server, port) = Lab::server(LAB, &["--quiet", "--workers", "1"]);
    let mut alice = chat::Peer::join(port, "alice");
    let mut bob = chat::Peer::join(port, "bob");
    alice.send("one thread runs both our tasks");
    bob.wait_line("<alice> one thread runs both our tasks");
}
