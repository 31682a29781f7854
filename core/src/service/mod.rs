//! Application services: the use cases, each written against only the ports it needs.
//!
//! [`QuizService`] is what the apps hold: it wires the ports once and hands out one use
//! case per concern:
//!
//! | use case | what it does | ports |
//! |---|---|---|
//! | [`Library`] | create, read, list, search, update, duplicate, delete, open and close quizzes | catalog; registry and game store (read: played? live?) |
//! | [`Media`] | check and store an uploaded image, read one back checked | media store |
//! | [`Players`] | join, admit a token's player, reconnect snapshot, one standing | catalog, registry, scoreboard, bus, games |
//! | [`Answers`] | check, score, record, publish and announce one answer | catalog, scoreboard, event log, bus, games |
//! | [`Boards`] | a viewer's board, a page, a room's boards from one read | scoreboard, registry |
//! | [`Games`] | a hosted game: its state, host commands, roster, reveal, report, lobby | catalog, registry, scoreboard, game store, bus |
//! | [`Pins`] | a hosted game's PIN: claiming one, resolving one, how long it lives | PIN store, game store, catalog |
//! | [`Results`] | the results export: the whole board with each player's tally | scoreboard, registry, game store |
//! | [`Upkeep`] | rebuilding the board from the archive, readiness | every port |
//!
//! No use case forwards a port call unchanged: each adds a rule, or the port stays behind
//! it. The room bus's transport (subscribing to announcements, announcing a socket's
//! take-over) carries no rule of the core: the server holds that port itself.
//!
//! # When the event log is unavailable
//!
//! See [`Answers::submit`]: an answer is acknowledged only once its score event is
//! durable; a retry republishes it.

use std::sync::Arc;

use crate::names::DenyList;
use crate::pins::GamePins;
use crate::ports::{
    GameStore, MediaStore, PlayerRegistry, QuizCatalog, RoomBus, ScoreArchive, ScoreEventLog,
    Scoreboard,
};

mod answers;
mod boards;
mod editing;
mod game_answers;
mod games;
mod library;
mod media;
mod pins;
mod players;
mod results;
mod reveal;
mod upkeep;

pub use crate::unavailable::Unavailable;
pub use answers::{AnswerOutcome, Answers, SubmitError};
pub use boards::{BoardPage, Boards};
pub use editing::{
    DeleteError, DuplicateError, LibraryEntry, LibraryPage, MAX_ID_TRIES, Saved, UpdateError,
};
pub use games::{GameOpError, Games, HostAction, Roster};
pub use library::{CreateQuizError, Library, LookupError, QuizView};
pub use media::{Media, UploadError, Uploaded};
pub use pins::{PIN_LEASE_MS, PODIUM_GRACE_MS, Pins};
pub use players::{AdmitError, JoinQuizError, PlayerStanding, Players, SeatError, Snapshot};
pub use results::{PlayerResult, Results, Tally};
pub use reveal::{QuestionReport, REVEAL_TEXTS, Reveal, TextCount};
pub use upkeep::{RebuildError, Upkeep};

/// Tunables of the services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceConfig {
    /// Most players one quiz accepts.
    pub max_players: u64,
    /// How many lines the top of a board shows.
    pub top_n: u64,
    /// How many neighbours above and below the viewer a board shows.
    pub around_k: u64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            max_players: 100_000,
            top_n: 10,
            around_k: 2,
        }
    }
}

/// The ports the services run on, as the apps' wiring chose them.
#[derive(Clone)]
pub struct Ports {
    /// Quiz definitions.
    pub catalog: Arc<dyn QuizCatalog>,
    /// Live scores.
    pub scoreboard: Arc<dyn Scoreboard>,
    /// Players and their names.
    pub registry: Arc<dyn PlayerRegistry>,
    /// Durable score events, on their way to the archive.
    pub events: Arc<dyn ScoreEventLog>,
    /// Long-term standings.
    pub archive: Arc<dyn ScoreArchive>,
    /// Cross-instance "quiz changed" announcements.
    pub bus: Arc<dyn RoomBus>,
    /// Hosted games' states.
    pub games: Arc<dyn GameStore>,
    /// Live games' PINs.
    pub pins: Arc<dyn GamePins>,
    /// Images on questions.
    pub media: Arc<dyn MediaStore>,
}

/// The use cases over one set of ports (cheap to clone: every part is shared).
#[derive(Clone)]
pub struct QuizService {
    library: Library,
    media: Media,
    players: Players,
    answers: Answers,
    boards: Boards,
    games: Games,
    pins: Pins,
    results: Results,
    upkeep: Upkeep,
}

impl QuizService {
    /// The use cases over `ports`, refusing display names with a word of the built-in deny
    /// list.
    pub fn new(ports: Ports, config: ServiceConfig) -> Self {
        let media = Media::new(ports.media.clone());
        let library = Library::new(
            ports.catalog.clone(),
            ports.registry.clone(),
            ports.games.clone(),
            media.clone(),
        );
        let boards = Boards::new(ports.scoreboard.clone(), ports.registry.clone(), config);
        let games = Games::new(&ports, library.clone(), boards.clone());
        Self {
            players: Players::new(
                &ports,
                library.clone(),
                games.clone(),
                boards.clone(),
                config.max_players,
                DenyList::builtin(),
            ),
            answers: Answers::new(&ports, library.clone(), games.clone()),
            pins: Pins::new(
                ports.pins.clone(),
                ports.games.clone(),
                ports.catalog.clone(),
            ),
            results: Results::new(&ports, boards.clone()),
            upkeep: Upkeep::new(ports, library.clone()),
            library,
            media,
            boards,
            games,
        }
    }

    /// The same use cases with another deny list for display names, which typed answers
    /// also pass before a hosted game's reveal shows them.
    #[must_use]
    pub fn with_deny_list(mut self, deny: DenyList) -> Self {
        self.games = self.games.with_deny_list(std::sync::Arc::new(deny.clone()));
        self.players = self.players.with_deny_list(deny);
        self
    }

    /// Creating, reading, listing, searching, updating, duplicating, deleting, opening and
    /// closing quizzes.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// Uploading and reading images.
    pub fn media(&self) -> &Media {
        &self.media
    }

    /// Joining, admitting a token's player, the reconnect snapshot, one player's standing.
    pub fn players(&self) -> &Players {
        &self.players
    }

    /// Submitting answers.
    pub fn answers(&self) -> &Answers {
        &self.answers
    }

    /// Reading boards.
    pub fn boards(&self) -> &Boards {
        &self.boards
    }

    /// Hosted games.
    pub fn games(&self) -> &Games {
        &self.games
    }

    /// Hosted games' PINs.
    pub fn pins(&self) -> &Pins {
        &self.pins
    }

    /// The results export.
    pub fn results(&self) -> &Results {
        &self.results
    }

    /// Rebuilding after a loss, and readiness.
    pub fn upkeep(&self) -> &Upkeep {
        &self.upkeep
    }
}

#[cfg(test)]
mod tests;
