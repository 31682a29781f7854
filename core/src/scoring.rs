//! Scoring policies: how many points a checked answer earns. Policies are data on the quiz.
//!
//! All arithmetic is integer. The streak bonus depends on the player's previous answers, so
//! it is applied by the scoreboard inside its atomic "record" operation, using
//! [`StreakBonus::bonus`] (adapters that cannot call Rust, such as a Redis Lua script,
//! implement the same formula and the conformance suite holds them to it).

use serde::{Deserialize, Serialize};

/// How a `multi` question scores a set that is not exactly right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultiScoring {
    /// Only the exact set of correct options earns points.
    #[default]
    AllOrNothing,
    /// `points × (right picks − wrong picks) / correct options`, never below 0, rounded
    /// half up (`points` being what a correct answer earns at that moment, speed weighting
    /// included). Only the exact set counts as correct (for streaks and counts).
    Partial,
}

/// How a correct answer's base points are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoringKind {
    /// A correct answer earns the question's points.
    Fixed,
    /// A correct answer earns between 50% and 100% of the question's points: 100% when
    /// answered the instant the question opens, falling linearly to 50% at its deadline,
    /// rounded half up.
    SpeedWeighted,
    /// Every correct answer earns exactly one point; the question's points are ignored.
    AccuracyOnly,
}

/// An optional bonus for consecutive correct answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreakBonus {
    /// Extra points per correct answer already in the streak.
    pub step: u32,
    /// The largest bonus a single answer can earn.
    pub cap: u32,
}

impl StreakBonus {
    /// The bonus for a correct answer that makes the streak `streak` long (1 = first correct
    /// answer after a miss or at the start): `min(step × (streak − 1), cap)`.
    pub fn bonus(self, streak: u32) -> u32 {
        let n = u64::from(streak.saturating_sub(1));
        let b = n.saturating_mul(u64::from(self.step));
        b.min(u64::from(self.cap)) as u32
    }
}

/// A quiz's scoring rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoringPolicy {
    /// How base points are computed.
    pub kind: ScoringKind,
    /// The streak bonus, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streak: Option<StreakBonus>,
    /// How `multi` questions score a set that is not exactly right.
    #[serde(default, skip_serializing_if = "is_all_or_nothing")]
    pub multi: MultiScoring,
}

fn is_all_or_nothing(m: &MultiScoring) -> bool {
    *m == MultiScoring::AllOrNothing
}

impl Default for ScoringPolicy {
    fn default() -> Self {
        Self {
            kind: ScoringKind::Fixed,
            streak: None,
            multi: MultiScoring::AllOrNothing,
        }
    }
}

impl ScoringPolicy {
    /// The most base points one question worth `points` can earn under this policy.
    pub fn max_base(&self, points: u32) -> u32 {
        match self.kind {
            ScoringKind::Fixed | ScoringKind::SpeedWeighted => points,
            ScoringKind::AccuracyOnly => 1,
        }
    }

    /// Base points (before any streak bonus) for an answer.
    ///
    /// `remaining_ms` is the time left before the question's deadline when the answer
    /// arrived, clamped by the caller to `0..=limit_ms`. A wrong answer earns 0.
    pub fn base_points(&self, correct: bool, points: u32, limit_ms: u32, remaining_ms: u32) -> u32 {
        if !correct {
            return 0;
        }
        match self.kind {
            ScoringKind::Fixed => points,
            ScoringKind::AccuracyOnly => 1,
            ScoringKind::SpeedWeighted => {
                let limit = u64::from(limit_ms.max(1));
                let rem = u64::from(remaining_ms).min(limit);
                // points × (limit + rem) / (2 × limit), rounded half up.
                let num = u64::from(points) * (limit + rem);
                let den = 2 * limit;
                ((2 * num + den) / (2 * den)) as u32
            }
        }
    }

    /// The largest total a quiz with these question point values can reach, streaks included.
    pub fn max_total(&self, question_points: &[u32]) -> u64 {
        let base: u64 = question_points
            .iter()
            .map(|p| u64::from(self.max_base(*p)))
            .sum();
        let bonus: u64 = match self.streak {
            None => 0,
            Some(s) => (1..=question_points.len() as u32)
                .map(|n| u64::from(s.bonus(n)))
                .sum(),
        };
        base + bonus
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KINDS: [ScoringKind; 3] = [
        ScoringKind::Fixed,
        ScoringKind::SpeedWeighted,
        ScoringKind::AccuracyOnly,
    ];

    #[test]
    fn speed_weighted_spans_half_to_full() {
        let p = ScoringPolicy {
            kind: ScoringKind::SpeedWeighted,
            streak: None,
            multi: MultiScoring::AllOrNothing,
        };
        assert_eq!(p.base_points(true, 1000, 10_000, 10_000), 1000);
        assert_eq!(p.base_points(true, 1000, 10_000, 0), 500);
        assert_eq!(p.base_points(true, 1000, 10_000, 5_000), 750);
        assert_eq!(p.base_points(false, 1000, 10_000, 10_000), 0);
        // Rounded half up: 3 × 0.5 = 1.5 → 2.
        assert_eq!(p.base_points(true, 3, 10_000, 0), 2);
    }

    #[test]
    fn streak_bonus_grows_then_caps() {
        let s = StreakBonus { step: 10, cap: 25 };
        assert_eq!(
            (1..=5).map(|n| s.bonus(n)).collect::<Vec<_>>(),
            [0, 10, 20, 25, 25]
        );
        assert_eq!(s.bonus(0), 0);
    }

    proptest! {
        #[test]
        fn points_are_within_policy_bounds(
            kind in 0usize..3, correct: bool, points in 1u32..=10_000,
            limit in 1u32..=600_000, rem_frac in 0.0f64..=1.0,
        ) {
            let p = ScoringPolicy { kind: KINDS[kind], streak: None, multi: MultiScoring::AllOrNothing };
            let rem = (f64::from(limit) * rem_frac) as u32;
            let got = p.base_points(correct, points, limit, rem);
            prop_assert!(got <= p.max_base(points));
            if correct && p.kind == ScoringKind::SpeedWeighted {
                prop_assert!(u64::from(got) * 2 >= u64::from(points));
            }
            if !correct { prop_assert_eq!(got, 0); }
        }

        #[test]
        fn slower_never_earns_more(
            kind in 0usize..3, points in 1u32..=10_000, limit in 1u32..=600_000,
            a in 0.0f64..=1.0, b in 0.0f64..=1.0,
        ) {
            let p = ScoringPolicy { kind: KINDS[kind], streak: None, multi: MultiScoring::AllOrNothing };
            let (fast, slow) = if a >= b { (a, b) } else { (b, a) };
            let rf = (f64::from(limit) * fast) as u32;
            let rs = (f64::from(limit) * slow) as u32;
            prop_assert!(p.base_points(true, points, limit, rf) >= p.base_points(true, points, limit, rs));
        }

        #[test]
        fn streak_bonus_is_monotone_and_capped(step in 0u32..1000, cap in 0u32..5000, n in 0u32..500) {
            let s = StreakBonus { step, cap };
            prop_assert!(s.bonus(n) <= cap);
            prop_assert!(s.bonus(n + 1) >= s.bonus(n));
        }
    }
}
