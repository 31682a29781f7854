//! Request bodies read by hand from the JSON value, so that every refusal names the field
//! and the rule in words (`questions[3].points: must be a whole number from 1 to 10000`)
//! and structural limits are checked before any per-element work.
//!
//! The order is what keeps refusing cheap: the body was already size-capped and parsed as
//! strict JSON (`crate::body`); here the number of questions is checked before any question
//! is looked at, the number of options before any option, and each value's type before its
//! content. The domain's rules on values (ranges, lengths, distinct ids, the largest total)
//! stay in `quiz-core`, which reports the field of the rule it applies
//! ([`quiz_core::quiz::QuizDefError::field`]). Nothing here depends on the size of anything
//! but the (bounded) body.

pub mod export;

use quiz_core::game::HostedOptions;
use quiz_core::ids::MAX_OPTIONS;
use quiz_core::media::MediaId;
use quiz_core::question::{
    AnswerKey, MAX_ACCEPTED, MultiScoring, OptionSet, QuestionType, TRUE_FALSE_OPTIONS,
};
use quiz_core::quiz::{
    DEFAULT_MIN_ANSWER_MS, MAX_MIN_ANSWER_MS, MAX_QUESTIONS, NameMode, Question, QuizDraft,
    QuizMode, QuizStatus,
};
use quiz_core::service::HostAction;
use quiz_core::{
    OptionIndex, QuestionId, QuizId, ScoringKind, ScoringPolicy, StreakBonus, Timestamp,
};
use serde_json::{Map, Value};

use super::types::ScoringKindDto;

/// A refusal: the field path and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// `questions[3].points`; empty for the body as a whole.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

fn fail<T>(field: impl Into<String>, message: impl Into<String>) -> Result<T, FieldError> {
    Err(FieldError {
        field: field.into(),
        message: message.into(),
    })
}

/// Largest streak step and cap: the ranking encoding's score range.
const MAX_STREAK: u64 = 2_097_151;

/// The fields an object may have: refuses any other, naming it and the allowed ones.
fn object<'a>(
    v: &'a Value,
    at: &str,
    what: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, FieldError> {
    let Some(map) = v.as_object() else {
        return fail(at, format!("{what} must be a JSON object"));
    };
    if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return fail(
            join(at, k),
            format!("unknown field; {what} has only {}", allowed.join(", ")),
        );
    }
    Ok(map)
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

/// An optional field: absent is `None`; `null` is refused (the schema has no nulls).
fn optional<'a>(
    map: &'a Map<String, Value>,
    at: &str,
    key: &str,
) -> Result<Option<&'a Value>, FieldError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::Null) => fail(
            join(at, key),
            "null is not allowed; leave the field out instead",
        ),
        Some(v) => Ok(Some(v)),
    }
}

fn required<'a>(map: &'a Map<String, Value>, at: &str, key: &str) -> Result<&'a Value, FieldError> {
    optional(map, at, key)?.map_or_else(|| fail(join(at, key), "this field is required"), Ok)
}

fn string(v: &Value, field: &str) -> Result<String, FieldError> {
    v.as_str()
        .map(str::to_owned)
        .map_or_else(|| fail(field, "must be a string"), Ok)
}

fn whole(v: &Value, field: &str, min: u64, max: u64) -> Result<u64, FieldError> {
    match v.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => fail(field, format!("must be a whole number from {min} to {max}")),
    }
}

fn as_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Reads a quiz definition (the body of `POST /api/quizzes`); `generated_id` names a quiz
/// sent without an id. The domain's value rules are checked afterwards by `quiz-core`.
///
/// # Errors
/// [`FieldError`] for the first field that breaks a rule.
pub fn quiz(v: &Value, generated_id: &str, created_at: Timestamp) -> Result<QuizDraft, FieldError> {
    let map = object(
        v,
        "",
        "a quiz definition",
        &[
            "id",
            "title",
            "scoring",
            "questions",
            "mode",
            "hosted",
            "names",
            "min_answer_ms",
        ],
    )?;
    // Structure first: the question count bounds everything after it.
    let Value::Array(items) = required(map, "", "questions")? else {
        return fail("questions", "must be an array of questions");
    };
    if items.is_empty() || items.len() > MAX_QUESTIONS {
        return fail(
            "questions",
            format!(
                "a quiz needs 1 to {MAX_QUESTIONS} questions; this one has {}",
                items.len()
            ),
        );
    }
    let id = match optional(map, "", "id")? {
        Some(v) => string(v, "id")?,
        None => generated_id.to_owned(),
    };
    let id = QuizId::parse(id).or_else(|e| fail("id", e.to_string()))?;
    let title = string(required(map, "", "title")?, "title")?;
    let scoring = match optional(map, "", "scoring")? {
        Some(v) => scoring(v)?,
        None => ScoringPolicy::default(),
    };
    let mode = match optional(map, "", "mode")? {
        None => QuizMode::SelfPaced,
        Some(v) => match v.as_str() {
            Some("self_paced") => QuizMode::SelfPaced,
            Some("hosted") => QuizMode::Hosted,
            _ => return fail("mode", "must be \"self_paced\" or \"hosted\""),
        },
    };
    let hosted = match optional(map, "", "hosted")? {
        None => HostedOptions::default(),
        Some(_) if mode != QuizMode::Hosted => {
            return fail(
                "hosted",
                "only a quiz with \"mode\": \"hosted\" has hosted options",
            );
        }
        Some(v) => hosted_options(v)?,
    };
    let names = match optional(map, "", "names")? {
        None => NameMode::Requested,
        Some(v) => match v.as_str() {
            Some("requested") => NameMode::Requested,
            Some("generated") => NameMode::Generated,
            _ => return fail("names", "must be \"requested\" or \"generated\""),
        },
    };
    let min_answer_ms = match optional(map, "", "min_answer_ms")? {
        None => DEFAULT_MIN_ANSWER_MS,
        Some(v) => as_u32(whole(v, "min_answer_ms", 0, u64::from(MAX_MIN_ANSWER_MS))?),
    };
    let questions = items
        .iter()
        .enumerate()
        .map(|(i, q)| question(q, &format!("questions[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(QuizDraft {
        id,
        title,
        questions,
        scoring,
        status: QuizStatus::Open,
        created_at,
        mode,
        hosted,
        names,
        min_answer_ms,
    })
}

fn hosted_options(v: &Value) -> Result<HostedOptions, FieldError> {
    let map = object(
        v,
        "hosted",
        "hosted",
        &["end_early", "reveal_secs", "board_secs"],
    )?;
    let end_early = match optional(map, "hosted", "end_early")? {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return fail("hosted.end_early", "must be true or false"),
    };
    let secs = |key: &str| {
        optional(map, "hosted", key)?
            .map(|v| {
                whole(
                    v,
                    &join("hosted", key),
                    1,
                    u64::from(quiz_core::quiz::MAX_ADVANCE_SECS),
                )
                .map(as_u32)
            })
            .transpose()
    };
    Ok(HostedOptions {
        end_early,
        reveal_secs: secs("reveal_secs")?,
        board_secs: secs("board_secs")?,
    })
}

fn scoring(v: &Value) -> Result<ScoringPolicy, FieldError> {
    let map = object(
        v,
        "scoring",
        "scoring",
        &["kind", "streak_step", "streak_cap", "multi"],
    )?;
    let kind = required(map, "scoring", "kind")?;
    let kind = kind
        .as_str()
        .and_then(ScoringKindDto::from_wire)
        .map_or_else(
            || {
                fail(
                    "scoring.kind",
                    format!("must be one of {}", ScoringKindDto::WIRE.join(", ")),
                )
            },
            Ok,
        )?;
    let step = optional(map, "scoring", "streak_step")?
        .map(|v| whole(v, "scoring.streak_step", 0, MAX_STREAK))
        .transpose()?;
    let cap = optional(map, "scoring", "streak_cap")?
        .map(|v| whole(v, "scoring.streak_cap", 0, MAX_STREAK))
        .transpose()?;
    let streak = match (step, cap) {
        (None, None) => None,
        (Some(step), Some(cap)) => Some(StreakBonus {
            step: as_u32(step),
            cap: as_u32(cap),
        }),
        (Some(_), None) => {
            return fail(
                "scoring.streak_cap",
                "streak_step and streak_cap go together",
            );
        }
        (None, Some(_)) => {
            return fail(
                "scoring.streak_step",
                "streak_step and streak_cap go together",
            );
        }
    };
    let multi = match optional(map, "scoring", "multi")? {
        None => MultiScoring::AllOrNothing,
        Some(v) => match v.as_str() {
            Some("all_or_nothing") => MultiScoring::AllOrNothing,
            Some("partial") => MultiScoring::Partial,
            _ => {
                return fail("scoring.multi", "must be \"all_or_nothing\" or \"partial\"");
            }
        },
    };
    Ok(ScoringPolicy {
        kind: ScoringKind::from(kind),
        streak,
        multi,
    })
}

/// The fields every question type allows, plus the ones of its type.
fn question_fields(kind: QuestionType) -> &'static [&'static str] {
    match kind {
        QuestionType::Single | QuestionType::Multi => &[
            "id",
            "type",
            "prompt",
            "options",
            "correct",
            "points",
            "time_limit_ms",
            "explanation",
            "image",
        ],
        QuestionType::TrueFalse => &[
            "id",
            "type",
            "prompt",
            "correct",
            "points",
            "time_limit_ms",
            "explanation",
            "image",
        ],
        QuestionType::Poll => &[
            "id",
            "type",
            "prompt",
            "options",
            "time_limit_ms",
            "explanation",
            "image",
        ],
        QuestionType::TypeAnswer => &[
            "id",
            "type",
            "prompt",
            "accepted",
            "ignore_accents",
            "points",
            "time_limit_ms",
            "explanation",
            "image",
        ],
    }
}

/// A list of strings at `field`, at most `max` of them (checked before any is read).
fn strings(v: &Value, field: &str, what: &str, max: usize) -> Result<Vec<String>, FieldError> {
    let Value::Array(items) = v else {
        return fail(field, format!("must be an array of {what}"));
    };
    if items.len() > max {
        return fail(
            field,
            format!("at most {max} {what}; this one has {}", items.len()),
        );
    }
    items
        .iter()
        .enumerate()
        .map(|(i, o)| string(o, &format!("{field}[{i}]")))
        .collect()
}

fn question(v: &Value, at: &str) -> Result<Question, FieldError> {
    let f = |key: &str| join(at, key);
    let Some(map) = v.as_object() else {
        return fail(at, "a question must be a JSON object");
    };
    let kind = match optional(map, at, "type")? {
        None => QuestionType::Single,
        Some(t) => t.as_str().and_then(QuestionType::from_name).map_or_else(
            || {
                fail(
                    f("type"),
                    format!(
                        "must be one of {}",
                        QuestionType::ALL.map(QuestionType::name).join(", ")
                    ),
                )
            },
            Ok,
        )?,
    };
    let map = object(
        v,
        at,
        &format!("a {} question", kind.name()),
        question_fields(kind),
    )?;
    let options = match kind {
        QuestionType::Single | QuestionType::Multi | QuestionType::Poll => strings(
            required(map, at, "options")?,
            &f("options"),
            "options",
            MAX_OPTIONS,
        )?,
        QuestionType::TrueFalse => TRUE_FALSE_OPTIONS.map(str::to_owned).to_vec(),
        QuestionType::TypeAnswer => Vec::new(),
    };
    let id = string(required(map, at, "id")?, &f("id"))?;
    let id = QuestionId::parse(id).or_else(|e| fail(f("id"), e.to_string()))?;
    let prompt = string(required(map, at, "prompt")?, &f("prompt"))?;
    let last = MAX_OPTIONS as u64 - 1;
    let index = |v: &Value, field: &str| {
        let n = whole(v, field, 0, last)?;
        OptionIndex::new(n)
            .or_else(|_| fail(field, format!("must be a whole number from 0 to {last}")))
    };
    let key = match kind {
        QuestionType::Single => {
            AnswerKey::Single(index(required(map, at, "correct")?, &f("correct"))?)
        }
        QuestionType::Multi => {
            let field = f("correct");
            let Value::Array(items) = required(map, at, "correct")? else {
                return fail(
                    field,
                    "a multi question's correct is an array of option indexes",
                );
            };
            if items.len() > MAX_OPTIONS {
                return fail(field, format!("at most {MAX_OPTIONS} correct options"));
            }
            let mut set = OptionSet::EMPTY;
            for (i, item) in items.iter().enumerate() {
                let o = index(item, &format!("{field}[{i}]"))?;
                if !set.insert(o) {
                    return fail(format!("{field}[{i}]"), "an option is listed twice");
                }
            }
            AnswerKey::Multi(set)
        }
        QuestionType::TrueFalse => match required(map, at, "correct")? {
            Value::Bool(b) => AnswerKey::TrueFalse(*b),
            _ => {
                return fail(
                    f("correct"),
                    "a true_false question's correct is true or false",
                );
            }
        },
        QuestionType::Poll => AnswerKey::Poll,
        QuestionType::TypeAnswer => AnswerKey::TypeAnswer {
            accepted: strings(
                required(map, at, "accepted")?,
                &f("accepted"),
                "accepted answers",
                MAX_ACCEPTED,
            )?,
            ignore_accents: match optional(map, at, "ignore_accents")? {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return fail(f("ignore_accents"), "must be true or false"),
            },
        },
    };
    let points = if kind == QuestionType::Poll {
        0
    } else {
        as_u32(whole(
            required(map, at, "points")?,
            &f("points"),
            1,
            u64::from(quiz_core::quiz::MAX_POINTS),
        )?)
    };
    let limit = whole(
        required(map, at, "time_limit_ms")?,
        &f("time_limit_ms"),
        u64::from(quiz_core::quiz::MIN_TIME_LIMIT_MS),
        u64::from(quiz_core::quiz::MAX_TIME_LIMIT_MS),
    )?;
    let explanation = optional(map, at, "explanation")?
        .map(|v| string(v, &f("explanation")))
        .transpose()?;
    let image = optional(map, at, "image")?
        .map(|v| {
            let field = f("image");
            string(v, &field)
                .and_then(|s| MediaId::parse(s).or_else(|e| fail(field, e.to_string())))
        })
        .transpose()?;
    Ok(Question {
        id,
        prompt,
        options,
        key,
        points,
        time_limit_ms: as_u32(limit),
        explanation,
        image,
    })
}

/// Reads a host's command: `{"command": "…"}`, plus `"player"` for `kick` only.
///
/// # Errors
/// [`FieldError`] naming `command`, `player` or the unknown field.
pub fn host_command(v: &Value) -> Result<HostAction, FieldError> {
    use quiz_contracts::ws::{HostCommandError, HostCommandName};
    let map = object(v, "", "a host command", &["command", "player"])?;
    let name = string(required(map, "", "command")?, "command")?;
    let Some(command) = HostCommandName::parse(&name) else {
        let names = HostCommandName::names();
        return fail(
            "command",
            format!("unknown command {name:?}; one of {names}"),
        );
    };
    let player = optional(map, "", "player")?
        .map(|v| string(v, "player"))
        .transpose()?;
    command.action(player.as_deref()).or_else(|e| match e {
        HostCommandError::NotAPlayerId { why, .. } => fail("player", why.to_string()),
        e => fail("player", e.to_string()),
    })
}

/// Reads a join body: `{"name": "…"}` and nothing else. The name's rules are the domain's
/// (`PlayerName::parse`); this checks only the shape.
///
/// # Errors
/// [`FieldError`] naming `name` or the unknown field.
pub fn join_name(v: &Value) -> Result<String, FieldError> {
    let map = object(v, "", "a join request", &["name"])?;
    string(required(map, "", "name")?, "name")
}
/// Reads a duplicate request's body: `{"id"?, "title"?}`. The title's rules are the
/// domain's (checked on the copy).
///
/// # Errors
/// [`FieldError`] naming `id`, `title` or the unknown field.
pub fn duplicate(v: &Value) -> Result<(Option<QuizId>, Option<String>), FieldError> {
    let map = object(v, "", "a duplicate request", &["id", "title"])?;
    let id = optional(map, "", "id")?
        .map(|v| {
            string(v, "id").and_then(|s| QuizId::parse(s).or_else(|e| fail("id", e.to_string())))
        })
        .transpose()?;
    let title = optional(map, "", "title")?
        .map(|v| string(v, "title"))
        .transpose()?;
    Ok((id, title))
}

#[cfg(test)]
mod tests;
