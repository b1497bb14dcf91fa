//! A minimal W3C WebDriver client for the browser test: chromedriver
//! started by the test on a free port, headless Chromium sessions with
//! fresh profiles, and the handful of commands the test needs. Written
//! here (plain HTTP/1.1 and JSON) to keep the test's compile time low.
#![allow(dead_code, unreachable_pub, clippy::print_stderr)]

mod driver;
mod http;
mod session;

pub use driver::Driver;
pub use session::Session;
