//! Unit tests of question types, answer keys and grading.

use super::*;
use proptest::prelude::*;

fn idx(i: u8) -> OptionIndex {
    OptionIndex::try_from(i).unwrap()
}

#[test]
fn each_type_takes_its_own_field_only() {
    let keys = [
        AnswerKey::Single(idx(1)),
        AnswerKey::Multi(OptionSet::of([idx(0), idx(2)])),
        AnswerKey::TrueFalse(true),
        AnswerKey::Poll,
        AnswerKey::TypeAnswer {
            accepted: vec!["Paris".into()],
            ignore_accents: false,
        },
    ];
    let answers = [
        Answer::Option(0),
        Answer::Options(vec![0]),
        Answer::Text("x".into()),
    ];
    for key in &keys {
        for a in &answers {
            let fits = a.field() == key.kind().answer_field();
            let got = judge(key, 3, a);
            assert_eq!(
                matches!(got, Err(ShapeError::WrongType { .. })),
                !fits,
                "{key:?} {a:?}"
            );
        }
    }
}

#[test]
fn malformed_sets_and_texts_are_refused_with_their_rule() {
    let multi = AnswerKey::Multi(OptionSet::of([idx(0), idx(2)]));
    assert_eq!(
        judge(&multi, 4, &Answer::Options(vec![])),
        Err(ShapeError::Empty)
    );
    assert_eq!(
        judge(&multi, 4, &Answer::Options(vec![1, 1])),
        Err(ShapeError::Duplicate(1))
    );
    assert_eq!(
        judge(&multi, 4, &Answer::Options(vec![0, 4])),
        Err(ShapeError::OutOfRange {
            option: 4,
            options: 4
        })
    );
    assert_eq!(
        judge(&multi, 4, &Answer::Options(vec![u32::MAX])),
        Err(ShapeError::OutOfRange {
            option: u32::MAX,
            options: 4
        })
    );
    let typed = AnswerKey::TypeAnswer {
        accepted: vec!["Paris".into()],
        ignore_accents: false,
    };
    assert_eq!(
        judge(&typed, 0, &Answer::Text("   ".into())),
        Err(ShapeError::Empty)
    );
    assert_eq!(
        judge(&typed, 0, &Answer::Text("x".repeat(65))),
        Err(ShapeError::TooLong)
    );
    assert!(judge(&typed, 0, &Answer::Text("é".repeat(64))).is_ok());
}

#[test]
fn typed_answers_match_after_normalisation_and_optionally_without_accents() {
    let strict = AnswerKey::TypeAnswer {
        accepted: vec!["Zürich".into(), "New  York".into()],
        ignore_accents: false,
    };
    let loose = AnswerKey::TypeAnswer {
        accepted: vec!["Zürich".into()],
        ignore_accents: true,
    };
    let m = |k: &AnswerKey, t: &str| judge(k, 0, &Answer::Text(t.into())).unwrap().0;
    assert_eq!(m(&strict, "  ZÜRICH "), Match::Right);
    assert_eq!(m(&strict, "new york"), Match::Right);
    assert_eq!(m(&strict, "ＮＥＷ　ＹＯＲＫ"), Match::Right); // full-width, NFKC
    assert_eq!(m(&strict, "Zurich"), Match::Wrong);
    assert_eq!(m(&loose, "zurich"), Match::Right);
    assert_eq!(m(&loose, "ZÜRICH"), Match::Right);
}

#[test]
fn multi_sets_are_graded_by_right_and_wrong_picks() {
    let multi = AnswerKey::Multi(OptionSet::of([idx(0), idx(2), idx(3)]));
    let m = |v: Vec<u32>| judge(&multi, 5, &Answer::Options(v)).unwrap().0;
    assert_eq!(m(vec![3, 0, 2]), Match::Right);
    assert_eq!(
        m(vec![0, 1]),
        Match::Some {
            right: 1,
            wrong: 1,
            of: 3
        }
    );
    assert_eq!(partial_points(900, 2, 0, 3), 600);
    assert_eq!(partial_points(900, 1, 1, 3), 0);
    assert_eq!(partial_points(900, 1, 2, 3), 0);
    assert_eq!(partial_points(100, 1, 0, 3), 33);
    assert_eq!(partial_points(5, 1, 0, 2), 3); // 2.5 rounds half up
}

#[test]
fn grades_come_back_from_stored_results() {
    let r = |correct, points| AnswerResult {
        correct,
        points,
        streak: 0,
        at: crate::Timestamp(1),
        elapsed_ms: None,
    };
    assert_eq!(Grade::of(QuestionType::Poll, &r(false, 0)), Grade::Counted);
    assert_eq!(Grade::of(QuestionType::Multi, &r(false, 3)), Grade::Partial);
    assert_eq!(Grade::of(QuestionType::Multi, &r(true, 3)), Grade::Correct);
    assert_eq!(Grade::of(QuestionType::Single, &r(false, 0)), Grade::Wrong);
}

#[test]
fn option_sets_serialize_as_sorted_index_lists() {
    let s = OptionSet::of([idx(3), idx(0)]);
    assert_eq!(serde_json::to_string(&s).unwrap(), "[0,3]");
    let back: OptionSet = serde_json::from_str("[3,0]").unwrap();
    assert_eq!(back, s);
    assert!(serde_json::from_str::<OptionSet>("[6]").is_err());
}

proptest! {
    #[test]
    fn partial_points_stay_between_zero_and_full(
        full in 0u32..=10_000, correct in 1u32..=6, picks in 0u32..64,
    ) {
        let key = (1u32 << correct) - 1; // options 0..correct are right
        let right = (picks & key).count_ones();
        let wrong = (picks & !key & 0x3f).count_ones();
        let p = partial_points(full, right, wrong, correct);
        prop_assert!(p <= full);
        if right <= wrong { prop_assert_eq!(p, 0); }
        if right == correct && wrong == 0 { prop_assert_eq!(p, full); }
        // One more right pick never earns less; one more wrong pick never earns more.
        if right < correct {
            prop_assert!(partial_points(full, right + 1, wrong, correct) >= p);
        }
        prop_assert!(partial_points(full, right, wrong + 1, correct) <= p);
    }

    #[test]
    fn multi_grading_matches_the_formula(
        key in 1u32..64, picks in 1u32..64, full in 1u32..=10_000,
    ) {
        let correct = OptionSet::from_bits(key);
        let list: Vec<u32> = OptionSet::from_bits(picks).iter().map(|i| i as u32).collect();
        let (m, given) = judge(&AnswerKey::Multi(correct), 6, &Answer::Options(list)).unwrap();
        prop_assert_eq!(given, Given::Picks(OptionSet::from_bits(picks)));
        match m {
            Match::Right => prop_assert_eq!(key, picks),
            Match::Some { right, wrong, of } => {
                prop_assert_ne!(key, picks);
                prop_assert_eq!(right, (key & picks).count_ones());
                prop_assert_eq!(wrong, (picks & !key).count_ones());
                prop_assert_eq!(of, key.count_ones());
                prop_assert!(partial_points(full, right, wrong, of) <= full);
            }
            other => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn typed_answers_never_panic_and_normalise_idempotently(s in any::<String>(), accents: bool) {
        let key = AnswerKey::TypeAnswer { accepted: vec![s.clone()], ignore_accents: accents };
        let n = key.normalize_text(&s);
        prop_assert_eq!(key.normalize_text(&n), n.clone());
        match judge(&key, 0, &Answer::Text(s.clone())) {
            Ok((m, _)) => prop_assert_eq!(m, Match::Right), // its own accepted answer
            Err(e) => prop_assert!(matches!(e, ShapeError::Empty | ShapeError::TooLong)),
        }
    }
}
