//! The command line, declared with clap's derive API.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::EXIT_CODES;
use crate::input::parse_duration;

/// The websocat of zaptools: talk to any zaptools server (Rust, Python,
/// Dart) from a terminal, run a throwaway one, or load-test one.
#[derive(Debug, Parser)]
#[command(name = "zap", version, after_help = EXIT_CODES, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print every event the server sends, one JSON line each; connection
    /// states go to stderr.
    #[command(after_help = EXIT_CODES)]
    Listen(ListenArgs),
    /// Send one event; with --wait, wait for a reply event and print it.
    #[command(after_help = EXIT_CODES)]
    Send(SendArgs),
    /// Interactive: type `event {json}` lines, see events as they come.
    #[command(after_help = EXIT_CODES)]
    Repl(ReplArgs),
    /// Run a throwaway server that echoes or broadcasts events (quiet by
    /// default; --verbose prints every connection and event).
    #[command(after_help = EXIT_CODES)]
    Serve(ServeArgs),
    /// Wait until a server accepts WebSocket connections (a ws:// URL), or
    /// until a file exists (a --ready-file of `zap listen`): for scripts.
    #[command(after_help = EXIT_CODES)]
    Wait(WaitArgs),
    /// Load-test a server: throughput and latency percentiles for echo or
    /// fan-out traffic.
    #[command(after_help = EXIT_CODES)]
    Bench(BenchArgs),
}

/// How to reach the server; shared by listen, send and repl.
#[derive(Debug, Args)]
pub(crate) struct ConnectArgs {
    /// The server's WebSocket URL, e.g. ws://127.0.0.1:8000/ws
    pub(crate) url: String,
    /// Reconnect with backoff when the connection fails or is lost.
    #[arg(long)]
    pub(crate) reconnect: bool,
    /// An HTTP header for the WebSocket handshake (repeatable), e.g.
    /// --http-header 'authorization: Bearer token'.
    #[arg(long = "http-header", value_name = "NAME: VALUE")]
    pub(crate) http_headers: Vec<String>,
    /// How long one connection attempt may take (e.g. 5s, 500ms).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub(crate) connect_timeout: Duration,
    /// Print JSON indented over several lines instead of one line per event.
    #[arg(long)]
    pub(crate) pretty: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
    /// Print only events with this name (repeatable; default: every event).
    #[arg(long = "event", short = 'e', value_name = "NAME")]
    pub(crate) events: Vec<String>,
    /// Exit (code 0) after this many events.
    #[arg(long, short = 'n', value_name = "N")]
    pub(crate) count: Option<u64>,
    /// Write this file (holding zap's process id) once connected and
    /// subscribed, and remove it on exit: `zap wait FILE` then knows
    /// nothing sent from now on is missed.
    #[arg(long, value_name = "FILE")]
    pub(crate) ready_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct WaitArgs {
    /// A ws:// or wss:// URL (wait until a WebSocket handshake succeeds), or
    /// a file path (wait until the file exists and its process, if it names
    /// one, is running).
    pub(crate) target: String,
    /// Give up after this long (exit code 3; e.g. 10s, 500ms).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub(crate) timeout: Duration,
}

#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
    /// The event's name.
    pub(crate) event: String,
    /// The payload as JSON (a string needs its quotes: '"hi"'); default null.
    #[arg(value_name = "PAYLOAD_JSON")]
    pub(crate) payload: Option<String>,
    /// An event header (repeatable): key=value sets a string, key:=JSON any
    /// JSON value.
    #[arg(short = 'H', long = "header", value_name = "KEY=VALUE")]
    pub(crate) headers: Vec<String>,
    /// Wait for the next event with this name and print it.
    #[arg(long, value_name = "NAME", conflicts_with = "request")]
    pub(crate) wait: Option<String>,
    /// Send as a request (header zap-request-id) and print the reply that
    /// answers it (header zap-response-to).
    #[arg(long)]
    pub(crate) request: bool,
    /// How long --wait or --request waits for the reply (e.g. 10s, 500ms).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub(crate) timeout: Duration,
}

#[derive(Debug, Args)]
pub(crate) struct ReplArgs {
    #[command(flatten)]
    pub(crate) connect: ConnectArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The port to listen on (0: any free port; the URL is printed on stderr).
    #[arg(long, short = 'p', default_value_t = 8000)]
    pub(crate) port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) address: String,
    /// The WebSocket path.
    #[arg(long, default_value = "/")]
    pub(crate) path: String,
    /// Send every event back to its sender (a request gets a reply).
    #[arg(long, conflicts_with = "broadcast")]
    pub(crate) echo: bool,
    /// Relay every event to every other connection.
    #[arg(long)]
    pub(crate) broadcast: bool,
    /// Print every connection and every event (`CONNECTION_ID JSON` on
    /// stdout). Off by default: a benchmark target stays quiet.
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub(crate) verbose: bool,
    /// The default; kept so older scripts keep working.
    #[arg(long, short = 'q', hide = true)]
    pub(crate) quiet: bool,
}

/// The traffic pattern of `zap bench`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum BenchMode {
    /// Each connection's events come back to it (against `zap serve --echo`).
    Echo,
    /// One publisher's events reach every connection (against `zap serve --broadcast`).
    Fanout,
}

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// The server's WebSocket URL (ws:// only).
    pub(crate) url: String,
    /// The traffic pattern.
    #[arg(long, value_enum, default_value = "echo")]
    pub(crate) mode: BenchMode,
    /// Connections (fan-out: receivers; the publisher comes on top).
    #[arg(long, short = 'c', default_value_t = 10)]
    pub(crate) connections: usize,
    /// Events in flight at once (echo: per connection; fan-out: not yet
    /// delivered to every receiver).
    #[arg(long, short = 'w', default_value_t = 1)]
    pub(crate) window: usize,
    /// How long to send (e.g. 10s, 1m).
    #[arg(long, short = 'd', value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub(crate) duration: Duration,
    /// Padding bytes in each event's payload.
    #[arg(long, short = 's', value_name = "BYTES", default_value_t = 64)]
    pub(crate) payload_size: usize,
    /// The event name to send.
    #[arg(long, default_value = "bench")]
    pub(crate) event: String,
    /// Print the result as one JSON object instead of a table.
    #[arg(long)]
    pub(crate) json: bool,
}
