//! The chat page in a real browser: two headless Chromium pages (driven by
//! chromedriver) join a room, see each other join, chat both ways, survive
//! a server restart on the same port, and see a leave. Saves a screenshot
//! to `<target>/screenshots/chat.png`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs
//! them). Without them the test fails when `CI` is set and is skipped with
//! a notice otherwise. It never downloads a browser.
#![allow(clippy::print_stderr)]

mod webdriver;

use std::path::PathBuf;

use anyhow::Context;
use webdriver::{Driver, Session};

/// A JavaScript expression: `#id`'s text contains `needle`.
fn has_text(id: &str, needle: &str) -> String {
    format!(
        "document.getElementById({}).textContent.includes({})",
        serde_json::json!(id),
        serde_json::json!(needle)
    )
}

fn is_online() -> &'static str {
    "document.getElementById('status').dataset.state === 'online'"
}

/// Opens the page, waits for its socket, joins `room` as `name`.
async fn join(page: &Session, url: &str, name: &str, room: &str) -> anyhow::Result<()> {
    page.goto(url).await?;
    page.wait_for("the page to connect", is_online()).await?;
    page.fill("name", name).await?;
    page.fill("room", room).await?;
    page.click("join-btn").await?;
    page.wait_for(
        &format!("{name} to be in {room}"),
        &has_text("members", name),
    )
    .await?;
    Ok(())
}

async fn say(page: &Session, text: &str) -> anyhow::Result<()> {
    page.fill("text", text).await?;
    page.click("send-btn").await
}

/// Where screenshots go: `$CARGO_TARGET_DIR`, else the target directory
/// this test binary was built in, then `screenshots/`.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // <target>/debug/deps/browser-…
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.parent()?.to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")));
    target.join("screenshots")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pages_chat_see_joins_and_leaves_and_reconnect_after_a_restart() -> anyhow::Result<()> {
    let Some(driver) = Driver::start_or_skip().await? else {
        return Ok(());
    };
    let server = example_chat::start("127.0.0.1", 0).await?;
    let port = server.local_addr().port();
    let url = format!("http://127.0.0.1:{port}/");
    let (ada, bob) = (driver.session().await?, driver.session().await?);

    join(&ada, &url, "ada", "lobby").await?;
    join(&bob, &url, "bob", "lobby").await?;
    ada.wait_for("ada to see bob join", &has_text("log", "bob joined"))
        .await?;
    ada.wait_for("bob in ada's member list", &has_text("members", "bob"))
        .await?;
    bob.wait_for("ada in bob's member list", &has_text("members", "ada"))
        .await?;

    say(&ada, "hello bob").await?;
    bob.wait_for("ada's message at bob", &has_text("log", "ada: hello bob"))
        .await?;
    say(&bob, "hi ada, nice page").await?;
    ada.wait_for(
        "bob's message at ada",
        &has_text("log", "bob: hi ada, nice page"),
    )
    .await?;

    // The server restarts on the same port: both pages reconnect and rejoin.
    server.shutdown().await;
    for page in [&ada, &bob] {
        page.wait_for("the page to notice", &format!("!({})", is_online()))
            .await?;
    }
    let server = example_chat::start("127.0.0.1", port).await?;
    for page in [&ada, &bob] {
        page.wait_for("the page to reconnect", is_online()).await?;
        page.wait_for("the page to rejoin", &has_text("room-name", "lobby"))
            .await?;
    }
    ada.wait_for("bob back in ada's members", &has_text("members", "bob"))
        .await?;
    say(&bob, "back after the restart").await?;
    ada.wait_for(
        "a message after the restart",
        &has_text("log", "bob: back after the restart"),
    )
    .await?;

    bob.click("leave-btn").await?;
    ada.wait_for("ada to see bob leave", &has_text("log", "bob left"))
        .await?;
    ada.wait_for(
        "bob gone from ada's members",
        "!document.getElementById('members').textContent.includes('bob')",
    )
    .await?;

    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join("chat.png");
    std::fs::write(&path, ada.screenshot().await?)?;
    std::fs::write(dir.join("chat-bob.png"), bob.screenshot().await?)?;
    eprintln!("screenshot: {}", path.display());
    drop((ada, bob));
    server.shutdown().await;
    Ok(())
}
