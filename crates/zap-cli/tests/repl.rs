//! `zap repl` fed through stdin: typed lines are sent, events are printed,
//! mistakes are reported without ending the session.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;

use common::*;
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn repl_sends_typed_lines_and_prints_events_as_they_come() {
    let server = serve(echo()).await;
    let mut command = zap(&["repl", server.url()]);
    command.stdin(Stdio::piped());
    let mut repl = Running::spawn(command);
    let mut stdin = repl.child.stdin.take().unwrap();
    repl.stderr_until("zap: online").await;

    stdin.write_all(b"say {\"text\": \"hi\"}\n").await.unwrap();
    assert_eq!(
        repl.stdout_line().await,
        r#"{"eventName":"say","payload":{"text":"hi"}}"#
    );

    stdin.write_all(b"say {oops\n").await.unwrap();
    repl.stderr_until("the payload is not valid JSON").await;

    stdin.write_all(b"\n# a comment\nping\n").await.unwrap();
    assert_eq!(
        repl.stdout_line().await,
        r#"{"eventName":"ping","payload":null}"#
    );

    drop(stdin); // end of input ends the session
    assert_eq!(repl.exit_code().await, Some(0));
}
