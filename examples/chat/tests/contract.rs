//! The chat publishes its contract: the committed
//! `contract/{asyncapi.json,events.d.ts}` are what its register generates.

use std::path::PathBuf;

fn published(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("contract")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

const REGENERATE: &str =
    "regenerate with `ZAP_CONTRACT_DIR=examples/chat/contract cargo run -p example-chat`";

#[test]
fn the_published_asyncapi_document_is_up_to_date() {
    let generated = example_chat::contract::contract().asyncapi_json();
    assert!(
        published("asyncapi.json") == generated,
        "contract/asyncapi.json is stale: {REGENERATE}"
    );
}

#[test]
fn the_published_typescript_is_up_to_date() {
    let generated = example_chat::contract::contract().typescript();
    assert!(
        published("events.d.ts") == generated,
        "contract/events.d.ts is stale: {REGENERATE}"
    );
}

#[test]
fn every_event_of_the_page_is_in_the_contract() {
    let typescript = example_chat::contract::contract().typescript();
    for event in [
        "join",
        "message",
        "leave",
        "joined",
        "left",
        "user-joined",
        "user-left",
        "chat-error",
    ] {
        assert!(
            typescript.contains(&format!("\"{event}\":")),
            "{event} is missing"
        );
    }
}
