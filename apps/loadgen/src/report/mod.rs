//! The run's report: `report.json` (every number plus a per-second time series),
//! `chart.svg` (throughput and p99 latency over time) and `summary.md`.
//!
//! The model (`model.rs`) is the serialisable shape of `report.json`; it imports only the
//! hosted game's part (`hosted.rs`) and the percentiles both use (`percentiles.rs`), none
//! of which imports it back, so the chart ([`crate::chart`]) can draw from it without the
//! two importing each other. The rest builds on the model: the Markdown
//! summary and terminal headline (`summary.rs`), writing the three files (`write.rs`,
//! the only part that needs the chart), merging shard reports (`merge.rs`) and checking
//! a written report (`verify.rs`). Everything is re-exported here, so callers name
//! `crate::report::…` without caring which file an item lives in.

pub mod hosted;
mod merge;
pub(crate) mod model;
mod percentiles;
mod summary;
mod verify;
mod write;

pub use hosted::Hosted;
pub use merge::merge;
pub use model::{
    Answers, Boards, Cpu, Errors, Memory, Phases, Report, Second, Sockets, StalenessInfo,
};
pub use percentiles::Percentiles;
pub use verify::{REQUIRED_FIELDS, verify};
