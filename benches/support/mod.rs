//! What the benchmarks share: a minimal loopback server, and an allocator that counts.
#![allow(dead_code)]

use std::{
    alloc::{GlobalAlloc, Layout, System},
    convert::Infallible,
    net::SocketAddr,
    sync::atomic::{AtomicUsize, Ordering},
};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;

/// A webhook as the service returns it, about 400 bytes of JSON.
pub fn webhook_json(id: usize) -> String {
    serde_json::json!({
        "id": id, "url": format!("https://ci.example.com/hooks/{id}"), "push_events": true,
        "push_events_branch_regex_filter": "^(main|release/.*)$", "tag_push_events": true,
        "merge_requests_events": false, "note_events": false, "token": "************",
        "token_type": "X-Repo-Token", "name": format!("hook-{id}"), "description": "benchmark webhook",
        "created_at": "2024-10-15T22:30:24.000+08:00", "updated_at": "2024-10-15T22:30:24.000+08:00"
    })
    .to_string()
}

/// The body of the `UpdateRepositoryWebhook` benchmarks: about 1 KB of JSON once encoded.
pub fn params_1kb() -> codearts_webhooks::repo::types::WebhookParamsDto {
    codearts_webhooks::repo::types::WebhookParamsDto {
        url: Some(format!("https://ci.example.com/hooks/{}", "p".repeat(200))),
        name: Some("benchmark".into()),
        description: Some("d".repeat(190)),
        push_events: Some(true),
        push_events_branch_regex_filter: Some(format!("^(main|release/{})$", "r".repeat(150))),
        tag_push_events: Some(true),
        merge_requests_events: Some(true),
        note_events: Some(false),
        note_plain_text_filter: (0..5)
            .map(|i| format!("/retest-{i}-{}", "n".repeat(20)))
            .collect(),
        token: Some("t".repeat(30)),
        token_type: Some("X-Repo-Token".into()),
    }
}

/// The full client's `UpdateRepositoryWebhook` of the benchmarks: repository 1, hook 1, the 1 KB
/// body.
pub async fn update_1kb(
    client: &codearts_webhooks::Client,
) -> codearts_webhooks::repo::types::WebhookDto {
    client
        .repo()
        .update_repository_webhook()
        .repository_id(1)
        .hook_id(1)
        .body(params_1kb())
        .send()
        .await
        .unwrap()
        .into_inner()
}

/// The answer of `compare.rs` and `profile_show.rs`: a webhook, with 201 for the repository
/// operations (`UpdateRepositoryWebhook` answers 201) and 200 for the others.
pub fn webhook_answer(pq: &str) -> (u16, String, Option<usize>) {
    let status = if pq.starts_with("/v4/repositories/") {
        201
    } else {
        200
    };
    (status, webhook_json(1), None)
}

/// Serves on its own thread and runtime, so it does not share the client's. Every request gets
/// `answer(path_and_query)`: status, body, and an optional `X-Total`.
pub fn serve(answer: fn(&str) -> (u16, String, Option<usize>)) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| async move {
                        let pq = req
                            .uri()
                            .path_and_query()
                            .map(|p| p.as_str().to_owned())
                            .unwrap_or_default();
                        // Read the request body, as a real server would.
                        let _ = http_body_util::BodyExt::collect(req.into_body()).await;
                        let (status, body, total) = answer(&pq);
                        let mut r = Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .header("x-request-id", "bench");
                        if let Some(t) = total {
                            r = r.header("x-total", t);
                        }
                        Ok::<_, Infallible>(r.body(Full::new(Bytes::from(body))).unwrap())
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    addr
}

/// Counts live and peak heap bytes.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

/// Starts a measurement: the peak is reset to what is live now.
pub fn reset_peak() -> usize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

/// The highest live heap since `reset_peak`.
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}
