//! `contracts/openapi.json` must equal the document the server generates. The test only
//! compares; `cargo xtask contracts` rewrites the file after an intended API change.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

#[test]
fn committed_openapi_matches_the_service() {
    let generated: serde_json::Value =
        serde_json::from_str(&quiz_server::openapi_json().unwrap()).unwrap();
    let path = quiz_contracts::schema_dir().join("../openapi.json");
    let want = quiz_contracts::to_committed_form(&generated);
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "contracts/openapi.json drifted from the service; run `cargo xtask contracts` and commit the result"
    );
}
