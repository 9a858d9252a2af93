//! Plan and apply over 1,000 repositories at concurrency 16, against the fake run in a child
//! process (so that the heap measured is the client's alone): wall time of each phase, requests
//! the fake received, and the client's peak heap.
//!
//! `cargo bench --bench plan_apply` (a plain harness: it measures memory and counts requests).

#[path = "support/mod.rs"]
mod support;

use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use codearts_webhooks::{
    Client, Credentials,
    fake::FakeCodeArts,
    plan::{self, ApplyOptions, Desired, DesiredWebhook, Events, Options, Scope},
};

#[global_allocator]
static ALLOC: support::Counting = support::Counting;

const REPOSITORIES: i32 = 1_000;
const CONCURRENCY: usize = 16;
const RUNS: usize = 3;

/// The child: serves a fake, prints its address, and answers each line on stdin with the
/// number of requests received so far.
async fn serve() {
    let fake = FakeCodeArts::start().await.unwrap();
    println!("{}", fake.endpoint());
    let mut lines = BufReader::new(std::io::stdin()).lines();
    while let Some(Ok(_)) = tokio::task::block_in_place(|| lines.next()) {
        println!("{}", fake.received().len());
    }
}

struct Fake {
    child: std::process::Child,
    out: std::io::Lines<BufReader<std::process::ChildStdout>>,
    endpoint: String,
}

impl Fake {
    fn start() -> Fake {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env("PLAN_APPLY_SERVE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
        let endpoint = out.next().unwrap().unwrap();
        Fake {
            child,
            out,
            endpoint,
        }
    }

    fn requests(&mut self) -> usize {
        writeln!(self.child.stdin.as_mut().unwrap()).unwrap();
        self.out.next().unwrap().unwrap().parse().unwrap()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn desired() -> Desired {
    Desired {
        scopes: (1..=REPOSITORIES).map(Scope::Repository).collect(),
        webhooks: vec![
            DesiredWebhook::new("https://ci.example.com/hook", "ci")
                .events(Events {
                    push_branches: Some(".*".into()),
                    merge_request: true,
                    ..Events::default()
                })
                .token("ci-token"),
            DesiredWebhook::new("https://chat.example.com/hook", "chat").events(Events {
                tag_push: true,
                ..Events::default()
            }),
        ],
        ..Desired::default()
    }
}

struct Figures {
    plan: Duration,
    apply: Duration,
    replan: Duration,
    requests: [usize; 3],
    peak: usize,
}

async fn once() -> Figures {
    let mut fake = Fake::start();
    let client: Client = Client::builder()
        .credentials(Credentials::token(codearts_webhooks::fake::DEFAULT_TOKEN))
        .repo_endpoint(&fake.endpoint)
        .check_endpoint(&fake.endpoint)
        .env_proxy(false)
        .build()
        .unwrap();
    let desired = desired();
    let options = Options {
        concurrency: CONCURRENCY,
        ..Options::default()
    };
    support::reset_peak();
    let t = Instant::now();
    let p = plan::plan(&client, &desired, &options).await;
    let plan_time = t.elapsed();
    let after_plan = fake.requests();
    assert_eq!(p.counts().create, 2 * REPOSITORIES as usize);
    let t = Instant::now();
    let report = plan::apply(
        &client,
        &p,
        &ApplyOptions {
            concurrency: CONCURRENCY,
            ..ApplyOptions::default()
        },
    )
    .await;
    let apply_time = t.elapsed();
    assert!(report.is_complete());
    let after_apply = fake.requests();
    drop((p, report));
    let t = Instant::now();
    let again = plan::plan(&client, &desired, &options).await;
    let replan = t.elapsed();
    assert!(!again.has_changes());
    let after_replan = fake.requests();
    Figures {
        plan: plan_time,
        apply: apply_time,
        replan,
        requests: [
            after_plan,
            after_apply - after_plan,
            after_replan - after_apply,
        ],
        peak: support::peak(),
    }
}

fn median_spread(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if std::env::var_os("PLAN_APPLY_SERVE").is_some() {
        runtime.block_on(serve());
        return;
    }
    let runs: Vec<Figures> = (0..RUNS).map(|_| runtime.block_on(once())).collect();
    let ms = |f: fn(&Figures) -> Duration| {
        median_spread(runs.iter().map(|r| f(r).as_secs_f64() * 1000.0).collect())
    };
    println!(
        "plan + apply over {REPOSITORIES} repositories (2 desired webhooks each), concurrency \
         {CONCURRENCY}, {RUNS} runs; median (min..max)"
    );
    for (name, f) in [
        (
            "plan (nothing exists)",
            (|r: &Figures| r.plan) as fn(&Figures) -> Duration,
        ),
        ("apply (2,000 creates)", |r: &Figures| r.apply),
        ("plan again (converged)", |r: &Figures| r.replan),
    ] {
        let (m, lo, hi) = ms(f);
        println!("  {name:<24} {m:>8.0} ms ({lo:.0}..{hi:.0})");
    }
    let r = &runs[0];
    println!(
        "  requests: plan {}, apply {}, plan again {}",
        r.requests[0], r.requests[1], r.requests[2]
    );
    let (m, lo, hi) = median_spread(runs.iter().map(|r| r.peak as f64 / 1024.0).collect());
    println!("  client peak heap: {m:.0} KiB ({lo:.0}..{hi:.0})");
}
