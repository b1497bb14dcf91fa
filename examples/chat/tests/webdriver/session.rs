//! [`Session`]: one browser window and the commands the test uses.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::http::{call, call_blocking};

/// The key under which WebDriver hands out element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Resolves (through WebDriver's async-script callback) as soon as the
/// JavaScript expression `arguments[0]` is true: checked now, then on every
/// DOM change. Bounded by the session's script timeout.
const WAIT_SCRIPT: &str = r#"
const check = new Function("return (" + arguments[0] + ");");
const done = arguments[arguments.length - 1];
const test = () => { try { return !!check(); } catch (e) { return false; } };
if (test()) { done(true); return; }
const observer = new MutationObserver(() => {
  if (test()) { observer.disconnect(); done(true); }
});
observer.observe(document.documentElement,
  { subtree: true, childList: true, characterData: true, attributes: true });
"#;

/// A browser session; deleted (Chromium closed) when dropped.
#[derive(Debug)]
pub struct Session {
    addr: SocketAddr,
    id: String,
    _profile: TempDir,
}

impl Session {
    pub(super) fn new(addr: SocketAddr, id: String, profile: TempDir) -> Self {
        Session {
            addr,
            id,
            _profile: profile,
        }
    }

    async fn command(
        &self,
        method: &'static str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        call(
            self.addr,
            method,
            format!("/session/{}{path}", self.id),
            body,
        )
        .await
    }

    pub(super) async fn set_script_timeout(&self, timeout: Duration) -> anyhow::Result<()> {
        let millis = u64::try_from(timeout.as_millis())?;
        self.command("POST", "/timeouts", Some(json!({"script": millis})))
            .await?;
        Ok(())
    }

    /// Opens `url` and waits for it to load.
    pub async fn goto(&self, url: &str) -> anyhow::Result<()> {
        self.command("POST", "/url", Some(json!({"url": url})))
            .await?;
        Ok(())
    }

    async fn element(&self, id: &str) -> anyhow::Result<String> {
        let found = self
            .command(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": format!("#{id}")})),
            )
            .await?;
        Ok(found[ELEMENT]
            .as_str()
            .with_context(|| format!("no element #{id}: {found}"))?
            .to_owned())
    }

    /// Replaces the text of the input `#id` with `text`, as typed keys.
    pub async fn fill(&self, id: &str, text: &str) -> anyhow::Result<()> {
        let element = self.element(id).await?;
        self.command(
            "POST",
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .await?;
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await?;
        Ok(())
    }

    /// Clicks `#id`.
    pub async fn click(&self, id: &str) -> anyhow::Result<()> {
        let element = self.element(id).await?;
        self.command(
            "POST",
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await?;
        Ok(())
    }

    /// The text of `#id` as displayed.
    pub async fn text(&self, id: &str) -> anyhow::Result<String> {
        let element = self.element(id).await?;
        let text = self
            .command("GET", &format!("/element/{element}/text"), None)
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Waits until the JavaScript expression `condition` holds in the page
    /// (event-driven, bounded by the script timeout); on timeout the error
    /// says what was awaited and shows the page's log.
    pub async fn wait_for(&self, what: &str, condition: &str) -> anyhow::Result<()> {
        let waited = self
            .command(
                "POST",
                "/execute/async",
                Some(json!({"script": WAIT_SCRIPT, "args": [condition]})),
            )
            .await;
        if let Err(error) = waited {
            let log = self.text("log").await.unwrap_or_default();
            let status = self.text("status").await.unwrap_or_default();
            return Err(error.context(format!(
                "waiting for {what} (status {status:?}, log:\n{log})"
            )));
        }
        Ok(())
    }

    /// The value of the JavaScript expression `expression` in the page.
    pub async fn eval(&self, expression: &str) -> anyhow::Result<Value> {
        let script = format!("return ({expression});");
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// A PNG screenshot of the window.
    pub async fn screenshot(&self) -> anyhow::Result<Vec<u8>> {
        let encoded = self.command("GET", "/screenshot", None).await?;
        let encoded = encoded.as_str().context("the screenshot is not a string")?;
        Ok(base64::engine::general_purpose::STANDARD.decode(encoded)?)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Close Chromium even when the test failed; chromedriver may be gone.
        let _ = call_blocking(self.addr, "DELETE", &format!("/session/{}", self.id), None);
    }
}
