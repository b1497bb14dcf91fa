//! The accept loop survives EMFILE: with every file descriptor in use,
//! `accept` fails; once descriptors are free again, the waiting client is
//! served. Its own test binary, as it changes the process's fd limit.
#![allow(clippy::unwrap_used)]

mod common;

use std::fs::File;
use std::time::Duration;

use common::*;
use rlimit::Resource;

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").map_or(64, |dir| dir.count() as u64)
}

#[tokio::test]
async fn the_accept_loop_survives_running_out_of_file_descriptors() {
    let server = start(echo_register()).await;
    let (soft, hard) = Resource::NOFILE.get().unwrap();
    // A low limit, so filling it takes a few dozen files, not millions.
    Resource::NOFILE
        .set((open_fds() + 32).min(soft), hard)
        .unwrap();

    // Use up every descriptor, then free exactly one for the client socket.
    let mut hogs = Vec::new();
    while let Ok(file) = File::open("/dev/null") {
        hogs.push(file);
    }
    hogs.pop();
    let tcp = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    let url = server.url().to_owned();
    let tcp = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
    let client = tokio::spawn(async move { tokio_tungstenite::client_async(url, tcp).await });

    // The server's accept now fails with EMFILE, again and again.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(
        !client.is_finished(),
        "the upgrade cannot complete without a server socket"
    );
    assert_eq!(server.router().count(), 0);

    drop(hogs);
    Resource::NOFILE.set(soft, hard).unwrap();
    let (mut ws, _) = within("the waiting client to be served", client)
        .await
        .unwrap()
        .unwrap();
    assert_echoes(&mut ws, "served after EMFILE").await;
    let mut fresh = connect(&server).await;
    assert_echoes(&mut fresh, "and new clients too").await;
}
