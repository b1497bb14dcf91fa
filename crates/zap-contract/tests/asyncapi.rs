//! The generated AsyncAPI document, validated against the official
//! AsyncAPI 3.0.0 JSON Schema (npm `@asyncapi/specs`) by ajv.

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

fn validate(node_modules: &Path, document: &Value) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("asyncapi.json");
    std::fs::write(&path, document.to_string()).expect("document written");
    std::process::Command::new("node")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate-asyncapi.cjs"))
        .arg(&path)
        .env("NODE_PATH", node_modules)
        .output()
        .expect("node runs")
}

#[test]
fn the_document_is_valid_asyncapi_3() {
    let Some(node_modules) = common::node_modules() else {
        return;
    };
    let output = validate(&node_modules, &common::contract().asyncapi());
    assert!(
        output.status.success()
            && String::from_utf8_lossy(&output.stdout).contains("valid AsyncAPI 3.0.0"),
        "invalid AsyncAPI:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_validator_rejects_a_broken_document() {
    let Some(node_modules) = common::node_modules() else {
        return;
    };
    let mut document = common::contract().asyncapi();
    document["operations"]["receive_chat.say"]["action"] = "publish".into();
    let output = validate(&node_modules, &document);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a v2 action passed as AsyncAPI 3.0"
    );
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        errors.contains("\"keyword\": \"enum\""),
        "not a validation failure:\n{errors}"
    );
}

#[test]
fn a_request_is_an_operation_with_a_reply() {
    let document = common::contract().asyncapi();
    let operation = &document["operations"]["receive_chat.history"];
    assert_eq!(operation["action"], "receive");
    assert_eq!(
        operation["reply"]["messages"][0]["$ref"],
        "#/channels/zaptools/messages/chat.history.reply"
    );
    assert_eq!(
        document["components"]["messages"]["chat.history.reply"]["payload"]["properties"]["payload"]
            ["$ref"],
        "#/components/schemas/History"
    );
}
