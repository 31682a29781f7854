//! The hosted-game operations' bodies: reading a game, running a host's command and the
//! per-question report, with the refusals each maps to.

use poem_openapi::payload::Json;
use quiz_core::game::{GameState, Phase};
use quiz_core::service::{GameOpError, HostAction};
use quiz_core::{QuizId, QuizService};

use super::errors::{ApiError, ServerError, client, internal};
use super::types::{GameOut, QuestionReportOut, ReportOut, TextCountOut};
use crate::clock;
use crate::strict::Absent;

/// Why a hosted-game operation was refused.
pub(super) enum Refusal {
    /// 404: `unknown_quiz` or `unknown_player`.
    NotFound(Json<ApiError>),
    /// 409: `not_hosted` or `not_now`.
    Conflict(Json<ApiError>),
    /// 500.
    Internal(Json<ServerError>),
}

impl From<GameOpError> for Refusal {
    fn from(e: GameOpError) -> Self {
        match e {
            GameOpError::UnknownQuiz => Self::NotFound(client("unknown_quiz", "no such quiz")),
            GameOpError::UnknownPlayer => Self::NotFound(super::errors::at_field(
                "unknown_player",
                "player",
                "no such player in this quiz",
            )),
            GameOpError::NotHosted => Self::Conflict(client(
                "not_hosted",
                "the quiz is self-paced; only a hosted quiz has a game",
            )),
            e @ GameOpError::NotNow(_) => {
                Self::Conflict(super::errors::at_field("not_now", "command", e.to_string()))
            }
            GameOpError::Unavailable(u) => Self::Internal(internal(&u)),
        }
    }
}

/// The game of `quiz` now.
pub(super) async fn read(svc: &QuizService, quiz: &QuizId) -> Result<GameOut, Refusal> {
    let (def, state) = svc.game(quiz, clock::now()).await?;
    out(svc, quiz, def.questions().len(), &state).await
}

/// Runs a host's command and returns the game after it.
pub(super) async fn command(
    svc: &QuizService,
    quiz: &QuizId,
    action: HostAction,
) -> Result<GameOut, Refusal> {
    let state = svc.host(quiz, action, clock::now()).await?;
    let def = svc
        .quiz(quiz)
        .await
        .map_err(|e| Refusal::from(GameOpError::from(e)))?;
    out(svc, quiz, def.questions().len(), &state).await
}

/// The per-question report.
pub(super) async fn report(svc: &QuizService, quiz: &QuizId) -> Result<ReportOut, Refusal> {
    let lines = svc.report(quiz, clock::now()).await?;
    Ok(ReportOut {
        quiz: quiz.to_string(),
        questions: lines
            .into_iter()
            .map(|r| QuestionReportOut {
                index: r.index as u64,
                id: r.id.to_string(),
                prompt: r.prompt,
                kind: r.reveal.kind.into(),
                correct_option: Absent(r.reveal.correct_option.map(|i| i as u64)),
                correct_options: r.reveal.correct_options.iter().map(|i| i as u64).collect(),
                accepted: r.reveal.accepted,
                texts: r
                    .reveal
                    .texts
                    .into_iter()
                    .map(|t| TextCountOut {
                        text: t.text,
                        count: t.count,
                        correct: t.correct,
                    })
                    .collect(),
                answered: r.answered,
                correct: r.correct,
                percent_correct: percent(r.correct, r.answered),
                counts: r.reveal.counts,
                mean_answer_ms: Absent(r.mean_answer_ms),
            })
            .collect(),
    })
}

/// `part` of `whole` in percent, one decimal; 0 when `whole` is 0.
fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 * 1000.0 / whole as f64).round() / 10.0
}

async fn out(
    svc: &QuizService,
    quiz: &QuizId,
    questions: usize,
    state: &GameState,
) -> Result<GameOut, Refusal> {
    let unavailable = |u: quiz_core::service::Unavailable| Refusal::Internal(internal(&u));
    let players = svc.players_in_game(quiz).await.map_err(unavailable)?;
    let now = clock::now().0;
    let (phase, paused) = match &state.phase {
        Phase::Paused { from, .. } => (&**from, true),
        p => (p, false),
    };
    let mut g = GameOut {
        quiz: quiz.to_string(),
        seq: state.seq,
        phase: state.phase.name().to_owned(),
        server_time: now,
        locked: matches!(phase, Phase::Lobby { locked: true }),
        players,
        question_count: questions as u64,
        question_index: Absent(None),
        opens_at: Absent(None),
        closes_at: Absent(None),
        remaining_ms: Absent(None),
        answered: Absent(None),
        expected: Absent(None),
        paused_from: Absent(paused.then(|| phase.name().to_owned())),
    };
    match phase {
        Phase::Question {
            index,
            opens_at,
            closes_at,
            expected,
        } => {
            g.question_index = Absent(Some(*index as u64));
            g.remaining_ms = Absent(Some(match &state.phase {
                Phase::Paused { remaining_ms, .. } => remaining_ms.unwrap_or(0),
                _ => closes_at.0.saturating_sub(now),
            }));
            if !paused {
                g.opens_at = Absent(Some(opens_at.0));
                g.closes_at = Absent(Some(closes_at.0));
            }
            g.answered = Absent(Some(
                svc.answered_count(quiz, *index)
                    .await
                    .map_err(unavailable)?,
            ));
            g.expected = Absent(Some((*expected).min(players)));
        }
        Phase::Reveal { index, .. } | Phase::Board { index, .. } => {
            g.question_index = Absent(Some(*index as u64));
        }
        _ => {}
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentages_have_one_decimal_and_survive_zero() {
        assert_eq!(super::percent(2, 3), 66.7);
        assert_eq!(super::percent(0, 0), 0.0);
        assert_eq!(super::percent(3, 3), 100.0);
    }
}
