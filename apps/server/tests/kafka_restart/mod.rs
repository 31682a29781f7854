//! Support code of the `kafka_restart` test: its private broker, the worker it runs in
//! process, and the players that resend unacknowledged answers.

pub(crate) mod broker;
pub(crate) mod players;
pub(crate) mod worker;
