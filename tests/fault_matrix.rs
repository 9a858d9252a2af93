//! The fault matrix (see RELIABILITY.md): each row against each kind of operation it applies
//! to, over loopback TCP against the fake's fault injection. After every row the same client
//! must still work.

mod common;

use std::time::{Duration, Instant};

use codearts_webhooks::{
    Client, Credentials, Error, RetryPolicy,
    fake::{FakeCodeArts, Fault},
    repo::types::WebhookParamsDto,
};
use reqwest::StatusCode;
use serde_json::json;

const REPO: i32 = 77;

/// The five kinds of operation, each as its official name.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    List,
    Show,
    Put,
    Post,
    Delete,
}

const KINDS: [Kind; 5] = [Kind::List, Kind::Show, Kind::Put, Kind::Post, Kind::Delete];

impl Kind {
    fn operation(self) -> &'static str {
        match self {
            Kind::List => "ListRepositoryWebhooks",
            Kind::Show => "ShowRepositoryWebhook",
            Kind::Put => "UpdateRepositoryWebhook",
            Kind::Post => "AddRepositoryWebhook",
            Kind::Delete => "RemoveRepositoryWebhook",
        }
    }

    fn idempotent(self) -> bool {
        self != Kind::Post
    }

    fn has_success_body(self) -> bool {
        self != Kind::Delete
    }
}

fn params() -> WebhookParamsDto {
    WebhookParamsDto {
        url: Some("https://ci.example.com/hook".into()),
        name: Some("ci".into()),
        ..Default::default()
    }
}

/// Creates a webhook for `kind` to act on.
async fn prepare(c: &Client) -> Result<i32, Error> {
    let created = c
        .repo()
        .add_repository_webhook()
        .repository_id(REPO)
        .body(params())
        .send()
        .await?;
    Ok(created.id.unwrap())
}

/// Sends one call of `kind`; `id` is the webhook that show, update and remove act on.
async fn send(c: &Client, kind: Kind, id: i32) -> Result<(), Error> {
    let r = c.repo();
    match kind {
        Kind::List => r
            .list_repository_webhooks()
            .repository_id(REPO)
            .send()
            .await
            .map(drop)?,
        Kind::Show => r
            .show_repository_webhook()
            .repository_id(REPO)
            .hook_id(id)
            .send()
            .await
            .map(drop)?,
        Kind::Put => r
            .update_repository_webhook()
            .repository_id(REPO)
            .hook_id(id)
            .body(params())
            .send()
            .await
            .map(drop)?,
        Kind::Post => r
            .add_repository_webhook()
            .repository_id(REPO)
            .body(params())
            .send()
            .await
            .map(drop)?,
        Kind::Delete => r
            .remove_repository_webhook()
            .repository_id(REPO)
            .hook_id(id)
            .send()
            .await
            .map(drop)?,
    }
    Ok(())
}

/// Calls `kind` on a webhook that exists (created fresh, so that a successful DELETE works).
async fn call(c: &Client, kind: Kind) -> Result<(), Error> {
    let id = prepare(c).await?;
    send(c, kind, id).await
}

fn client(fake: &FakeCodeArts, retry: RetryPolicy, timeout: Duration) -> Client {
    let (ak, sk) = fake.key();
    fake.client_builder()
        .credentials(Credentials::aksk(ak, sk))
        .retry(retry)
        .timeout(timeout)
        .build()
        .unwrap()
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().initial_backoff(Duration::from_millis(2))
}

/// Runs `kind` with `faults` queued; returns the result, how many requests the server saw, and
/// how long it took. Then checks that the same client still works.
async fn run(
    fake: &FakeCodeArts,
    c: &Client,
    kind: Kind,
    faults: Vec<Fault>,
) -> (Result<(), Error>, usize, Duration) {
    // Prepare first (a PUT/DELETE/show needs a webhook) without faults, then script the call.
    let op = kind.operation();
    let id = prepare(c).await.unwrap();
    fake.inject(op, faults);
    let before = fake.requests(op);
    let start = Instant::now();
    let result = send(c, kind, id).await;
    let elapsed = start.elapsed();
    let sent = fake.requests(op) - before;
    call(c, kind)
        .await
        .unwrap_or_else(|e| panic!("{kind:?}: the client is unusable after the fault: {e}"));
    (result, sent, elapsed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn row_429_with_retry_after_then_success() {
    let rows = rows(fast_retries(), Duration::from_secs(10)).await;
    let rows = rows.into_iter().map(|(kind, fake, c)| async move {
        let (result, sent, elapsed) = run(
            &fake,
            &c,
            kind,
            vec![Fault::status(429).header("Retry-After", "1")],
        )
        .await;
        if kind.idempotent() {
            assert!(result.is_ok(), "{kind:?}: {result:?}");
            assert_eq!(sent, 2, "{kind:?}");
            assert!(
                elapsed >= Duration::from_secs(1),
                "{kind:?} waited only {elapsed:?}"
            );
        } else {
            assert_eq!(
                result.unwrap_err().status(),
                Some(StatusCode::TOO_MANY_REQUESTS)
            );
            assert_eq!(sent, 1, "a POST is sent exactly once");
        }
    });
    futures_util::future::join_all(rows).await;
}

#[tokio::test]
async fn row_5xx_retried_to_the_limit_then_reported() {
    let fake = fake().await;
    let c = client(&fake, fast_retries(), Duration::from_secs(10));
    let html =
        "<html><body><h1>502 Bad Gateway</h1>".to_owned() + &"x".repeat(4000) + "</body></html>";
    for kind in KINDS {
        for (status, body) in [
            (500, String::new()),
            (502, html.clone()),
            (503, String::new()),
            (504, String::new()),
        ] {
            let fault = Fault::status(status)
                .header("content-type", "text/html")
                .body(body.clone());
            let attempts = if kind.idempotent() { 3 } else { 1 };
            let (result, sent, _) = run(&fake, &c, kind, vec![fault; attempts]).await;
            let e = result.unwrap_err();
            let s = e
                .service_error()
                .unwrap_or_else(|| panic!("{kind:?} {status}: {e:?}"));
            assert_eq!(s.status.as_u16(), status);
            assert_eq!(s.error_code, status.to_string());
            assert!(s.request_id.is_some());
            assert!(s.error_msg.chars().count() <= 513, "bounded excerpt");
            if status == 502 {
                assert!(
                    s.error_msg
                        .starts_with("<html><body><h1>502 Bad Gateway</h1>")
                );
            }
            assert_eq!(sent, attempts, "{kind:?} {status}");
        }
    }
}

#[tokio::test]
async fn row_connection_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = Client::builder()
        .credentials(Credentials::token("t"))
        .repo_endpoint(format!("http://127.0.0.1:{port}"))
        .retry(fast_retries())
        .build()
        .unwrap();
    for kind in KINDS {
        let e = call(&c, kind).await.unwrap_err();
        assert!(matches!(e, Error::Connect(_)), "{kind:?}: {e:?}");
        assert!(e.is_retryable());
    }
}

#[tokio::test]
async fn row_connection_closed_before_the_answer() {
    let fake = fake().await;
    let c = client(&fake, fast_retries(), Duration::from_secs(10));
    for kind in KINDS {
        let attempts = if kind.idempotent() { 3 } else { 1 };
        let (result, sent, _) =
            run(&fake, &c, kind, vec![Fault::drop_connection(); attempts]).await;
        let e = result.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Transport {
                    status: None,
                    request_id: None,
                    ..
                }
            ),
            "{kind:?}: {e:?}"
        );
        assert_eq!(sent, attempts, "{kind:?}");
    }
}

const WEBHOOK: &str = r#"{"id": 1, "url": "https://x", "name": "n", "push_events": true}"#;

/// The headers and half the body arrive, then the connection closes: with a `Content-Length`
/// and with the chunked framing. Reading the body is part of the attempt, so the attempt failed:
/// retried for GET, PUT and DELETE, sent once for POST, and the last failure keeps the status
/// and request id of the answer that was cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_body_cut_short_in_both_framings() {
    let fake = fake().await;
    let c = client(&fake, fast_retries(), Duration::from_secs(10));
    type Cut = fn() -> Fault;
    let framings: [(&str, Cut); 2] = [
        ("content-length", || Fault::drop_mid_body(200, WEBHOOK)),
        ("chunked", || Fault::drop_mid_chunked_body(200, WEBHOOK)),
    ];
    for kind in KINDS {
        for (framing, cut) in framings {
            let attempts = if kind.idempotent() { 3 } else { 1 };
            let (result, sent, _) = run(&fake, &c, kind, vec![cut(); attempts]).await;
            let e = result.unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Transport {
                        status: Some(StatusCode::OK),
                        request_id: Some(_),
                        ..
                    }
                ),
                "{kind:?} {framing}: {e:?}"
            );
            assert!(e.is_retryable());
            assert!(e.request_id().unwrap().starts_with("fake-"), "{e}");
            assert!(e.to_string().contains("200 OK"), "{e}");
            assert_eq!(sent, attempts, "{kind:?} {framing}");
            if kind.idempotent() {
                // One cut, then the real answer: the retry succeeds.
                let (result, sent, _) = run(&fake, &c, kind, vec![cut()]).await;
                assert!(result.is_ok(), "{kind:?} {framing}: {result:?}");
                assert_eq!(sent, 2, "{kind:?} {framing}");
            }
        }
    }
}

/// The headers and half the body arrive, then nothing: the attempt's timeout fires while the
/// body is read, which is retried like a timeout before the headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn row_body_that_stalls() {
    let timeout = Duration::from_millis(300);
    let rows = rows(fast_retries(), timeout).await;
    let rows = rows.into_iter().map(|(kind, fake, c)| async move {
        let attempts = if kind.idempotent() { 3 } else { 1 };
        let (result, sent, elapsed) = run(
            &fake,
            &c,
            kind,
            vec![Fault::stall_mid_body(200, WEBHOOK); attempts],
        )
        .await;
        let e = result.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Timeout {
                    status: Some(StatusCode::OK),
                    request_id: Some(_),
                    ..
                }
            ),
            "{kind:?}: {e:?}"
        );
        assert_eq!(sent, attempts, "{kind:?}");
        assert!(
            elapsed >= timeout * attempts as u32,
            "{kind:?}: {elapsed:?}"
        );
    });
    futures_util::future::join_all(rows).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn row_server_that_never_answers() {
    let timeout = Duration::from_millis(400);
    let rows = rows(RetryPolicy::none(), timeout).await;
    let rows = rows.into_iter().map(|(kind, fake, c)| async move {
        let (result, sent, elapsed) = run(&fake, &c, kind, vec![Fault::hang()]).await;
        let e = result.unwrap_err();
        assert!(matches!(e, Error::Timeout { .. }), "{kind:?}: {e:?}");
        assert!(e.to_string().contains("timed out"));
        assert_eq!(sent, 1);
        assert!(
            elapsed >= timeout && elapsed < timeout + Duration::from_millis(600),
            "{kind:?}: {elapsed:?}"
        );
    });
    futures_util::future::join_all(rows).await;
}

#[tokio::test]
async fn row_bad_success_bodies() {
    let fake = fake().await;
    let c = client(&fake, fast_retries(), Duration::from_secs(10));
    let json = |body: &[u8]| {
        Fault::status(200)
            .header("content-type", "application/json")
            .body(body.to_vec())
    };
    let ten_mb = vec![b'['; 10 * 1024 * 1024];
    let rows: Vec<(&str, Fault, &str)> = vec![
        ("truncated", json(br#"{"id": 1, "url": "#), "EOF"),
        (
            "not JSON",
            json(b"<html>maintenance</html>"),
            "expected value",
        ),
        ("empty", json(b""), "is empty"),
        (
            "wrong content type",
            Fault::status(200)
                .header("content-type", "text/plain")
                .body("[]"),
            "is not JSON",
        ),
        ("10 MB", json(&ten_mb), "larger than"),
    ];
    for kind in KINDS.into_iter().filter(|k| k.has_success_body()) {
        for (row, fault, reason) in &rows {
            // A list answers an array: truncate one of those.
            let fault = match (*row, kind) {
                ("truncated", Kind::List) => json(br#"[{"id": 1, "url": "#),
                _ => fault.clone(),
            };
            // 200 is declared by every one of these operations (add and update also declare 201).
            let (result, sent, _) = run(&fake, &c, kind, vec![fault]).await;
            match result.unwrap_err() {
                Error::Decode {
                    status,
                    request_id,
                    reason: r,
                    ..
                } => {
                    assert_eq!(status, Some(StatusCode::OK), "{kind:?} {row}");
                    assert!(request_id.is_some(), "{kind:?} {row}");
                    assert!(r.contains(reason), "{kind:?} {row}: {r}");
                }
                other => panic!("{kind:?} {row}: {other:?}"),
            }
            assert_eq!(sent, 1, "a decode error is not retried");
        }
    }
}

#[tokio::test]
async fn row_error_shapes_undeclared_statuses_and_204() {
    let fake = fake().await;
    let c = client(&fake, fast_retries(), Duration::from_secs(10));
    for kind in KINDS {
        let rows: Vec<(Fault, u16, &str, &str)> = vec![
            (
                Fault::json(
                    403,
                    json!({"error_code": "CH.004403", "error_msg": "denied"}),
                ),
                403,
                "CH.004403",
                "denied",
            ),
            (
                Fault::json(400, json!({"errorCode": "DEV.1", "errorMsg": "camel"})),
                400,
                "DEV.1",
                "camel",
            ),
            (
                Fault::json(404, json!({"code": "CH.010117", "message": "gone"})),
                404,
                "CH.010117",
                "gone",
            ),
            (
                Fault::json(
                    401,
                    json!({"error": {"code": "X.1", "message": "nested"}, "status": "failed"}),
                ),
                401,
                "X.1",
                "nested",
            ),
            (
                Fault::json(418, json!({"error_code": "TEA", "error_msg": "teapot"})),
                418,
                "TEA",
                "teapot",
            ),
            (
                Fault::status(302).header("location", "https://elsewhere.example/"),
                302,
                "302",
                "",
            ),
        ];
        for (fault, status, code, msg) in rows {
            let (result, sent, _) = run(&fake, &c, kind, vec![fault]).await;
            let e = result.unwrap_err();
            let s = e
                .service_error()
                .unwrap_or_else(|| panic!("{kind:?} {status}: {e:?}"));
            assert_eq!(
                (
                    s.status.as_u16(),
                    s.error_code.as_str(),
                    s.error_msg.as_str()
                ),
                (status, code, msg)
            );
            assert!(s.request_id.is_some());
            assert_eq!(sent, 1);
        }
        if kind.has_success_body() {
            let (result, _, _) = run(&fake, &c, kind, vec![Fault::status(204)]).await;
            let e = result.unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Decode {
                        status: Some(StatusCode::NO_CONTENT),
                        request_id: Some(_),
                        ..
                    }
                ),
                "{kind:?}: {e:?}"
            );
        }
    }
}

/// A fake whose repositories take any number of webhooks: every row creates some before and
/// after its fault, in one repository.
/// One fake and one client per kind, for rows that run at the same time (faults are queued per
/// operation). All are made before any row starts: building a client loads the system's root
/// certificates, which holds a runtime worker long enough, in a debug build, to fire another
/// row's short timeout.
async fn rows(retry: RetryPolicy, timeout: Duration) -> Vec<(Kind, FakeCodeArts, Client)> {
    let mut rows = Vec::new();
    for kind in KINDS {
        let fake = fake().await;
        let c = client(&fake, retry.clone(), timeout);
        rows.push((kind, fake, c));
    }
    rows
}

async fn fake() -> FakeCodeArts {
    FakeCodeArts::builder()
        .repository_webhook_cap(usize::MAX)
        .start()
        .await
        .unwrap()
}
