//! The skew is named once per client in a `tracing` warning, with a hint to fix the clock.
//! Its own test binary: it installs the process-wide subscriber.

mod common;

use std::time::{Duration, SystemTime};

use codearts_webhooks::{Credentials, RetryPolicy, clock::Clock, fake::FakeCodeArts};
use common::Capture;

#[derive(Debug)]
struct Slow;

impl Clock for Slow {
    fn now(&self) -> SystemTime {
        SystemTime::now() - Duration::from_secs(20 * 60)
    }
}

#[tokio::test]
async fn the_skew_is_named_once() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let fake = FakeCodeArts::start().await.unwrap();
    let (ak, sk) = fake.key();
    let c = fake
        .client_builder()
        .credentials(Credentials::aksk(ak, sk))
        .clock(Slow)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let list = || c.repo().list_repository_webhooks().repository_id(1).send();
    list().await.unwrap();
    // The gateway's clock moves: learned again, but not named again.
    fake.set_clock_offset(-40 * 60);
    list().await.unwrap();
    assert_eq!(fake.requests("ListRepositoryWebhooks"), 4);
    let logs = capture.text();
    let warnings: Vec<&str> = logs.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{logs}");
    // The gateway's time has a resolution of one second.
    let named = |s: i64| {
        warnings[0].contains(&format!("skew_seconds={s}"))
            && warnings[0].contains(&format!(
                "the local clock is {s} s behind the API gateway's"
            ))
    };
    assert!((1199..=1201).any(named), "{logs}");
    assert!(warnings[0].contains("Fix the host's clock"), "{logs}");
}
