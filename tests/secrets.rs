//! A whole session, in both credential modes, through success, service errors, retries and
//! transport failures, with every log captured at TRACE and every error formatted three ways:
//! no secret key, token or security token appears anywhere.

mod common;

use std::time::Duration;

use codearts_webhooks::{
    Client, Credentials, Error, RetryPolicy,
    fake::{FakeCodeArts, Fault},
    notification::ChatWebhook,
    repo::types::{NotificationType, UpdateRepoNotificationSubscriptionDto, WebhookParamsDto},
};
use common::Capture;
use tracing_subscriber::fmt::format::FmtSpan;

const SK: &str = "sk-3f9a1c-very-secret";
const TOKEN: &str = "iam-token-5e2b7d-very-secret";
const SECURITY_TOKEN: &str = "security-token-a81c0f-very-secret";
const WRONG_TOKEN: &str = "wrong-token-0c4d-very-secret";
const HOOK_TOKEN: &str = "hook-token-99ae-very-secret";
const CHAT_TOKEN: &str = "chat-token-71bb-very-secret";

async fn session(client: &Client, fake: &FakeCodeArts, seen: &mut Vec<String>) {
    let r = client.repo();
    let hook = r
        .add_repository_webhook()
        .repository_id(1)
        .body(WebhookParamsDto {
            url: Some("https://ci.example.com/hook".into()),
            name: Some("ci".into()),
            token: Some(HOOK_TOKEN.into()),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    seen.push(format!("{hook:?}"));
    let chat = ChatWebhook::new("https://chat.example.com/hook").token(CHAT_TOKEN);
    seen.push(format!("{chat:?}"));
    let sub = r
        .update_notification_subscription()
        .repository_id(1)
        .type_(NotificationType::Feishu)
        .body(UpdateRepoNotificationSubscriptionDto {
            webhook_config: Some(chat.encode().unwrap()),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    seen.push(format!("{sub:?}"));
    fake.inject(
        "ShowRepositoryWebhook",
        [
            Fault::status(503),
            Fault::status(502).body("<html>x</html>"),
        ],
    );
    r.show_repository_webhook()
        .repository_id(1)
        .hook_id(hook.id.unwrap())
        .send()
        .await
        .unwrap();
    let errors: Vec<Error> = vec![
        r.show_repository_webhook()
            .repository_id(1)
            .hook_id(99_999)
            .send()
            .await
            .unwrap_err()
            .into(),
        {
            fake.inject(
                "ListRepositoryWebhooks",
                std::iter::repeat_n(Fault::drop_connection(), 3),
            );
            r.list_repository_webhooks()
                .repository_id(1)
                .send()
                .await
                .unwrap_err()
                .into()
        },
        r.list_repository_webhooks()
            .repository_id(1)
            .limit(500)
            .send()
            .await
            .unwrap_err()
            .into(),
    ];
    for e in &errors {
        seen.push(format!("{e}"));
        seen.push(format!("{e:?}"));
        seen.push(format!("{e:#?}"));
    }
}

#[tokio::test]
async fn no_secret_in_logs_debug_or_errors() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let fake = FakeCodeArts::builder()
        .tokens([TOKEN])
        .key("AKSESSION", SK)
        .start()
        .await
        .unwrap();
    let retry = RetryPolicy::default().initial_backoff(Duration::from_millis(1));
    let mut seen = Vec::new();
    // Every source: code, a profile file, the instance metadata (whose keys the fake makes up:
    // `fake-temporary-secret-N`, `fake-security-token-N`).
    let home = tempfile::tempdir().unwrap();
    let profile = home.path().join("credentials");
    std::fs::write(
        &profile,
        format!("[basic]\nak = AKSESSION\nsk = {SK}\nsecurity_token = {SECURITY_TOKEN}\n"),
    )
    .unwrap();
    let credentials = [
        Credentials::token(TOKEN),
        Credentials::aksk("AKSESSION", SK).with_security_token(SECURITY_TOKEN),
        Credentials::from_profile_file(&profile).unwrap(),
        Credentials::from_instance_metadata_at(&fake.endpoint()).unwrap(),
    ];
    for credentials in credentials {
        seen.push(format!("{credentials:?} {credentials:#?}"));
        let client = fake
            .client_builder()
            .credentials(credentials.clone())
            .region("cn-north-4")
            .retry(retry.clone())
            .build()
            .unwrap();
        seen.push(format!("{client:?} {client:#?}"));
        session(&client, &fake, &mut seen).await;
        seen.push(format!("{credentials:?} {credentials:#?}"));
    }
    // A wrong token: the 401 error must not echo it either.
    let wrong = fake
        .client_builder()
        .credentials(Credentials::token(WRONG_TOKEN))
        .build()
        .unwrap();
    let e = Error::from(
        wrong
            .repo()
            .list_group_webhooks()
            .group_id(1)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401));
    seen.push(format!("{e} {e:?} {e:#?}"));

    let logs = capture.text();
    assert!(
        logs.contains("codearts_request"),
        "the request spans were captured"
    );
    assert!(
        logs.contains("operation=\"show_repository_webhook\""),
        "{logs}"
    );
    assert!(
        logs.contains("attempt=3")
            && logs.contains("status=200")
            && logs.contains("request_id=\"fake-"),
        "{logs}"
    );
    assert!(logs.contains("duration_ms="), "{logs}");
    let everything = format!("{logs}\n{}", seen.join("\n"));
    assert!(
        logs.contains("fetched temporary credentials from instance metadata")
            && logs.contains("looking up the project id"),
        "{logs}"
    );
    for secret in [
        "fake-temporary-secret",
        "fake-security-token",
        "fake-metadata-session",
        SK,
        TOKEN,
        SECURITY_TOKEN,
        WRONG_TOKEN,
        HOOK_TOKEN,
        CHAT_TOKEN,
    ] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked:\n{everything}"
        );
    }
}

/// A proxy or endpoint URL with `user:password@` is never shown whole: not in configuration
/// errors, not in the builder's `Debug`.
#[test]
fn credentials_in_proxy_and_endpoint_urls_are_not_echoed() {
    const PASSWORD: &str = "pr0xy-pa55-very-secret";
    let builder = Client::builder()
        .credentials(Credentials::token("t"))
        .repo_endpoint(format!("https://user:{PASSWORD}@repo.example.com"))
        .check_endpoint("https://check.example.com")
        .proxy(format!("http://user:{PASSWORD}@proxy example:3128"));
    let shown = format!("{builder:?}");
    assert!(shown.contains("***@repo.example.com"), "{shown}");
    let mut seen = vec![shown];
    for result in [
        builder
            .clone()
            .repo_endpoint("https://repo.example.com")
            .build(),
        builder.clone().proxy("http://proxy.example:3128").build(),
        Client::builder()
            .credentials(Credentials::token("t"))
            .repo_endpoint(format!("ftp://user:{PASSWORD}@repo.example.com/x"))
            .build(),
    ] {
        let e = result.unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e:?}");
        seen.push(format!("{e} {e:?}"));
    }
    assert!(
        seen[1].contains("the proxy \"http://***@proxy example:3128\""),
        "{}",
        seen[1]
    );
    assert!(
        seen[2].contains("must not carry a user name or password"),
        "{}",
        seen[2]
    );
    assert!(
        seen[3].contains("must be an http:// or https:// URL"),
        "{}",
        seen[3]
    );
    for s in &seen {
        assert!(!s.contains(PASSWORD), "the password leaked: {s}");
    }
}
