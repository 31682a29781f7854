//! Name rules over HTTP: the built-in deny list and an operator's file, seen through
//! look-alike substitutions, spacing and accents; quizzes with generated names.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use common::{ADMIN, config, small_quiz, start};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_names_are_refused_with_their_code_and_nothing_is_registered() {
    let file = std::env::temp_dir().join(format!("quiz-deny-{}.txt", std::process::id()));
    std::fs::write(&file, "# house rules\nfoobar\n").unwrap();
    let mut cfg = config();
    cfg.name_deny_list = Some(file.clone());
    let srv = start(cfg).await;
    srv.create_quiz(&small_quiz("names", 2)).await;
    for name in ["Sh1t Happens", "F0o B@r", "x f.o.o.b.a.r x", "FÓÓBÁR"] {
        let (status, body) = srv
            .http(
                "POST",
                "/api/quizzes/names/join",
                Some(&json!({ "name": name })),
                &[],
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str(), body["field"].as_str()),
            (400, Some("name_not_allowed"), Some("name")),
            "{name}: {body}"
        );
    }
    // Innocent names that contain a short listed word stay allowed; nobody was registered
    // by the refusals.
    for name in ["Grape Lover", "Peacock"] {
        srv.join("names", name).await;
    }
    let (_, board) = srv
        .http("GET", "/api/quizzes/names/leaderboard", None, &[])
        .await;
    assert_eq!(board["players"], 2);
    let _ = std::fs::remove_file(file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiz_with_generated_names_names_its_players() {
    let srv = start(config()).await;
    let mut quiz = small_quiz("gen", 2);
    quiz["names"] = json!("generated");
    let (status, out) = srv
        .http(
            "POST",
            "/api/quizzes",
            Some(&quiz),
            &[("X-Admin-Key", ADMIN)],
        )
        .await;
    assert_eq!(
        (status, out["names"].as_str()),
        (201, Some("generated")),
        "{out}"
    );
    let mut names = std::collections::HashSet::new();
    for _ in 0..5 {
        // The requested name is ignored, even one the deny list would refuse.
        let joined = srv.join("gen", "Sh1t Happens").await;
        let name = joined["name"].as_str().unwrap().to_owned();
        assert_eq!(name.split(' ').count(), 2, "{name}");
        assert_eq!(joined["snapshot"]["name"], name.as_str());
        names.insert(name);
    }
    assert_eq!(names.len(), 5, "each player their own name: {names:?}");

    let mut bad = small_quiz("gen2", 1);
    bad["names"] = json!("random");
    let (status, body) = srv
        .http(
            "POST",
            "/api/quizzes",
            Some(&bad),
            &[("X-Admin-Key", ADMIN)],
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str(), body["field"].as_str()),
        (400, Some("invalid_quiz"), Some("names"))
    );
}
