//! The committed schema files must equal what the Rust types generate.
//! The test only compares; `cargo xtask contracts` rewrites them after an intended change.

use quiz_contracts::ws::{CLIENT_TYPES, ClientMessage, ErrorCode, ErrorMsg, ServerMessage};
use quiz_contracts::{schema_dir, schemas, to_committed_form};

#[test]
fn committed_schemas_match_the_types() {
    let mut drift = Vec::new();
    for (file, schema) in schemas() {
        let path = schema_dir().join(file);
        let want = to_committed_form(&schema);
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            drift.push(file);
        }
    }
    assert!(
        drift.is_empty(),
        "schemas drifted from the types: {drift:?}; run `cargo xtask contracts` and commit the result"
    );
}

#[test]
fn client_messages_use_the_documented_shape() {
    let m: ClientMessage =
        serde_json::from_str(r#"{"type":"answer","answer_id":"a1","question":"q1","option":2}"#)
            .unwrap();
    assert_eq!(
        m,
        ClientMessage::Answer {
            answer_id: "a1".into(),
            question: "q1".into(),
            option: Some(2),
            options: None,
            text: None,
        }
    );
    let m: ClientMessage = serde_json::from_str(
        r#"{"type":"answer","answer_id":"a2","question":"m","options":[0,2]}"#,
    )
    .unwrap();
    assert!(matches!(m, ClientMessage::Answer { options: Some(ref o), .. } if o == &[0, 2]));
    let m: ClientMessage =
        serde_json::from_str(r#"{"type":"answer","answer_id":"a3","question":"w","text":"Paris"}"#)
            .unwrap();
    assert!(matches!(m, ClientMessage::Answer { text: Some(ref t), .. } if t == "Paris"));
    assert!(
        serde_json::from_str::<ClientMessage>(r#"{"type":"answer","answer_id":"a1"}"#).is_err()
    );
    assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"snapshot","x":1}"#).is_err());
    assert_eq!(
        serde_json::from_str::<ClientMessage>(r#"{"type":"snapshot"}"#).unwrap(),
        ClientMessage::Snapshot {}
    );
    // Every documented type name parses as a message of that type.
    for (t, json) in CLIENT_TYPES.iter().zip([
        r#"{"type":"answer","answer_id":"a","question":"q","option":0}"#,
        r#"{"type":"snapshot"}"#,
        r#"{"type":"ping"}"#,
        r#"{"type":"host","command":"kick","player":"p1"}"#,
    ]) {
        let m: ClientMessage = serde_json::from_str(json).unwrap();
        assert!(
            serde_json::to_string(&m)
                .unwrap()
                .contains(&format!("\"type\":\"{t}\""))
        );
    }
}

#[test]
fn host_command_names_are_the_documented_ones() {
    for name in quiz_contracts::ws::HostCommandName::ALL.map(|c| c.name()) {
        let json = format!(r#"{{"type":"host","command":"{name}"}}"#);
        let m: ClientMessage = serde_json::from_str(&json).unwrap();
        assert!(
            matches!(m, ClientMessage::Host { player: None, .. }),
            "{name}"
        );
    }
    assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"host","command":"jump"}"#).is_err());
}

#[test]
fn server_messages_are_tagged_by_type() {
    let m = ServerMessage::Error(ErrorMsg {
        code: ErrorCode::BadJson,
        message: "not JSON".into(),
        answer_id: None,
        field: None,
    });
    assert_eq!(
        serde_json::to_string(&m).unwrap(),
        r#"{"type":"error","code":"bad_json","message":"not JSON"}"#
    );
}

/// The field rules the server checks before parsing are the shapes of the committed
/// client-message schema: per `type`, the same fields, the same required ones.
#[test]
fn client_field_rules_are_the_schema_s_shapes() {
    use std::collections::BTreeSet;
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            quiz_contracts::schema_dir().join("ws-client-message.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let variants = schema["oneOf"].as_array().unwrap();
    assert_eq!(variants.len(), quiz_contracts::ws::CLIENT_RULES.len());
    for (ty, fields) in quiz_contracts::ws::CLIENT_RULES {
        let v = variants
            .iter()
            .find(|v| v["properties"]["type"]["const"] == *ty)
            .unwrap_or_else(|| panic!("no schema variant for {ty}"));
        let props: BTreeSet<&str> = v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "type")
            .collect();
        let rules: BTreeSet<&str> = fields.iter().map(|f| f.name).collect();
        assert_eq!(props, rules, "fields of {ty}");
        let required: BTreeSet<&str> = v["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r.as_str())
            .filter(|k| *k != "type")
            .collect();
        let rules: BTreeSet<&str> = fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name)
            .collect();
        assert_eq!(required, rules, "required fields of {ty}");
    }
}
