//! Every error keeps the HTTP status and the request id, whatever the server sends; transport
//! failures are told apart; nothing panics.

mod common;

use std::time::Duration;

use codearts_webhooks::{
    Error, ServiceError,
    fake::{FakeCodeArts, Fault},
};
use common::{MODES, Mode, PROJECT, client};
use reqwest::StatusCode;
use serde_json::json;

async fn show_with(fake: &FakeCodeArts, fault: Fault) -> Error {
    fake.inject("ShowProjectWebhook", [fault]);
    let c = client(fake, Mode::Token);
    let e = c
        .repo()
        .show_project_webhook()
        .project_id(PROJECT)
        .hook_id(1)
        .send()
        .await
        .unwrap_err();
    Error::from(e)
}

fn service(e: &Error) -> &ServiceError {
    e.service_error()
        .unwrap_or_else(|| panic!("expected a service error, got {e:?}"))
}

#[tokio::test]
async fn each_documented_error_body_shape() {
    let fake = FakeCodeArts::start().await.unwrap();
    let cases = [
        (
            json!({"error_code": "CH.00000001", "error_msg": "token invalid"}),
            401,
            "CH.00000001",
            "token invalid",
        ),
        (
            json!({"errorCode": "DEV.00000002", "errorMsg": "camel"}),
            400,
            "DEV.00000002",
            "camel",
        ),
        (
            json!({"code": "CH.010117", "message": "repo not found"}),
            404,
            "CH.010117",
            "repo not found",
        ),
        (
            json!({"error": {"code": "X.1", "message": "nested"}, "status": "failed"}),
            403,
            "X.1",
            "nested",
        ),
        (json!({"error_code": 42, "error_msg": null}), 409, "42", ""),
    ];
    for (body, status, code, msg) in cases {
        let e = show_with(&fake, Fault::json(status, body.clone())).await;
        let s = service(&e);
        assert_eq!(
            (
                s.status.as_u16(),
                s.error_code.as_str(),
                s.error_msg.as_str()
            ),
            (status, code, msg),
            "{body}"
        );
        assert!(
            s.request_id
                .as_deref()
                .is_some_and(|id| id.starts_with("fake-")),
            "{e:?}"
        );
        assert_eq!(e.status(), Some(StatusCode::from_u16(status).unwrap()));
        assert!(!e.is_retryable());
    }
}

#[tokio::test]
async fn non_json_html_and_empty_bodies_keep_status_and_an_excerpt() {
    let fake = FakeCodeArts::start().await.unwrap();
    let huge_html = format!("<html>{}</html>", "oops ".repeat(2000));
    for (fault, status, msg_start, retryable) in [
        (
            Fault::status(500).body("<html>oops</html>"),
            500,
            "<html>oops</html>",
            true,
        ),
        (
            Fault::status(502)
                .header("content-type", "text/html")
                .body(huge_html),
            502,
            "<html>oops oops",
            true,
        ),
        (Fault::status(429), 429, "", true),
        (
            Fault::status(400).body("not json {"),
            400,
            "not json {",
            false,
        ),
        (
            Fault::json(404, json!({"unrelated": 1})),
            404,
            "{\"unrelated\":1}",
            false,
        ),
    ] {
        // Retryable statuses are retried (3 attempts): script an answer for every attempt.
        let extra = if retryable { 2 } else { 0 };
        fake.inject(
            "ShowProjectWebhook",
            std::iter::repeat_n(fault.clone(), extra),
        );
        let e = show_with(&fake, fault).await;
        let s = service(&e);
        assert_eq!(s.status.as_u16(), status);
        assert_eq!(s.error_code, status.to_string());
        assert!(s.error_msg.starts_with(msg_start), "{:?}", s.error_msg);
        assert!(
            s.error_msg.chars().count() <= 513,
            "the excerpt is bounded: {}",
            s.error_msg.len()
        );
        assert!(s.request_id.is_some());
        assert_eq!(e.is_retryable(), retryable);
        let line = e.to_string();
        assert!(!line.contains('\n') || msg_start.contains('\n'), "{line}");
    }
}

#[tokio::test]
async fn undeclared_statuses_are_service_errors_too() {
    let fake = FakeCodeArts::start().await.unwrap();
    let e = show_with(
        &fake,
        Fault::json(418, json!({"error_code": "TEA", "error_msg": "teapot"})),
    )
    .await;
    assert_eq!(
        (service(&e).status.as_u16(), service(&e).error_code.as_str()),
        (418, "TEA")
    );
    let e = show_with(
        &fake,
        Fault::status(302).header("location", "https://elsewhere.example/"),
    )
    .await;
    assert_eq!(service(&e).status.as_u16(), 302);
    assert_eq!(service(&e).error_code, "302");
    assert!(service(&e).request_id.is_some());
}

#[tokio::test]
async fn bad_success_bodies_are_decode_errors_with_status_and_request_id() {
    let fake = FakeCodeArts::start().await.unwrap();
    let json_ct = ("content-type", "application/json");
    let cases: Vec<(Fault, &str)> = vec![
        (
            Fault::status(200)
                .header(json_ct.0, json_ct.1)
                .body(r#"{"id": 1, "url": "ht"#),
            "EOF",
        ),
        (
            Fault::status(200)
                .header(json_ct.0, json_ct.1)
                .body("<html>hi</html>"),
            "expected value",
        ),
        (Fault::status(200).header(json_ct.0, json_ct.1), "empty"),
        (
            Fault::status(200)
                .header("content-type", "text/html")
                .body("{}"),
            "not JSON",
        ),
        (
            Fault::status(200)
                .header(json_ct.0, json_ct.1)
                .body(r#"{"id": "seven"}"#),
            "invalid type",
        ),
        (
            Fault::status(200)
                .header(json_ct.0, json_ct.1)
                .body(vec![b' '; 5 * 1024 * 1024]),
            "larger than",
        ),
    ];
    for (fault, reason) in cases {
        let e = show_with(&fake, fault).await;
        match &e {
            Error::Decode {
                status,
                request_id,
                reason: r,
                ..
            } => {
                assert_eq!(*status, Some(StatusCode::OK));
                assert!(
                    request_id
                        .as_deref()
                        .is_some_and(|id| id.starts_with("fake-"))
                );
                assert!(r.contains(reason), "{r:?} should mention {reason:?}");
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
        assert!(!e.is_retryable());
    }
    // A 204 where a body was expected: the operation does not declare it.
    let e = show_with(&fake, Fault::status(204)).await;
    assert!(
        matches!(
            e,
            Error::Decode {
                status: Some(StatusCode::NO_CONTENT),
                ..
            }
        ),
        "{e:?}"
    );
}

/// The error of one `ShowRepositoryWebhook` at `endpoint`, tried once.
async fn show_once_at(endpoint: String) -> Error {
    let c = codearts_webhooks::Client::builder()
        .credentials(codearts_webhooks::Credentials::token("t"))
        .repo_endpoint(endpoint)
        .retry(codearts_webhooks::RetryPolicy::none())
        .build()
        .unwrap();
    let e = c
        .repo()
        .show_repository_webhook()
        .repository_id(1)
        .hook_id(1)
        .send()
        .await
        .unwrap_err();
    Error::from(e)
}

#[tokio::test]
async fn a_connection_refused_is_a_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = show_once_at(format!("http://127.0.0.1:{port}")).await;
    assert!(matches!(e, Error::Connect(_)), "{e:?}");
    assert!(e.is_retryable());
    assert!(std::error::Error::source(&e).is_some(), "the cause is kept");
    assert!(e.to_string().starts_with("could not connect"), "{e}");
}

/// An `https://` endpoint that answers in plain HTTP: the handshake fails, and the error says
/// so (rustls's error is wrapped in an `io::Error`, whose `source()` skips it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_tls_handshake_is_a_tls_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut hello = [0u8; 512];
        let n = socket.read(&mut hello).await.unwrap();
        // A TLS record of a handshake: what the client sent first.
        assert!(n > 0 && hello[0] == 0x16, "{:?}", &hello[..n]);
        let answer = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        socket.write_all(answer).await.unwrap();
    });
    let e = show_once_at(format!("https://127.0.0.1:{port}")).await;
    server.await.unwrap();
    assert!(matches!(e, Error::Tls(_)), "{e:?}");
    assert!(!e.is_retryable(), "a handshake fails the same way again");
    assert_eq!(e.status(), None);
    assert!(e.to_string().starts_with("TLS handshake failed"), "{e}");
    assert!(e.to_string().contains("InvalidContentType"), "{e}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let fake = FakeCodeArts::start().await.unwrap();
    fake.inject("ShowProjectWebhook", [Fault::hang()]);
    let c = fake
        .client_builder()
        .credentials(codearts_webhooks::Credentials::token(fake.token()))
        .timeout(Duration::from_millis(300))
        .retry(codearts_webhooks::RetryPolicy::none())
        .build()
        .unwrap();
    let e = Error::from(
        c.repo()
            .show_project_webhook()
            .project_id(PROJECT)
            .hook_id(1)
            .send()
            .await
            .unwrap_err(),
    );
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    assert_eq!(e.to_string(), "the request timed out");
}

#[tokio::test]
async fn dropped_connections_are_transport_errors_and_the_client_stays_usable() {
    let fake = FakeCodeArts::start().await.unwrap();
    for mode in MODES {
        let c = client(&fake, mode);
        for fault in [
            Fault::drop_connection(),
            Fault::drop_mid_body(200, r#"{"id": 1, "url": "https://x"}"#),
        ] {
            // POST is not resent: one scripted failure is what the caller sees.
            fake.inject("AddProjectWebhook", [fault]);
            let e = c
                .repo()
                .add_project_webhook()
                .project_id(PROJECT)
                .body(codearts_webhooks::repo::types::WebhookParamsDto {
                    url: Some("https://x".into()),
                    name: Some("n".into()),
                    ..Default::default()
                })
                .send()
                .await
                .unwrap_err();
            let e = Error::from(e);
            assert!(matches!(e, Error::Transport { .. }), "{mode:?}: {e:?}");
            assert!(e.is_retryable());
            let ok = c
                .repo()
                .list_project_webhooks()
                .project_id(PROJECT)
                .send()
                .await;
            assert!(ok.is_ok(), "{mode:?}: the next call works: {ok:?}");
        }
    }
}

#[tokio::test]
async fn a_large_body_read_in_many_chunks_decodes_whole() {
    let fake = FakeCodeArts::start().await.unwrap();
    let hooks: Vec<serde_json::Value> = (1..=3000)
        .map(|i| json!({"id": i, "url": format!("https://ci.example.com/{i}"), "name": "x".repeat(200)}))
        .collect();
    fake.inject(
        "ListRepositoryWebhooks",
        [Fault::json(200, json!(hooks)).header("x-total", "3000")],
    );
    let c = client(&fake, Mode::Token);
    let page = c
        .repo()
        .list_repository_webhooks()
        .repository_id(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.len(), 3000);
    assert_eq!(page[2999].id, Some(3000));
}

/// An error answer larger than `max_response_bytes` is not read whole, and the error says so
/// instead of showing an empty message; status and request id are kept.
#[tokio::test]
async fn an_error_body_over_the_limit_says_so() {
    let fake = FakeCodeArts::start().await.unwrap();
    let c = fake
        .client_builder()
        .credentials(codearts_webhooks::Credentials::token(fake.token()))
        .max_response_bytes(1024)
        .retry(codearts_webhooks::RetryPolicy::none())
        .build()
        .unwrap();
    let big = json!({"error_code": "CH.500", "error_msg": "x".repeat(5 * 1024)});
    fake.inject("ShowProjectWebhook", [Fault::json(500, big)]);
    let e = Error::from(
        c.repo()
            .show_project_webhook()
            .project_id(PROJECT)
            .hook_id(1)
            .send()
            .await
            .unwrap_err(),
    );
    let s = service(&e);
    assert_eq!(s.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(s.error_code, "500");
    assert_eq!(
        s.error_msg,
        "the error body is larger than the 1024-byte limit"
    );
    assert!(s.request_id.as_deref().unwrap().starts_with("fake-"));
}
