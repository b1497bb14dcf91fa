//! Collecting a register's declared events into JSON Schemas: one
//! generator, so each named type is described once, under
//! `#/components/schemas/`.

use serde_json::{Map, Value};
use zap_core::schemars::generate::SchemaSettings;
use zap_core::{DeclaredEvent, Direction};

/// Where named types live in the AsyncAPI document.
pub(crate) const SCHEMAS_PATH: &str = "/components/schemas";

/// One typed event with its schemas.
#[derive(Debug, Clone)]
pub(crate) struct EventSchemas {
    pub(crate) name: &'static str,
    pub(crate) direction: Direction,
    pub(crate) payload: Value,
    pub(crate) response: Option<Value>,
}

/// Every typed event of a register, and the named types they use.
#[derive(Debug, Clone)]
pub(crate) struct Collected {
    pub(crate) events: Vec<EventSchemas>,
    pub(crate) definitions: Map<String, Value>,
}

impl Collected {
    pub(crate) fn from_events(declared: &[DeclaredEvent]) -> Self {
        let mut generator = SchemaSettings::draft07()
            .with(|settings| settings.definitions_path = SCHEMAS_PATH.into())
            .into_generator();
        let mut events: Vec<EventSchemas> = declared
            .iter()
            .map(|event| EventSchemas {
                name: event.name(),
                direction: event.direction(),
                payload: event.payload_schema(&mut generator).to_value(),
                response: event
                    .response_schema(&mut generator)
                    .map(|schema| schema.to_value()),
            })
            .collect();
        // A stable order: the output only changes when the events do.
        events.sort_by(|a, b| {
            (a.name, direction_rank(a.direction)).cmp(&(b.name, direction_rank(b.direction)))
        });
        let definitions = generator.take_definitions(true).into_iter().collect();
        Collected {
            events,
            definitions,
        }
    }

    /// Events the client sends (the register handles them).
    pub(crate) fn received(&self) -> impl Iterator<Item = &EventSchemas> {
        self.events
            .iter()
            .filter(|event| event.direction == Direction::Receives)
    }

    /// Events the server sends.
    pub(crate) fn sent(&self) -> impl Iterator<Item = &EventSchemas> {
        self.events
            .iter()
            .filter(|event| event.direction == Direction::Sends)
    }
}

fn direction_rank(direction: Direction) -> u8 {
    match direction {
        Direction::Receives => 0,
        _ => 1,
    }
}
