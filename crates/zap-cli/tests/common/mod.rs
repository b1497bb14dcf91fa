//! Shared test fixtures: the built `zap` binary as a child process with
//! bounded reads of its output, and zaptools servers on 127.0.0.1:0.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::future::Future;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdout, Command};
use zap_core::EventRegister;
use zap_server::ZapServer;

/// Upper bound for anything a test waits on; a bug fails the test, never hangs CI.
pub const WAIT: Duration = Duration::from_secs(20);

pub async fn within<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(WAIT, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

/// `zap ARGS`, stdout and stderr piped, killed when dropped.
pub fn zap(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zap"));
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// What a finished `zap` run left behind.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `zap ARGS` to its end.
pub async fn run(args: &[&str]) -> Run {
    let output = within(&format!("zap {args:?}"), zap(args).output())
        .await
        .unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A running `zap` whose output is read line by line.
pub struct Running {
    pub child: Child,
    pub stdout: Lines<BufReader<ChildStdout>>,
    pub stderr: Lines<BufReader<ChildStderr>>,
}

impl Running {
    pub fn spawn(mut command: Command) -> Running {
        let mut child = command.spawn().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        Running {
            child,
            stdout,
            stderr,
        }
    }

    pub async fn stdout_line(&mut self) -> String {
        within("a line on stdout", self.stdout.next_line())
            .await
            .unwrap()
            .expect("stdout ended")
    }

    /// Reads stderr until a line contains `needle`; returns that line.
    pub async fn stderr_until(&mut self, needle: &str) -> String {
        within(&format!("`{needle}` on stderr"), async {
            loop {
                match self.stderr.next_line().await.unwrap() {
                    Some(line) if line.contains(needle) => return line,
                    Some(_) => continue,
                    None => panic!("stderr ended before `{needle}`"),
                }
            }
        })
        .await
    }

    pub async fn exit_code(&mut self) -> Option<i32> {
        within("zap to exit", self.child.wait())
            .await
            .unwrap()
            .code()
    }
}

/// A zaptools server on 127.0.0.1:`port` (0: any free port).
pub async fn serve_on(port: u16, register: EventRegister) -> ZapServer {
    ZapServer::builder()
        .address("127.0.0.1")
        .port(port)
        .register(register)
        .start()
        .await
        .unwrap()
}

pub async fn serve(register: EventRegister) -> ZapServer {
    serve_on(0, register).await
}

/// A register that sends every event back (a request gets a reply).
pub fn echo() -> EventRegister {
    EventRegister::new().fallback(|ctx| async move {
        if ctx.request_id().is_some() {
            ctx.reply(ctx.payload())?;
        } else {
            match ctx.event().headers_opt() {
                Some(headers) => {
                    let headers = headers.clone();
                    ctx.connection()
                        .send_with_headers(ctx.event_name(), ctx.payload(), headers)?
                }
                None => ctx.connection().send(ctx.event_name(), ctx.payload())?,
            };
        }
        Ok(())
    })
}

/// `zap serve ARGS --port 0`, once it serves; returns it and its URL.
pub async fn zap_serve(args: &[&str]) -> (Running, String) {
    let mut all = vec!["serve", "--port", "0"];
    all.extend_from_slice(args);
    let mut server = Running::spawn(zap(&all));
    let line = server.stderr_until("serving on ").await;
    let url = line.rsplit(' ').next().unwrap().to_owned();
    (server, url)
}

/// A port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
