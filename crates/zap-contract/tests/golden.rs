//! Golden files: the fixture's contract is exactly the committed
//! `tests/golden/{asyncapi.json,events.d.ts}` (`UPDATE_GOLDEN=1` rewrites
//! them), and changing a payload type changes the output.

mod common;

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use zap_contract::Contract;
use zap_core::extract::Data;
use zap_core::{Event, EventRegister};

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("golden file written");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("golden file present");
    assert!(
        expected == actual,
        "{name} changed; if intended, run with UPDATE_GOLDEN=1. Generated:\n{actual}"
    );
}

#[test]
fn the_typescript_matches_the_golden_file() {
    golden("events.d.ts", &common::contract().typescript());
}

#[test]
fn the_asyncapi_document_matches_the_golden_file() {
    golden("asyncapi.json", &common::contract().asyncapi_json());
}

mod v1 {
    use super::*;

    #[derive(Serialize, Deserialize, JsonSchema, Event)]
    #[event(name = "score")]
    pub(super) struct Score {
        pub(super) points: u32,
    }
}

mod v2 {
    use super::*;

    #[derive(Serialize, Deserialize, JsonSchema, Event)]
    #[event(name = "score")]
    pub(super) struct Score {
        pub(super) points: String,
    }
}

#[test]
fn a_changed_payload_type_changes_both_files() {
    let v1 = Contract::from_register(
        &EventRegister::new().on_typed(|Data(_score): Data<v1::Score>| async move {}),
    );
    let v2 = Contract::from_register(
        &EventRegister::new().on_typed(|Data(_score): Data<v2::Score>| async move {}),
    );
    assert!(v1.typescript().contains("points: number;"));
    assert!(v2.typescript().contains("points: string;"));
    assert_ne!(v1.asyncapi(), v2.asyncapi());
}
