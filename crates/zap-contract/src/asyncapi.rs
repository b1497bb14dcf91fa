//! The AsyncAPI 3.0 document: one channel (the WebSocket endpoint), one
//! message per event describing the whole zaptools frame
//! (`{"eventName", "payload", "headers"}`), and one operation per event:
//! `receive` for what the application handles, `send` for what it emits,
//! with a `reply` for typed requests.

use serde_json::{Map, Value, json};

use crate::Contract;

/// The channel every event travels on.
const CHANNEL: &str = "zaptools";

pub(crate) fn document(contract: &Contract) -> Value {
    let mut messages = Map::new();
    let mut channel_messages = Map::new();
    let mut operations = Map::new();
    let channel_ref = json!({ "$ref": format!("#/channels/{CHANNEL}") });

    for event in &contract.collected.events {
        let (action, prefix) = match event.direction {
            zap_core::Direction::Receives => ("receive", "receive"),
            _ => ("send", "send"),
        };
        let mut key = message_key(event.name, None);
        if messages.contains_key(&key) {
            // The same name both ways: the second is the server's.
            key = message_key(event.name, Some("sent"));
        }
        messages.insert(key.clone(), message(event.name, &event.payload, false));
        channel_messages.insert(
            key.clone(),
            json!({ "$ref": format!("#/components/messages/{key}") }),
        );
        let mut operation = json!({
            "action": action,
            "channel": channel_ref,
            "summary": format!("The `{}` event.", event.name),
            "messages": [{ "$ref": format!("#/channels/{CHANNEL}/messages/{key}") }],
        });
        if let Some(response) = &event.response {
            let reply_key = message_key(event.name, Some("reply"));
            messages.insert(reply_key.clone(), message(event.name, response, true));
            channel_messages.insert(
                reply_key.clone(),
                json!({ "$ref": format!("#/components/messages/{reply_key}") }),
            );
            operation["reply"] = json!({
                "channel": channel_ref,
                "messages": [{ "$ref": format!("#/channels/{CHANNEL}/messages/{reply_key}") }],
            });
        }
        operations.insert(format!("{prefix}_{}", sanitize(event.name)), operation);
    }

    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": contract.title,
            "version": contract.version,
            "description": "zaptools events: each WebSocket text frame carries one event as {\"eventName\", \"payload\", \"headers\"}.",
        },
        "defaultContentType": "application/json",
        "channels": {
            CHANNEL: {
                "address": contract.address,
                "title": "zaptools WebSocket",
                "messages": channel_messages,
            }
        },
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": contract.collected.definitions,
        },
    })
}

/// A message: the frame of event `name` carrying `payload`; a reply also
/// carries the `zap-response-to` header.
fn message(name: &str, payload: &Value, reply: bool) -> Value {
    let mut headers = json!({
        "type": "object",
        "description": "Optional string-keyed headers.",
    });
    let mut required = vec!["eventName", "payload"];
    if reply {
        headers["properties"] = json!({ "zap-response-to": { "type": "string" } });
        headers["required"] = json!(["zap-response-to"]);
        required.push("headers");
    }
    let title = if reply {
        format!("Reply to {name}")
    } else {
        name.to_owned()
    };
    json!({
        "name": name,
        "title": title,
        "contentType": "application/json",
        "payload": {
            "type": "object",
            "required": required,
            "properties": {
                "eventName": { "const": name },
                "payload": payload,
                "headers": headers,
            },
        },
    })
}

/// A component key for an event (`^[\w\d.\-_]+$` in AsyncAPI 3.0).
fn message_key(name: &str, suffix: Option<&str>) -> String {
    let key = sanitize(name);
    match suffix {
        Some(suffix) => format!("{key}.{suffix}"),
        None => key,
    }
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn keys_keep_only_what_asyncapi_allows() {
        assert_eq!(sanitize("chat.say"), "chat.say");
        assert_eq!(sanitize("user joined/now"), "user_joined_now");
    }
}
