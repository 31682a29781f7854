//! Who may act as the admin or as a quiz's host, checked the same way by the HTTP API and
//! the WebSocket.
//!
//! Keys are compared in constant time, so they cannot be guessed byte by byte from
//! timing. A quiz's host key is an HMAC of the quiz under the token secret
//! ([`crate::token::TokenSigner::is_host_key`]); the admin key works wherever it does.

use quiz_core::Quiz;

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
}
