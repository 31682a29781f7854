//! # quiz-loadgen
//!
//! A load generator and benchmark reporter for `quiz-server`. It creates quizzes over the
//! HTTP API (`--admin-key`), joins players (`POST /api/quizzes/{id}/join`), opens each
//! player's WebSocket and answers at a target rate (`--rate`, answers per second over all
//! players) or as fast as acknowledgements allow (`--max`, with at most `--in-flight`
//! unacknowledged answers per socket), through ramp-up, steady state and ramp-down. A
//! player who has answered every question of its quiz joins the next quiz under a new name
//! and reconnects, so runs are not bounded by the 200-question limit. With `--hosted` it
//! plays one hosted game instead: a hosted quiz, `--players` players joined and connected,
//! a host socket sending `start` and `next`, every player answering each question once at
//! a random moment within `--answer-window` ([`player::hosted`]); several processes can
//! play one game (`--no-host`, `--expect-players`) and their reports merge exactly.
//!
//! It measures acknowledged answers per second, ack latency percentiles (HDR histogram,
//! µs), leaderboard staleness (time from an answer's ack to the first `board` on an
//! observer socket that shows the new total; see [`staleness`]), board delivery to the
//! observers (a board's `server_time` stamp to its arrival), boards per socket per
//! second, the server's memory per socket (RSS from `/proc/PID/status` with `--server-pid`)
//! and errors by kind, and writes `report.json`, `chart.svg` and `summary.md` into `--out`
//! ([`report`]). A hosted game adds, per phase, the time from its cause (the host's
//! command, or the last answer) until the frame was at each socket, frames per socket per
//! question by type and the phases a socket never got ([`report::hosted`]).
//! `quiz-loadgen verify DIR` checks those files, and fails a hosted game that lost a phase.
//!
//! Client sockets can be bound to several source addresses (127.0.0.2, 127.0.0.3, …) to
//! get past the ~28,000 ephemeral ports of one address pair.
//!
//! **What it is not**: a test of correctness (the server's test suites do that), or a
//! tool for remote targets: it refuses any `--target` that is not a loopback address. It
//! asserts nothing about speed; `cargo xtask bench` runs it against targets and
//! BENCHMARKS.md records the numbers. It needs the server to be started with generous
//! limits (see BENCHMARKS.md): join rate, players per quiz, messages per second.
//!
//! Tests: `cargo test -p quiz-loadgen` (pure parts: staleness bookkeeping, percentiles,
//! report shape, HTTP parsing; no server needed). `cargo xtask bench --smoke` runs it
//! end to end against a real server for a few seconds.

pub mod chart;
pub mod cli;
pub mod http;
pub mod net;
pub mod player;
pub mod procfs;
pub mod report;
pub mod run;
pub mod staleness;
pub mod stats;

pub use cli::{Cli, Command, RunArgs};
pub use report::Report;
