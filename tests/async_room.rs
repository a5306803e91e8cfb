//! Lab 10 — async: lab 6's protocol tests against `lab 10 server` (tokio tasks),
//! then a room filled by `lab 9 swarm` (one load tool for every chat server).

#[path = "common/chat.rs"]
mod chat;
mod common;

use common::Lab;

const LAB: &str = "10";

#[test]
fn chat_is_stamped_with_the_senders_nick_and_everyone_sees_joins_and_leaves() {
    chat::chat_is_stamped_with_the_senders_nick_and_everyone_sees_joins_and_leaves(LAB);
}

#[test]
fn a_private_message_reaches_only_its_target() {
    chat::a_private_message_reaches_only_its_target(LAB);
}

#[test]
fn a_taken_or_invalid_nick_is_refused_with_a_reason_and_another_chance() {
    chat::a_taken_or_invalid_nick_is_refused_with_a_reason_and_another_chance(LAB);
}

#[test]
fn list_and_nick_changes_are_seen_by_everyone() {
    chat::list_and_nick_changes_are_seen_by_everyone(LAB);
}

#[test]
fn no_client_can_speak_as_another_or_as_the_server() {
    chat::no_client_can_speak_as_another_or_as_the_server(LAB);
}

#[test]
fn an_over_long_line_or_invalid_utf8_gets_an_error_and_the_client_stays() {
    chat::an_over_long_line_or_invalid_utf8_gets_an_error_and_the_client_stays(LAB);
}

#[test]
fn the_administrator_announces_lists_and_kicks() {
    chat::the_administrator_announces_lists_and_kicks(LAB);
}

#[test]
fn max_turns_newcomers_away_when_the_room_is_full() {
    chat::max_turns_newcomers_away_when_the_room_is_full(LAB);
}

#[test]
fn max_from_the_command_line_caps_the_room() {
    chat::max_from_the_command_line_caps_the_room(LAB);
}

#[test]
fn shutdown_tells_everyone_closes_and_exits_0() {
    chat::shutdown_tells_everyone_closes_and_exits_0(LAB);
}

#[cfg(unix)]
#[test]
fn ctrl_c_and_sigterm_shut_down_like_the_command() {
    chat::ctrl_c_and_sigterm_shut_down_like_the_command(LAB);
}

#[test]
fn a_never_reading_client_is_dropped_while_others_keep_talking() {
    chat::a_never_reading_client_is_dropped_while_others_keep_talking(LAB);
}

#[test]
fn a_connection_that_never_gives_a_nickname_is_closed_but_a_named_one_may_stay_silent() {
    chat::a_connection_that_never_gives_a_nickname_is_closed_but_a_named_one_may_stay_silent(LAB);
}

#[test]
fn lab_6_clients_chat_through_this_server() {
    chat::lab_6_clients_chat_through_this_server(LAB);
}

#[test]
fn a_crowd_joins_and_long_lists_stay_bounded() {
    chat::a_crowd_joins_and_long_lists_stay_bounded(LAB);
}

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
