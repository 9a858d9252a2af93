//! What is retried, how often, how long the client waits, and that every attempt is signed anew.

mod common;

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant, SystemTime},
};

use codearts_webhooks::{
    Client, Credentials, Error, RetryPolicy,
    clock::Clock,
    fake::{FakeCodeArts, Fault},
    repo::types::WebhookParamsDto,
};
use common::{MODES, PROJECT, client};

fn params() -> WebhookParamsDto {
    WebhookParamsDto {
        url: Some("https://ci.example.com/hook".into()),
        name: Some("ci".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn idempotent_calls_retry_up_to_three_attempts() {
    let fake = FakeCodeArts::start().await.unwrap();
    for mode in MODES {
        let c = client(&fake, mode);
        let hook = c
            .repo()
            .add_project_webhook()
            .project_id(PROJECT)
            .body(params())
            .send()
            .await
            .unwrap();
        let id = hook.id.unwrap();
        let before = |op: &str| fake.requests(op);

        // Two failures, then the fake answers: the caller sees success.
        let html = Fault::status(502)
            .header("content-type", "text/html")
            .body("<html>bad gateway</html>");
        fake.inject("ShowProjectWebhook", [Fault::status(503), html]);
        let n = before("ShowProjectWebhook");
        c.repo()
            .show_project_webhook()
            .project_id(PROJECT)
            .hook_id(id)
            .send()
            .await
            .unwrap();
        assert_eq!(fake.requests("ShowProjectWebhook") - n, 3, "{mode:?}");

        fake.inject(
            "UpdateProjectWebhook",
            [Fault::status(500), Fault::status(504)],
        );
        let n = before("UpdateProjectWebhook");
        c.repo()
            .update_project_webhook()
            .project_id(PROJECT)
            .hook_id(id)
            .body(params())
            .send()
            .await
            .unwrap();
        assert_eq!(fake.requests("UpdateProjectWebhook") - n, 3, "{mode:?}");

        fake.inject("ListProjectWebhooks", [Fault::status(429)]);
        let n = before("ListProjectWebhooks");
        c.repo()
            .list_project_webhooks()
            .project_id(PROJECT)
            .send()
            .await
            .unwrap();
        assert_eq!(fake.requests("ListProjectWebhooks") - n, 2, "{mode:?}");

        // Three failures: the third is returned, with its status and request id.
        fake.inject(
            "RemoveProjectWebhook",
            std::iter::repeat_n(Fault::status(503), 3),
        );
        let n = before("RemoveProjectWebhook");
        let e = c
            .repo()
            .remove_project_webhook()
            .project_id(PROJECT)
            .hook_id(id)
            .send()
            .await
            .unwrap_err();
        let e = Error::from(e);
        assert_eq!(e.status().map(|s| s.as_u16()), Some(503), "{mode:?}");
        assert!(e.request_id().is_some() && e.is_retryable());
        assert_eq!(fake.requests("RemoveProjectWebhook") - n, 3, "{mode:?}");
        // The client is still usable.
        c.repo()
            .remove_project_webhook()
            .project_id(PROJECT)
            .hook_id(id)
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_post_is_sent_once_unless_the_caller_opts_in() {
    let fake = FakeCodeArts::start().await.unwrap();
    for status in [429, 500, 502, 503, 504] {
        fake.inject("AddRepositoryWebhook", [Fault::status(status)]);
        let n = fake.requests("AddRepositoryWebhook");
        let e = client(&fake, common::Mode::AkSk)
            .repo()
            .add_repository_webhook()
            .repository_id(9)
            .body(params())
            .send()
            .await
            .unwrap_err();
        assert_eq!(Error::from(e).status().map(|s| s.as_u16()), Some(status));
        assert_eq!(
            fake.requests("AddRepositoryWebhook") - n,
            1,
            "POST after {status} was resent"
        );
    }
    let opted_in = fake
        .client_builder()
        .credentials(Credentials::token(fake.token()))
        .retry(
            RetryPolicy::default()
                .retry_post(true)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    fake.inject("AddRepositoryWebhook", [Fault::status(503)]);
    let n = fake.requests("AddRepositoryWebhook");
    opted_in
        .repo()
        .add_repository_webhook()
        .repository_id(9)
        .body(params())
        .send()
        .await
        .unwrap();
    assert_eq!(fake.requests("AddRepositoryWebhook") - n, 2);
}

#[tokio::test]
async fn retry_after_is_honoured_and_capped() {
    let fake = FakeCodeArts::start().await.unwrap();
    let c = client(&fake, common::Mode::Token);
    fake.inject(
        "ListGroupWebhooks",
        [Fault::status(429).header("Retry-After", "1")],
    );
    let start = Instant::now();
    c.repo()
        .list_group_webhooks()
        .group_id(3)
        .send()
        .await
        .unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        start.elapsed()
    );

    // Asking for longer than the policy allows: the 429 is returned at once.
    fake.inject(
        "ListGroupWebhooks",
        [Fault::status(429).header("Retry-After", "3600")],
    );
    let n = fake.requests("ListGroupWebhooks");
    let e = c
        .repo()
        .list_group_webhooks()
        .group_id(3)
        .send()
        .await
        .unwrap_err();
    assert_eq!(Error::from(e).status().map(|s| s.as_u16()), Some(429));
    assert_eq!(fake.requests("ListGroupWebhooks") - n, 1);
}

#[tokio::test]
async fn backoff_is_waited_between_attempts() {
    let fake = FakeCodeArts::start().await.unwrap();
    let c = fake
        .client_builder()
        .credentials(Credentials::token(fake.token()))
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(200)))
        .build()
        .unwrap();
    fake.inject(
        "ListGroupWebhooks",
        [Fault::status(503), Fault::status(503)],
    );
    let start = Instant::now();
    c.repo()
        .list_group_webhooks()
        .group_id(3)
        .send()
        .await
        .unwrap();
    // Equal jitter: at least half of 200 ms, then half of 400 ms.
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "waited {:?}",
        start.elapsed()
    );
}

/// Each reading is two seconds after the previous one.
#[derive(Debug)]
struct SteppingClock {
    start: SystemTime,
    calls: AtomicU64,
}

impl Clock for SteppingClock {
    fn now(&self) -> SystemTime {
        self.start + Duration::from_secs(2 * self.calls.fetch_add(1, Ordering::SeqCst))
    }
}

#[tokio::test]
async fn every_attempt_is_signed_afresh_and_accepted() {
    let fake = FakeCodeArts::start().await.unwrap();
    let (ak, sk) = fake.key();
    let c: Client = fake
        .client_builder()
        .credentials(
            Credentials::aksk(ak, sk)
                .with_security_token("temp-token")
                .with_project_id("p1"),
        )
        .clock(SteppingClock {
            start: SystemTime::now(),
            calls: AtomicU64::new(0),
        })
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    fake.inject(
        "ShowNotificationSubscriptionsStatus",
        [Fault::status(503), Fault::status(502)],
    );
    c.repo()
        .show_notification_subscriptions_status()
        .repository_id(4)
        .send()
        .await
        .unwrap();
    let attempts: Vec<_> = fake
        .received()
        .into_iter()
        .filter(|r| r.operation == "ShowNotificationSubscriptionsStatus")
        .collect();
    assert_eq!(attempts.len(), 3);
    let header = |r: &codearts_webhooks::fake::Received, name: &str| {
        r.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let dates: Vec<String> = attempts.iter().map(|r| header(r, "x-sdk-date")).collect();
    assert!(dates[0] < dates[1] && dates[1] < dates[2], "{dates:?}");
    let auths: Vec<String> = attempts
        .iter()
        .map(|r| header(r, "authorization"))
        .collect();
    assert!(auths[0] != auths[1] && auths[1] != auths[2]);
    assert!(auths[2].contains(
        "SignedHeaders=accept;host;user-agent;x-project-id;x-sdk-date;x-security-token,"
    ));
}

/// A call has a total time budget: no retry starts past it, and an attempt's timeout is cut to
/// what is left of it.
#[tokio::test]
async fn a_call_keeps_to_its_time_budget() {
    let fake = FakeCodeArts::start().await.unwrap();
    let budget = Duration::from_millis(600);
    let c = fake
        .client_builder()
        .credentials(codearts_webhooks::Credentials::token(fake.token()))
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_elapsed(budget),
        )
        .build()
        .unwrap();
    let failed_list = || async {
        Error::from(
            c.repo()
                .list_group_webhooks()
                .group_id(3)
                .send()
                .await
                .unwrap_err(),
        )
    };
    // A wait of 1 s would pass the budget: the 429 is returned after one attempt.
    fake.inject(
        "ListGroupWebhooks",
        [Fault::status(429).header("Retry-After", "1")],
    );
    let (n, start) = (fake.requests("ListGroupWebhooks"), Instant::now());
    let e = failed_list().await;
    assert_eq!(e.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(fake.requests("ListGroupWebhooks") - n, 1);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );

    // A server that never answers: the attempt ends with the budget, not the 60 s timeout.
    fake.inject("ListGroupWebhooks", [Fault::hang(), Fault::hang()]);
    let start = Instant::now();
    let e = failed_list().await;
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    let took = start.elapsed();
    assert!(
        took >= budget && took < budget + Duration::from_millis(500),
        "{took:?}"
    );
}

/// `Retry-After` as an HTTP date is measured against the client's clock, like its signatures.
#[tokio::test]
async fn retry_after_as_a_date_is_measured_with_the_clients_clock() {
    let fake = FakeCodeArts::start().await.unwrap();
    let then = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let c = fake
        .client_builder()
        .credentials(codearts_webhooks::Credentials::token(fake.token()))
        .clock(codearts_webhooks::clock::FixedClock(then))
        .build()
        .unwrap();
    // Two seconds after the client's time, long before the machine's: the client waits 2 s.
    let date = httpdate::fmt_http_date(then + Duration::from_secs(2));
    fake.inject(
        "ListGroupWebhooks",
        [Fault::status(503).header("Retry-After", date)],
    );
    let start = Instant::now();
    c.repo()
        .list_group_webhooks()
        .group_id(3)
        .send()
        .await
        .unwrap();
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(4),
        "{took:?}"
    );
}
