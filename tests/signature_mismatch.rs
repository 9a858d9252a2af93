//! A refused signature explained: a proxy between the client and the gateway (the fake) rewrites
//! one part of each signed request, the gateway answers with the canonical request it computed,
//! and the client's error names the first part that differs, with both values.

use codearts_webhooks::{
    Client, Credentials, Error, RetryPolicy,
    diagnosis::CanonicalPart,
    fake::{FakeCodeArts, Fault},
    repo::types::WebhookParamsDto,
};
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// A TCP proxy to `upstream` that replaces `from` with `to` (same length) in what the client
/// sends; answers pass unchanged.
async fn rewriting_proxy(
    upstream: std::net::SocketAddr,
    from: &'static [u8],
    to: &'static [u8],
) -> String {
    assert_eq!(from.len(), to.len());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect(upstream).await.unwrap();
            let (mut cr, mut cw) = client.into_split();
            let (mut sr, mut sw) = server.into_split();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = cr.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let chunk = &mut buf[..n];
                    if let Some(at) = chunk.windows(from.len()).position(|w| w == from) {
                        chunk[at..at + to.len()].copy_from_slice(to);
                    }
                    if sw.write_all(chunk).await.is_err() {
                        break;
                    }
                }
            });
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut sr, &mut cw).await;
            });
        }
    });
    format!("http://{addr}")
}

async fn client_through(fake: &FakeCodeArts, from: &'static [u8], to: &'static [u8]) -> Client {
    let (ak, sk) = fake.key();
    Client::builder()
        .credentials(Credentials::aksk(ak, sk).with_project_id(PROJECT))
        .repo_endpoint(rewriting_proxy(fake.addr(), from, to).await)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn params() -> WebhookParamsDto {
    WebhookParamsDto {
        url: Some("https://ci.example.com/hook".into()),
        name: Some("ci".into()),
        ..Default::default()
    }
}

/// One call of each kind, so that each part of the canonical request can be rewritten.
async fn call(c: &Client, kind: &str) -> Error {
    let r = c.repo();
    let result = match kind {
        "list" => r
            .list_repository_webhooks()
            .repository_id(1)
            .limit(20)
            .send()
            .await
            .map(drop),
        "show" => r
            .show_repository_webhook()
            .repository_id(1)
            .hook_id(12)
            .send()
            .await
            .map(drop),
        _ => r
            .update_repository_webhook()
            .repository_id(1)
            .hook_id(12)
            .body(params())
            .send()
            .await
            .map(drop),
    };
    Error::from(result.unwrap_err())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_rewritten_part_is_named() {
    let fake = FakeCodeArts::start().await.unwrap();
    let sk = fake.key().1.to_owned();
    /// Call kind, bytes rewritten, what they become, the part named, signed and gateway values.
    type Case = (
        &'static str,
        &'static [u8],
        &'static [u8],
        CanonicalPart,
        &'static str,
        &'static str,
    );
    let cases: [Case; 5] = [
        (
            "show",
            b"GET /v4",
            b"PUT /v4",
            CanonicalPart::Method,
            "GET",
            "PUT",
        ),
        (
            "show",
            b"/hooks/12 ",
            b"/hooks/13 ",
            CanonicalPart::Uri,
            "/v4/repositories/1/hooks/12/",
            "/v4/repositories/1/hooks/13/",
        ),
        (
            "list",
            b"limit=20",
            b"limit=30",
            CanonicalPart::Query,
            "limit=20",
            "limit=30",
        ),
        (
            "show",
            b"x-project-id: 0123",
            b"x-project-id: f123",
            CanonicalPart::Header("x-project-id".into()),
            PROJECT,
            "f123456789abcdef0123456789abcdef",
        ),
        (
            "update",
            br#""name":"ci""#,
            br#""name":"cj""#,
            CanonicalPart::PayloadHash,
            "",
            "",
        ),
    ];
    for (kind, from, to, part, signed, gateway) in cases {
        let c = client_through(&fake, from, to).await;
        let e = call(&c, kind).await;
        let s = e
            .service_error()
            .unwrap_or_else(|| panic!("{part:?}: {e:?}"));
        assert_eq!(
            (s.status.as_u16(), s.error_code.as_str()),
            (401, "APIGW.0301")
        );
        let d = e
            .signature_mismatch()
            .unwrap_or_else(|| panic!("{part:?}: no diagnosis: {e}"));
        assert_eq!(d.part, part, "{e}");
        if part != CanonicalPart::PayloadHash {
            assert_eq!(
                (d.signed.as_str(), d.gateway.as_str()),
                (signed, gateway),
                "{e}"
            );
        } else {
            assert_ne!(d.signed, d.gateway);
            assert_eq!(d.signed.len(), 64);
        }
        let shown = e.to_string();
        assert!(
            shown.contains(&d.to_string()),
            "Display shows the diagnosis: {shown}"
        );
        assert!(
            !format!("{shown} {e:?}").contains(&sk),
            "no secret in the error"
        );
        assert!(!shown.contains("Signature="), "{shown}");
    }
    let c = client_through(&fake, b"/hooks/12 ", b"/hooks/13 ").await;
    assert_eq!(
        call(&c, "show")
            .await
            .signature_mismatch()
            .unwrap()
            .to_string(),
        "canonical URI differs: signed \"/v4/repositories/1/hooks/12/\", gateway \
         \"/v4/repositories/1/hooks/13/\""
    );
}

/// An older gateway's message has no canonical request: the error is as it was, without a
/// diagnosis.
#[tokio::test]
async fn a_message_without_a_canonical_request_has_no_diagnosis() {
    let fake = FakeCodeArts::start().await.unwrap();
    let (ak, sk) = fake.key();
    let c = fake
        .client_builder()
        .credentials(Credentials::aksk(ak, sk))
        .build()
        .unwrap();
    let msg = "Incorrect IAM authentication information: verify aksk signature fail";
    fake.inject(
        "ListRepositoryWebhooks",
        [Fault::json(
            401,
            json!({"error_code": "APIGW.0301", "error_msg": msg}),
        )],
    );
    let e = Error::from(
        c.repo()
            .list_repository_webhooks()
            .repository_id(1)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.signature_mismatch(), None);
    assert!(
        e.to_string()
            .starts_with(&format!("service error 401: APIGW.0301: {msg}")),
        "{e}"
    );
    // A request the gateway accepts is untouched by all this.
    c.repo()
        .list_repository_webhooks()
        .repository_id(1)
        .send()
        .await
        .unwrap();
}
