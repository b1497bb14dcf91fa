//! `clean()` ends every stream for good; dropping the client does too.

mod common;

use common::{server, within};
use futures_util::StreamExt;
use zap_client::{ConnectError, SendError, ZapSubscriber};

#[tokio::test]
async fn clean_ends_every_stream_and_refuses_what_follows() {
    let server = server().await;
    let client = ZapSubscriber::new(server.url());
    let mut one = client.subscribe_to_event("echo");
    let mut many = client.subscribe_to_events(["a", "b"]);
    let mut all = client.subscribe_to_all_events();
    let mut states = client.connection_state();
    let mut errors = client.errors();
    within("connect", client.connect()).await.expect("connects");
    within("clean", client.clean()).await;

    assert!(within("end", one.next()).await.is_none());
    assert!(within("end", many.next()).await.is_none());
    assert!(within("end", all.next()).await.is_none());
    // The states stream gives what happened before clean, then ends.
    let rest: Vec<_> = within("end", states.by_ref().collect::<Vec<_>>()).await;
    assert_eq!(rest.last(), Some(&zap_client::ConnectionState::Offline));
    assert!(within("end", errors.next()).await.is_none());

    assert!(
        within("new sub", client.subscribe_to_all_events().next())
            .await
            .is_none()
    );
    assert!(
        within("new states", client.connection_state().next())
            .await
            .is_none()
    );
    let send = client.send_event("echo", 1).expect_err("cleaned");
    assert!(matches!(send, SendError::Cleaned), "{send:?}");
    let connect = within("connect", client.connect())
        .await
        .expect_err("cleaned");
    assert!(matches!(connect, ConnectError::Cleaned), "{connect:?}");
    assert!(!client.is_connected());
}

#[tokio::test]
async fn dropping_every_clone_of_the_client_ends_its_streams() {
    let server = server().await;
    let client = ZapSubscriber::new(server.url());
    let mut events = client.subscribe_to_all_events();
    within("connect", client.connect()).await.expect("connects");
    let clone = client.clone();
    drop(client);
    clone.send_event("echo", 1).expect("the clone still works");
    assert!(within("echo", events.next()).await.is_some());
    drop(clone);
    assert!(within("end", events.next()).await.is_none());
}
