//! Signed player tokens: they bind a WebSocket to one player of one quiz.
//!
//! Format: `v1.<quiz>.<player>.<joined_at_ms>.<expires_ms>.<mac>` where `mac` is the
//! base64url HMAC-SHA256 of everything before it under the server's secret. Ids are
//! restricted to `[A-Za-z0-9_-]`, so `.` never appears inside a field. A token cannot be
//! forged without the secret, and it names its quiz, so it cannot be used for another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use quiz_core::{PlayerId, QuizId, Timestamp};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The quiz the player joined.
    pub quiz: QuizId,
    /// The player.
    pub player: PlayerId,
    /// When they joined (their question clock's start).
    pub joined_at: Timestamp,
    /// When the token stops being accepted.
    pub expires_at: Timestamp,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not of the token format.
    #[error("malformed token")]
    Malformed,
    /// The signature does not match (forged or signed with another secret).
    #[error("token signature is invalid")]
    BadSignature,
    /// Past its expiry.
    #[error("token has expired")]
    Expired,
}

/// Signs and verifies tokens with one secret.
#[derive(Clone)]
pub struct TokenSigner {
    secret: Vec<u8>,
    ttl_ms: u64,
}

impl TokenSigner {
    /// A signer with the given secret and token lifetime.
    pub fn new(secret: &[u8], ttl_ms: u64) -> Self {
        Self {
            secret: secret.to_vec(),
            ttl_ms,
        }
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length; this cannot fail.
        HmacSha256::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
    }

    /// Issues a token for a player who joined at `joined_at`.
    pub fn issue(&self, quiz: &QuizId, player: &PlayerId, joined_at: Timestamp) -> String {
        let expires = joined_at.plus_ms(self.ttl_ms);
        let body = format!("v1.{quiz}.{player}.{}.{}", joined_at.0, expires.0);
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{sig}")
    }

    /// Verifies a token at time `now`.
    ///
    /// # Errors
    /// [`TokenError`] naming why it was refused.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<Claims, TokenError> {
        let (body, sig) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        let parts: Vec<&str> = body.split('.').collect();
        let [version, quiz, player, joined, expires] = parts.as_slice() else {
            return Err(TokenError::Malformed);
        };
        if *version != "v1" {
            return Err(TokenError::Malformed);
        }
        let claims = Claims {
            quiz: QuizId::parse(*quiz).map_err(|_| TokenError::Malformed)?,
            player: PlayerId::parse(*player).map_err(|_| TokenError::Malformed)?,
            joined_at: Timestamp(joined.parse().map_err(|_| TokenError::Malformed)?),
            expires_at: Timestamp(expires.parse().map_err(|_| TokenError::Malformed)?),
        };
        if now > claims.expires_at {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

impl TokenSigner {
    fn host_mac(&self, quiz: &QuizId, created_at: Timestamp) -> HmacSha256 {
        let mut mac = self.mac();
        // A prefix no player token starts with, so neither can stand for the other.
        mac.update(format!("host-v1.{quiz}.{}", created_at.0).as_bytes());
        mac
    }

    /// The host key of a hosted quiz: an HMAC of its id and creation time under the
    /// server's secret, so every instance that shares the secret knows it and nothing needs
    /// storing.
    pub fn host_key(&self, quiz: &QuizId, created_at: Timestamp) -> String {
        let sig = self.host_mac(quiz, created_at).finalize().into_bytes();
        format!("h1.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// Whether `key` is the host key of the quiz (compared in constant time).
    pub fn is_host_key(&self, quiz: &QuizId, created_at: Timestamp, key: &str) -> bool {
        let Some(sig) = key
            .strip_prefix("h1.")
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        else {
            return false;
        };
        self.host_mac(quiz, created_at).verify_slice(&sig).is_ok()
    }
}

/// `n` random bytes as lowercase hex (admin keys, secrets, request ids, quiz ids).
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    // The OS random source failing is not recoverable for key generation; fall back to a
    // time-seeded value would be insecure, so surface it loudly.
    if let Err(e) = getrandom::fill(&mut buf) {
        panic!("the operating system's random source failed: {e}");
    }
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A uniformly random number from the operating system's source (for game PINs).
pub fn random_u64() -> u64 {
    let mut buf = [0u8; 8];
    if let Err(e) = getrandom::fill(&mut buf) {
        panic!("the operating system's random source failed: {e}");
    }
    u64::from_le_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (QuizId, PlayerId) {
        (
            QuizId::parse("demo").unwrap(),
            PlayerId::parse("p1").unwrap(),
        )
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let s = TokenSigner::new(b"secret-secret-secret-secret-1234", 1_000);
        let (q, p) = ids();
        let t = s.issue(&q, &p, Timestamp(5_000));
        let c = s.verify(&t, Timestamp(5_500)).unwrap();
        assert_eq!((c.quiz, c.player, c.joined_at), (q, p, Timestamp(5_000)));
        assert_eq!(s.verify(&t, Timestamp(6_001)), Err(TokenError::Expired));
    }

    #[test]
    fn host_keys_are_per_quiz_and_per_secret() {
        let s = TokenSigner::new(b"secret-secret-secret-secret-1234", 60_000);
        let other = TokenSigner::new(b"another-secret-another-secret-12", 60_000);
        let (q, p) = ids();
        let key = s.host_key(&q, Timestamp(7));
        assert!(s.is_host_key(&q, Timestamp(7), &key));
        assert!(
            !s.is_host_key(&q, Timestamp(8), &key),
            "a quiz created anew"
        );
        assert!(!s.is_host_key(&QuizId::parse("other").unwrap(), Timestamp(7), &key));
        assert!(!other.is_host_key(&q, Timestamp(7), &key));
        let token = s.issue(&q, &p, Timestamp(7));
        assert!(!s.is_host_key(&q, Timestamp(7), &token));
        for bad in ["", "h1.", "h1.!!", "h2.abc"] {
            assert!(!s.is_host_key(&q, Timestamp(7), bad), "{bad:?}");
        }
    }

    #[test]
    fn forged_or_altered_tokens_are_refused() {
        let s = TokenSigner::new(b"secret-secret-secret-secret-1234", 60_000);
        let other = TokenSigner::new(b"another-secret-another-secret-12", 60_000);
        let (q, p) = ids();
        let t = s.issue(&q, &p, Timestamp(0));
        assert_eq!(
            other.verify(&t, Timestamp(1)),
            Err(TokenError::BadSignature)
        );
        let altered = t.replacen(".p1.", ".p2.", 1);
        assert_eq!(
            s.verify(&altered, Timestamp(1)),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            s.verify("garbage", Timestamp(1)),
            Err(TokenError::Malformed)
        );
        assert_eq!(s.verify("", Timestamp(1)), Err(TokenError::Malformed));
        assert_eq!(s.verify("a.b.c", Timestamp(1)), Err(TokenError::Malformed));
    }
}
