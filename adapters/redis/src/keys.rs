//! The key layout, in one place.
//!
//! Every key of one quiz starts with `quiz:{<quiz id>}:`. The braces are a Redis Cluster
//! *hash tag*: only the text between them is hashed, so all keys of a quiz live in one slot
//! on one node, which is what lets a Lua script touch several of them atomically. Ids are
//! validated to `[A-Za-z0-9_-]` by `quiz-core`, so they never contain `{`, `}` or `:` and
//! need no escaping.
//!
//! | key | type | contents |
//! |---|---|---|
//! | `quiz:{Q}:board` | sorted set | member = player id, score = [`quiz_core::SortKey`] (lower is better) |
//! | `quiz:{Q}:p:<player>` | hash | `total`, `answers`, `streak`, `reached_at` (ms since the epoch) |
//! | `quiz:{Q}:a:<player>` | hash | question id → encoded [`quiz_core::AnswerResult`] |
//! | `quiz:{Q}:players` | hash | player id → `<joined_at ms>:<display name>` |
//! | `quiz:{Q}:names` | set | case-folded display names taken in the quiz |
//! | `quiz:{Q}:seq` | string | counter behind the issued ids `p1`, `p2`, … |
//! | `quiz:{Q}:game` | hash | a hosted game: `seq` (its transition count), `state` (the [`quiz_core::game::GameState`] as JSON) |
//! | `quiz:{Q}:game:q:<i>` | hash | player id → `<option>:<0/1 correct>:<points>:<elapsed ms>`: the answers to question `i` (0-based) of a hosted game |
//! | `quiz:{Q}:game:kicked` | set | players the host removed |
//! | `quiz:{Q}:pin` | string | the hosted game's PIN, expiring with it (`PXAT`) |
//! | `pin:{<pin>}` | string | the quiz a live game PIN belongs to, expiring with it; hashed by the PIN, so it lives apart from the quiz's keys |
//! | `quiz:{health}:canary` | string | set on connect and by a restore; its absence means Redis lost its data |
//!
//! The board doubles as the list of every player that has scoreboard keys (recording or
//! enrolling always puts the player on it), which is how `restore` finds stale players'
//! keys to delete; no separate membership set is kept on the hot path.
//!
//! Room-bus announcements go to one pub/sub channel, [`CHANNEL`], with the quiz id as the
//! payload.

use quiz_core::{PlayerId, QuizId};

/// A marker the adapters set when they connect and when a quiz's board is restored: its
/// absence later means Redis lost its data (readiness reports it until a rebuild).
pub const CANARY: &str = "quiz:{health}:canary";

/// The pub/sub channel carrying "quiz changed" announcements (payload: the quiz id).
pub const CHANNEL: &str = "quiz:changed";

/// The prefix every key of `quiz` starts with, hash tag included.
pub fn prefix(quiz: &QuizId) -> String {
    format!("quiz:{{{quiz}}}:")
}

/// The quiz's board: a sorted set of player ids scored by sort key.
pub fn board(quiz: &QuizId) -> String {
    format!("quiz:{{{quiz}}}:board")
}

/// One player's running state on the board (total, answers, streak, reached_at).
pub fn player_state(quiz: &QuizId, player: &PlayerId) -> String {
    format!("quiz:{{{quiz}}}:p:{player}")
}

/// One player's answered questions and their results.
pub fn player_answers(quiz: &QuizId, player: &PlayerId) -> String {
    format!("quiz:{{{quiz}}}:a:{player}")
}

/// The quiz's registered players (id → join time and name).
pub fn players(quiz: &QuizId) -> String {
    format!("quiz:{{{quiz}}}:players")
}

/// The quiz's taken names, case-folded.
pub fn names(quiz: &QuizId) -> String {
    format!("quiz:{{{quiz}}}:names")
}

/// A hosted game's state (`seq`, `state`).
pub fn game(quiz: &QuizId) -> String {
    format!("quiz:{{{quiz}}}:game")
}

/// The answers to question `index` of a hosted game.
pub fn game_answers(quiz: &QuizId, index: usize) -> String {
    format!("quiz:{{{quiz}}}:game:q:{index}")
}

/// The players removed from a hosted game (the key keeps the protocol's word `kick`, so
/// games stored by earlier releases read unchanged).
pub fn game_removed(quiz: &QuizId) -> String {
    format!("quiz:{{{quiz}}}:game:kicked")
}

/// The quiz whose hosted game holds `pin` (hash tag: the PIN, not a quiz).
pub fn pin(pin: &quiz_core::pins::GamePin) -> String {
    format!("pin:{{{pin}}}")
}

/// The PIN of the quiz's hosted game.
pub fn quiz_pin(quiz: &QuizId) -> String {
    format!("quiz:{{{quiz}}}:pin")
}

/// The counter behind issued player ids.
pub fn seq(quiz: &QuizId) -> String {
    format!("quiz:{{{quiz}}}:seq")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_a_quiz_starts_with_its_hash_tagged_prefix() {
        let q = QuizId::parse("demo-1").unwrap_or_else(|e| panic!("{e}"));
        let p = PlayerId::parse("p7").unwrap_or_else(|e| panic!("{e}"));
        let keys = [
            board(&q),
            player_state(&q, &p),
            player_answers(&q, &p),
            players(&q),
            names(&q),
            seq(&q),
            quiz_pin(&q),
        ];
        for k in &keys {
            assert!(k.starts_with(&prefix(&q)), "{k}");
        }
        assert_eq!(board(&q), "quiz:{demo-1}:board");
        assert_eq!(player_state(&q, &p), "quiz:{demo-1}:p:p7");
        // A PIN's own key is hashed by the PIN: it lives apart from the quiz's keys.
        let pin = quiz_core::pins::GamePin::parse("123456").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(self::pin(&pin), "pin:{123456}");
    }
}
