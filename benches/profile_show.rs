//! A fixed workload for counting instructions: 3,000 `ShowProjectWebhook` calls (with
//! `UPDATE=1`, `UpdateRepositoryWebhook` calls with `compare.rs`'s 1 KB body), through the full
//! client or (with `RAW=1`) through raw reqwest that signs with a kept `Signer` and decodes into
//! the same generated type, against the same in-process loopback server. Run under
//! callgrind and compare the two totals (instruction counts repeat exactly, whatever the
//! machine's load; see BENCHMARKS.md):
//!
//! ```sh
//! CARGO_PROFILE_BENCH_DEBUG=true cargo bench --bench profile_show --no-run
//! valgrind --tool=callgrind --callgrind-out-file=full.out target/release/deps/profile_show-*
//! RAW=1 valgrind --tool=callgrind --callgrind-out-file=raw.out target/release/deps/profile_show-*
//! callgrind_annotate --inclusive=yes full.out | grep codearts_webhooks
//! ```
//!
//! Run without valgrind, it prints the time per call: wall, and the CPU time of the thread that
//! runs the client (Linux's `/proc/thread-self/schedstat`), which leaves out the server's
//! thread and the time spent waiting, and so varies less on a shared machine than the wall
//! time. Alternate the sides over several runs and compare medians:
//!
//! ```sh
//! for i in 1 2 3 4 5 6; do CALLS=20000 target/release/deps/profile_show-*; \
//!   RAW=1 CALLS=20000 target/release/deps/profile_show-*; done
//! ```

#[path = "support/mod.rs"]
mod support;

use std::{hint::black_box, time::SystemTime};

use codearts_webhooks::{
    Client, Credentials,
    repo::types::WebhookDto,
    signer::{self, Signer},
};

/// Calls per run; `CALLS=<n>` sets another number. Two runs of different lengths give the
/// steady cost of one call, without what is done once (building the client, reading the
/// description for the checks): (total(6000) - total(3000)) / 3000.
const CALLS: usize = 3_000;
const PROJECT: &str = "a642c851d4dc4853b595e5c8a5e56df7";

fn main() {
    // `cargo bench` runs every bench; this one is meant for callgrind only.
    if std::env::args().any(|a| a == "--bench") {
        return;
    }
    let addr = support::serve(support::webhook_answer);
    let base = format!("http://{addr}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder()
        .credentials(Credentials::aksk("AK", "SK"))
        .repo_endpoint(&base)
        .env_proxy(false)
        .build()
        .unwrap();
    // The raw side is `benches/compare.rs`'s: the client's reqwest settings, the same headers,
    // the URL formatted per call.
    let http = reqwest::Client::builder()
        .connect_timeout(codearts_webhooks::DEFAULT_CONNECT_TIMEOUT)
        .timeout(codearts_webhooks::DEFAULT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let signer = Signer::new("AK", b"SK");
    let raw = std::env::var_os("RAW").is_some();
    let update = std::env::var_os("UPDATE").is_some();
    let calls = std::env::var("CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CALLS);
    let (cpu, wall) = (thread_cpu_ns(), std::time::Instant::now());
    runtime.block_on(async {
        for _ in 0..calls {
            if raw {
                let req = if update {
                    http.put(format!("{base}/v4/repositories/{}/hooks/{}", 1, 1))
                        .header("content-type", "application/json")
                        .body(serde_json::to_vec(&support::params_1kb()).unwrap())
                } else {
                    http.get(format!("{base}/v4/projects/{PROJECT}/hooks/{}", 1))
                };
                let mut req = req
                    .header("accept", "application/json")
                    .header("user-agent", "codearts-webhooks-rust/0.1.0")
                    .build()
                    .unwrap();
                signer::canonicalize_query(req.url_mut());
                signer.sign(&mut req, SystemTime::now()).unwrap();
                let bytes = http.execute(req).await.unwrap().bytes().await.unwrap();
                black_box(serde_json::from_slice::<WebhookDto>(&bytes).unwrap());
            } else if update {
                black_box(support::update_1kb(&client).await);
            } else {
                let hook = client
                    .repo()
                    .show_project_webhook()
                    .project_id(PROJECT)
                    .hook_id(1)
                    .send()
                    .await
                    .unwrap();
                black_box(hook);
            }
        }
    });
    let per_call = |ns: u64| ns as f64 / calls as f64 / 1000.0;
    match (cpu, thread_cpu_ns()) {
        (Some(before), Some(after)) => eprintln!(
            "{calls} calls: {:.1} µs wall, {:.1} µs CPU of the client's thread per call",
            per_call(wall.elapsed().as_nanos() as u64),
            per_call(after - before)
        ),
        _ => eprintln!(
            "{calls} calls: {:.1} µs wall per call",
            per_call(wall.elapsed().as_nanos() as u64)
        ),
    }
}

/// The CPU time of the calling thread so far, in nanoseconds, where Linux tells it.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
