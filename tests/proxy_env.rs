//! `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` are honoured by default, as the official SDK's HTTP
//! session does; `.env_proxy(false)` turns them off and `.proxy(..)` wins over them.
//!
//! Its own test binary with a single test: it sets process-wide environment variables.

use codearts_webhooks::{Client, Credentials, Error, fake::FakeCodeArts};

/// A host that only the proxy (the loopback fake) can reach.
const OFFICIAL: &str = "http://codehub-ext.cn-north-4.myhuaweicloud.com";

async fn list(client: &Client) -> Result<usize, Error> {
    Ok(client
        .repo()
        .list_group_webhooks()
        .group_id(1)
        .send()
        .await?
        .len())
}

fn client(fake: &FakeCodeArts, env_proxy: bool) -> Client {
    Client::builder()
        .credentials(Credentials::token(fake.token()))
        .repo_endpoint(OFFICIAL)
        .retry(codearts_webhooks::RetryPolicy::none())
        .env_proxy(env_proxy)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_environments_proxy_is_honoured_unless_turned_off() {
    let fake = FakeCodeArts::start().await.unwrap();
    for name in [
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
        "https_proxy",
        "HTTPS_PROXY",
    ] {
        // SAFETY: this binary's only test; nothing else reads the environment meanwhile.
        unsafe { std::env::remove_var(name) };
    }
    // SAFETY: as above.
    unsafe {
        std::env::set_var("HTTP_PROXY", fake.endpoint());
        std::env::set_var("http_proxy", fake.endpoint());
    }
    let before = fake.requests("ListGroupWebhooks");
    assert_eq!(list(&client(&fake, true)).await.unwrap(), 0);
    assert_eq!(
        fake.requests("ListGroupWebhooks"),
        before + 1,
        "went through the proxy"
    );

    // Turned off: the official host is not reachable from here, and the fake saw nothing.
    let e = list(&client(&fake, false)).await.unwrap_err();
    assert!(matches!(e, Error::Connect(_)), "{e:?}");
    assert_eq!(fake.requests("ListGroupWebhooks"), before + 1);

    // NO_PROXY names the host: no proxy for it.
    // SAFETY: as above.
    unsafe { std::env::set_var("NO_PROXY", "codehub-ext.cn-north-4.myhuaweicloud.com") };
    let e = list(&client(&fake, true)).await.unwrap_err();
    assert!(matches!(e, Error::Connect(_)), "{e:?}");
    assert_eq!(fake.requests("ListGroupWebhooks"), before + 1);

    // An explicit proxy wins over the environment.
    let explicit = Client::builder()
        .credentials(Credentials::token(fake.token()))
        .repo_endpoint(OFFICIAL)
        .proxy(fake.endpoint())
        .build()
        .unwrap();
    assert_eq!(list(&explicit).await.unwrap(), 0);
    assert_eq!(fake.requests("ListGroupWebhooks"), before + 2);
}
