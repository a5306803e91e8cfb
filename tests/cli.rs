//! The command line itself: listing, guides, aliases, usage errors, error sentences.

mod common;

use common::{lab_cmd, parse_port};
use predicates::prelude::*;

#[test]
fn the_port_is_read_from_ipv4_and_ipv6_listening_lines() {
    assert_eq!(parse_port("listening on 127.0.0.1:40123 (tcp)"), Some(40123));
    assert_eq!(parse_port("listening on [::1]:9000 (udp)"), Some(9000));
    assert_eq!(parse_port("accept() waiting..."), None);
}
