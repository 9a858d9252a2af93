//! Every error carries its own call's status and request id, on a multi-thread runtime, however
//! the caller moves it: held across yields, sent to another task, converted after a
//! `JoinHandle` resolves, or gathered by one wide join. Calls share pooled connections.
//!
//! Each call names a distinct id in its path; the fake records the request id it answered each
//! path with, which is what the call's error must carry.

use std::{collections::HashMap, sync::Arc};

use codearts_webhooks::{
    Client, Credentials, Error, RetryPolicy,
    fake::{FakeCodeArts, Fault},
    repo::types::WebhookParamsDto,
};
use reqwest::StatusCode;
use serde_json::json;

/// The kinds of bad answer, one per operation (faults are queued per operation).
#[derive(Clone, Copy, Debug)]
enum Case {
    /// 200 with a body that is not JSON.
    NotJson,
    /// 201 with JSON of the wrong shape.
    WrongShape,
    /// 200 with a body over the client's limit.
    TooLarge,
    /// 503 with an error body.
    ServiceError,
}

const CASES: [Case; 4] = [
    Case::NotJson,
    Case::WrongShape,
    Case::TooLarge,
    Case::ServiceError,
];
const LIMIT: usize = 4096;

impl Case {
    fn operation(self) -> &'static str {
        match self {
            Case::NotJson => "ShowRepositoryWebhook",
            Case::WrongShape => "UpdateRepositoryWebhook",
            Case::TooLarge => "ListRepositoryWebhooks",
            Case::ServiceError => "ShowProjectWebhook",
        }
    }

    fn fault(self) -> Fault {
        match self {
            Case::NotJson => Fault::status(200)
                .header("content-type", "application/json")
                .body("<html>maintenance</html>"),
            Case::WrongShape => Fault::json(201, json!([1, 2, 3])),
            Case::TooLarge => Fault::json(200, json!(["x".repeat(2 * LIMIT)])),
            Case::ServiceError => {
                Fault::json(503, json!({"error_code": "CH.503", "error_msg": "busy"}))
            }
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Case::WrongShape => StatusCode::CREATED,
            Case::ServiceError => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::OK,
        }
    }

    /// The path the call with unique number `n` is sent to.
    fn path(self, n: u32) -> String {
        match self {
            Case::NotJson => format!("/v4/repositories/1/hooks/{n}"),
            Case::WrongShape => format!("/v4/repositories/2/hooks/{n}"),
            Case::TooLarge => format!("/v4/repositories/{n}/hooks"),
            Case::ServiceError => format!("/v4/projects/{}/hooks/1", project(n)),
        }
    }
}

fn project(n: u32) -> String {
    format!("{n:032}")
}

/// The generated call's error, not converted yet.
type Generated = progenitor_client::Error<codearts_webhooks::repo::types::ErrorResponse>;

async fn call(c: Client, case: Case, n: u32) -> Generated {
    let r = c.repo();
    let result = match case {
        Case::NotJson => r
            .show_repository_webhook()
            .repository_id(1)
            .hook_id(n as i32)
            .send()
            .await
            .map(drop),
        Case::WrongShape => r
            .update_repository_webhook()
            .repository_id(2)
            .hook_id(n as i32)
            .body(WebhookParamsDto {
                url: Some("https://ci.example.com/hook".into()),
                ..Default::default()
            })
            .send()
            .await
            .map(drop),
        Case::TooLarge => r
            .list_repository_webhooks()
            .repository_id(n as i32)
            .send()
            .await
            .map(drop),
        Case::ServiceError => r
            .show_project_webhook()
            .project_id(project(n))
            .hook_id(1)
            .send()
            .await
            .map(drop),
    };
    result.expect_err("every answer is scripted to fail")
}

async fn setup(calls_per_case: usize) -> (FakeCodeArts, Client) {
    let fake = FakeCodeArts::start().await.unwrap();
    for case in CASES {
        fake.inject(case.operation(), vec![case.fault(); calls_per_case]);
    }
    let client = fake
        .client_builder()
        .credentials(Credentials::token(fake.token()))
        .retry(RetryPolicy::none())
        .max_response_bytes(LIMIT)
        .build()
        .unwrap();
    (fake, client)
}

/// Checks that each converted error carries the status of its case and the request id the fake
/// answered its path with.
fn check_all(fake: &FakeCodeArts, errors: Vec<(Case, u32, Error)>, expected: usize) {
    let ids: HashMap<String, String> = fake
        .received()
        .into_iter()
        .map(|r| (r.path, r.request_id))
        .collect();
    assert_eq!(errors.len(), expected);
    for (case, n, e) in errors {
        assert_eq!(e.status(), Some(case.status()), "{case:?} #{n}: {e:?}");
        let own = ids.get(&case.path(n)).expect("the fake saw the call");
        assert_eq!(e.request_id(), Some(own.as_str()), "{case:?} #{n}: {e:?}");
        match (case, &e) {
            (Case::ServiceError, Error::Service(s)) => assert_eq!(s.error_code, "CH.503"),
            (Case::ServiceError, other) => panic!("{other:?}"),
            (_, Error::Decode { .. }) => {}
            (_, other) => panic!("{case:?} #{n}: {other:?}"),
        }
    }
}

/// 240 calls across four operations, each error held across yields and moved to another task
/// before it is converted and inspected.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn errors_keep_their_own_status_and_request_id_across_tasks() {
    const PER_CASE: usize = 60;
    let (fake, client) = setup(PER_CASE).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut calls = tokio::task::JoinSet::new();
    for (i, case) in CASES
        .iter()
        .cycle()
        .take(PER_CASE * CASES.len())
        .enumerate()
    {
        let (client, tx, case, n) = (client.clone(), tx.clone(), *case, 1000 + i as u32);
        calls.spawn(async move {
            let generated = call(client, case, n).await;
            for _ in 0..(n % 5) {
                tokio::task::yield_now().await;
            }
            // Converted on another task, likely on another worker thread.
            let converted = tokio::spawn(async move {
                tokio::task::yield_now().await;
                Error::from(generated)
            });
            tx.send((case, n, converted.await.unwrap())).unwrap();
        });
    }
    drop(tx);
    calls.join_all().await;
    let mut errors = Vec::new();
    while let Some(e) = rx.recv().await {
        errors.push(e);
    }
    check_all(&fake, errors, PER_CASE * CASES.len());
}

/// A task makes one call, then awaits a spawned call whose error it converts; over reused
/// connections the second answer's body can land where the first one's was.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_call_then_a_spawned_call() {
    const TASKS: usize = 100;
    let (fake, client) = setup(TASKS / 2).await;
    let client = Arc::new(client);
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..TASKS {
        let client = client.clone();
        tasks.spawn(async move {
            let (first, second) = (CASES[t % 4], CASES[(t + 1) % 4]);
            let (n1, n2) = (2000 + 2 * t as u32, 2001 + 2 * t as u32);
            let e1 = call((*client).clone(), first, n1).await;
            let e2 = tokio::spawn(call((*client).clone(), second, n2))
                .await
                .unwrap();
            tokio::task::yield_now().await;
            vec![(second, n2, Error::from(e2)), (first, n1, Error::from(e1))]
        });
    }
    let errors = tasks.join_all().await.into_iter().flatten().collect();
    check_all(&fake, errors, 2 * TASKS);
}

/// `tokio::spawn(call)`, converted only after the `JoinHandle` resolves.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn converted_after_the_join_handle() {
    const CALLS: usize = 200;
    let (fake, client) = setup(CALLS / 4).await;
    let handles: Vec<_> = (0..CALLS)
        .map(|i| {
            let (case, n) = (CASES[i % 4], 3000 + i as u32);
            (case, n, tokio::spawn(call(client.clone(), case, n)))
        })
        .collect();
    let mut errors = Vec::new();
    for (case, n, handle) in handles {
        let generated = handle.await.unwrap();
        tokio::task::yield_now().await;
        errors.push((case, n, Error::from(generated)));
    }
    check_all(&fake, errors, CALLS);
}

/// One wide join of 100 calls on one task: more than any per-thread record would keep.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_wide_join() {
    const CALLS: usize = 100;
    let (fake, client) = setup(CALLS / 4).await;
    let generated = futures_util::future::join_all((0..CALLS).map(|i| {
        let (case, n) = (CASES[i % 4], 4000 + i as u32);
        let client = client.clone();
        async move { (case, n, call(client, case, n).await) }
    }))
    .await;
    tokio::task::yield_now().await;
    let errors = generated
        .into_iter()
        .map(|(case, n, g)| (case, n, Error::from(g)))
        .collect();
    check_all(&fake, errors, CALLS);
}
