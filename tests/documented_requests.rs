//! The five documented operations: the request built from the values of each official page's
//! example has the page's method, path, query and JSON body.

mod common;

use codearts_webhooks::{
    Client, Credentials,
    check::types::UpdateCodeCheckWebhookRequestBody,
    enums::{ConfigSource, SubscriptionAction, SubscriptionResourceType},
    fake::{FakeCodeArts, Received},
    notification::ChatWebhook,
    repo::types::{
        NotificationType, RepoSubscriptionEventDto, UpdateRepoNotificationSubscriptionDto,
        WebhookParamsDto, WebhookParamsRequestDto,
    },
};
use common::{PageExamples, page_examples};
use serde_json::Value;

async fn setup() -> (FakeCodeArts, Client) {
    let fake = FakeCodeArts::start().await.unwrap();
    let client = fake
        .client_builder()
        .credentials(Credentials::token(fake.token()))
        .build()
        .unwrap();
    (fake, client)
}

fn assert_matches_page(file: &str, sent: &Received, required_query: Option<&str>) {
    let page: PageExamples = page_examples(file);
    assert_eq!(sent.method, page.method, "{file}: method");
    assert_eq!(sent.path, page.path, "{file}: path");
    // The page of UpdateNotificationSubscription shows no query although `type` is required:
    // then the query must hold that parameter and nothing else.
    assert_eq!(
        sent.query.as_deref(),
        page.query.as_deref().or(required_query),
        "{file}: query"
    );
    let body: Option<Value> =
        (!sent.body.is_empty()).then(|| serde_json::from_slice(&sent.body).unwrap());
    assert_eq!(body, page.request, "{file}: body");
}

fn last(fake: &FakeCodeArts) -> Received {
    fake.received().pop().unwrap()
}

/// The values of the webhook examples of pages 001 and 002 (which differ only in the name).
fn page_webhook(name: &str) -> WebhookParamsDto {
    WebhookParamsDto {
        url: Some("https://demo1.com".into()),
        push_events: Some(true),
        push_events_branch_regex_filter: Some(".*".into()),
        tag_push_events: Some(true),
        merge_requests_events: Some(false),
        note_events: Some(false),
        token: Some("exampletoken".into()),
        token_type: Some("X-Repo-Token".into()),
        name: Some(name.into()),
        description: Some(name.into()),
        note_plain_text_filter: vec![],
    }
}

#[tokio::test]
async fn update_code_check_webhook() {
    let (fake, c) = setup().await;
    c.check()
        .update_code_check_webhook()
        .task_id("8df8d58f832a408f88e4aebea0ff6fc5")
        .body(UpdateCodeCheckWebhookRequestBody {
            is_set_mr_webhook: Some(true),
            is_set_push_webhook: Some(false),
        })
        .send()
        .await
        .unwrap();
    assert_matches_page("UpdateCodeCheckWebhook.json", &last(&fake), None);
}

#[tokio::test]
async fn add_group_webhook() {
    let (fake, c) = setup().await;
    let p = page_webhook("Code check.");
    c.repo()
        .add_group_webhook()
        .group_id(1)
        .body(WebhookParamsRequestDto {
            url: p.url.unwrap(),
            name: p.name.unwrap(),
            push_events: p.push_events,
            push_events_branch_regex_filter: p.push_events_branch_regex_filter,
            tag_push_events: p.tag_push_events,
            merge_requests_events: p.merge_requests_events,
            note_events: p.note_events,
            token: p.token,
            token_type: p.token_type,
            description: p.description,
            note_plain_text_filter: p.note_plain_text_filter,
        })
        .send()
        .await
        .unwrap();
    assert_matches_page("AddGroupWebhook.json", &last(&fake), None);
}

#[tokio::test]
async fn update_repository_webhook() {
    let (fake, c) = setup().await;
    let _ = c
        .repo()
        .update_repository_webhook()
        .repository_id(1)
        .hook_id(1)
        .body(page_webhook("Code check"))
        .send()
        .await;
    assert_matches_page("UpdateRepositoryWebhook.json", &last(&fake), None);
}

#[tokio::test]
async fn show_project_webhook() {
    let (fake, c) = setup().await;
    let _ = c
        .repo()
        .show_project_webhook()
        .project_id("a642c851d4dc4853b595e5c8a5e56df7")
        .hook_id(1)
        .send()
        .await;
    assert_matches_page("ShowProjectWebhook.json", &last(&fake), None);
}

#[tokio::test]
async fn update_notification_subscription() {
    let (fake, c) = setup().await;
    let event =
        |resource: SubscriptionResourceType, action: SubscriptionAction| RepoSubscriptionEventDto {
            resource_type: Some(resource),
            action: Some(action),
            enabled: Some(true),
            ..Default::default()
        };
    use SubscriptionAction::*;
    use SubscriptionResourceType::{Mr, Repo};
    let chat = ChatWebhook::new(
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=6012181a-e34f-4645-b561-57ab4b3cd566",
    )
    .token("YXNkZmFzZGYyQDEyMw==")
    .mention_users(["1", "2"])
    .mention_phones(["17812341234", "18512341234", "16712345678"]);
    c.repo()
        .update_notification_subscription()
        .repository_id(123)
        .type_(NotificationType::Qyweixin)
        .body(UpdateRepoNotificationSubscriptionDto {
            enabled: Some(true),
            config_source: Some(ConfigSource::Repo),
            waring_repo_usage_rate: Some(60),
            webhook_config: Some(chat.encode().unwrap()),
            subscript_events: vec![
                event(Repo, Delete),
                event(Repo, CapacityWarning),
                event(Mr, Open),
                event(Mr, Update),
                event(Mr, Merge),
                event(Mr, Review),
                event(Mr, Approve),
                event(Mr, CreateNote),
                event(Mr, ResolveNote),
            ],
        })
        .send()
        .await
        .unwrap();
    assert_matches_page(
        "UpdateNotificationSubscription.json",
        &last(&fake),
        Some("type=qyweixin"),
    );
}

/// Each fixture names the page it was taken from, by title and official URL.
#[test]
fn every_fixture_names_its_page() {
    for (file, service, operation) in common::PAGES {
        let p = page_examples(file);
        let book = if *service == "check" {
            "api-codecheck"
        } else {
            "api-codeartsrepo"
        };
        assert_eq!(
            p.url,
            format!("https://support.huaweicloud.com/intl/en-us/{book}/{operation}.html")
        );
        assert!(!p.title.is_empty(), "{file}: no page title");
    }
}

#[test]
fn every_page_yields_its_examples() {
    let counts: Vec<(bool, usize)> = common::PAGES
        .iter()
        .map(|(file, _, _)| {
            let p = page_examples(file);
            (p.request.is_some(), p.responses.len())
        })
        .collect();
    assert_eq!(
        counts,
        [(true, 3), (true, 3), (true, 3), (false, 3), (true, 4)]
    );
}
