//! Who may act as the admin or as a quiz's host, checked the same way by the HTTP API and
//! the WebSocket, and what a host's command asks of the game.
//!
//! Keys are compared in constant time, so they cannot be guessed byte by byte from
//! timing. A quiz's host key is an HMAC of the quiz under the token secret
//! ([`crate::token::TokenSigner::is_host_key`]); the admin key works wherever it does.

use quiz_contracts::ws::HostCommandName;
use quiz_core::Quiz;
use quiz_core::game::HostCommand;

use crate::AppState;

/// Whether `given` is the admin key.
pub(crate) fn is_admin_key(admin_key: &str, given: &str) -> bool {
    let (a, b) = (given.as_bytes(), admin_key.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `key` is `quiz`'s host key or the admin key.
pub(crate) fn is_host_key(state: &AppState, quiz: &Quiz, key: &str) -> bool {
    is_admin_key(&state.admin_key, key)
        || state.tokens.is_host_key(quiz.id(), quiz.created_at(), key)
}

/// The core's phase command for a host command name; `None` for `kick`, which is not a
/// phase command.
pub(crate) fn phase_command(c: HostCommandName) -> Option<HostCommand> {
    Some(match c {
        HostCommandName::Lock => HostCommand::Lock,
        HostCommandName::Unlock => HostCommand::Unlock,
        HostCommandName::Start => HostCommand::Start,
        HostCommandName::Next => HostCommand::Next,
        HostCommandName::Skip => HostCommand::SkipToReveal,
        HostCommandName::Pause => HostCommand::Pause,
        HostCommandName::Resume => HostCommand::Resume,
        HostCommandName::End => HostCommand::End,
        HostCommandName::Kick => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_admin_key_passes() {
        assert!(is_admin_key("secret-key", "secret-key"));
        for wrong in ["", "secret-ke", "secret-key!", "Secret-key"] {
            assert!(!is_admin_key("secret-key", wrong), "{wrong:?}");
        }
    }

    #[test]
    fn kick_is_the_one_command_that_is_not_a_phase_command() {
        assert_eq!(phase_command(HostCommandName::Kick), None);
        assert_eq!(
            phase_command(HostCommandName::Skip),
            Some(HostCommand::SkipToReveal)
        );
    }
}
