//! The chat's published contract: `contract/asyncapi.json` and
//! `contract/events.d.ts` in this example's directory, generated from
//! [`register`](crate::register) (`tests/contract.rs` checks they are up to
//! date). Regenerate them with
//! `ZAP_CONTRACT_DIR=examples/chat/contract cargo run -p example-chat`.

use zap_contract::Contract;

/// The chat's contract: the typed events of [`register`](crate::register).
pub fn contract() -> Contract {
    Contract::from_register(&crate::register())
        .title("zaptools chat")
        .version(env!("CARGO_PKG_VERSION"))
        .address("/ws")
}
