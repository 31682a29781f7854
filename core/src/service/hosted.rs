//! Hosted games as use cases: reading a game (and applying a transition that fell due),
//! the host's commands, removing a player, answers in a hosted game, and the per-question
//! report.
//!
//! # Where the clock lives, and why a timed transition happens once
//!
//! The state machine ([`crate::game`]) has no clock; the game's state lives behind the
//! [`crate::ports::GameStore`] port, shared by every instance. Whoever reads a game — a
//! player's answer, the host's command, an instance's timer at the phase's deadline —
//! first applies the transition that is due at its `now` ([`GameState::due`]) with a
//! compare-and-set from the `seq` it read. Of any number of instances doing so at once,
//! one succeeds and announces the change on the room bus; the others find the new state on
//! their next read. So a question closes, or a reveal moves on, exactly once, and a read
//! never returns a phase whose time is up.

use std::collections::HashSet;

use crate::game::{GameError, GameState, HostCommand, HostedAnswerError, Phase};
use crate::ids::{PlayerId, QuestionId, QuizId};
use crate::ports::{GameAnswer, GameStoreError};
use crate::question::{Answer, Given, OptionSet, QuestionType};
use crate::quiz::{AnswerError, Checked, Quiz, QuizMode};
use crate::time::Timestamp;

use super::{LookupError, QuizService, Unavailable};

/// How often a read or a command retries after losing a compare-and-set race before it
/// reports the store as unavailable (each loss means another instance moved the game).
const MAX_RACES: usize = 16;

impl From<GameStoreError> for Unavailable {
    fn from(e: GameStoreError) -> Self {
        Self {
            port: "game store",
            source: Box::new(e),
        }
    }
}

/// Errors of the hosted-game operations.
#[derive(Debug, thiserror::Error)]
pub enum GameOpError {
    /// No such quiz.
    #[error("unknown quiz")]
    UnknownQuiz,
    /// The quiz is self-paced: it has no game.
    #[error("the quiz is self-paced, not hosted")]
    NotHosted,
    /// The command does not apply to the game's phase.
    #[error(transparent)]
    NotNow(#[from] GameError),
    /// No such player in the quiz (kick).
    #[error("no such player in this quiz")]
    UnknownPlayer,
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl From<LookupError> for GameOpError {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::UnknownQuiz => Self::UnknownQuiz,
            LookupError::Unavailable(u) => Self::Unavailable(u),
        }
    }
}

/// What a host command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAction {
    /// A phase command (lock, start, next, …).
    Phase(HostCommand),
    /// Remove a player from the game.
    Kick(PlayerId),
}

/// One question's line of the per-question report.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionReport {
    /// Position in the quiz, from 0.
    pub index: usize,
    /// The question.
    pub id: QuestionId,
    /// Its prompt.
    pub prompt: String,
    /// The answer and how the room answered.
    pub reveal: Reveal,
    /// How many players answered it.
    pub answered: u64,
    /// How many answered it correctly.
    pub correct: u64,
    /// Mean milliseconds from the question's opening to an answer (`None` without answers).
    pub mean_answer_ms: Option<u64>,
}

/// How often one typed answer was given, for a reveal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextCount {
    /// The answer, normalised as the question compares answers.
    pub text: String,
    /// How many players gave it.
    pub count: u64,
    /// Whether it was accepted.
    pub correct: bool,
}

/// Most typed answers a reveal lists.
pub const REVEAL_TEXTS: usize = 10;

/// The answer to one question and who answered what, for a reveal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reveal {
    /// The question's type.
    pub kind: QuestionType,
    /// The one correct option of a single or true/false question.
    pub correct_option: Option<usize>,
    /// The correct options (single, true/false, multi; empty for polls and typed answers).
    pub correct_options: OptionSet,
    /// The accepted answers (type_answer only).
    pub accepted: Vec<String>,
    /// How many picked each option, in option order (a multi answer counts for every
    /// option it picks; empty for typed answers).
    pub counts: Vec<u64>,
    /// The most given typed answers, most first (up to [`REVEAL_TEXTS`]).
    pub texts: Vec<TextCount>,
    /// Every player's answer.
    pub answers: Vec<GameAnswer>,
}

/// What the results export knows of one player's answers beyond the board.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// How many answers were correct.
    pub correct: u64,
    /// The questions answered faster than the quiz's `min_answer_ms` after they opened for
    /// the player, in quiz order.
    pub fast: Vec<QuestionId>,
}

impl QuizService {
    /// A hosted quiz by id.
    async fn hosted_quiz(&self, quiz: &QuizId) -> Result<Quiz, GameOpError> {
        let quiz = self.quiz(quiz).await?;
        if quiz.mode() != QuizMode::Hosted {
            return Err(GameOpError::NotHosted);
        }
        Ok(quiz)
    }

    /// Players in the game: joined and not removed.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn players_in_game(&self, quiz: &QuizId) -> Result<u64, Unavailable> {
        Ok(self.roster(quiz).await?.0)
    }

    /// Players in the game and the players the host removed, from one read of each.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn roster(&self, quiz: &QuizId) -> Result<(u64, Vec<PlayerId>), Unavailable> {
        let joined = self.ports.registry.count(quiz).await?;
        let kicked = self.ports.games.kicked(quiz).await?;
        Ok((joined.saturating_sub(kicked.len() as u64), kicked))
    }

    /// The players the host removed from a game.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn removed_players(&self, quiz: &QuizId) -> Result<Vec<PlayerId>, Unavailable> {
        Ok(self.ports.games.kicked(quiz).await?)
    }

    /// Whether the host removed a player.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn is_removed(&self, quiz: &QuizId, player: &PlayerId) -> Result<bool, Unavailable> {
        Ok(self.ports.games.kicked(quiz).await?.contains(player))
    }

    /// The game of hosted quiz `quiz` at `now`, with any transition that fell due applied
    /// (see the module docs); a game is created in its lobby on first read.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn current_game(
        &self,
        quiz: &Quiz,
        now: Timestamp,
    ) -> Result<GameState, Unavailable> {
        let id = quiz.id();
        let games = &self.ports.games;
        let limits = quiz.time_limits_ms();
        let options = quiz.hosted();
        for _ in 0..MAX_RACES {
            let Some(state) = games.get(id).await? else {
                games.compare_and_set(id, None, &GameState::lobby()).await?;
                continue;
            };
            // Only a board moving on opens a question, and only then are players counted.
            let connected = match state.phase {
                Phase::Board { .. } if state.due(&options, &limits, 0, now).is_some() => {
                    self.players_in_game(id).await?
                }
                _ => 0,
            };
            let Some(next) = state.due(&options, &limits, connected, now) else {
                return Ok(state);
            };
            if games.compare_and_set(id, Some(state.seq), &next).await? {
                let _ = self.ports.bus.announce(id).await;
            }
        }
        Err(contention())
    }

    /// A hosted game by quiz id, as [`QuizService::current_game`] reads it, with its quiz.
    ///
    /// # Errors
    /// [`GameOpError::UnknownQuiz`], [`GameOpError::NotHosted`], [`GameOpError::Unavailable`].
    pub async fn game(
        &self,
        quiz: &QuizId,
        now: Timestamp,
    ) -> Result<(Quiz, GameState), GameOpError> {
        let quiz = self.hosted_quiz(quiz).await?;
        let state = self.current_game(&quiz, now).await?;
        Ok((quiz, state))
    }

    /// Runs a host's command at `now` and returns the game after it. A phase change is
    /// announced on the room bus, and so is a removal (each instance then closes the
    /// removed player's sockets).
    ///
    /// # Errors
    /// [`GameOpError`] naming why; on error nothing changed.
    pub async fn host(
        &self,
        quiz: &QuizId,
        action: HostAction,
        now: Timestamp,
    ) -> Result<GameState, GameOpError> {
        let quiz = self.hosted_quiz(quiz).await?;
        let id = quiz.id();
        let command = match action {
            HostAction::Kick(player) => {
                if self
                    .ports
                    .registry
                    .get(id, &player)
                    .await
                    .map_err(Unavailable::from)?
                    .is_none()
                {
                    return Err(GameOpError::UnknownPlayer);
                }
                self.ports
                    .games
                    .kick(id, &player)
                    .await
                    .map_err(Unavailable::from)?;
                // Off the board too: a removed name is not shown to the room.
                self.ports
                    .scoreboard
                    .remove(id, &player)
                    .await
                    .map_err(Unavailable::from)?;
                let _ = self.ports.bus.announce(id).await;
                // Without them, everyone left may have answered already.
                let state = self.current_game(&quiz, now).await?;
                if let Phase::Question { index, .. } = state.phase {
                    let answered = self
                        .ports
                        .games
                        .answer_count(id, index)
                        .await
                        .map_err(Unavailable::from)?;
                    self.close_if_everyone_answered(&quiz, &state, answered, now)
                        .await?;
                    return Ok(self.current_game(&quiz, now).await?);
                }
                return Ok(state);
            }
            HostAction::Phase(c) => c,
        };
        let limits = quiz.time_limits_ms();
        for _ in 0..MAX_RACES {
            let state = self.current_game(&quiz, now).await?;
            let connected = match command {
                HostCommand::Start | HostCommand::Next => self.players_in_game(id).await?,
                _ => 0,
            };
            let next = state.command(command, &limits, connected, now)?;
            if self
                .ports
                .games
                .compare_and_set(id, Some(state.seq), &next)
                .await
                .map_err(Unavailable::from)?
            {
                let _ = self.ports.bus.announce(id).await;
                return Ok(next);
            }
        }
        Err(contention().into())
    }

    /// Checks an answer to a hosted game's question at `now`: the question must be the
    /// one open, the player not removed. Returns the check and, when the question is open,
    /// its opening and the game state (to count the answer in afterwards).
    pub(super) async fn check_hosted_answer(
        &self,
        quiz: &Quiz,
        player: &PlayerId,
        question: &QuestionId,
        answer: &Answer,
        now: Timestamp,
    ) -> Result<(Checked, Option<(usize, Timestamp, GameState)>), HostedCheckError> {
        let index = quiz
            .question_index(question)
            .ok_or(AnswerError::UnknownQuestion)?;
        if self.is_removed(quiz.id(), player).await? {
            return Err(AnswerError::Removed.into());
        }
        let state = self.current_game(quiz, now).await?;
        match state.accepts(index, now) {
            Ok(opens_at) => {
                let Phase::Question { closes_at, .. } = state.phase else {
                    return Err(AnswerError::NoOpenQuestion.into());
                };
                let checked = quiz.check_hosted(index, answer, opens_at, closes_at, now)?;
                Ok((checked, Some((index, opens_at, state))))
            }
            Err(e) => Err(HostedCheckError::Closed(match e {
                HostedAnswerError::NoOpenQuestion => AnswerError::NoOpenQuestion,
                HostedAnswerError::NotTheOpenQuestion { open } => {
                    match quiz.questions().get(open) {
                        Some(q) => AnswerError::NotTheOpenQuestion { open: q.id.clone() },
                        None => AnswerError::NoOpenQuestion,
                    }
                }
            })),
        }
    }

    /// Counts an accepted answer in its question and closes the question when everyone
    /// in the game has answered (once, whoever else races to do the same).
    pub(super) async fn count_hosted_answer(
        &self,
        quiz: &Quiz,
        index: usize,
        state: &GameState,
        answer: &GameAnswer,
        now: Timestamp,
    ) -> Result<(), Unavailable> {
        let id = quiz.id();
        let answered = self.ports.games.record_answer(id, index, answer).await?;
        self.close_if_everyone_answered(quiz, state, answered, now)
            .await
    }

    /// Closes the open question of `state` when `answered` is everyone in the game.
    async fn close_if_everyone_answered(
        &self,
        quiz: &Quiz,
        state: &GameState,
        answered: u64,
        now: Timestamp,
    ) -> Result<(), Unavailable> {
        let id = quiz.id();
        if !matches!(state.phase, Phase::Question { .. }) {
            return Ok(());
        }
        let in_game = self.players_in_game(id).await?;
        if let Some(next) = state.everyone_answered(&quiz.hosted(), answered, in_game, now)
            && self
                .ports
                .games
                .compare_and_set(id, Some(state.seq), &next)
                .await?
        {
            let _ = self.ports.bus.announce(id).await;
        }
        Ok(())
    }

    /// How many players have answered question `index` of a hosted game.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn answered_count(&self, quiz: &QuizId, index: usize) -> Result<u64, Unavailable> {
        Ok(self.ports.games.answer_count(quiz, index).await?)
    }

    /// Who answered what to question `index` of a hosted game.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn reveal(&self, quiz: &Quiz, index: usize) -> Result<Reveal, Unavailable> {
        let answers = self.ports.games.answers(quiz.id(), index).await?;
        let Some(q) = quiz.questions().get(index) else {
            return Ok(Reveal {
                kind: QuestionType::Single,
                correct_option: None,
                correct_options: OptionSet::EMPTY,
                accepted: Vec::new(),
                counts: Vec::new(),
                texts: Vec::new(),
                answers,
            });
        };
        let mut counts = vec![0u64; q.options.len()];
        let mut texts: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
        for a in &answers {
            match &a.given {
                Given::Picks(picks) => {
                    for i in picks.iter() {
                        if let Some(c) = counts.get_mut(i) {
                            *c += 1;
                        }
                    }
                }
                Given::Text(t) => *texts.entry(t.as_str()).or_insert(0) += 1,
            }
        }
        let mut texts: Vec<TextCount> = texts
            .into_iter()
            .map(|(text, count)| TextCount {
                correct: q.key.accepts_text(text),
                text: text.to_owned(),
                count,
            })
            .collect();
        texts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
        texts.truncate(REVEAL_TEXTS);
        Ok(Reveal {
            kind: q.kind(),
            correct_option: q.key.correct_option(),
            correct_options: q.key.correct_options(),
            accepted: q.key.accepted().to_vec(),
            counts,
            texts,
            answers,
        })
    }

    /// The per-question report of a hosted game at `now`: each question that has closed
    /// (all of them at the podium), with how many answered, how many correctly, how many
    /// chose each option and the mean answer time.
    ///
    /// # Errors
    /// [`GameOpError::UnknownQuiz`], [`GameOpError::NotHosted`], [`GameOpError::Unavailable`].
    pub async fn report(
        &self,
        quiz: &QuizId,
        now: Timestamp,
    ) -> Result<Vec<QuestionReport>, GameOpError> {
        let (quiz, state) = self.game(quiz, now).await?;
        let closed = closed_questions(&state.phase, quiz.questions().len());
        let mut out = Vec::with_capacity(closed);
        for (index, q) in quiz.questions().iter().enumerate().take(closed) {
            let reveal = self.reveal(&quiz, index).await?;
            let answered = reveal.answers.len() as u64;
            let total_ms: u64 = reveal.answers.iter().map(|a| a.elapsed_ms).sum();
            out.push(QuestionReport {
                index,
                id: q.id.clone(),
                prompt: q.prompt.clone(),
                answered,
                correct: reveal.answers.iter().filter(|a| a.correct).count() as u64,
                mean_answer_ms: total_ms.checked_div(answered),
                reveal,
            });
        }
        Ok(out)
    }

    /// Each player's tally from a hosted game's answers (answer times count from each
    /// question's opening for everyone).
    async fn hosted_tallies(
        &self,
        quiz: &Quiz,
    ) -> Result<std::collections::HashMap<PlayerId, Tally>, Unavailable> {
        let mut tallies: std::collections::HashMap<PlayerId, Tally> =
            std::collections::HashMap::new();
        for (index, q) in quiz.questions().iter().enumerate() {
            for a in self.ports.games.answers(quiz.id(), index).await? {
                let fast = quiz.is_fast(a.elapsed_ms);
                let t = tallies.entry(a.player).or_default();
                t.correct += u64::from(a.correct);
                if fast {
                    t.fast.push(q.id.clone());
                }
            }
        }
        Ok(tallies)
    }

    /// How many answers each of `players` got right and which they answered suspiciously
    /// fast: from the game's answers for a hosted quiz (one read per question), from each
    /// player's answered questions otherwise (one read per player).
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn tallies(
        &self,
        quiz: &Quiz,
        players: &[PlayerId],
    ) -> Result<std::collections::HashMap<PlayerId, Tally>, Unavailable> {
        if quiz.mode() == QuizMode::Hosted {
            return self.hosted_tallies(quiz).await;
        }
        let order: std::collections::HashMap<&QuestionId, usize> = quiz
            .questions()
            .iter()
            .enumerate()
            .map(|(i, q)| (&q.id, i))
            .collect();
        let mut tallies = std::collections::HashMap::with_capacity(players.len());
        for p in players {
            let answers = self.ports.scoreboard.answers(quiz.id(), p).await?;
            let mut fast: Vec<&QuestionId> = answers
                .iter()
                .filter(|(_, r)| r.elapsed_ms.is_some_and(|ms| quiz.is_fast(ms)))
                .map(|(q, _)| q)
                .collect();
            fast.sort_by_key(|q| order.get(q).copied().unwrap_or(usize::MAX));
            tallies.insert(
                p.clone(),
                Tally {
                    correct: answers.iter().filter(|(_, r)| r.correct).count() as u64,
                    fast: fast.into_iter().cloned().collect(),
                },
            );
        }
        Ok(tallies)
    }

    /// The players in a game's lobby, in join order, up to `limit`, without removed ones.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn lobby(
        &self,
        quiz: &QuizId,
        limit: u64,
    ) -> Result<Vec<crate::model::BoardEntry>, Unavailable> {
        let kicked: HashSet<PlayerId> = self.removed_players(quiz).await?.into_iter().collect();
        let mut page = self
            .board_page(quiz, 0, limit + kicked.len() as u64)
            .await?;
        page.retain(|e| !kicked.contains(&e.player));
        page.sort_by_key(|e| e.player.issued_number());
        page.truncate(limit as usize);
        Ok(page)
    }
}

/// Why a hosted answer was not checked.
#[derive(Debug, thiserror::Error)]
pub(super) enum HostedCheckError {
    /// Refused by the quiz's rules.
    #[error(transparent)]
    Rejected(#[from] AnswerError),
    /// The question is not open (a retry of an answer given in time still gets its result).
    #[error(transparent)]
    Closed(AnswerError),
    /// Infrastructure failure.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// How many questions (from the first) have closed in `phase`, of `questions`.
fn closed_questions(phase: &Phase, questions: usize) -> usize {
    match phase {
        Phase::Lobby { .. } => 0,
        Phase::Question { index, .. } => *index,
        Phase::Reveal { index, .. } | Phase::Board { index, .. } => index + 1,
        Phase::Paused { from, .. } => closed_questions(from, questions),
        Phase::Podium => questions,
    }
}

fn contention() -> Unavailable {
    Unavailable {
        port: "game store",
        source: "the game kept changing under this operation".into(),
    }
}
