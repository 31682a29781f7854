//! The port traits: what the domain needs from the outside world.
//!
//! Each port is a `Send + Sync` async trait used as `Arc<dyn Port>`. Every method documents
//! which error variant an adapter MUST return in which case; vendor errors are translated at
//! the adapter's seam into these enums, whose `Unavailable` variant carries the source.
//! `quiz-memory` implements every port in process memory and is the reference behaviour;
//! the `quiz-conformance` crate holds all adapters to it.
//!
//! # Writing an adapter
//!
//! What every implementation must guarantee, beyond each method's contract:
//!
//! - **Shared and concurrent**: one instance serves every task of a process (and, for a
//!   networked store, every process of a deployment) at once. An operation documented as
//!   atomic is atomic against all of them: one script, one transaction, one lock — never a
//!   read then a write that another caller can slip between.
//! - **Errors by meaning**: a vendor error becomes the variant the method names (a
//!   duplicate key → `AlreadyExists`, …); anything else is the port's `Unavailable`, with
//!   the vendor error as its source. After `Unavailable` the method's docs say what may
//!   have happened (usually: nothing, or everything — never half).
//! - **Quizzes are isolated**: nothing done to one quiz id changes another.
//! - **No clock, no hidden state**: time comes in as an argument; an adapter does not read
//!   the clock to decide an outcome.
//!
//! Each trait's docs name its conformance suite, a macro of the `quiz-conformance` crate
//! that defines one test per case against an adapter; it runs from any crate (its
//! `examples/outside_adapter.rs` is an adapter written outside this workspace's adapters,
//! held to the archive and event-log suites). The memory adapters pass every suite; the
//! Redis, Kafka, MongoDB and SQLite adapters pass those of the ports they implement (against
//! the real services where there is one).

use std::collections::HashMap;

use async_trait::async_trait;

use crate::game::GameState;
use crate::ids::{PlayerId, PlayerName, QuestionId, QuizId};
use crate::media::{ImageKind, MediaId};
use crate::model::{
    AnswerRecord, AnswerResult, ApplySummary, ArchivedStanding, Player, QuizSummary, Ranked,
    Recorded, ScoreEvent, Standing,
};
use crate::quiz::{Quiz, QuizMode, QuizStatus};
use crate::time::Timestamp;

/// The source of an infrastructure failure, kept opaque so no vendor type leaks.
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of the [`QuizCatalog`] port.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A quiz with that id already exists.
    #[error("a quiz with that id already exists")]
    AlreadyExists,
    /// No quiz with that id.
    #[error("no such quiz")]
    NotFound,
    /// The store could not be reached or failed.
    #[error("quiz catalog unavailable")]
    Unavailable(#[source] Source),
}

/// The largest page [`QuizCatalog::search`] is asked for.
pub const MAX_SEARCH_LIMIT: u64 = 100;

/// What [`QuizCatalog::search`] looks for: quizzes whose id or title contains `text`
/// (case-insensitively: both sides lowercased by Unicode's simple rules; an empty text
/// matches every quiz), ordered by title then id (both by their UTF-8 bytes), the page from
/// `offset` of at most `limit` quizzes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizQuery {
    text: String,
    /// Matching quizzes to skip.
    pub offset: u64,
    /// Most quizzes to return (1–[`MAX_SEARCH_LIMIT`]; the caller checks the range).
    pub limit: u64,
}

/// A quiz as the library lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedQuiz {
    /// Its id, title, question count and status.
    pub summary: QuizSummary,
    /// Self-paced or hosted.
    pub mode: QuizMode,
}

/// One page of a [`QuizCatalog::search`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QuizPage {
    /// How many quizzes match in all (not only on this page).
    pub total: u64,
    /// The page, in the query's order.
    pub quizzes: Vec<ListedQuiz>,
}

impl QuizQuery {
    /// A query for `text` (trimmed), the page at `offset` of at most `limit` quizzes.
    pub fn new(text: &str, offset: u64, limit: u64) -> Self {
        Self {
            text: text.trim().to_lowercase(),
            offset,
            limit,
        }
    }

    /// The text looked for, lowercased.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether a quiz with this id and title matches.
    pub fn matches(&self, id: &QuizId, title: &str) -> bool {
        self.text.is_empty()
            || id.as_str().to_lowercase().contains(&self.text)
            || title.to_lowercase().contains(&self.text)
    }

    /// The page of `quizzes` (every quiz of a catalog, in any order) this query asks for:
    /// the rule every adapter's [`QuizCatalog::search`] follows, for those that filter in
    /// process.
    pub fn page(&self, quizzes: impl IntoIterator<Item = ListedQuiz>) -> QuizPage {
        let mut found: Vec<ListedQuiz> = quizzes
            .into_iter()
            .filter(|q| self.matches(&q.summary.id, &q.summary.title))
            .collect();
        found.sort_by(|a, b| {
            (a.summary.title.as_str(), a.summary.id.as_str())
                .cmp(&(b.summary.title.as_str(), b.summary.id.as_str()))
        });
        let total = found.len() as u64;
        let skip = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let take = usize::try_from(self.limit).unwrap_or(usize::MAX);
        QuizPage {
            total,
            quizzes: found.into_iter().skip(skip).take(take).collect(),
        }
    }
}

/// Stores quiz definitions, answer keys included (server side only).
///
/// A deleted quiz's id stays taken: [`QuizCatalog::create`] refuses it as it refuses a
/// stored one, so tokens, scores and results left under that id are never mistaken for a
/// new quiz's.
///
/// An implementation must: never overwrite on `create` (the id check and the insert are one
/// atomic step, so of two concurrent creates of one id exactly one succeeds); return a quiz
/// exactly as stored (answer keys, options and their order included); reflect a status
/// change in every later `get`, `status` and `list`. Conformance:
/// `quiz_conformance::catalog_suite!`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait QuizCatalog: Send + Sync {
    /// Stores a new quiz.
    ///
    /// # Errors
    /// [`CatalogError::AlreadyExists`] when the id is taken (nothing is overwritten);
    /// [`CatalogError::Unavailable`] on infrastructure failure.
    async fn create(&self, quiz: &Quiz) -> Result<(), CatalogError>;

    /// Fetches a quiz; `Ok(None)` when there is none with that id.
    ///
    /// # Errors
    /// [`CatalogError::Unavailable`] only.
    async fn get(&self, id: &QuizId) -> Result<Option<Quiz>, CatalogError>;

    /// Lists all quizzes, ordered by id.
    ///
    /// # Errors
    /// [`CatalogError::Unavailable`] only.
    async fn list(&self) -> Result<Vec<QuizSummary>, CatalogError>;

    /// Opens or closes a quiz.
    ///
    /// # Errors
    /// [`CatalogError::NotFound`] for an unknown id; [`CatalogError::Unavailable`].
    async fn set_status(&self, id: &QuizId, status: QuizStatus) -> Result<(), CatalogError>;

    /// The page of quizzes `query` asks for, with the number matching in all; deleted quizzes
    /// are not listed.
    ///
    /// # Errors
    /// [`CatalogError::Unavailable`] only.
    async fn search(&self, query: &QuizQuery) -> Result<QuizPage, CatalogError>;

    /// Replaces a stored quiz's definition (its id is the key), status and creation time
    /// included, as one write: a reader sees the old quiz or the new one, never a mix.
    ///
    /// # Errors
    /// [`CatalogError::NotFound`] when no quiz has that id (or it was deleted; nothing is
    /// stored then); [`CatalogError::Unavailable`].
    async fn update(&self, quiz: &Quiz) -> Result<(), CatalogError>;

    /// Deletes a quiz: [`QuizCatalog::get`], [`QuizCatalog::status`] and
    /// [`QuizCatalog::search`] no longer find it, and its id stays taken
    /// ([`QuizCatalog::create`] refuses it with [`CatalogError::AlreadyExists`]).
    ///
    /// # Errors
    /// [`CatalogError::NotFound`] when no quiz has that id (a second delete included);
    /// [`CatalogError::Unavailable`].
    async fn delete(&self, id: &QuizId) -> Result<(), CatalogError>;

    /// A quiz's status, as [`QuizCatalog::get`] would report it; `Ok(None)` when there is
    /// no such quiz. A quiz changes in place only by [`QuizCatalog::update`], which the
    /// library allows only before anyone has joined, so a cache revalidates
    /// with this instead of reading every question again; an adapter overrides it when it
    /// can read the status more cheaply than the whole quiz.
    ///
    /// # Errors
    /// [`CatalogError::Unavailable`] only.
    async fn status(&self, id: &QuizId) -> Result<Option<QuizStatus>, CatalogError> {
        Ok(self.get(id).await?.map(|q| q.status()))
    }
}

/// Errors of the [`Scoreboard`] port.
#[derive(Debug, thiserror::Error)]
pub enum ScoreboardError {
    /// A total or time does not fit the ranking encoding (a validated quiz never hits this).
    #[error(transparent)]
    OutOfRange(#[from] crate::ranking::SortKeyError),
    /// The store could not be reached or failed.
    #[error("scoreboard unavailable")]
    Unavailable(#[source] Source),
}

/// Live scores and ranks of each quiz.
///
/// An implementation must: record each (player, question) at most once, atomically with the
/// total, streak and answer count it changes, however many instances submit at once (no
/// lost or doubled increment); rank by total, then the earlier time the total was reached,
/// then player id ([`crate::ranking`]); answer reads (`top`, `standing`, `around`, `count`)
/// from what was recorded before them. Conformance: `quiz_conformance::scoreboard_suite!`
/// (its concurrency cases run 100+ submitters at once).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Scoreboard: Send + Sync {
    /// Whether the store still holds what it held (for readiness): `false` once it has
    /// lost its data (a restart without persistence, a flush) until a rebuild. Cheap
    /// whatever the data size. The default says yes (an in-process board cannot lose
    /// data without losing the process).
    ///
    /// # Errors
    /// [`ScoreboardError::Unavailable`] when the store cannot be reached.
    async fn intact(&self) -> Result<bool, ScoreboardError> {
        Ok(true)
    }

    /// Puts a player on the board with score 0 reached at `at`. Idempotent: an enrolled
    /// player's score is left as it is.
    ///
    /// # Errors
    /// [`ScoreboardError::Unavailable`]; [`ScoreboardError::OutOfRange`] when `at` is past
    /// the encoding's range for this quiz.
    async fn enroll(
        &self,
        quiz: &QuizId,
        quiz_created_at: Timestamp,
        player: &PlayerId,
        at: Timestamp,
    ) -> Result<(), ScoreboardError>;

    /// Records one answer, atomically and at most once per (player, question):
    /// - first time: stores the result, extends or resets the player's streak, adds
    ///   `base_points + streak.bonus(new streak)` to the total (a correct answer only; the
    ///   tie-break time moves to `at` only when points are added), counts the answer, and
    ///   returns `duplicate: false`;
    /// - again (a retry, or another option for the same question): changes nothing and
    ///   returns the stored result with the current total and rank, `duplicate: true`.
    ///
    /// # Errors
    /// [`ScoreboardError::Unavailable`] (then nothing was recorded, or the record is complete:
    /// never half); [`ScoreboardError::OutOfRange`].
    async fn record(&self, answer: &AnswerRecord) -> Result<Recorded, ScoreboardError>;

    /// Records several answers, in order, each exactly as [`Self::record`] would one after
    /// the other: a later answer sees the earlier ones (a repeat in the same call is a
    /// duplicate of the first; a player's second answer extends the streak the first left),
    /// and each gets its own result or error. The default records them one by one; an
    /// adapter on a networked store does it in as few round trips as it can (the Redis
    /// adapter: one script call per hash slot). An error for one answer says nothing about
    /// the others.
    async fn record_many(
        &self,
        answers: &[AnswerRecord],
    ) -> Vec<Result<Recorded, ScoreboardError>> {
        let mut out = Vec::with_capacity(answers.len());
        for a in answers {
            out.push(self.record(a).await);
        }
        out
    }

    /// Up to `limit` players from rank `offset + 1` on, best first.
    ///
    /// # Errors
    /// [`ScoreboardError::Unavailable`] only.
    async fn top(
        &self,
        quiz: &QuizId,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Ranked>, ScoreboardError>;

    /// One player's standing; `Ok(None)` when not on the board.
    ///
    /// # Errors
    /// [`ScoreboardError::Unavailable`] only.
    async fn standing(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
    ) -> Result<Option<Standing>, ScoreboardError>;

    /// Up to `k` players above and `k` below `player`, the player included, best first;
    /// empty when the player is not on the board.
    ///
    /// # Errors
    /// [`ScoreboardError::Unavailable`] only.
    async fn around(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
        k: u64,
    ) -> Result<Vec<Ranked>, ScoreboardError>;

    /// How many players are on the board.
    ///
    /// # Errors
    /// [`ScoreboardError::Unavailable`] only.
    async fn count(&self, quiz: &QuizId) -> Result<u64, ScoreboardError>;

    /// The results of every question the player has answered, in any order.
    ///
    /// # Errors
    /// [`ScoreboardError::Unavailable`] only.
    async fn answers(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
    ) -> Result<Vec<(QuestionId, AnswerResult)>, ScoreboardError>;

    /// Takes a player off the board and forgets their scores and answers (the host
    /// removed them from a hosted game). Idempotent; other players keep their scores and
    /// move up.
    ///
    /// # Errors
    /// [`ScoreboardError::Unavailable`].
    async fn remove(&self, quiz: &QuizId, player: &PlayerId) -> Result<(), ScoreboardError>;

    /// Replaces the quiz's board with the given standings (rebuild from the archive):
    /// totals, tie-break times, answered questions and streaks. Other quizzes are untouched.
    ///
    /// # Errors
    /// [`ScoreboardError::Unavailable`]; [`ScoreboardError::OutOfRange`].
    async fn restore(
        &self,
        quiz: &QuizId,
        quiz_created_at: Timestamp,
        standings: &[ArchivedStanding],
    ) -> Result<(), ScoreboardError>;
}

/// Errors of [`PlayerRegistry::join`].
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// Another player of this quiz has the same name (case-insensitively).
    #[error("that name is taken in this quiz")]
    NameTaken,
    /// The quiz already has its maximum number of players.
    #[error("the quiz is full")]
    QuizFull,
    /// The store could not be reached or failed.
    #[error("player registry unavailable")]
    Unavailable(#[source] Source),
}

/// Errors of the [`PlayerRegistry`] lookups.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The store could not be reached or failed.
    #[error("player registry unavailable")]
    Unavailable(#[source] Source),
}

/// Issues player ids and remembers names.
///
/// An implementation must: issue ids that are never reused within a quiz (of the form
/// `p<n>`, see [`PlayerRegistry::restore`]); keep names unique per quiz case-insensitively;
/// check the name and the player limit and register in one atomic step, so concurrent
/// joins never exceed the limit or share a name. Conformance:
/// `quiz_conformance::registry_suite!`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PlayerRegistry: Send + Sync {
    /// Registers a new player with a fresh server-issued id, atomically checking the name is
    /// free and the quiz has fewer than `max_players` players.
    ///
    /// # Errors
    /// [`JoinError::NameTaken`], [`JoinError::QuizFull`] (nothing registered);
    /// [`JoinError::Unavailable`].
    async fn join(
        &self,
        quiz: &QuizId,
        name: &PlayerName,
        at: Timestamp,
        max_players: u64,
    ) -> Result<Player, JoinError>;

    /// Looks a player up; `Ok(None)` when unknown.
    ///
    /// # Errors
    /// [`RegistryError::Unavailable`] only.
    async fn get(&self, quiz: &QuizId, player: &PlayerId) -> Result<Option<Player>, RegistryError>;

    /// Names of the given players; unknown ids are absent from the map.
    ///
    /// # Errors
    /// [`RegistryError::Unavailable`] only.
    async fn names(
        &self,
        quiz: &QuizId,
        players: &[PlayerId],
    ) -> Result<HashMap<PlayerId, PlayerName>, RegistryError>;

    /// How many players joined the quiz.
    ///
    /// # Errors
    /// [`RegistryError::Unavailable`] only.
    async fn count(&self, quiz: &QuizId) -> Result<u64, RegistryError>;

    /// Re-registers players of `quiz` with their ids, names and join times (rebuild from
    /// the archive after losing the registry's store). Each player is registered under
    /// `quiz`; their `quiz` field is not consulted.
    ///
    /// - An existing entry with the same id is replaced; other players are untouched (a
    ///   repeated id within `players`: the last one wins).
    /// - Each restored name is taken (case-insensitively) from then on. Names are only
    ///   added: the name of a replaced entry stays taken, and a restored name that a
    ///   player with another id holds already is tolerated (both keep it).
    /// - The id counter moves past every restored id of the issued form `p<n>` (decimal
    ///   `n` up to 2^53 − 1; larger numbers are never issued), so a later
    ///   [`join`](Self::join) never issues a restored id.
    /// - The player limit of `join` does not apply.
    ///
    /// Idempotent: restoring the same players again changes nothing. An adapter may split a
    /// large input into atomic chunks (documented by the adapter); after an error any
    /// prefix of the chunks may have been applied, and restoring the whole input again is
    /// safe.
    ///
    /// # Errors
    /// [`RegistryError::Unavailable`] only.
    async fn restore(&self, quiz: &QuizId, players: &[Player]) -> Result<(), RegistryError>;
}

/// Errors of [`ScoreEventLog::publish`].
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The log's local queue is full: the event was not taken; try again shortly.
    #[error("event log is busy; try again")]
    Backpressure,
    /// The log could not make the event durable.
    #[error("event log unavailable")]
    Unavailable(#[source] Source),
}

/// The durable log of score events, read by the archive's worker.
///
/// An implementation must: return from `publish` only once the event is durable (an
/// acknowledged answer is never lost); keep one quiz's events in publish order (the quiz is
/// the key); accept a republished event (consumers apply events idempotently). Conformance:
/// `quiz_conformance::event_log_suite!`, given a reader of what the log holds.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ScoreEventLog: Send + Sync {
    /// Publishes one event and returns only once it is durable (for Kafka: acknowledged by
    /// all in-sync replicas). Publishing the same event twice is allowed: the archive applies
    /// events by answer count, so a repeat changes nothing.
    ///
    /// # Errors
    /// [`PublishError::Backpressure`] when the local queue is full (the event was not
    /// taken); [`PublishError::Unavailable`] when durability could not be confirmed.
    async fn publish(&self, event: &ScoreEvent) -> Result<(), PublishError>;

    /// Whether the log can take events now (for readiness): reachable, not stopped by a
    /// fatal error. Cheap whatever the data size. The default says yes (an in-process log).
    ///
    /// # Errors
    /// [`PublishError::Unavailable`] naming what failed.
    async fn ready(&self) -> Result<(), PublishError> {
        Ok(())
    }
}

/// Errors of the [`ScoreArchive`] port.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The store could not be reached or failed.
    #[error("score archive unavailable")]
    Unavailable(#[source] Source),
}

/// Long-term storage of standings, fed by score events.
///
/// An implementation must: apply events idempotently and in any order (the standing is the
/// one of the event with the most answers; each question's result is kept once), so a
/// redelivered or reordered batch changes nothing. Conformance:
/// `quiz_conformance::archive_suite!`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ScoreArchive: Send + Sync {
    /// One round trip to the store (for readiness), whatever the data size. The default
    /// says yes (an in-process archive).
    ///
    /// # Errors
    /// [`ArchiveError::Unavailable`].
    async fn ping(&self) -> Result<(), ArchiveError> {
        Ok(())
    }

    /// Applies a batch idempotently and in any order: for each player the stored standing
    /// becomes the one of the event with the highest `answers`; each question's result is
    /// kept once. Applying the same batch again changes nothing.
    ///
    /// # Errors
    /// [`ArchiveError::Unavailable`]; then any subset of the batch's effects may have been
    /// applied, and applying the whole batch again is safe.
    async fn apply(&self, events: &[ScoreEvent]) -> Result<ApplySummary, ArchiveError>;

    /// The archived standings of one quiz, in no particular order.
    ///
    /// # Errors
    /// [`ArchiveError::Unavailable`] only.
    async fn standings(&self, quiz: &QuizId) -> Result<Vec<ArchivedStanding>, ArchiveError>;
}

/// Errors of the [`RoomBus`] port.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The bus could not be reached or failed.
    #[error("room bus unavailable")]
    Unavailable(#[source] Source),
}

/// What the room bus carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusEvent {
    /// A quiz's board (or game) changed.
    Changed(QuizId),
    /// A player connected a socket (`socket`, connected at `since`, ms): their older
    /// sockets, on any instance, are to be closed.
    TakenOver {
        /// The quiz the socket plays.
        quiz: QuizId,
        /// Whose older sockets yield.
        player: PlayerId,
        /// The new socket's id (unique across instances; no spaces).
        socket: String,
        /// When the new socket connected (ms since the epoch): only older sockets yield.
        since: u64,
    },
}

/// A stream of room-bus events.
#[async_trait]
pub trait BusSubscription: Send {
    /// The next event, or `None` once the subscription has ended (the caller subscribes
    /// again).
    async fn next(&mut self) -> Option<BusEvent>;
}

/// Tells every server instance that a quiz's board changed.
///
/// An implementation must: deliver every announcement made after a `subscribe` returned to
/// that subscription, on every instance, the announcing one included (at least once; a
/// repeat only causes a redundant push). Conformance: `quiz_conformance::bus_suite!`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RoomBus: Send + Sync {
    /// Announces that `quiz` changed, to every subscriber on every instance (this one too).
    ///
    /// # Errors
    /// [`BusError::Unavailable`] only.
    async fn announce(&self, quiz: &QuizId) -> Result<(), BusError>;

    /// Announces that `player` connected socket `socket` at `since` (ms), to every
    /// subscriber on every instance: their older sockets yield to it.
    ///
    /// # Errors
    /// [`BusError::Unavailable`] only.
    async fn take_over(
        &self,
        quiz: &QuizId,
        player: &PlayerId,
        socket: &str,
        since: u64,
    ) -> Result<(), BusError>;

    /// Subscribes to all announcements made after this call returns.
    ///
    /// # Errors
    /// [`BusError::Unavailable`] only.
    async fn subscribe(&self) -> Result<Box<dyn BusSubscription>, BusError>;
}

/// Errors of the [`GameStore`] port.
#[derive(Debug, thiserror::Error)]
pub enum GameStoreError {
    /// The store could not be reached or failed.
    #[error("game store unavailable")]
    Unavailable(#[source] Source),
}

/// One player's answer to one question of a hosted game, as the game remembers it for the
/// reveal (who chose what) and the per-question report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameAnswer {
    /// Who answered.
    pub player: PlayerId,
    /// What they answered.
    pub given: crate::question::Given,
    /// Whether it was correct.
    pub correct: bool,
    /// Points awarded, streak bonus included.
    pub points: u32,
    /// Milliseconds from the question's opening for everyone to the answer, on the
    /// question's own clock: time the game spent paused does not count
    /// ([`crate::game::Phase::question_clock_ms`]).
    pub elapsed_ms: u64,
}

/// Holds the state of each hosted game, so that any instance can serve the host and any
/// instance the players. Transitions are compare-and-set on the state's `seq`: of several
/// instances moving a game from the same state (a question's time running out, everyone
/// having answered), exactly one succeeds.
///
/// An implementation must: make `compare_and_set` and `record_answer` atomic against every
/// instance (the first answer of a player stays; the count is exact); keep each game's
/// answers and removed players apart from every other game's. Conformance:
/// `quiz_conformance::games_suite!`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait GameStore: Send + Sync {
    /// The game's state; `None` while no game of that quiz exists.
    ///
    /// # Errors
    /// [`GameStoreError::Unavailable`] only.
    async fn get(&self, quiz: &QuizId) -> Result<Option<GameState>, GameStoreError>;

    /// Stores `next` if the stored state's `seq` is `expected` (`None`: no game stored yet),
    /// atomically; returns whether it did. Nothing changes when it returns `false`.
    ///
    /// # Errors
    /// [`GameStoreError::Unavailable`] only.
    async fn compare_and_set(
        &self,
        quiz: &QuizId,
        expected: Option<u64>,
        next: &GameState,
    ) -> Result<bool, GameStoreError>;

    /// Remembers `answer` to question `question` (0-based) unless its player already has
    /// one there (the first answer stays), and returns how many players have answered that
    /// question, atomically: how "answered k of n" is known on every instance, and when
    /// everyone has answered.
    ///
    /// # Errors
    /// [`GameStoreError::Unavailable`] only.
    async fn record_answer(
        &self,
        quiz: &QuizId,
        question: usize,
        answer: &GameAnswer,
    ) -> Result<u64, GameStoreError>;

    /// How many players have answered question `question`.
    ///
    /// # Errors
    /// [`GameStoreError::Unavailable`] only.
    async fn answer_count(&self, quiz: &QuizId, question: usize) -> Result<u64, GameStoreError>;

    /// The answers to question `question`, one per player, in no particular order.
    ///
    /// # Errors
    /// [`GameStoreError::Unavailable`] only.
    async fn answers(
        &self,
        quiz: &QuizId,
        question: usize,
    ) -> Result<Vec<GameAnswer>, GameStoreError>;

    /// Marks a player as removed by the host (idempotent).
    ///
    /// # Errors
    /// [`GameStoreError::Unavailable`] only.
    async fn remove_player(&self, quiz: &QuizId, player: &PlayerId) -> Result<(), GameStoreError>;

    /// The players the host removed.
    ///
    /// # Errors
    /// [`GameStoreError::Unavailable`] only.
    async fn removed_players(&self, quiz: &QuizId) -> Result<Vec<PlayerId>, GameStoreError>;

    /// Forgets the game, its answers to the first `questions` questions and its removed
    /// players (the quiz is reset or deleted).
    ///
    /// # Errors
    /// [`GameStoreError::Unavailable`] only.
    async fn clear(&self, quiz: &QuizId, questions: usize) -> Result<(), GameStoreError>;
}

/// Names of the given players, as a lookup helper for building boards.
pub type Names = HashMap<PlayerId, PlayerName>;

/// Errors of the [`MediaStore`] port.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The store could not be reached or failed (or holds something unreadable).
    #[error("media store unavailable")]
    Unavailable(#[source] Source),
}

/// A stored image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    /// Its format, as stored with it.
    pub kind: ImageKind,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Images, stored content-addressed: the id is the SHA-256 of the bytes, so the same
/// bytes are stored once and an id never changes what it names. Every instance of the
/// server reads the same store (an image uploaded through one is served by all).
///
/// An implementation must: return exactly the bytes and kind stored under an id; make `put`
/// atomic (a reader sees the whole image or none) and never rewrite an id already stored,
/// however many instances put it at once. Conformance: `quiz_conformance::media_suite!`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Stores `bytes` of format `kind` under `id`, which the caller computed as their
    /// SHA-256 (the store does not hash). Returns `true` when stored now, `false` when the
    /// id was already stored (nothing is rewritten). Atomic: a reader sees the whole image
    /// or none.
    ///
    /// # Errors
    /// [`MediaError::Unavailable`] (then nothing readable was stored).
    async fn put(&self, id: &MediaId, kind: ImageKind, bytes: &[u8]) -> Result<bool, MediaError>;

    /// The image stored under `id`; `Ok(None)` when there is none.
    ///
    /// # Errors
    /// [`MediaError::Unavailable`] only.
    async fn get(&self, id: &MediaId) -> Result<Option<StoredMedia>, MediaError>;

    /// Whether an image is stored under `id`, without reading it.
    ///
    /// # Errors
    /// [`MediaError::Unavailable`] only.
    async fn exists(&self, id: &MediaId) -> Result<bool, MediaError>;
}
