//! Plan and apply against the fake, over loopback, on a multi-thread runtime.

use codearts_webhooks::{
    Client, Credentials, Error,
    enums::{SubscriptionAction, SubscriptionResourceType},
    fake::{FakeCodeArts, Fault},
    plan::{
        self, ApplyOptions, Change, Desired, DesiredChat, DesiredEvent, DesiredNotification,
        DesiredTrigger, DesiredWebhook, Events, Options, Outcome, Problem, Prune, Scope,
    },
    repo::types::{NotificationType, WebhookParamsDto},
};

const PROJECT: &str = "a642c851d4dc4853b595e5c8a5e56df7";

async fn setup() -> (FakeCodeArts, Client) {
    let fake = FakeCodeArts::start().await.unwrap();
    let (ak, sk) = fake.key();
    let client = fake
        .client_builder()
        .credentials(Credentials::aksk(ak, sk))
        .retry(
            codearts_webhooks::RetryPolicy::default()
                .initial_backoff(std::time::Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    (fake, client)
}

fn ci() -> DesiredWebhook {
    DesiredWebhook::new("https://ci.example.com/hook", "ci")
        .events(Events {
            push_branches: Some(".*".into()),
            merge_request: true,
            ..Events::default()
        })
        .token("ci-token")
}

fn feishu() -> DesiredWebhook {
    DesiredWebhook::new("https://feishu.example.com/hook", "feishu").events(Events {
        tag_push: true,
        ..Events::default()
    })
}

async fn add(client: &Client, repository: i32, url: &str, name: &str) -> i32 {
    client
        .repo()
        .add_repository_webhook()
        .repository_id(repository)
        .body(WebhookParamsDto {
            url: Some(url.into()),
            name: Some(name.into()),
            push_events: Some(true),
            push_events_branch_regex_filter: Some("main".into()),
            ..Default::default()
        })
        .send()
        .await
        .unwrap()
        .id
        .unwrap()
}

fn desired(scopes: Vec<Scope>) -> Desired {
    Desired {
        scopes,
        webhooks: vec![ci(), feishu()],
        ..Desired::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn apply_converges_and_a_second_plan_is_empty() {
    let (fake, client) = setup().await;
    // Repository 2 has an outdated CI webhook (wrong branch filter) to update.
    let old = add(&client, 2, "https://ci.example.com/hook", "ci").await;
    let scopes = vec![
        Scope::Group(1001),
        Scope::Project(PROJECT.into()),
        Scope::Repository(1),
        Scope::Repository(2),
    ];
    let want = desired(scopes);
    let options = Options::default();
    let first = plan::plan(&client, &want, &options).await;
    assert!(first.has_changes() && !first.has_problems(), "{first:?}");
    let counts = first.counts();
    assert_eq!(
        (counts.create, counts.update, counts.delete),
        (7, 1, 0),
        "{first:?}"
    );
    let update = first.scopes[3]
        .changes
        .iter()
        .find_map(|c| match c {
            Change::Update { id, fields, .. } => Some((*id, fields.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        update,
        (
            old,
            vec!["push_events_branch_regex_filter", "merge_requests_events"]
        )
    );
    let report = plan::apply(&client, &first, &ApplyOptions::default()).await;
    assert!(report.is_complete(), "{report:?}");
    let second = plan::plan(&client, &want, &options).await;
    assert!(!second.has_changes(), "{second:?}");
    // The token cannot be compared: the plan says so.
    assert!(
        second
            .scopes
            .iter()
            .all(|s| s.changes.iter().any(|c| matches!(
                c,
                Change::Unchanged {
                    token_unknown: true,
                    ..
                }
            )))
    );
    assert_eq!(fake.webhook_ids().len(), 8);
    // Rotating writes the token again: one update per scope.
    let rotate = Options {
        rotate_tokens: true,
        ..Options::default()
    };
    assert_eq!(plan::plan(&client, &want, &rotate).await.counts().update, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_deletes_only_what_it_names() {
    let (fake, client) = setup().await;
    let old_ci = add(&client, 1, "https://old-ci.example.com/hook", "old-ci").await;
    let theirs = add(&client, 1, "https://theirs.example.com/hook", "theirs").await;
    let want = desired(vec![Scope::Repository(1)]);
    let keep = plan::plan(&client, &want, &Options::default()).await;
    assert_eq!(keep.counts().delete, 0, "nothing deleted unless asked");
    let options = Options {
        prune: Some(Prune {
            urls: vec!["https://old-ci.example.com/hook".into()],
            names: vec![],
        }),
        ..Options::default()
    };
    let p = plan::plan(&client, &want, &options).await;
    assert!(matches!(
        p.scopes[0].changes.last(),
        Some(Change::Delete { id, .. }) if *id == old_ci
    ));
    assert!(
        plan::apply(&client, &p, &ApplyOptions::default())
            .await
            .is_complete()
    );
    let ids = fake.webhook_ids();
    assert!(!ids.contains(&old_ci) && ids.contains(&theirs), "{ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cap_of_twenty_is_reported_before_applying() {
    let (fake, client) = setup().await;
    for i in 0..19 {
        add(&client, 7, &format!("https://h{i}.example.com"), "h").await;
    }
    let p = plan::plan(
        &client,
        &desired(vec![Scope::Repository(7), Scope::Repository(8)]),
        &Options::default(),
    )
    .await;
    assert!(matches!(
        p.scopes[0].problem,
        Some(Problem::OverCap {
            would_have: 21,
            cap: 20
        })
    ));
    let before = fake.requests("AddRepositoryWebhook");
    let report = plan::apply(&client, &p, &ApplyOptions::default()).await;
    assert!(
        matches!(&report.scopes[0].outcome, Outcome::Skipped(why) if why.contains("at most 20"))
    );
    assert!(matches!(&report.scopes[1].outcome, Outcome::Done(d) if d.created == 2));
    assert_eq!(fake.requests("AddRepositoryWebhook"), before + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_scope_does_not_stop_the_others_and_a_rerun_completes() {
    let (fake, client) = setup().await;
    let want = desired(vec![
        Scope::Repository(1),
        Scope::Repository(2),
        Scope::Repository(3),
    ]);
    let p = plan::plan(&client, &want, &Options::default()).await;
    // One create refused: its scope fails after what it did, the others complete.
    fake.inject(
        "AddRepositoryWebhook",
        [Fault::json(
            400,
            serde_json::json!({"error_code": "CH.00400001", "error_msg": "no"}),
        )],
    );
    let options = ApplyOptions {
        concurrency: 1,
        ..ApplyOptions::default()
    };
    let report = plan::apply(&client, &p, &options).await;
    assert!(!report.is_complete());
    let Outcome::Failed { done, error } = &report.scopes[0].outcome else {
        panic!("{report:?}")
    };
    assert_eq!(done.created, 0);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    assert!(
        report.scopes[1..]
            .iter()
            .all(|s| matches!(s.outcome, Outcome::Done(_)))
    );
    let rest = plan::plan(&client, &want, &Options::default()).await;
    assert_eq!(rest.counts().create, 2, "{rest:?}");
    assert!(plan::apply(&client, &rest, &options).await.is_complete());
    assert!(
        !plan::plan(&client, &want, &Options::default())
            .await
            .has_changes()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_answer_is_lost_makes_no_duplicate() {
    let (fake, client) = setup().await;
    let want = Desired {
        scopes: vec![Scope::Repository(1)],
        webhooks: vec![ci()],
        ..Desired::default()
    };
    let p = plan::plan(&client, &want, &Options::default()).await;
    // The fake creates the webhook, then drops the connection without answering.
    fake.inject("AddRepositoryWebhook", [Fault::handle_then_drop()]);
    let report = plan::apply(&client, &p, &ApplyOptions::default()).await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(fake.requests("AddRepositoryWebhook"), 1, "not sent again");
    assert_eq!(fake.webhook_ids().len(), 1, "one webhook, no duplicate");
    assert!(
        !plan::plan(&client, &want, &Options::default())
            .await
            .has_changes()
    );
    // Lost for real (dropped before the service saw it): created on the second try.
    let want = Desired {
        scopes: vec![Scope::Repository(2)],
        webhooks: vec![ci()],
        ..Desired::default()
    };
    let p = plan::plan(&client, &want, &Options::default()).await;
    fake.inject("AddRepositoryWebhook", [Fault::drop_connection()]);
    assert!(
        plan::apply(&client, &p, &ApplyOptions::default())
            .await
            .is_complete()
    );
    assert_eq!(fake.webhook_ids().len(), 2);
}

/// How many events repository 1's Feishu subscription holds.
async fn feishu_events(client: &Client) -> usize {
    client
        .repo()
        .show_notification_subscription()
        .repository_id(1)
        .type_(NotificationType::Feishu)
        .send()
        .await
        .unwrap()
        .into_inner()
        .subscript_events
        .map_or(0, |e| e.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_and_check_triggers() {
    let (fake, client) = setup().await;
    let want = Desired {
        notifications: vec![DesiredNotification {
            repository: 1,
            channel: NotificationType::Feishu,
            enabled: true,
            chat: Some(DesiredChat {
                url: "https://open.feishu.cn/hook/abc".into(),
                mention_users: vec!["u1".into()],
                mention_phones: vec![],
                token_env: None,
                token: Some("chat-secret".into()),
            }),
            events: vec![
                DesiredEvent {
                    resource: SubscriptionResourceType::Repo,
                    action: SubscriptionAction::Delete,
                    enabled: true,
                },
                DesiredEvent {
                    resource: SubscriptionResourceType::Mr,
                    action: SubscriptionAction::Merge,
                    enabled: false,
                },
            ],
        }],
        triggers: vec![DesiredTrigger {
            task: "task-1".into(),
            merge_request: Some(true),
            push: None,
        }],
        ..Desired::default()
    };
    let p = plan::plan(&client, &want, &Options::default()).await;
    assert_eq!(
        p.notifications[0].fields,
        [
            "enabled",
            "subscript_events",
            "webhook_config.url",
            "webhook_config.mention_users"
        ]
    );
    assert!(p.has_changes());
    let report = plan::apply(&client, &p, &ApplyOptions::default()).await;
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(fake.check_task("task-1"), Some((Some(true), None)));
    let again = plan::plan(&client, &want, &Options::default()).await;
    assert!(!again.has_changes(), "{again:?}");
    assert!(again.notifications[0].token_unknown);
    // An event the file does not name is left as it is.
    assert_eq!(feishu_events(&client).await, 2);
    let mut one_more = want.clone();
    one_more.notifications[0].events.push(DesiredEvent {
        resource: SubscriptionResourceType::Note,
        action: SubscriptionAction::CreateNote,
        enabled: true,
    });
    let p = plan::plan(&client, &one_more, &Options::default()).await;
    assert_eq!(p.notifications[0].fields, ["subscript_events"]);
    assert!(
        plan::apply(&client, &p, &ApplyOptions::default())
            .await
            .is_complete()
    );
    assert_eq!(
        feishu_events(&client).await,
        3,
        "the two earlier events are kept"
    );
    // Triggers cannot be read: they stay in the plan, not counted as pending.
    assert_eq!(again.triggers.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_that_cannot_be_listed_is_reported() {
    let (fake, client) = setup().await;
    fake.inject("ListGroupWebhooks", [Fault::status(403)]);
    let p = plan::plan(
        &client,
        &desired(vec![Scope::Group(5), Scope::Repository(5)]),
        &Options::default(),
    )
    .await;
    assert!(
        matches!(&p.scopes[0].problem, Some(Problem::ListFailed(Error::Service(e))) if e.status == 403)
    );
    assert!(p.scopes[1].problem.is_none());
    assert!(p.has_problems());
}
