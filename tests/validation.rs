//! Every documented constraint is checked before anything is sent, with an error that names the
//! field and the rule.

mod common;

use codearts_webhooks::{
    Error,
    fake::FakeCodeArts,
    repo::types::{
        NotificationType, RepoSubscriptionEventDto, UpdateRepoNotificationSubscriptionDto,
        WebhookParamsDto, WebhookParamsRequestDto,
    },
};
use common::{Mode, PROJECT, client};

fn invalid<T: std::fmt::Debug, E>(result: Result<T, E>) -> (String, String)
where
    Error: From<E>,
{
    match result.map_err(Error::from) {
        Err(Error::InvalidInput { field, rule }) => (field, rule),
        other => panic!("expected an input error, got {other:?}"),
    }
}

fn group_body() -> codearts_webhooks::repo::types::builder::WebhookParamsRequestDto {
    WebhookParamsRequestDto::builder()
        .url("https://ci.example.com/hook")
        .name("ci")
        .push_events(true)
        .push_events_branch_regex_filter(".*".to_string())
}

#[tokio::test]
async fn bad_values_fail_before_sending_and_name_field_and_rule() {
    let fake = FakeCodeArts::start().await.unwrap();
    let c = client(&fake, Mode::AkSk);
    let r = c.repo();
    let long = |n: usize| "x".repeat(n);

    type Case<'a> = ((String, String), (&'a str, &'a str));
    let cases: Vec<Case> = vec![
        (
            invalid(r.show_group_webhook().group_id(0).hook_id(1).send().await),
            ("group_id", "must be at least 1 (got 0)"),
        ),
        (
            invalid(r.show_group_webhook().group_id(-5).hook_id(1).send().await),
            ("group_id", "must be at least 1 (got -5)"),
        ),
        (
            invalid(
                r.show_repository_webhook()
                    .repository_id(1)
                    .hook_id(0)
                    .send()
                    .await,
            ),
            ("hook_id", "must be at least 1 (got 0)"),
        ),
        (
            invalid(
                r.show_group_webhook_log()
                    .group_id(1)
                    .hook_id(1)
                    .log_id(0)
                    .send()
                    .await,
            ),
            ("log_id", "must be at least 1 (got 0)"),
        ),
        (
            invalid(
                r.show_project_webhook()
                    .project_id("short")
                    .hook_id(1)
                    .send()
                    .await,
            ),
            ("project_id", "must be exactly 32 characters long (got 5)"),
        ),
        (
            invalid(r.list_group_webhooks().group_id(1).limit(0).send().await),
            ("limit", "must be at least 1 (got 0)"),
        ),
        (
            invalid(r.list_group_webhooks().group_id(1).limit(101).send().await),
            ("limit", "must be at most 100 (got 101)"),
        ),
        (
            invalid(r.list_group_webhooks().group_id(1).offset(-1).send().await),
            ("offset", "must be at least 0 (got -1)"),
        ),
        (
            invalid(
                r.list_repository_webhook_logs()
                    .repository_id(1)
                    .hook_id(1)
                    .uuid(long(101))
                    .send()
                    .await,
            ),
            ("uuid", "must be at most 100 characters long (got 101)"),
        ),
        (
            invalid(
                r.list_group_webhook_logs()
                    .group_id(1)
                    .hook_id(1)
                    .uuid(String::new())
                    .send()
                    .await,
            ),
            ("uuid", "must be at least 1 characters long (got 0)"),
        ),
        (
            invalid(
                r.list_project_webhook_logs()
                    .project_id(PROJECT)
                    .hook_id(1)
                    .repository_id(0)
                    .send()
                    .await,
            ),
            ("repository_id", "must be at least 1 (got 0)"),
        ),
        (
            invalid(
                r.add_repository_webhook()
                    .repository_id(1)
                    .body(WebhookParamsDto {
                        url: Some(long(501)),
                        ..Default::default()
                    })
                    .send()
                    .await,
            ),
            ("body.url", "must be at most 500 characters long (got 501)"),
        ),
        (
            invalid(
                r.add_repository_webhook()
                    .repository_id(1)
                    .body(WebhookParamsDto {
                        token: Some(long(2001)),
                        ..Default::default()
                    })
                    .send()
                    .await,
            ),
            (
                "body.token",
                "must be at most 2000 characters long (got 2001)",
            ),
        ),
        (
            invalid(
                r.update_project_webhook()
                    .project_id(PROJECT)
                    .hook_id(1)
                    .body(WebhookParamsDto {
                        name: Some(long(201)),
                        ..Default::default()
                    })
                    .send()
                    .await,
            ),
            ("body.name", "must be at most 200 characters long (got 201)"),
        ),
        (
            invalid(
                r.add_project_webhook()
                    .project_id(PROJECT)
                    .body(WebhookParamsDto {
                        token_type: Some(long(201)),
                        ..Default::default()
                    })
                    .send()
                    .await,
            ),
            (
                "body.token_type",
                "must be at most 200 characters long (got 201)",
            ),
        ),
        (
            invalid(
                r.add_project_webhook()
                    .project_id(PROJECT)
                    .body(WebhookParamsDto {
                        description: Some(long(201)),
                        ..Default::default()
                    })
                    .send()
                    .await,
            ),
            (
                "body.description",
                "must be at most 200 characters long (got 201)",
            ),
        ),
        (
            invalid(
                r.add_project_webhook()
                    .project_id(PROJECT)
                    .body(WebhookParamsDto {
                        push_events_branch_regex_filter: Some(long(501)),
                        ..Default::default()
                    })
                    .send()
                    .await,
            ),
            (
                "body.push_events_branch_regex_filter",
                "must be at most 500 characters long (got 501)",
            ),
        ),
        (
            invalid(
                r.add_repository_webhook()
                    .repository_id(1)
                    .body(WebhookParamsDto {
                        note_plain_text_filter: vec!["a".into(); 11],
                        ..Default::default()
                    })
                    .send()
                    .await,
            ),
            (
                "body.note_plain_text_filter",
                "must have at most 10 items (got 11)",
            ),
        ),
        (
            invalid(
                r.add_repository_webhook()
                    .repository_id(1)
                    .body(WebhookParamsDto {
                        note_plain_text_filter: vec!["ok".into(), long(51)],
                        ..Default::default()
                    })
                    .send()
                    .await,
            ),
            (
                "body.note_plain_text_filter[1]",
                "must be at most 50 characters long (got 51)",
            ),
        ),
        (
            invalid(
                r.add_group_webhook()
                    .group_id(1)
                    .body(WebhookParamsRequestDto::builder().name("n"))
                    .send()
                    .await,
            ),
            ("body.url", "is required"),
        ),
        // The same through `body_map`, where progenitor converts the builder in `send`.
        (
            invalid(
                r.add_group_webhook()
                    .group_id(1)
                    .body_map(|b| b.name("n"))
                    .send()
                    .await,
            ),
            ("body.url", "is required"),
        ),
        (
            invalid(
                r.add_group_webhook()
                    .group_id(1)
                    .body(group_body().push_events(false))
                    .send()
                    .await,
            ),
            (
                "body",
                "must enable at least one of push_events, tag_push_events, merge_requests_events and note_events",
            ),
        ),
        (
            invalid(
                r.add_group_webhook()
                    .group_id(1)
                    .body(group_body().push_events_branch_regex_filter(None))
                    .send()
                    .await,
            ),
            (
                "body.push_events_branch_regex_filter",
                "is required when push_events is true (a branch regex such as \".*\")",
            ),
        ),
        (
            invalid(
                r.update_group_webhook()
                    .group_id(1)
                    .hook_id(2)
                    .body(group_body().note_events(true))
                    .send()
                    .await,
            ),
            (
                "body.note_plain_text_filter",
                "is required when note_events is true",
            ),
        ),
        (
            invalid(
                r.show_notification_subscription()
                    .repository_id(1)
                    .send()
                    .await,
            ),
            ("type", "is required"),
        ),
        (
            invalid(
                r.update_notification_subscription()
                    .repository_id(1)
                    .type_(NotificationType::Email)
                    .body(UpdateRepoNotificationSubscriptionDto {
                        waring_repo_usage_rate: Some(70),
                        ..Default::default()
                    })
                    .send()
                    .await,
            ),
            (
                "body.waring_repo_usage_rate",
                "must be one of 60, 80, 90 (got 70)",
            ),
        ),
        (
            invalid(
                r.update_notification_subscription()
                    .repository_id(1)
                    .type_(NotificationType::Email)
                    .body(UpdateRepoNotificationSubscriptionDto {
                        subscript_events: vec![RepoSubscriptionEventDto {
                            action: Some("archive".into()),
                            ..Default::default()
                        }],
                        ..Default::default()
                    })
                    .send()
                    .await,
            ),
            (
                "body.subscript_events[0].action",
                "must be one of create, open, update, delete, merge, review, approve, create_note, resolve_note, capacity_warning, mention (got \"archive\")",
            ),
        ),
        (
            invalid(
                c.check()
                    .update_code_check_webhook()
                    .task_id(long(129))
                    .send()
                    .await,
            ),
            ("task_id", "must be at most 128 characters long (got 129)"),
        ),
        // A URL would resolve these away: `/v4/tasks/../webhook` is `/v4/webhook`.
        (
            invalid(
                c.check()
                    .update_code_check_webhook()
                    .task_id("..")
                    .body_map(|b| b.is_set_push_webhook(true))
                    .send()
                    .await,
            ),
            (
                "task_id",
                "must not be `.` or `..`: in a URL path they would name another path",
            ),
        ),
        (
            invalid(
                c.check()
                    .update_code_check_webhook()
                    .task_id(".")
                    .body_map(|b| b.is_set_push_webhook(true))
                    .send()
                    .await,
            ),
            (
                "task_id",
                "must not be `.` or `..`: in a URL path they would name another path",
            ),
        ),
        (
            invalid(r.show_group_webhook().group_id(1).send().await),
            ("hook_id", "is required"),
        ),
        // A value the builder cannot take keeps its own message, not "is required".
        (
            invalid(
                r.show_group_webhook()
                    .group_id(1)
                    .hook_id(u64::MAX)
                    .send()
                    .await,
            ),
            ("hook_id", "has the wrong type"),
        ),
    ];
    for ((field, rule), (want_field, want_rule)) in &cases {
        assert_eq!((field.as_str(), rule.as_str()), (*want_field, *want_rule));
    }
    assert!(
        fake.received().is_empty(),
        "nothing may be sent: {:?}",
        fake.received()
    );
}

#[tokio::test]
async fn the_error_reads_as_one_line() {
    let fake = FakeCodeArts::start().await.unwrap();
    let e = client(&fake, Mode::Token)
        .repo()
        .list_group_webhooks()
        .group_id(1)
        .limit(101)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        Error::from(e).to_string(),
        "invalid input: limit must be at most 100 (got 101)"
    );
}

#[tokio::test]
async fn valid_group_webhooks_pass_the_documented_rules() {
    let fake = FakeCodeArts::start().await.unwrap();
    let r = client(&fake, Mode::Token);
    let hook = r
        .repo()
        .add_group_webhook()
        .group_id(1)
        .body(
            group_body()
                .note_events(true)
                .note_plain_text_filter(vec!["/ci".to_string()]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        hook.note_plain_text_filter.as_deref(),
        Some(&["/ci".to_string()][..])
    );
    let tag_only = WebhookParamsRequestDto::builder()
        .url("https://x")
        .name("t")
        .tag_push_events(true);
    r.repo()
        .add_group_webhook()
        .group_id(1)
        .body(tag_only)
        .send()
        .await
        .unwrap();
}
