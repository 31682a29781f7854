//! The hosted-game operations' bodies: reading a game, running a host's command and the
//! per-question report, with the refusals each maps to.

use poem_openapi::payload::Json;
use quiz_core::game::GameState;
use quiz_core::service::{GameOpError, HostAction};
use quiz_core::{Quiz, QuizId, QuizService};

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
pub(super) async fn read(
    svc: &QuizService,
    quiz: &QuizId,
    public_url: Option<&str>,
) -> Result<GameOut, Refusal> {
    let def = svc.library().quiz(quiz).await.map_err(GameOpError::from)?;
    let state = svc.games().current(&def, clock::now()).await?;
    out(svc, &def, &state, public_url).await
}

/// Runs a host's command and returns the game after it.
pub(super) async fn command(
    svc: &QuizService,
    quiz: &QuizId,
    action: HostAction,
    public_url: Option<&str>,
) -> Result<GameOut, Refusal> {
    let state = svc.games().host(quiz, action, clock::now()).await?;
    let def = svc
        .library()
        .quiz(quiz)
        .await
        .map_err(|e| Refusal::from(GameOpError::from(e)))?;
    out(svc, &def, &state, public_url).await
}

/// The per-question report.
pub(super) async fn report(svc: &QuizService, quiz: &QuizId) -> Result<ReportOut, Refusal> {
    let lines = svc.games().report(quiz, clock::now()).await?;
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

/// The join link under `public_url`: by PIN when there is one, else by quiz id.
pub(super) fn join_url(public_url: &str, quiz: &QuizId, pin: Option<&str>) -> String {
    match pin {
        Some(pin) => format!("{public_url}/join/{pin}"),
        None => format!("{public_url}/?quiz={quiz}"),
    }
}

async fn out(
    svc: &QuizService,
    def: &Quiz,
    state: &GameState,
    public_url: Option<&str>,
) -> Result<GameOut, Refusal> {
    let (quiz, questions) = (def.id(), def.questions().len());
    let unavailable = |u: quiz_core::service::Unavailable| Refusal::Internal(internal(&u));
    let players = svc.games().roster(quiz).await.map_err(unavailable)?.players;
    let now = clock::now();
    let pin = svc
        .pins()
        .for_game(def, state, now, &mut crate::token::random_u64)
        .await
        .map_err(unavailable)?;
    let view = state.view(now);
    let open = view.open.as_ref();
    Ok(GameOut {
        quiz: quiz.to_string(),
        seq: state.seq,
        phase: state.phase.name().to_owned(),
        server_time: now.0,
        locked: view.locked,
        players,
        question_count: questions as u64,
        question_index: Absent(view.question.map(|i| i as u64)),
        // A paused question's clock is stopped: it has no closing time until it resumes.
        opens_at: Absent(
            open.filter(|_| view.paused_from.is_none())
                .map(|o| o.opens_at.0),
        ),
        closes_at: Absent(
            open.filter(|_| view.paused_from.is_none())
                .map(|o| o.closes_at.0),
        ),
        remaining_ms: Absent(open.map(|o| o.remaining_ms)),
        answered: Absent(match open {
            Some(_) => svc
                .games()
                .answered(quiz, state)
                .await
                .map_err(unavailable)?,
            None => None,
        }),
        expected: Absent(open.map(|o| o.expected)),
        paused_from: Absent(view.paused_from.map(str::to_owned)),
        join_url: Absent(public_url.map(|u| join_url(u, quiz, pin.as_ref().map(|p| p.as_str())))),
        pin: Absent(pin.map(|p| p.to_string())),
    })
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
