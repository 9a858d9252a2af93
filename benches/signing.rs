//! AK/SK signing alone, as the client signs every attempt: a [`signer::Signer`] (HMAC key state
//! made once, `X-Sdk-Date` formatted once per second) on a GET and on a PUT with a 1 KB JSON body,
//! whose query the client has already put in canonical form once per call. Also the one-shot
//! `signer::sign_request`, which keys the HMAC and canonicalizes the query every time.
//!
//! `cargo bench --bench signing`. Goals: a GET at most 1.2 µs, a 1 KB PUT at most 1.8 µs.

use std::{hint::black_box, time::SystemTime};

use codearts_webhooks::signer;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn request(method: reqwest::Method, body: Option<Vec<u8>>) -> reqwest::Request {
    let mut r = reqwest::Request::new(
        method,
        "https://codehub-ext.cn-north-4.myhuaweicloud.com/v4/repositories/123/hooks/1?limit=20&offset=0".parse().unwrap(),
    );
    signer::canonicalize_query(r.url_mut());
    let h = r.headers_mut();
    h.insert("accept", "application/json".parse().unwrap());
    h.insert(
        "user-agent",
        "codearts-webhooks-rust/0.1.0".parse().unwrap(),
    );
    if let Some(body) = body {
        h.insert("content-type", "application/json".parse().unwrap());
        *r.body_mut() = Some(body.into());
    }
    r
}

fn bench(c: &mut Criterion) {
    let now = SystemTime::now();
    let s = signer::Signer::new("AKBENCH", b"bench-secret-key");
    let get = request(reqwest::Method::GET, None);
    let put = request(reqwest::Method::PUT, Some(vec![b'x'; 1024]));
    // Signing replaces `Host`, `X-Sdk-Date` and `Authorization`, so signing the same request
    // again signs the same canonical request: no per-iteration copy of the request is timed.
    for (name, unsigned) in [("signer_get", &get), ("signer_put_1KB", &put)] {
        let mut r = unsigned.try_clone().unwrap();
        c.bench_function(name, |b| b.iter(|| black_box(s.sign(&mut r, now).unwrap())));
    }
    c.bench_function("sign_request_put_1KB", |b| {
        b.iter_batched(
            || put.try_clone().unwrap(),
            |mut r| {
                signer::sign_request(&mut r, "AKBENCH", b"bench-secret-key", now).unwrap();
                black_box(r)
            },
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
