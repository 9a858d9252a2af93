//! The exact request of every operation, as the server receives it: method, path, query in the
//! order sent, every header (lower-case, sorted) and the body as pretty JSON.
//!
//! Determinism: AK/SK signing with fixed keys and a fixed clock, and a fixed host: the client
//! talks to the official host names through the loopback fake used as an HTTP proxy, so the
//! `Host` header, `X-Sdk-Date` and `Authorization` are the same on every run.

mod common;

use std::time::Duration;

use codearts_webhooks::{
    Client, Credentials,
    clock::FixedClock,
    fake::{FakeCodeArts, Received},
    notification::ChatWebhook,
    repo::types::{
        NotificationType, RepoSubscriptionEventDto, UpdateRepoNotificationSubscriptionDto,
        WebhookParamsDto, WebhookParamsRequestDto,
    },
    signer::parse_sdk_date,
};
use serde_json::Value;

const REPO_HOST: &str = "http://codehub-ext.cn-north-4.myhuaweicloud.com";
const CHECK_HOST: &str = "http://codearts-check.cn-north-4.myhuaweicloud.com";
const PROJECT: &str = "a642c851d4dc4853b595e5c8a5e56df7";

async fn fake() -> FakeCodeArts {
    FakeCodeArts::builder()
        .key("AKEXAMPLE", "SKEXAMPLE")
        .tokens(["snapshot-iam-token"])
        // The clock is pinned to 2026-11-23T06:15:00Z; the fake must not mind.
        .max_clock_skew(Duration::from_secs(100 * 365 * 24 * 3600))
        .start()
        .await
        .unwrap()
}

fn client(fake: &FakeCodeArts, credentials: Credentials) -> Client {
    Client::builder()
        .credentials(credentials)
        .repo_endpoint(REPO_HOST)
        .check_endpoint(CHECK_HOST)
        .proxy(fake.endpoint())
        .clock(FixedClock(parse_sdk_date("20261123T061500Z").unwrap()))
        .retry(codearts_webhooks::RetryPolicy::none())
        .build()
        .unwrap()
}

fn aksk() -> Credentials {
    Credentials::aksk("AKEXAMPLE", "SKEXAMPLE")
}

/// The last request the fake received, as text.
fn last(fake: &FakeCodeArts) -> Received {
    fake.received().pop().expect("a request reached the server")
}

fn render(r: &Received) -> String {
    let mut headers = r.headers.clone();
    headers.sort();
    let mut out = format!(
        "{} {}\nquery: {}\nheaders:\n",
        r.method,
        r.path,
        r.query.as_deref().unwrap_or("(none)")
    );
    for (n, v) in headers {
        out.push_str(&format!("  {n}: {v}\n"));
    }
    out.push_str("body:");
    if r.body.is_empty() {
        out.push_str(" (none)\n");
    } else {
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        out.push('\n');
        out.push_str(&serde_json::to_string_pretty(&v).unwrap());
        out.push('\n');
    }
    out
}

macro_rules! pin {
    ($fake:expr, $name:literal, $call:expr) => {{
        let before = $fake.received().len();
        let _ = $call.send().await;
        assert_eq!(
            $fake.received().len(),
            before + 1,
            "{} sent one request",
            $name
        );
        insta::assert_snapshot!($name, render(&last(&$fake)));
    }};
}

fn full_params() -> WebhookParamsDto {
    WebhookParamsDto {
        url: Some("https://ci.example.com/hook?a=1&b=2".into()),
        name: Some("ci 构建".into()),
        description: Some("every field set".into()),
        push_events: Some(true),
        push_events_branch_regex_filter: Some("^(main|release/.*)$".into()),
        tag_push_events: Some(true),
        merge_requests_events: Some(true),
        note_events: Some(true),
        note_plain_text_filter: vec!["/retest".into(), "/lgtm".into()],
        token: Some("receiver-secret".into()),
        token_type: Some("X-Repo-Token".into()),
    }
}

fn full_group_params() -> WebhookParamsRequestDto {
    let p = full_params();
    WebhookParamsRequestDto {
        url: p.url.unwrap(),
        name: p.name.unwrap(),
        description: p.description,
        push_events: p.push_events,
        push_events_branch_regex_filter: p.push_events_branch_regex_filter,
        tag_push_events: p.tag_push_events,
        merge_requests_events: p.merge_requests_events,
        note_events: p.note_events,
        note_plain_text_filter: p.note_plain_text_filter,
        token: p.token,
        token_type: p.token_type,
    }
}

fn minimal_group_params() -> WebhookParamsRequestDto {
    WebhookParamsRequestDto::builder()
        .url("https://ci.example.com/hook")
        .name("ci")
        .tag_push_events(true)
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn every_operation_is_pinned() {
    let fake = fake().await;
    let c = client(&fake, aksk());
    let r = c.repo();

    pin!(
        fake,
        "AddGroupWebhook_full",
        r.add_group_webhook().group_id(1).body(full_group_params())
    );
    pin!(
        fake,
        "AddGroupWebhook_minimal",
        r.add_group_webhook()
            .group_id(1)
            .body(minimal_group_params())
    );
    pin!(
        fake,
        "ListGroupWebhooks_plain",
        r.list_group_webhooks().group_id(1)
    );
    pin!(
        fake,
        "ListGroupWebhooks_paged",
        r.list_group_webhooks().group_id(1).offset(40).limit(20)
    );
    pin!(
        fake,
        "ShowGroupWebhook",
        r.show_group_webhook().group_id(1).hook_id(2)
    );
    pin!(
        fake,
        "UpdateGroupWebhook_full",
        r.update_group_webhook()
            .group_id(1)
            .hook_id(2)
            .body(full_group_params())
    );
    pin!(
        fake,
        "UpdateGroupWebhook_minimal",
        r.update_group_webhook()
            .group_id(1)
            .hook_id(2)
            .body(minimal_group_params())
    );
    pin!(
        fake,
        "RemoveGroupWebhook",
        r.remove_group_webhook().group_id(1).hook_id(2)
    );
    pin!(
        fake,
        "ListGroupWebhookLogs_plain",
        r.list_group_webhook_logs().group_id(1).hook_id(2)
    );
    pin!(
        fake,
        "ListGroupWebhookLogs_filtered",
        r.list_group_webhook_logs()
            .group_id(1)
            .hook_id(2)
            .offset(0)
            .limit(10)
            .repository_id(2111978605)
            .uuid("a b/c~*")
            .created_after("2026-11-01T00:00:00+08:00")
            .created_before("2026-11-30T23:59:59+08:00")
    );
    pin!(
        fake,
        "ShowGroupWebhookLog",
        r.show_group_webhook_log().group_id(1).hook_id(2).log_id(3)
    );

    pin!(
        fake,
        "AddProjectWebhook_full",
        r.add_project_webhook()
            .project_id(PROJECT)
            .body(full_params())
    );
    pin!(
        fake,
        "AddProjectWebhook_minimal",
        r.add_project_webhook()
            .project_id(PROJECT)
            .body(WebhookParamsDto::default())
    );
    pin!(
        fake,
        "ListProjectWebhooks_plain",
        r.list_project_webhooks().project_id(PROJECT)
    );
    pin!(
        fake,
        "ListProjectWebhooks_paged",
        r.list_project_webhooks()
            .project_id(PROJECT)
            .offset(100)
            .limit(100)
    );
    pin!(
        fake,
        "ShowProjectWebhook",
        r.show_project_webhook().project_id(PROJECT).hook_id(1)
    );
    pin!(
        fake,
        "UpdateProjectWebhook_full",
        r.update_project_webhook()
            .project_id(PROJECT)
            .hook_id(1)
            .body(full_params())
    );
    pin!(
        fake,
        "UpdateProjectWebhook_minimal",
        r.update_project_webhook()
            .project_id(PROJECT)
            .hook_id(1)
            .body(WebhookParamsDto::default())
    );
    pin!(
        fake,
        "RemoveProjectWebhook",
        r.remove_project_webhook().project_id(PROJECT).hook_id(1)
    );
    pin!(
        fake,
        "ListProjectWebhookLogs_plain",
        r.list_project_webhook_logs().project_id(PROJECT).hook_id(1)
    );
    pin!(
        fake,
        "ListProjectWebhookLogs_filtered",
        r.list_project_webhook_logs()
            .project_id(PROJECT)
            .hook_id(1)
            .limit(5)
            .repository_id(7)
            .uuid("42")
    );
    pin!(
        fake,
        "ShowProjectWebhookLog",
        r.show_project_webhook_log()
            .project_id(PROJECT)
            .hook_id(1)
            .log_id(9)
    );

    pin!(
        fake,
        "AddRepositoryWebhook_full",
        r.add_repository_webhook()
            .repository_id(123)
            .body(full_params())
    );
    pin!(
        fake,
        "AddRepositoryWebhook_minimal",
        r.add_repository_webhook()
            .repository_id(123)
            .body(WebhookParamsDto::default())
    );
    pin!(
        fake,
        "ListRepositoryWebhooks_plain",
        r.list_repository_webhooks().repository_id(123)
    );
    pin!(
        fake,
        "ListRepositoryWebhooks_paged",
        r.list_repository_webhooks()
            .repository_id(123)
            .include_system(true)
            .offset(20)
            .limit(20)
    );
    pin!(
        fake,
        "ShowRepositoryWebhook",
        r.show_repository_webhook().repository_id(123).hook_id(1)
    );
    pin!(
        fake,
        "UpdateRepositoryWebhook_full",
        r.update_repository_webhook()
            .repository_id(123)
            .hook_id(1)
            .body(full_params())
    );
    pin!(
        fake,
        "UpdateRepositoryWebhook_minimal",
        r.update_repository_webhook()
            .repository_id(123)
            .hook_id(1)
            .body(WebhookParamsDto::default())
    );
    pin!(
        fake,
        "RemoveRepositoryWebhook",
        r.remove_repository_webhook().repository_id(123).hook_id(1)
    );
    pin!(
        fake,
        "ListRepositoryWebhookLogs_plain",
        r.list_repository_webhook_logs()
            .repository_id(123)
            .hook_id(1)
    );
    pin!(
        fake,
        "ListRepositoryWebhookLogs_filtered",
        r.list_repository_webhook_logs()
            .repository_id(123)
            .hook_id(1)
            .uuid("a b/c~*")
            .offset(0)
            .limit(10)
            .created_after("2026-11-01T00:00:00+08:00")
    );
    pin!(
        fake,
        "ShowRepositoryWebhookLog",
        r.show_repository_webhook_log()
            .repository_id(123)
            .hook_id(1)
            .log_id(2)
    );

    pin!(
        fake,
        "ShowNotificationSubscription",
        r.show_notification_subscription()
            .repository_id(123)
            .type_(NotificationType::Dingding)
    );
    let chat = ChatWebhook::new("https://oapi.dingtalk.com/robot/send?access_token=abc")
        .token("chat-secret")
        .mention_users(["u1", "u2"])
        .mention_phones(["13800000000"]);
    pin!(
        fake,
        "UpdateNotificationSubscription",
        r.update_notification_subscription()
            .repository_id(123)
            .type_(NotificationType::Dingding)
            .body(UpdateRepoNotificationSubscriptionDto {
                enabled: Some(true),
                config_source: Some("repo".into()),
                waring_repo_usage_rate: Some(90),
                webhook_config: Some(chat.encode().unwrap()),
                subscript_events: vec![RepoSubscriptionEventDto {
                    resource_type: Some("mr".into()),
                    action: Some("merge".into()),
                    enabled: Some(true),
                    role_ids: None,
                    role_names: Some(vec!["creator".into(), "reviewer".into()]),
                }],
            })
    );
    pin!(
        fake,
        "ShowNotificationSubscriptionsStatus",
        r.show_notification_subscriptions_status()
            .repository_id(123)
    );
    pin!(
        fake,
        "UpdateCodeCheckWebhook",
        c.check()
            .update_code_check_webhook()
            .task_id("8df8d58f832a408f88e4aebea0ff6fc5")
            .body_map(|b| b.is_set_mr_webhook(true).is_set_push_webhook(false))
    );
}

#[tokio::test]
async fn other_credential_modes_are_pinned() {
    let fake = fake().await;
    let token = client(&fake, Credentials::token("snapshot-iam-token"));
    pin!(
        fake,
        "ShowRepositoryWebhook_token",
        token
            .repo()
            .show_repository_webhook()
            .repository_id(123)
            .hook_id(1)
    );
    let temporary = client(
        &fake,
        aksk()
            .with_security_token("snapshot-security-token")
            .with_project_id("0123456789abcdef0123456789abcdef"),
    );
    pin!(
        fake,
        "UpdateRepositoryWebhook_security_token_and_project_id",
        temporary
            .repo()
            .update_repository_webhook()
            .repository_id(123)
            .hook_id(1)
            .body(full_params())
    );
}

/// One query encoding whatever the credentials: the official SDK's (RFC 3986, sorted by key then
/// value). The same awkward values reach the server byte for byte alike with an IAM token and
/// with AK/SK signing.
#[tokio::test]
async fn the_query_is_encoded_alike_in_both_credential_modes() {
    let fake = fake().await;
    let awkward = "a b+c/d*e~f!g'h(i%j é";
    let mut queries = Vec::new();
    for (mode, credentials) in [
        ("token", Credentials::token("snapshot-iam-token")),
        ("aksk", aksk()),
    ] {
        let c = client(&fake, credentials);
        let _ = c
            .repo()
            .list_repository_webhook_logs()
            .repository_id(123)
            .hook_id(1)
            .uuid(awkward)
            .created_before("2026-11-23 06:15:00")
            .limit(20)
            .send()
            .await;
        let sent = last(&fake);
        let query = sent.query.clone().unwrap_or_default();
        match mode {
            "token" => insta::assert_snapshot!("awkward_query_token", query),
            _ => insta::assert_snapshot!("awkward_query_aksk", query),
        }
        queries.push(sent.query);
    }
    assert_eq!(queries[0], queries[1]);
    assert_eq!(
        queries[0].as_deref(),
        Some(
            "created_before=2026-11-23%2006%3A15%3A00&limit=20&\
             uuid=a%20b%2Bc%2Fd%2Ae~f%21g%27h%28i%25j%20%C3%A9"
        )
    );
}
