//! The quiz library over a real socket: search and paging, export, update (in place before
//! anyone played, a new version after, the old quiz and its results untouched), duplicate
//! and delete (refused while a hosted game is live); every error code and both keys.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failed unwrap is a failed test.

mod common;

use serde_json::{Value, json};

use common::{ADMIN, TestServer, config, small_quiz, start};

const ADMIN_H: (&str, &str) = ("X-Admin-Key", ADMIN);

/// Creates `body` and returns the create response.
async fn create(srv: &TestServer, body: &Value) -> Value {
    let (s, out) = srv
        .http("POST", "/api/quizzes", Some(body), &[ADMIN_H])
        .await;
    assert_eq!(s, 201, "{out}");
    out
}

/// A hosted quiz of `n` questions; returns its host key.
async fn hosted(srv: &TestServer, id: &str, n: usize) -> String {
    let mut body = small_quiz(id, n);
    body["mode"] = json!("hosted");
    let out = create(srv, &body).await;
    out["host_key"].as_str().unwrap().to_owned()
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or_default()
}

fn ids(page: &Value) -> Vec<&str> {
    page["quizzes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_library_searches_ids_and_titles_and_pages_with_a_total() {
    let srv = start(config()).await;
    for (id, title) in [
        ("lib-b", "Beta"),
        ("lib-a2", "Alpha"),
        ("lib-a1", "Alpha"),
        ("other", "Library of LIB-things"),
    ] {
        let mut q = small_quiz(id, 2);
        q["title"] = json!(title);
        create(&srv, &q).await;
    }
    hosted(&srv, "lib-h", 1).await;

    let (s, page) = srv
        .http("GET", "/api/library?q=LIB-&limit=2", None, &[ADMIN_H])
        .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(
        (&page["total"], &page["offset"], &page["limit"]),
        (&json!(5), &json!(0), &json!(2))
    );
    // By title, then id: Alpha (a1, a2), Beta, Library of…, Quiz lib-h.
    assert_eq!(ids(&page), ["lib-a1", "lib-a2"]);
    let (_, rest) = srv
        .http(
            "GET",
            "/api/library?q=lib-&offset=2&limit=10",
            None,
            &[ADMIN_H],
        )
        .await;
    assert_eq!(ids(&rest), ["lib-b", "other", "lib-h"]);
    assert_eq!(rest["total"], 5);
    let entry = &rest["quizzes"][0];
    assert_eq!(
        entry,
        &json!({"id": "lib-b", "title": "Beta", "mode": "self_paced", "questions": 2,
                "status": "open", "players": 0, "played": false, "game": null})
    );
    // The default page is 20; no text lists every quiz (the demo quiz too).
    let (_, all) = srv.http("GET", "/api/library", None, &[ADMIN_H]).await;
    assert_eq!((&all["limit"], &all["total"]), (&json!(20), &json!(6)));

    // Players, played and the game's phase.
    srv.join("lib-b", "Ann").await;
    let (s, _) = srv
        .http(
            "POST",
            "/api/quizzes/lib-h/game",
            Some(&json!({"command": "start"})),
            &[("X-Host-Key", ADMIN)],
        )
        .await;
    assert_eq!(s, 200);
    let (_, page) = srv
        .http("GET", "/api/library?q=lib-b", None, &[ADMIN_H])
        .await;
    assert_eq!(
        (
            &page["quizzes"][0]["players"],
            &page["quizzes"][0]["played"]
        ),
        (&json!(1), &json!(true))
    );
    let (_, page) = srv
        .http("GET", "/api/library?q=lib-h", None, &[ADMIN_H])
        .await;
    let h = &page["quizzes"][0];
    assert_eq!(
        (&h["mode"], &h["game"], &h["played"], &h["players"]),
        (
            &json!("hosted"),
            &json!("question"),
            &json!(true),
            &json!(0)
        )
    );

    // Refusals.
    let (s, b) = srv.http("GET", "/api/library", None, &[]).await;
    assert_eq!((s, code(&b)), (401, "unauthorized"));
    let (s, b) = srv
        .http("GET", "/api/library", None, &[("X-Admin-Key", "wrong")])
        .await;
    assert_eq!((s, code(&b)), (401, "unauthorized"));
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=-1", "offset"),
        ("limit=ten", "limit"),
    ] {
        let (s, b) = srv
            .http("GET", &format!("/api/library?{query}"), None, &[ADMIN_H])
            .await;
        assert_eq!(
            (s, code(&b), b["field"].as_str()),
            (400, "bad_parameter", Some(field)),
            "{query}: {b}"
        );
    }
    let long = "x".repeat(201);
    let (s, b) = srv
        .http("GET", &format!("/api/library?q={long}"), None, &[ADMIN_H])
        .await;
    assert_eq!(
        (s, code(&b), b["field"].as_str()),
        (400, "bad_parameter", Some("q"))
    );
}

/// GET with the headers of the response: (status, head, body).
async fn get_raw(srv: &TestServer, path: &str, headers: &[(&str, &str)]) -> (u16, String, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        // One chunk and the terminator: the size line, the data.
        body.split_once("\r\n")
            .unwrap()
            .1
            .rsplit_once("\r\n0\r\n")
            .unwrap()
            .0
            .to_owned()
    } else {
        body.to_owned()
    };
    (
        status,
        head.to_owned(),
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

#[tokio::test]
async fn export_gives_the_definition_that_makes_the_same_quiz_again() {
    let srv = start(config()).await;
    let key = hosted(&srv, "exp", 2).await;
    let other_key = hosted(&srv, "exp-other", 1).await;
    for headers in [[ADMIN_H], [("X-Host-Key", key.as_str())]] {
        let (s, head, def) = get_raw(&srv, "/api/quizzes/exp/export", &headers).await;
        assert_eq!(s, 200, "{def}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-disposition: attachment; filename=\"exp.json\""),
            "{head}"
        );
        assert_eq!(def["id"], "exp");
        assert_eq!(def["mode"], "hosted");
        // The answer key is there.
        assert_eq!(def["questions"][0]["correct"], 1);
    }
    let (_, _, def) = get_raw(&srv, "/api/quizzes/exp/export", &[ADMIN_H]).await;
    // Posted again under another id, it makes the same quiz.
    let mut again = def.clone();
    again["id"] = json!("exp-again");
    create(&srv, &again).await;
    let (_, _, def2) = get_raw(&srv, "/api/quizzes/exp-again/export", &[ADMIN_H]).await;
    let mut def2 = def2;
    def2["id"] = json!("exp");
    assert_eq!(def2, def);

    for headers in [
        vec![],
        vec![("X-Admin-Key", "wrong")],
        vec![("X-Host-Key", other_key.as_str())],
        vec![("X-Host-Key", "not-a-key")],
    ] {
        let (s, _, b) = get_raw(&srv, "/api/quizzes/exp/export", &headers).await;
        assert_eq!((s, code(&b)), (401, "unauthorized"), "{headers:?}");
    }
    let (s, _, b) = get_raw(&srv, "/api/quizzes/nope/export", &[ADMIN_H]).await;
    assert_eq!((s, code(&b)), (404, "unknown_quiz"));
    let (s, _, b) = get_raw(&srv, "/api/quizzes/bad%20id/export", &[ADMIN_H]).await;
    assert_eq!((s, code(&b)), (400, "bad_quiz_id"));
}

#[tokio::test]
async fn an_update_replaces_an_unplayed_quiz_and_copies_a_played_one() {
    let srv = start(config()).await;
    let key = hosted(&srv, "upd", 2).await;
    let host = ("X-Host-Key", key.as_str());

    // Nobody joined: in place, with the host key, and the host key still works after.
    let mut v2 = small_quiz("upd", 3);
    v2["mode"] = json!("hosted");
    v2["title"] = json!("Updated");
    let (s, out) = srv
        .http("PUT", "/api/quizzes/upd", Some(&v2), &[host])
        .await;
    assert_eq!((s, &out), (200, &json!({"quiz": "upd", "copied": false})));
    let (_, got) = srv.http("GET", "/api/quizzes/upd", None, &[]).await;
    assert_eq!(
        (&got["title"], got["questions"].as_array().map(Vec::len)),
        (&json!("Updated"), Some(3))
    );
    // The id may be left out; the admin key works too.
    let mut no_id = v2.clone();
    no_id.as_object_mut().unwrap().remove("id");
    no_id["title"] = json!("Updated again");
    let (s, out) = srv
        .http("PUT", "/api/quizzes/upd", Some(&no_id), &[ADMIN_H])
        .await;
    assert_eq!((s, &out["copied"]), (200, &json!(false)), "{out}");

    // Refusals change nothing.
    let mut other_id = v2.clone();
    other_id["id"] = json!("elsewhere");
    let (s, b) = srv
        .http("PUT", "/api/quizzes/upd", Some(&other_id), &[host])
        .await;
    assert_eq!(
        (s, code(&b), b["field"].as_str()),
        (400, "invalid_quiz", Some("id"))
    );
    let mut bad = v2.clone();
    bad["questions"][0]["points"] = json!(0);
    let (s, b) = srv
        .http("PUT", "/api/quizzes/upd", Some(&bad), &[host])
        .await;
    assert_eq!(
        (s, code(&b), b["field"].as_str()),
        (400, "invalid_quiz", Some("questions[0].points"))
    );
    let (s, b) = srv
        .http("PUT", "/api/quizzes/upd", Some(&json!([1])), &[host])
        .await;
    assert_eq!((s, code(&b)), (400, "bad_json"), "{b}");
    let (s, b) = srv
        .http(
            "PUT",
            "/api/quizzes/upd",
            Some(&v2),
            &[("X-Host-Key", "wrong")],
        )
        .await;
    assert_eq!((s, code(&b)), (401, "unauthorized"));
    let (s, b) = srv.http("PUT", "/api/quizzes/upd", Some(&v2), &[]).await;
    assert_eq!((s, code(&b)), (401, "unauthorized"));
    let (s, b) = srv
        .http("PUT", "/api/quizzes/gone", Some(&v2), &[ADMIN_H])
        .await;
    assert_eq!((s, code(&b)), (404, "unknown_quiz"));
    let (_, got) = srv.http("GET", "/api/quizzes/upd", None, &[]).await;
    assert_eq!(got["title"], "Updated again");

    // A self-paced quiz played by one player: the update is a new version.
    create(&srv, &small_quiz("played", 2)).await;
    let (mut ann, _, _) = srv.player("played", "Ann").await;
    assert_eq!(ann.answer("a1", "q0", 1).await["correct"], true);
    let (_, results_before) = srv
        .http("GET", "/api/quizzes/played/results.json", None, &[])
        .await;
    let mut changed = small_quiz("played", 1);
    changed["title"] = json!("Played, changed");
    let (s, out) = srv
        .http("PUT", "/api/quizzes/played", Some(&changed), &[ADMIN_H])
        .await;
    assert_eq!(
        (s, &out),
        (201, &json!({"quiz": "played-v2", "copied": true}))
    );
    let (_, old) = srv.http("GET", "/api/quizzes/played", None, &[]).await;
    assert_eq!(
        (&old["title"], old["questions"].as_array().map(Vec::len)),
        (&json!("Quiz played"), Some(2))
    );
    let (_, new) = srv.http("GET", "/api/quizzes/played-v2", None, &[]).await;
    assert_eq!(
        (&new["title"], new["questions"].as_array().map(Vec::len)),
        (&json!("Played, changed"), Some(1))
    );
    let (_, results_after) = srv
        .http("GET", "/api/quizzes/played/results.json", None, &[])
        .await;
    assert_eq!(results_after, results_before);
    assert_eq!(results_after[0]["score"], 100, "{results_after}");
    // The old quiz still plays: Ann's next answer counts there.
    assert_eq!(ann.answer("a2", "q1", 1).await["correct"], true);
    // Again: the next free version; updating a played version replaces its suffix.
    let (s, out) = srv
        .http("PUT", "/api/quizzes/played", Some(&changed), &[ADMIN_H])
        .await;
    assert_eq!((s, &out["quiz"]), (201, &json!("played-v3")));
    srv.join("played-v2", "Bob").await;
    changed.as_object_mut().unwrap().remove("id");
    let (s, out) = srv
        .http("PUT", "/api/quizzes/played-v2", Some(&changed), &[ADMIN_H])
        .await;
    assert_eq!((s, &out["quiz"]), (201, &json!("played-v4")));

    // A hosted quiz whose game left the lobby: a copy, with its own host key.
    let (s, _) = srv
        .http(
            "POST",
            "/api/quizzes/upd/game",
            Some(&json!({"command": "start"})),
            &[host],
        )
        .await;
    assert_eq!(s, 200);
    let (s, out) = srv
        .http("PUT", "/api/quizzes/upd", Some(&v2), &[host])
        .await;
    assert_eq!(
        (s, &out["quiz"], &out["copied"]),
        (201, &json!("upd-v2"), &json!(true)),
        "{out}"
    );
    let new_key = out["host_key"].as_str().unwrap();
    assert_ne!(new_key, key);
    assert_eq!(out["host_url"], format!("/host/upd-v2#key={new_key}"));
    // The new key is the copy's, not the old quiz's.
    let (s, _, _) = get_raw(
        &srv,
        "/api/quizzes/upd-v2/export",
        &[("X-Host-Key", new_key)],
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, _) = get_raw(&srv, "/api/quizzes/upd/export", &[("X-Host-Key", new_key)]).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn duplicate_copies_under_a_free_id_or_the_one_asked_for() {
    let srv = start(config()).await;
    let key = hosted(&srv, "dup", 2).await;
    // No body at all (no Content-Type either).
    let (s, out) = srv
        .http(
            "POST",
            "/api/quizzes/dup/duplicate",
            None,
            &[("X-Host-Key", &key)],
        )
        .await;
    assert_eq!(s, 201, "{out}");
    assert_eq!(
        (&out["id"], &out["title"]),
        (&json!("dup-copy"), &json!("Quiz dup (copy)"))
    );
    assert_eq!(out["mode"], "hosted");
    let copy_key = out["host_key"].as_str().unwrap();
    assert_eq!(out["host_url"], format!("/host/dup-copy#key={copy_key}"));
    let (s, out) = srv
        .http(
            "POST",
            "/api/quizzes/dup/duplicate",
            Some(&json!({})),
            &[ADMIN_H],
        )
        .await;
    assert_eq!((s, &out["id"]), (201, &json!("dup-copy-2")));
    let (s, out) = srv
        .http(
            "POST",
            "/api/quizzes/dup/duplicate",
            Some(&json!({"id": "dup-named", "title": "Named"})),
            &[ADMIN_H],
        )
        .await;
    assert_eq!(
        (s, &out["id"], &out["title"]),
        (201, &json!("dup-named"), &json!("Named"))
    );
    let (_, _, def) = get_raw(&srv, "/api/quizzes/dup-named/export", &[ADMIN_H]).await;
    assert_eq!(def["questions"].as_array().map(Vec::len), Some(2));

    // A self-paced copy has no host key.
    create(&srv, &small_quiz("solo", 1)).await;
    let (s, out) = srv
        .http("POST", "/api/quizzes/solo/duplicate", None, &[ADMIN_H])
        .await;
    assert_eq!(s, 201);
    assert!(out.get("host_key").is_none(), "{out}");

    for (body, status, want, field) in [
        (json!({"id": "dup-named"}), 409, "quiz_exists", Some("id")),
        (json!({"id": "bad id"}), 400, "invalid_quiz", Some("id")),
        (json!({"title": ""}), 400, "invalid_quiz", Some("title")),
        (
            json!({"colour": "red"}),
            400,
            "invalid_quiz",
            Some("colour"),
        ),
        (json!([]), 400, "bad_json", None),
    ] {
        let (s, b) = srv
            .http(
                "POST",
                "/api/quizzes/dup/duplicate",
                Some(&body),
                &[ADMIN_H],
            )
            .await;
        assert_eq!(
            (s, code(&b), b["field"].as_str()),
            (status, want, field),
            "{body}: {b}"
        );
    }
    let (s, b) = srv
        .http(
            "POST",
            "/api/quizzes/dup/duplicate",
            None,
            &[("X-Host-Key", copy_key)],
        )
        .await;
    assert_eq!((s, code(&b)), (401, "unauthorized"));
    let (s, b) = srv
        .http("POST", "/api/quizzes/nope/duplicate", None, &[ADMIN_H])
        .await;
    assert_eq!((s, code(&b)), (404, "unknown_quiz"));
}

/// Sends a hosted game's command with the admin key; returns the phase after it.
async fn command(srv: &TestServer, quiz: &str, cmd: &str) -> String {
    let (s, g) = srv
        .http(
            "POST",
            &format!("/api/quizzes/{quiz}/game"),
            Some(&json!({"command": cmd})),
            &[("X-Host-Key", ADMIN)],
        )
        .await;
    assert_eq!(s, 200, "{cmd}: {g}");
    g["phase"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn delete_is_refused_while_a_game_is_live_and_keeps_the_id_taken() {
    let srv = start(config()).await;
    create(&srv, &small_quiz("del", 1)).await;
    let key = hosted(&srv, "del-h", 1).await;

    let (s, b) = srv.http("DELETE", "/api/quizzes/del", None, &[]).await;
    assert_eq!((s, code(&b)), (401, "unauthorized"));
    let (s, b) = srv
        .http("DELETE", "/api/quizzes/del", None, &[("X-Host-Key", &key)])
        .await;
    assert_eq!(
        (s, code(&b)),
        (401, "unauthorized"),
        "another quiz's host key"
    );
    let (s, _) = srv
        .http("DELETE", "/api/quizzes/del", None, &[ADMIN_H])
        .await;
    assert_eq!(s, 204);
    let (s, b) = srv.http("GET", "/api/quizzes/del", None, &[]).await;
    assert_eq!((s, code(&b)), (404, "unknown_quiz"));
    let (s, b) = srv
        .http("DELETE", "/api/quizzes/del", None, &[ADMIN_H])
        .await;
    assert_eq!((s, code(&b)), (404, "unknown_quiz"));
    let (s, b) = srv
        .http(
            "POST",
            "/api/quizzes",
            Some(&small_quiz("del", 1)),
            &[ADMIN_H],
        )
        .await;
    assert_eq!((s, code(&b)), (409, "quiz_exists"));
    let (_, page) = srv
        .http("GET", "/api/library?q=del", None, &[ADMIN_H])
        .await;
    assert_eq!(ids(&page), ["del-h"]);
    let (s, b) = srv
        .http("DELETE", "/api/quizzes/bad%20id", None, &[ADMIN_H])
        .await;
    assert_eq!((s, code(&b)), (400, "bad_quiz_id"));

    // A hosted game: deletable in its lobby? Not tried (that would end this test's game);
    // live from the first question to the podium, deletable again at the podium.
    assert_eq!(command(&srv, "del-h", "start").await, "question");
    let (s, b) = srv
        .http(
            "DELETE",
            "/api/quizzes/del-h",
            None,
            &[("X-Host-Key", &key)],
        )
        .await;
    assert_eq!((s, code(&b)), (409, "game_live"));
    assert_eq!(command(&srv, "del-h", "pause").await, "paused");
    let (s, b) = srv
        .http(
            "DELETE",
            "/api/quizzes/del-h",
            None,
            &[("X-Host-Key", &key)],
        )
        .await;
    assert_eq!((s, code(&b)), (409, "game_live"));
    let (_, g) = srv.http("GET", "/api/quizzes/del-h/game", None, &[]).await;
    assert_eq!(g["phase"], "paused", "the refused delete changed nothing");
    assert_eq!(command(&srv, "del-h", "end").await, "podium");
    let (s, _) = srv
        .http(
            "DELETE",
            "/api/quizzes/del-h",
            None,
            &[("X-Host-Key", &key)],
        )
        .await;
    assert_eq!(s, 204);
    let (s, _) = srv.http("GET", "/api/quizzes/del-h", None, &[]).await;
    assert_eq!(s, 404);

    // A hosted quiz whose game is in its lobby is deleted.
    hosted(&srv, "del-lobby", 1).await;
    let (_, g) = srv
        .http("GET", "/api/quizzes/del-lobby/game", None, &[])
        .await;
    assert_eq!(g["phase"], "lobby");
    let (s, _) = srv
        .http("DELETE", "/api/quizzes/del-lobby", None, &[ADMIN_H])
        .await;
    assert_eq!(s, 204);
}

#[tokio::test]
async fn a_host_console_open_on_the_lobby_plays_the_updated_quiz() {
    let srv = start(config()).await;
    let key = hosted(&srv, "console", 1).await;
    let mut host = srv.connect(&format!("/ws/console?host_key={key}")).await;
    assert_eq!(host.recv_type("phase").await["phase"], "lobby");
    let mut v2 = small_quiz("console", 2);
    v2["mode"] = json!("hosted");
    v2["questions"][0]["prompt"] = json!("The new first question?");
    let (s, out) = srv
        .http(
            "PUT",
            "/api/quizzes/console",
            Some(&v2),
            &[("X-Host-Key", &key)],
        )
        .await;
    assert_eq!((s, &out["copied"]), (200, &json!(false)), "{out}");
    let (s, _) = srv
        .http(
            "POST",
            "/api/quizzes/console/game",
            Some(&json!({"command": "start"})),
            &[("X-Host-Key", &key)],
        )
        .await;
    assert_eq!(s, 200);
    loop {
        let f = host.recv_type("phase").await;
        if f["phase"] == "question" {
            assert_eq!(f["question"]["prompt"], "The new first question?", "{f}");
            assert_eq!(f["question_count"], 2, "{f}");
            break;
        }
    }
}

#[tokio::test]
async fn no_free_id_for_a_version_or_a_copy_is_quiz_exists() {
    let srv = start(config()).await;
    // 62 characters: "-v2" would make 65, past the 64 an id may have.
    let long = format!("long{}", "x".repeat(58));
    create(&srv, &small_quiz(&long, 1)).await;
    srv.join(&long, "Ann").await;
    let (s, b) = srv
        .http(
            "PUT",
            &format!("/api/quizzes/{long}"),
            Some(&small_quiz(&long, 2)),
            &[ADMIN_H],
        )
        .await;
    assert_eq!(
        (s, code(&b), b["field"].as_str()),
        (409, "quiz_exists", Some("id")),
        "{b}"
    );
    let (_, got) = srv
        .http("GET", &format!("/api/quizzes/{long}"), None, &[])
        .await;
    assert_eq!(
        got["questions"].as_array().map(Vec::len),
        Some(1),
        "unchanged"
    );
    let (s, b) = srv
        .http(
            "POST",
            &format!("/api/quizzes/{long}/duplicate"),
            None,
            &[ADMIN_H],
        )
        .await;
    assert_eq!((s, code(&b)), (409, "quiz_exists"), "{b}");
    // Naming the copy's id works.
    let (s, b) = srv
        .http(
            "POST",
            &format!("/api/quizzes/{long}/duplicate"),
            Some(&json!({"id": "short"})),
            &[ADMIN_H],
        )
        .await;
    assert_eq!((s, &b["id"]), (201, &json!("short")));
}
