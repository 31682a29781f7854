//! What a hosted game shows of its questions once they close: the reveal (the answer and
//! how the room answered) and the per-question report.

use std::collections::HashMap;

use crate::game::Phase;
use crate::ids::{QuestionId, QuizId};
use crate::ports::GameAnswer;
use crate::question::{Given, OptionSet, QuestionType};
use crate::quiz::Quiz;
use crate::time::Timestamp;
use crate::unavailable::Unavailable;

use super::{GameOpError, Games};

/// One question's line of the per-question report.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionReport {
    /// Position in the quiz, from 0.
    pub index: usize,
    /// The question's id.
    pub id: QuestionId,
    /// Its prompt, as players read it.
    pub prompt: String,
    /// The answer and how the room answered.
    pub reveal: Reveal,
    /// How many players answered it.
    pub answered: u64,
    /// How many answered it correctly.
    pub correct: u64,
    /// Mean milliseconds from the question's opening to an answer, on the question's own
    /// clock (paused time excluded; `None` without answers).
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
    /// The most given typed answers, most first (up to [`REVEAL_TEXTS`]), without those
    /// the display names' deny list refuses.
    pub texts: Vec<TextCount>,
    /// Every player's answer.
    pub answers: Vec<GameAnswer>,
}

impl Games {
    /// Who answered what to question `index` of a hosted game.
    ///
    /// # Errors
    /// [`Unavailable`].
    pub async fn reveal(&self, quiz: &Quiz, index: usize) -> Result<Reveal, Unavailable> {
        let answers = self.store().answers(quiz.id(), index).await?;
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
        let mut texts: HashMap<&str, u64> = HashMap::new();
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
        // A typed answer is shown to the whole room: one the names' deny list refuses is
        // left out (an accepted answer, the author's own text, never is). It still counts
        // in `answers`.
        let mut texts: Vec<TextCount> = texts
            .into_iter()
            .map(|(text, count)| TextCount {
                correct: q.key.accepts_text(text),
                text: text.to_owned(),
                count,
            })
            .filter(|t| t.correct || !self.deny().denies(&t.text))
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
        let quiz = self.library().quiz(quiz).await?;
        let state = self.current(&quiz, now).await?;
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
}

/// How many questions (from the first) have closed in `phase`, of `questions`.
fn closed_questions(phase: &Phase, questions: usize) -> usize {
    match phase.unpaused() {
        Phase::Lobby { .. } | Phase::Paused { .. } => 0,
        Phase::Question { index, .. } => *index,
        Phase::Reveal { index, .. } | Phase::Board { index, .. } => index + 1,
        Phase::Podium => questions,
    }
}
