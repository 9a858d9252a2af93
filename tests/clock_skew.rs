//! A client whose clock is 20 minutes slow, 20 minutes fast, or whose offset to the gateway
//! changes between calls: the gateway (the fake, with its own clock) refuses the first signature
//! as expired, the client learns the gateway's time from the answer, signs again and resends
//! once, and later calls are right the first time.

use std::time::{Duration, SystemTime};

use codearts_webhooks::{
    Client, Credentials, Error, RetryPolicy,
    clock::Clock,
    fake::{FakeCodeArts, Fault},
    repo::types::WebhookParamsDto,
};
use serde_json::json;

/// The machine's clock shifted by a fixed number of seconds.
#[derive(Debug)]
struct Shifted(i64);

impl Clock for Shifted {
    fn now(&self) -> SystemTime {
        let by = Duration::from_secs(self.0.unsigned_abs());
        if self.0 >= 0 {
            SystemTime::now() + by
        } else {
            SystemTime::now() - by
        }
    }
}

fn client(fake: &FakeCodeArts, clock_offset: i64, correct: bool) -> Client {
    let (ak, sk) = fake.key();
    fake.client_builder()
        .credentials(Credentials::aksk(ak, sk))
        .clock(Shifted(clock_offset))
        .retry(RetryPolicy::none())
        .correct_clock_skew(correct)
        .build()
        .unwrap()
}

async fn list(c: &Client) -> Result<(), Error> {
    c.repo()
        .list_repository_webhooks()
        .repository_id(1)
        .send()
        .await
        .map(drop)
        .map_err(Error::from)
}

async fn add(c: &Client) -> Result<i32, Error> {
    let hook = c
        .repo()
        .add_repository_webhook()
        .repository_id(1)
        .body(WebhookParamsDto {
            url: Some("https://ci.example.com/hook".into()),
            name: Some("ci".into()),
            ..Default::default()
        })
        .send()
        .await?;
    Ok(hook.id.unwrap())
}

/// Slow and fast clocks: corrected once, then right the first time, for GET and for POST.
#[tokio::test]
async fn a_slow_or_fast_clock_is_corrected_once_and_kept() {
    for offset in [-20 * 60, 20 * 60] {
        let fake = FakeCodeArts::start().await.unwrap();
        let c = client(&fake, offset, true);
        list(&c).await.unwrap();
        assert_eq!(
            fake.requests("ListRepositoryWebhooks"),
            2,
            "{offset}: refused, then resent"
        );
        list(&c).await.unwrap();
        assert_eq!(
            fake.requests("ListRepositoryWebhooks"),
            3,
            "{offset}: right the first time"
        );
        // The correction is the client's, for both services and every method.
        add(&c).await.unwrap();
        assert_eq!(fake.requests("AddRepositoryWebhook"), 1);
        assert_eq!(fake.webhook_ids().len(), 1);

        // A fresh client: its first call is a POST, refused as expired and resent once; one
        // webhook is created, not two.
        let fresh = client(&fake, offset, true);
        add(&fresh).await.unwrap();
        assert_eq!(fake.requests("AddRepositoryWebhook"), 3);
        assert_eq!(fake.webhook_ids().len(), 2);
    }
}

/// The gateway's time moves between calls (the client's clock jumps): each change is learned
/// from the next refusal, or from the `Date` of later answers.
#[tokio::test]
async fn a_changing_offset_is_followed() {
    let fake = FakeCodeArts::start().await.unwrap();
    let c = client(&fake, 0, true);
    fake.set_clock_offset(30 * 60);
    list(&c).await.unwrap();
    assert_eq!(fake.requests("ListRepositoryWebhooks"), 2);
    // 10 minutes more: within the gateway's 15, so accepted, and the Date of the answer moves
    // the correction along.
    fake.set_clock_offset(40 * 60);
    list(&c).await.unwrap();
    assert_eq!(fake.requests("ListRepositoryWebhooks"), 3);
    // Now 14 minutes further: had the Date not been followed, this would be 24 minutes off.
    fake.set_clock_offset(54 * 60);
    list(&c).await.unwrap();
    assert_eq!(fake.requests("ListRepositoryWebhooks"), 4);
    // And back behind: refused once, learned again.
    fake.set_clock_offset(-25 * 60);
    list(&c).await.unwrap();
    assert_eq!(fake.requests("ListRepositoryWebhooks"), 6);
}

#[tokio::test]
async fn turned_off_the_refusal_is_the_error() {
    let fake = FakeCodeArts::start().await.unwrap();
    let c = client(&fake, -20 * 60, false);
    let e = list(&c).await.unwrap_err();
    let s = e.service_error().unwrap();
    assert_eq!(
        (s.status.as_u16(), s.error_code.as_str()),
        (401, "APIGW.0301")
    );
    assert!(s.error_msg.contains("signature expired"), "{e}");
    assert_eq!(fake.requests("ListRepositoryWebhooks"), 1);
}

/// A second expiry after the correction is returned, not chased.
#[tokio::test]
async fn a_second_expiry_is_returned() {
    let fake = FakeCodeArts::start().await.unwrap();
    let c = client(&fake, 0, true);
    let refusal = |server: &str| {
        Fault::json(
            401,
            json!({
                "error_code": "APIGW.0301",
                "error_msg": format!("Incorrect IAM authentication information: calc aksk signature fail:signature expired, signature time:20261124T000000Z,server time:{server}"),
                "request_id": "r",
            }),
        )
    };
    fake.inject(
        "ListRepositoryWebhooks",
        [refusal("20261124T003000Z"), refusal("20261124T010000Z")],
    );
    let e = list(&c).await.unwrap_err();
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401));
    assert!(
        e.to_string().contains("server time:20261124T010000Z"),
        "{e}"
    );
    assert_eq!(fake.requests("ListRepositoryWebhooks"), 2);
}

/// Token mode signs nothing: an expiry-shaped 401 is returned as it is.
#[tokio::test]
async fn token_mode_is_left_alone() {
    let fake = FakeCodeArts::start().await.unwrap();
    let c = fake
        .client_builder()
        .credentials(Credentials::token(fake.token()))
        .build()
        .unwrap();
    fake.inject(
        "ListRepositoryWebhooks",
        [Fault::json(401, json!({"error_code": "APIGW.0301", "error_msg": "signature expired, server time:20261124T003000Z"}))],
    );
    assert_eq!(
        list(&c).await.unwrap_err().status().map(|s| s.as_u16()),
        Some(401)
    );
    assert_eq!(fake.requests("ListRepositoryWebhooks"), 1);
}
