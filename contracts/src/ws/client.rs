//! What a client sends: the messages, the rules their fields follow (stated once, for the
//! server's checks that name the field at fault), the host's commands mapped to the core's
//! actions, and an answer's fields read as the core's typed [`Answer`].

use quiz_core::game::HostCommand;
use quiz_core::service::HostAction;
use quiz_core::{Answer, IdError, PlayerId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A message from a player's client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Answer one question, with exactly one of `option` (single, true_false, poll),
    /// `options` (multi) or `text` (type_answer). Sending the same `answer_id` or question
    /// again is safe: the server replies with the original result and changes nothing.
    Answer {
        /// A client-chosen id for this answer (1–64 characters of `[A-Za-z0-9_-]`), echoed in
        /// the reply so the client can match replies to retries.
        answer_id: String,
        /// The question id.
        question: String,
        /// single, true_false (0 = true, 1 = false) and poll: the chosen option, 0-based.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        option: Option<u32>,
        /// multi: the chosen options, 0-based; a set (not empty, no repeats).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        options: Option<Vec<u32>>,
        /// type_answer: the typed answer (1–64 characters, not blank).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// Ask for a fresh snapshot.
    Snapshot {},
    /// Application-level ping; the server replies `pong` (WebSocket ping frames work too).
    Ping {
        /// Echoed back.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<String>,
    },
    /// A host's command in a hosted game (host sockets only: `?host_key=`). The reply is
    /// `host_ok` or an `error`.
    Host {
        /// What to do.
        command: HostCommandName,
        /// The player to remove (`kick` only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        player: Option<String>,
    },
}

/// A host's command, as the protocol spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HostCommandName {
    /// Refuse new players in the lobby.
    Lock,
    /// Accept new players again.
    Unlock,
    /// Open the first question.
    Start,
    /// From a reveal to the board; from a board to the next question or the podium.
    Next,
    /// Close the open question now.
    Skip,
    /// Stop the clock (question, reveal or board).
    Pause,
    /// Restart the clock with the time that was left.
    Resume,
    /// Go to the podium.
    End,
    /// Remove a player (`player` names them): their sockets close with 4009.
    Kick,
}

/// One field of a client message: what the server checks before parsing the message, so
/// that a refusal names the field and the rule.
#[derive(Debug, Clone, Copy)]
pub struct FieldRule {
    /// The field's JSON key.
    pub name: &'static str,
    /// Whether a message of its type must have it.
    pub required: bool,
    /// What its value must be, for people ("a string", …).
    pub what: &'static str,
    /// Whether a value is of the right JSON type. Which one of `option`, `options` and
    /// `text` an answer has is checked against the question, not here.
    pub check: fn(&Value) -> bool,
}

fn is_string(v: &Value) -> bool {
    v.is_string()
}

fn is_option(v: &Value) -> bool {
    v.as_u64().is_some_and(|n| u32::try_from(n).is_ok())
}

fn is_options(v: &Value) -> bool {
    v.as_array()
        .is_some_and(|items| items.iter().all(is_option))
}

fn is_host_command(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|c| HostCommandName::parse(c).is_some())
}

/// Each `type` a client may send, with its fields: the shapes of [`ClientMessage`] (a
/// test holds the two, and the committed schema, to each other).
pub const CLIENT_RULES: &[(&str, &[FieldRule])] = &[
    (
        "answer",
        &[
            FieldRule {
                name: "answer_id",
                required: true,
                what: "a string",
                check: is_string,
            },
            FieldRule {
                name: "question",
                required: true,
                what: "a string",
                check: is_string,
            },
            FieldRule {
                name: "option",
                required: false,
                what: "a whole number from 0",
                check: is_option,
            },
            FieldRule {
                name: "options",
                required: false,
                what: "an array of whole numbers from 0",
                check: is_options,
            },
            FieldRule {
                name: "text",
                required: false,
                what: "a string",
                check: is_string,
            },
        ],
    ),
    ("snapshot", &[]),
    (
        "ping",
        &[FieldRule {
            name: "nonce",
            required: false,
            what: "a string",
            check: is_string,
        }],
    ),
    (
        "host",
        &[
            FieldRule {
                name: "command",
                required: true,
                what: "one of the host commands",
                check: is_host_command,
            },
            FieldRule {
                name: "player",
                required: false,
                what: "a string",
                check: is_string,
            },
        ],
    ),
];

/// The `type` values a client may send.
pub const CLIENT_TYPES: [&str; 4] = [
    CLIENT_RULES[0].0,
    CLIENT_RULES[1].0,
    CLIENT_RULES[2].0,
    CLIENT_RULES[3].0,
];

/// The fields of client messages of type `ty`; `None` for a type no client may send.
pub fn client_fields(ty: &str) -> Option<&'static [FieldRule]> {
    CLIENT_RULES
        .iter()
        .find(|(t, _)| *t == ty)
        .map(|(_, fields)| *fields)
}

/// An answer's fields as the core's typed answer: exactly one of `option`, `options` and
/// `text`; `None` when there are none or several.
pub fn answer_of(
    option: Option<u32>,
    options: Option<Vec<u32>>,
    text: Option<String>,
) -> Option<Answer> {
    match (option, options, text) {
        (Some(o), None, None) => Some(Answer::Option(o)),
        (None, Some(list), None) => Some(Answer::Options(list)),
        (None, None, Some(text)) => Some(Answer::Text(text)),
        _ => None,
    }
}

/// Why a host's command and player name no action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostCommandError {
    /// A `player` with a command other than `kick`.
    #[error("only kick takes a player")]
    PlayerNotTaken,
    /// `kick` without a `player`.
    #[error("kick needs the player's id in \"player\"")]
    PlayerMissing,
    /// `kick` naming something that is no player id.
    #[error("no player {given:?} in this quiz: {why}")]
    NotAPlayerId {
        /// The `player` as sent.
        given: String,
        /// Why it is no player id.
        why: IdError,
    },
}

impl HostCommandName {
    /// Every host command, in declaration order.
    pub const ALL: [Self; 9] = [
        Self::Lock,
        Self::Unlock,
        Self::Start,
        Self::Next,
        Self::Skip,
        Self::Pause,
        Self::Resume,
        Self::End,
        Self::Kick,
    ];

    /// The command as the protocol spells it (`lock`, …, `kick`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Lock => "lock",
            Self::Unlock => "unlock",
            Self::Start => "start",
            Self::Next => "next",
            Self::Skip => "skip",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::End => "end",
            Self::Kick => "kick",
        }
    }

    /// The command spelled `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Every command's name, comma-separated, for error messages.
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }

    /// What the command asks of the core, with the `player` it came with: the one place
    /// the protocol's commands map to the core's actions (`kick` is
    /// [`HostAction::Remove`]).
    ///
    /// # Errors
    /// [`HostCommandError`] when `player` is given to another command than `kick`, missing
    /// from `kick`, or no player id.
    pub fn action(self, player: Option<&str>) -> Result<HostAction, HostCommandError> {
        let phase = |c: HostCommand| match player {
            None => Ok(HostAction::Phase(c)),
            Some(_) => Err(HostCommandError::PlayerNotTaken),
        };
        match self {
            Self::Lock => phase(HostCommand::Lock),
            Self::Unlock => phase(HostCommand::Unlock),
            Self::Start => phase(HostCommand::Start),
            Self::Next => phase(HostCommand::Next),
            Self::Skip => phase(HostCommand::Skip),
            Self::Pause => phase(HostCommand::Pause),
            Self::Resume => phase(HostCommand::Resume),
            Self::End => phase(HostCommand::End),
            Self::Kick => {
                let given = player.ok_or(HostCommandError::PlayerMissing)?;
                PlayerId::parse(given)
                    .map(HostAction::Remove)
                    .map_err(|why| HostCommandError::NotAPlayerId {
                        given: given.to_owned(),
                        why,
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_names_are_the_serde_names() {
        for c in HostCommandName::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.name());
            assert_eq!(HostCommandName::parse(c.name()), Some(c));
        }
        assert_eq!(HostCommandName::parse("skip_to_reveal"), None);
    }

    #[test]
    fn only_kick_takes_a_player_and_it_must_be_an_id() {
        assert_eq!(
            HostCommandName::Skip.action(None),
            Ok(HostAction::Phase(HostCommand::Skip))
        );
        assert_eq!(
            HostCommandName::Next.action(Some("p1")),
            Err(HostCommandError::PlayerNotTaken)
        );
        assert_eq!(
            HostCommandName::Kick.action(None),
            Err(HostCommandError::PlayerMissing)
        );
        assert!(matches!(
            HostCommandName::Kick.action(Some("no such id!")),
            Err(HostCommandError::NotAPlayerId { .. })
        ));
        assert_eq!(
            HostCommandName::Kick.action(Some("p7")),
            Ok(HostAction::Remove(PlayerId::parse("p7").unwrap()))
        );
    }

    #[test]
    fn an_answer_has_exactly_one_field() {
        assert_eq!(answer_of(Some(1), None, None), Some(Answer::Option(1)));
        assert_eq!(
            answer_of(None, Some(vec![0, 2]), None),
            Some(Answer::Options(vec![0, 2]))
        );
        assert_eq!(
            answer_of(None, None, Some("x".into())),
            Some(Answer::Text("x".into()))
        );
        assert_eq!(answer_of(None, None, None), None);
        assert_eq!(answer_of(Some(1), None, Some("x".into())), None);
    }
}
