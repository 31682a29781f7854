//! Game PINs: handing each hosted game a short number, resolving one back to its quiz, and
//! the rules for how long a PIN lives.
//!
//! - A hosted game gets its PIN on first asking ([`Pins::for_game`]: the create response,
//!   the host's game reads), a random 6-digit number; when a few random candidates are all
//!   taken by other live games, 7 digits.
//! - A PIN lives [`PIN_LEASE_MS`] from its claim at most, and from the moment the game is
//!   seen at its podium no more than [`PODIUM_GRACE_MS`] more. A deleted quiz's PIN resolves
//!   to nothing and is released.
//! - Resolving gives the public quiz id and nothing else.

use std::sync::Arc;

use crate::game::{GameState, Phase};
use crate::ids::QuizId;
use crate::pins::{GamePin, GamePins, PinClaim, PinStoreError};
use crate::ports::{GameStore, QuizCatalog};
use crate::quiz::{Quiz, QuizMode};
use crate::time::Timestamp;
use crate::unavailable::Unavailable;

/// The longest a PIN lives: 12 hours from its claim (a lobby left open longer gets a new
/// PIN on the host's next read).
pub const PIN_LEASE_MS: u64 = 12 * 60 * 60 * 1000;

/// How long a PIN still resolves once its game is seen at the podium: 10 minutes.
pub const PODIUM_GRACE_MS: u64 = 10 * 60 * 1000;

/// Random 6-digit candidates tried before 7-digit ones.
const SHORT_TRIES: usize = 8;
/// Random 7-digit candidates tried before giving up.
const LONG_TRIES: usize = 8;

impl From<PinStoreError> for Unavailable {
    fn from(e: PinStoreError) -> Self {
        Self::new("pins", e)
    }
}

/// The game-PIN use case.
#[derive(Clone)]
pub struct Pins {
    pins: Arc<dyn GamePins>,
    games: Arc<dyn GameStore>,
    catalog: Arc<dyn QuizCatalog>,
}

impl Pins {
    pub(super) fn new(
        pins: Arc<dyn GamePins>,
        games: Arc<dyn GameStore>,
        catalog: Arc<dyn QuizCatalog>,
    ) -> Self {
        Self {
            pins,
            games,
            catalog,
        }
    }

    /// The PIN of `quiz`'s game in `state` at `now`, claiming one if it has none: `None` for
    /// a self-paced quiz, a game at its podium whose PIN has expired, or (vanishingly rare)
    /// when every candidate drawn from `random` was taken. At the podium the PIN's expiry
    /// is brought forward to [`PODIUM_GRACE_MS`] from `now`.
    ///
    /// # Errors
    /// [`Unavailable`] when the PIN store fails.
    pub async fn for_game(
        &self,
        quiz: &Quiz,
        state: &GameState,
        now: Timestamp,
        random: &mut (dyn FnMut() -> u64 + Send),
    ) -> Result<Option<GamePin>, Unavailable> {
        if quiz.mode() != QuizMode::Hosted {
            return Ok(None);
        }
        let id = quiz.id();
        if state.phase == Phase::Podium {
            self.pins
                .expire_by(id, now.plus_ms(PODIUM_GRACE_MS), now)
                .await?;
            return Ok(self.pins.pin_of(id, now).await?);
        }
        let until = now.plus_ms(PIN_LEASE_MS);
        let digits = std::iter::repeat_n(GamePin::MIN_DIGITS, SHORT_TRIES)
            .chain(std::iter::repeat_n(GamePin::MAX_DIGITS, LONG_TRIES));
        for d in digits {
            let candidate = GamePin::from_random(random(), d);
            match self.pins.claim(id, &candidate, until, now).await? {
                PinClaim::Held(pin) | PinClaim::Claimed(pin) => return Ok(Some(pin)),
                PinClaim::Taken => {}
            }
        }
        Ok(None)
    }

    /// The quiz a live PIN belongs to. A deleted quiz's PIN is released and resolves to
    /// nothing; a game seen at its podium keeps its PIN [`PODIUM_GRACE_MS`] longer at most.
    ///
    /// # Errors
    /// [`Unavailable`] when a port fails.
    pub async fn resolve(
        &self,
        pin: &GamePin,
        now: Timestamp,
    ) -> Result<Option<QuizId>, Unavailable> {
        let Some(quiz) = self.pins.resolve(pin, now).await? else {
            return Ok(None);
        };
        if self.catalog.get(&quiz).await?.is_none() {
            self.pins.release(&quiz).await?;
            return Ok(None);
        }
        if let Some(state) = self.games.get(&quiz).await?
            && state.phase == Phase::Podium
        {
            self.pins
                .expire_by(&quiz, now.plus_ms(PODIUM_GRACE_MS), now)
                .await?;
        }
        Ok(Some(quiz))
    }

    /// Forgets the PIN of `quiz` (for a quiz deleted or reset).
    ///
    /// # Errors
    /// [`Unavailable`] when the PIN store fails.
    pub async fn release(&self, quiz: &QuizId) -> Result<(), Unavailable> {
        Ok(self.pins.release(quiz).await?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::pins::MockGamePins;
    use crate::ports::{MockGameStore, MockQuizCatalog};
    use crate::scoring::ScoringKind;

    fn hosted() -> Quiz {
        let mut d = crate::quiz::tests::draft(ScoringKind::Fixed);
        d.mode = QuizMode::Hosted;
        Quiz::try_from(d).unwrap()
    }

    fn service(pins: MockGamePins, games: MockGameStore, catalog: MockQuizCatalog) -> Pins {
        Pins::new(Arc::new(pins), Arc::new(games), Arc::new(catalog))
    }

    #[tokio::test]
    async fn a_game_at_its_podium_keeps_its_pin_for_the_grace_only() {
        let quiz = hosted();
        let now = Timestamp(1_000_000);
        let mut pins = MockGamePins::new();
        pins.expect_expire_by()
            .withf(move |_, until, _| *until == now.plus_ms(PODIUM_GRACE_MS))
            .times(1)
            .returning(|_, _, _| Ok(()));
        pins.expect_pin_of()
            .returning(|_, _| Ok(GamePin::parse("123456").ok()));
        pins.expect_claim().never();
        let svc = service(pins, MockGameStore::new(), MockQuizCatalog::new());
        let state = GameState {
            seq: 9,
            phase: Phase::Podium,
        };
        let got = svc.for_game(&quiz, &state, now, &mut || 0).await.unwrap();
        assert_eq!(got.map(|p| p.to_string()).as_deref(), Some("123456"));
    }

    #[tokio::test]
    async fn a_live_game_claims_for_the_lease_and_moves_to_seven_digits_when_crowded() {
        let quiz = hosted();
        let now = Timestamp(1_000_000);
        let mut pins = MockGamePins::new();
        pins.expect_claim()
            .withf(move |_, c, until, _| {
                c.as_str().len() == 6 && *until == now.plus_ms(PIN_LEASE_MS)
            })
            .times(SHORT_TRIES)
            .returning(|_, _, _, _| Ok(PinClaim::Taken));
        pins.expect_claim()
            .withf(|_, c, _, _| c.as_str().len() == 7)
            .times(1)
            .returning(|_, c, _, _| Ok(PinClaim::Claimed(c.clone())));
        let svc = service(pins, MockGameStore::new(), MockQuizCatalog::new());
        let mut n = 0;
        let got = svc
            .for_game(&quiz, &GameState::lobby(), now, &mut || {
                n += 1;
                n
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.as_str().len(), 7);
    }

    #[tokio::test]
    async fn a_deleted_quizs_pin_is_released_and_resolves_to_nothing() {
        let quiz = hosted();
        let id = quiz.id().clone();
        let mut pins = MockGamePins::new();
        pins.expect_resolve()
            .returning(move |_, _| Ok(Some(id.clone())));
        pins.expect_release().times(1).returning(|_| Ok(()));
        let mut catalog = MockQuizCatalog::new();
        catalog.expect_get().returning(|_| Ok(None));
        let svc = service(pins, MockGameStore::new(), catalog);
        let pin = GamePin::parse("123456").unwrap();
        assert_eq!(svc.resolve(&pin, Timestamp(5)).await.unwrap(), None);
    }
}
