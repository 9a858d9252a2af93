//! AK/SK signing alone: `signer::sign_request` on a PUT with a 1 KB JSON body, as the client
//! signs every attempt (canonical request, SHA-256 of the body, HMAC, headers).
//!
//! `cargo bench --bench signing`. Goal: under 5 µs.

use std::{hint::black_box, time::SystemTime};

use codearts_webhooks::signer;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let body = vec![b'x'; 1024];
    let mut unsigned = reqwest::Request::new(
        reqwest::Method::PUT,
        "https://codehub-ext.cn-north-4.myhuaweicloud.com/v4/repositories/123/hooks/1?limit=20&offset=0".parse().unwrap(),
    );
    let h = unsigned.headers_mut();
    h.insert("content-type", "application/json".parse().unwrap());
    h.insert("accept", "application/json".parse().unwrap());
    h.insert(
        "user-agent",
        "codearts-webhooks-rust/0.1.0".parse().unwrap(),
    );
    *unsigned.body_mut() = Some(body.into());
    let now = SystemTime::now();
    c.bench_function("sign_request_put_1KB", |b| {
        b.iter_batched(
            || unsigned.try_clone().unwrap(),
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
