//! The paging helper over 10,000 webhooks: time, and peak heap, which must not grow with the
//! number of pages beyond the items a caller keeps.
//!
//! `cargo bench --bench paging` (a plain harness: it measures memory, which criterion does not).

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use codearts_webhooks::{Client, Credentials, page};
use futures_util::StreamExt;

#[global_allocator]
static ALLOC: support::Counting = support::Counting;

const TOTAL: usize = 10_000;

/// Pages of generated webhooks; the repository id in the path is the total to serve.
fn answer(pq: &str) -> (u16, String, Option<usize>) {
    let total: usize = pq
        .split('/')
        .nth(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(TOTAL);
    let param = |name: &str| {
        pq.split(['?', '&']).find_map(|kv| {
            kv.strip_prefix(name)?
                .strip_prefix('=')?
                .parse::<usize>()
                .ok()
        })
    };
    let (offset, limit) = (param("offset").unwrap_or(0), param("limit").unwrap_or(20));
    let items: Vec<String> = (offset..(offset + limit).min(total))
        .map(support::webhook_json)
        .collect();
    (200, format!("[{}]", items.join(",")), Some(total))
}

struct Run {
    items: usize,
    elapsed: Duration,
    peak_bytes: usize,
}

async fn stream(client: &Client, total: usize, page_size: u32, keep: bool) -> Run {
    let base = support::reset_peak();
    let start = Instant::now();
    let mut kept = Vec::new();
    let mut count = 0;
    let items = page::items(page_size, |p| {
        client
            .repo()
            .list_repository_webhooks()
            .repository_id(total as i32)
            .offset(p.offset)
            .limit(p.limit)
            .send()
    });
    let mut items = std::pin::pin!(items);
    while let Some(hook) = items.next().await {
        let hook = hook.unwrap();
        count += 1;
        if keep {
            kept.push(hook);
        }
    }
    let elapsed = start.elapsed();
    let peak_bytes = support::peak().saturating_sub(base);
    drop(kept);
    Run {
        items: count,
        elapsed,
        peak_bytes,
    }
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn main() {
    // `cargo test --benches` runs this with --test... only measure under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let addr = support::serve(answer);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder()
        .credentials(Credentials::aksk("AKBENCH", "bench-secret-key"))
        .repo_endpoint(format!("http://{addr}"))
        .build()
        .unwrap();
    println!("paging helper, {} rounds each; median (min..max)", 7);
    for (total, page_size, keep) in [
        (TOTAL, 100, false),
        (TOTAL, 20, false),
        (1_000, 100, false),
        (TOTAL, 100, true),
    ] {
        let runs: Vec<Run> = (0..7)
            .map(|_| rt.block_on(stream(&client, total, page_size, keep)))
            .collect();
        assert!(runs.iter().all(|r| r.items == total));
        let (t, t0, t1) = median(
            runs.iter()
                .map(|r| r.elapsed.as_secs_f64() * 1000.0)
                .collect(),
        );
        let (m, m0, m1) = median(runs.iter().map(|r| r.peak_bytes as f64 / 1024.0).collect());
        println!(
            "{total:>6} webhooks, pages of {page_size:>3}, {:<12} time {t:7.1} ms ({t0:.1}..{t1:.1}), peak heap {m:8.0} KiB ({m0:.0}..{m1:.0})",
            if keep { "kept" } else { "not kept" }
        );
    }
}
