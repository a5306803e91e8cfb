//! `lab check`, through the real binary: for every lab with a check, the correct
//! example program of each role passes every stage and each wrong one
//! (labs/NN-slug/check/ROLE_wrong_STAGE.py) fails at STAGE, with a hint; our own roles
//! pass their lab's check; the student's program, and whatever it started, is gone
//! when the check ends; starters, progress and `--class`.
//!
//! One test binary, so that the labs' checks run side by side (most of their time is
//! spent waiting for a wrong program's timeout), bounded by `harness::AT_ONCE`.
//! The example programs are Python: where python3 is missing these tests say so and
//! pass without running (`.ci/run` makes sure python3 is there).

#[path = "../common/mod.rs"]
mod common;
mod harness;
mod labs_1_3;
mod labs_4_5;
mod labs_6_7;
