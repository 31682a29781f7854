//! Game-PIN cases: one live PIN per quiz and one quiz per live PIN, across racing claims;
//! expiry brought forward, and release. Times are the real clock's (an adapter may expire
//! by its service's own clock), and expiry is observed by bringing it into the past, so no
//! case sleeps.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use quiz_core::Timestamp;
use quiz_core::pins::{GamePin, GamePins, PinClaim};

use crate::fixtures::unique_quiz;

fn now() -> Timestamp {
    Timestamp(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
    )
}

/// A 7-digit PIN no other case uses at the same time (cases share one service; 6-digit
/// PINs are left to the products running beside them).
pub fn unique_pin() -> GamePin {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let mixed = (nanos ^ (u64::from(std::process::id()) << 20)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ n.wrapping_mul(7_919);
    GamePin::from_random(mixed, 7)
}

const HOUR: u64 = 3_600_000;

/// A quiz keeps the PIN it claimed first; another quiz cannot take it.
pub async fn one_pin_per_quiz_and_one_quiz_per_pin<P: GamePins + ?Sized>(pins: Arc<P>) {
    let (a, b) = (unique_quiz("pin-a"), unique_quiz("pin-b"));
    let (p1, p2) = (unique_pin(), unique_pin());
    let t = now();
    let until = t.plus_ms(HOUR);
    assert_eq!(pins.pin_of(&a, t).await.unwrap(), None);
    assert_eq!(pins.resolve(&p1, t).await.unwrap(), None);
    assert_eq!(
        pins.claim(&a, &p1, until, t).await.unwrap(),
        PinClaim::Claimed(p1.clone())
    );
    assert_eq!(
        pins.claim(&a, &p2, until, t).await.unwrap(),
        PinClaim::Held(p1.clone()),
        "a quiz with a live PIN keeps it"
    );
    assert_eq!(
        pins.claim(&b, &p1, until, t).await.unwrap(),
        PinClaim::Taken
    );
    assert_eq!(pins.resolve(&p1, t).await.unwrap(), Some(a.clone()));
    assert_eq!(
        pins.resolve(&p2, t).await.unwrap(),
        None,
        "the unused candidate"
    );
    assert_eq!(pins.pin_of(&a, t).await.unwrap(), Some(p1.clone()));
    assert_eq!(pins.pin_of(&b, t).await.unwrap(), None);
    assert_eq!(
        pins.claim(&b, &p2, until, t).await.unwrap(),
        PinClaim::Claimed(p2.clone())
    );
    assert_eq!(pins.resolve(&p2, t).await.unwrap(), Some(b));
}

/// An expired PIN resolves to nothing and another quiz may claim it; expiry only moves
/// earlier.
pub async fn expired_pins_resolve_to_nothing_and_are_free_again<P: GamePins + ?Sized>(
    pins: Arc<P>,
) {
    let (a, b) = (unique_quiz("pin-exp-a"), unique_quiz("pin-exp-b"));
    let p = unique_pin();
    let t = now();
    assert!(matches!(
        pins.claim(&a, &p, t.plus_ms(HOUR), t).await.unwrap(),
        PinClaim::Claimed(_)
    ));
    pins.expire_by(&a, t.plus_ms(2 * HOUR), t).await.unwrap();
    assert_eq!(
        pins.resolve(&p, t).await.unwrap(),
        Some(a.clone()),
        "a later expiry changes nothing"
    );
    pins.expire_by(&a, t.plus_ms(HOUR / 2), t).await.unwrap();
    assert_eq!(pins.resolve(&p, t).await.unwrap(), Some(a.clone()));
    // Into the past: gone.
    pins.expire_by(&a, Timestamp(t.0 - 1_000), t).await.unwrap();
    let t = now();
    assert_eq!(pins.resolve(&p, t).await.unwrap(), None);
    assert_eq!(pins.pin_of(&a, t).await.unwrap(), None);
    assert_eq!(
        pins.claim(&b, &p, t.plus_ms(HOUR), t).await.unwrap(),
        PinClaim::Claimed(p.clone())
    );
    assert_eq!(pins.resolve(&p, t).await.unwrap(), Some(b));
    // The expired quiz gets a new PIN.
    let q = unique_pin();
    assert_eq!(
        pins.claim(&a, &q, t.plus_ms(HOUR), t).await.unwrap(),
        PinClaim::Claimed(q.clone())
    );
    // Expiring a quiz without a PIN is nothing.
    pins.expire_by(&unique_quiz("pin-none"), t, t)
        .await
        .unwrap();
}

/// Release forgets the quiz's PIN (idempotently) and frees it, touching no other quiz.
pub async fn release_frees_the_pin<P: GamePins + ?Sized>(pins: Arc<P>) {
    let (a, b) = (unique_quiz("pin-rel-a"), unique_quiz("pin-rel-b"));
    let (p, q) = (unique_pin(), unique_pin());
    let t = now();
    let until = t.plus_ms(HOUR);
    pins.claim(&a, &p, until, t).await.unwrap();
    pins.claim(&b, &q, until, t).await.unwrap();
    pins.release(&a).await.unwrap();
    pins.release(&a).await.unwrap();
    assert_eq!(pins.resolve(&p, t).await.unwrap(), None);
    assert_eq!(pins.pin_of(&a, t).await.unwrap(), None);
    assert_eq!(pins.resolve(&q, t).await.unwrap(), Some(b.clone()));
    assert_eq!(
        pins.claim(&b, &p, until, t).await.unwrap(),
        PinClaim::Held(q),
        "b keeps its own"
    );
    let c = unique_quiz("pin-rel-c");
    assert_eq!(
        pins.claim(&c, &p, until, t).await.unwrap(),
        PinClaim::Claimed(p)
    );
}

/// Racing claims agree: many instances claiming for one quiz end with one PIN, claimed
/// once; many quizzes claiming one candidate leave it to exactly one.
pub async fn racing_claims_agree<P: GamePins + ?Sized + 'static>(pins: Arc<P>) {
    let quiz = unique_quiz("pin-race");
    let t = now();
    let until = t.plus_ms(HOUR);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (pins, quiz, candidate) = (Arc::clone(&pins), quiz.clone(), unique_pin());
            tokio::spawn(async move { pins.claim(&quiz, &candidate, until, t).await.unwrap() })
        })
        .collect();
    let mut claimed = 0;
    let mut seen = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            PinClaim::Claimed(p) => {
                claimed += 1;
                seen.push(p);
            }
            PinClaim::Held(p) => seen.push(p),
            PinClaim::Taken => panic!("distinct candidates are never taken"),
        }
    }
    assert_eq!(claimed, 1, "one claim wins");
    let won = pins.pin_of(&quiz, t).await.unwrap().unwrap();
    assert!(
        seen.iter().all(|p| *p == won),
        "every claimer sees the winner"
    );
    assert_eq!(pins.resolve(&won, t).await.unwrap(), Some(quiz));

    let candidate = unique_pin();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (pins, candidate) = (Arc::clone(&pins), candidate.clone());
            let quiz = unique_quiz("pin-race-many");
            tokio::spawn(async move {
                let r = pins.claim(&quiz, &candidate, until, t).await.unwrap();
                (quiz, r)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (quiz, r) = task.await.unwrap();
        match r {
            PinClaim::Claimed(_) => winners.push(quiz),
            PinClaim::Taken => {}
            PinClaim::Held(p) => panic!("a fresh quiz held {p}"),
        }
    }
    assert_eq!(winners.len(), 1, "one quiz gets the PIN");
    assert_eq!(pins.resolve(&candidate, t).await.unwrap(), winners.pop());
}
