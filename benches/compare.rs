//! The full client against raw reqwest, interleaved: rounds alternate between the two so that
//! drift on a shared machine (frequency, other load) hits both alike. Reports, per case, the
//! median time per request of each side over the rounds, the spread (interquartile range), and
//! the ratio of the medians.
//!
//! `cargo bench --bench compare`. Both sides talk to the same minimal loopback server, over one
//! pooled connection per concurrent request, with the same reqwest settings.

#[path = "support/mod.rs"]
mod support;

use std::{
    future::Future,
    hint::black_box,
    time::{Instant, SystemTime},
};

use codearts_webhooks::{Client, Credentials, repo::types, signer};

const AK: &str = "AKBENCH";
const SK: &str = "bench-secret-key";
const PROJECT: &str = "a642c851d4dc4853b595e5c8a5e56df7";
const ROUNDS: usize = 31;

/// Headers as the full client sends them, signed once: the raw side does not sign per request.
fn signed_headers(
    method: reqwest::Method,
    url: &str,
    body: Option<&[u8]>,
) -> reqwest::header::HeaderMap {
    let mut req = reqwest::Request::new(method, url.parse().unwrap());
    let h = req.headers_mut();
    h.insert("accept", "application/json".parse().unwrap());
    h.insert(
        "user-agent",
        "codearts-webhooks-rust/0.1.0".parse().unwrap(),
    );
    if let Some(body) = body {
        h.insert("content-type", "application/json".parse().unwrap());
        *req.body_mut() = Some(body.to_vec().into());
    }
    signer::sign_request(&mut req, AK, SK.as_bytes(), SystemTime::now()).unwrap();
    req.headers().clone()
}

fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(codearts_webhooks::DEFAULT_CONNECT_TIMEOUT)
        .timeout(codearts_webhooks::DEFAULT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// A hand-written call: build the request, sign it (or reuse headers signed once), send, read,
/// and decode into the same generated type.
async fn raw(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    headers: &reqwest::header::HeaderMap,
    body: Option<Vec<u8>>,
    sign: Option<&signer::Signer>,
) {
    let mut b = http.request(method, url).headers(headers.clone());
    if let Some(body) = body {
        b = b.body(body);
    }
    let mut req = b.build().unwrap();
    if let Some(signer) = sign {
        signer::canonicalize_query(req.url_mut());
        signer.sign(&mut req, SystemTime::now()).unwrap();
    }
    let resp = http.execute(req).await.unwrap();
    assert!(resp.status().is_success());
    let bytes = resp.bytes().await.unwrap();
    black_box(serde_json::from_slice::<types::WebhookDto>(&bytes).unwrap());
}

/// Seconds per request of `n` sequential or `width`-concurrent requests.
async fn round<F, Fut>(n: usize, width: usize, f: &F) -> f64
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let start = Instant::now();
    for _ in 0..n / width {
        futures_util::future::join_all((0..width).map(|_| f())).await;
    }
    start.elapsed().as_secs_f64() / n as f64
}

fn quartiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    (q(0.25), q(0.5), q(0.75))
}

async fn compare<A, AF, B, BF>(name: &str, n: usize, width: usize, full: A, raw: B)
where
    A: Fn() -> AF,
    AF: Future<Output = ()>,
    B: Fn() -> BF,
    BF: Future<Output = ()>,
{
    // COMPARE_CASE=<text> runs only the cases whose name contains it.
    if std::env::var("COMPARE_CASE").is_ok_and(|c| !name.contains(&c)) {
        return;
    }
    // COMPARE_ONLY=full|raw runs one side alone, for profilers (`perf stat` and the like).
    match std::env::var("COMPARE_ONLY").as_deref() {
        Ok("full") => {
            for _ in 0..ROUNDS {
                round(n, width, &full).await;
            }
            return;
        }
        Ok("raw") => {
            for _ in 0..ROUNDS {
                round(n, width, &raw).await;
            }
            return;
        }
        _ => {}
    }
    // Warm up both (connections, caches).
    round(n, width, &full).await;
    round(n, width, &raw).await;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..ROUNDS {
        if i % 2 == 0 {
            a.push(round(n, width, &full).await);
            b.push(round(n, width, &raw).await);
        } else {
            b.push(round(n, width, &raw).await);
            a.push(round(n, width, &full).await);
        }
    }
    let ratios: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x / y).collect();
    let (a25, a50, a75) = quartiles(a);
    let (b25, b50, b75) = quartiles(b);
    let (r25, r50, r75) = quartiles(ratios);
    let us = |s: f64| s * 1e6;
    if width == 1 {
        println!(
            "{name:<44} full {:7.1} µs (IQR {:.1}..{:.1})  raw {:7.1} µs (IQR {:.1}..{:.1})  ratio {:.3} (round ratios IQR {:.3}..{:.3})",
            us(a50),
            us(a25),
            us(a75),
            us(b50),
            us(b25),
            us(b75),
            a50 / b50,
            r25,
            r75
        );
    } else {
        let rps = |s: f64| 1.0 / s;
        println!(
            "{name:<44} full {:8.0} req/s (IQR {:.0}..{:.0})  raw {:8.0} req/s (IQR {:.0}..{:.0})  full/raw {:.3} (round IQR {:.3}..{:.3})",
            rps(a50),
            rps(a75),
            rps(a25),
            rps(b50),
            rps(b75),
            rps(b25),
            b50 / a50,
            1.0 / r75,
            1.0 / r25
        );
    }
    let _ = r50;
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let addr = support::serve(support::webhook_answer);
    let base = format!("http://{addr}");
    let put_url = format!("{base}/v4/repositories/1/hooks/1");
    let get_url = format!("{base}/v4/projects/{PROJECT}/hooks/1");
    let body = serde_json::to_vec(&support::params_1kb()).unwrap();
    println!(
        "{} rounds per side, interleaved; body {} bytes",
        ROUNDS,
        body.len()
    );
    let put_signed = signed_headers(reqwest::Method::PUT, &put_url, Some(&body));
    let get_signed = signed_headers(reqwest::Method::GET, &get_url, None);
    let plain = |with_body: bool| {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("accept", "application/json".parse().unwrap());
        h.insert(
            "user-agent",
            "codearts-webhooks-rust/0.1.0".parse().unwrap(),
        );
        if with_body {
            h.insert("content-type", "application/json".parse().unwrap());
        }
        h
    };
    let (put_plain, get_plain) = (plain(true), plain(false));
    let key = signer::Signer::new(AK, SK.as_bytes());

    let st = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = st.block_on(async {
        Client::builder()
            .credentials(Credentials::aksk(AK, SK))
            .repo_endpoint(&base)
            .env_proxy(false)
            .build()
            .unwrap()
    });
    let http = raw_client();
    for mode in ["signing each request", "reusing one signature", "unsigned"] {
        // COMPARE_MODE=<text> runs only the raw sides whose mode contains it.
        if std::env::var("COMPARE_MODE").is_ok_and(|m| !mode.contains(&m)) {
            continue;
        }
        println!("-- against raw {mode}");
        let sign = (mode == "signing each request").then_some(&key);
        let (put_headers, get_headers) = match mode {
            "reusing one signature" => (&put_signed, &get_signed),
            _ => (&put_plain, &get_plain),
        };
        st.block_on(async {
            compare(
                "UpdateRepositoryWebhook, 1 KB body",
                400,
                1,
                || async {
                    black_box(support::update_1kb(&client).await);
                },
                || {
                    raw(
                        &http,
                        reqwest::Method::PUT,
                        put_url.clone(),
                        put_headers,
                        Some(serde_json::to_vec(&support::params_1kb()).unwrap()),
                        sign,
                    )
                },
            )
            .await;
            let show_full = || async {
                let r = client
                    .repo()
                    .show_project_webhook()
                    .project_id(PROJECT)
                    .hook_id(1)
                    .send()
                    .await;
                black_box(r.unwrap());
            };
            let show_raw = || {
                raw(
                    &http,
                    reqwest::Method::GET,
                    get_url.clone(),
                    get_headers,
                    None,
                    sign,
                )
            };
            compare("ShowProjectWebhook", 400, 1, show_full, show_raw).await;
            // 64 in flight on one client thread: the server has the other core, so the figure
            // is the client's own cost per request rather than how two runtimes share two cores.
            compare(
                "ShowProjectWebhook, 64 in flight",
                64 * 40,
                64,
                show_full,
                show_raw,
            )
            .await;
        });
    }
}
