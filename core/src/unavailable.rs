//! The one infrastructure failure the use cases report: a port that could not serve,
//! named, with its cause. It sits below both the services and the board views, which
//! carry it (a failed name lookup), so neither depends on the other for it.

use crate::ports::{
    ArchiveError, BusError, CatalogError, GameStoreError, MediaError, RegistryError,
    ScoreboardError, Source,
};

/// An infrastructure failure behind a port, with which port failed.
#[derive(Debug, thiserror::Error)]
#[error("{port} unavailable")]
pub struct Unavailable {
    /// The port that failed, as operators read it in logs and readiness (`scoreboard`, …).
    pub port: &'static str,
    /// The cause, opaque: the adapter's own error.
    #[source]
    pub source: Source,
}

impl Unavailable {
    /// `port` failed because of `source`.
    pub fn new(port: &'static str, source: impl Into<Source>) -> Self {
        Self {
            port,
            source: source.into(),
        }
    }
}

macro_rules! from_port_error {
    ($($error:ty => $port:literal),* $(,)?) => {$(
        impl From<$error> for Unavailable {
            fn from(e: $error) -> Self {
                Self::new($port, e)
            }
        }
    )*};
}

from_port_error! {
    CatalogError => "quiz catalog",
    ScoreboardError => "scoreboard",
    RegistryError => "player registry",
    BusError => "room bus",
    ArchiveError => "score archive",
    GameStoreError => "game store",
    MediaError => "media store",
}
