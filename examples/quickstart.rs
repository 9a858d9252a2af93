//! A tour of the crate: webhooks on a group, a project and a repository, paging, updates,
//! delivery logs, a chat notification, the CodeArts Check triggers, and an error as a user sees
//! it.
//!
//! With no environment it runs against the embedded fake server:
//!
//! ```sh
//! cargo run --example quickstart --features fake
//! ```
//!
//! Against the real service, set the official SDK's variables (`HUAWEICLOUD_SDK_AK` and
//! `HUAWEICLOUD_SDK_SK`, or `HUAWEICLOUD_SDK_AUTH_TOKEN`; and `HUAWEICLOUD_SDK_REGION`) and the
//! ids of things to try it on: `CODEARTS_GROUP_ID`, `CODEARTS_PROJECT_ID` (the 32-character
//! CodeArts project UUID), `CODEARTS_REPOSITORY_ID` and `CODEARTS_CHECK_TASK_ID`. The tour
//! creates webhooks and removes them again; it changes the repository's Feishu notification
//! settings and the check task's triggers.

use std::error::Error as StdError;

use codearts_webhooks::{
    Client, Credentials, Error,
    fake::FakeCodeArts,
    notification::ChatWebhook,
    page::{self, TotalCount},
    repo::types::{
        NotificationType, UpdateRepoNotificationSubscriptionDto, WebhookParamsDto,
        WebhookParamsRequestDto,
    },
};
use futures_util::TryStreamExt;

struct Target {
    client: Client,
    group: i32,
    project: String,
    repository: i32,
    task: String,
    /// Set when touring the fake: it can simulate deliveries.
    fake: Option<FakeCodeArts>,
}

async fn target() -> Result<Target, Box<dyn StdError>> {
    let real = ["HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_AUTH_TOKEN"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    if real {
        let var = |name: &str| {
            std::env::var(name).map_err(|_| format!("set {name} to tour the real service"))
        };
        println!(
            "Touring the real service in {}.",
            var("HUAWEICLOUD_SDK_REGION")?
        );
        return Ok(Target {
            client: Client::from_env()?,
            group: var("CODEARTS_GROUP_ID")?.parse()?,
            project: var("CODEARTS_PROJECT_ID")?,
            repository: var("CODEARTS_REPOSITORY_ID")?.parse()?,
            task: var("CODEARTS_CHECK_TASK_ID")?,
            fake: None,
        });
    }
    let fake = FakeCodeArts::start().await?;
    println!(
        "No credentials in the environment: touring the embedded fake at {}.",
        fake.endpoint()
    );
    let (ak, sk) = fake.key();
    let client = fake
        .client_builder()
        .credentials(Credentials::aksk(ak, sk))
        .build()?;
    Ok(Target {
        client,
        group: 1001,
        project: "a642c851d4dc4853b595e5c8a5e56df7".into(),
        repository: 2111978605,
        task: "8df8d58f832a408f88e4aebea0ff6fc5".into(),
        fake: Some(fake),
    })
}

fn hook(name: &str) -> WebhookParamsDto {
    WebhookParamsDto {
        url: Some(format!("https://ci.example.com/hooks/{name}")),
        name: Some(name.into()),
        push_events: Some(true),
        push_events_branch_regex_filter: Some("^(main|release/.*)$".into()),
        merge_requests_events: Some(true),
        token: Some("receiver-secret".into()),
        ..Default::default()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn StdError>> {
    let t = target().await?;
    let repo = t.client.repo();

    let group_hook = repo
        .add_group_webhook()
        .group_id(t.group)
        .body(
            WebhookParamsRequestDto::builder()
                .url("https://ci.example.com/hooks/group")
                .name("group-ci")
                .merge_requests_events(true),
        )
        .send()
        .await?;
    println!(
        "1. group {}: created webhook {} ({})",
        t.group,
        group_hook.id.unwrap_or(0),
        group_hook.status()
    );

    let project_hook = repo
        .add_project_webhook()
        .project_id(&t.project)
        .body(hook("project-ci"))
        .send()
        .await?;
    println!(
        "2. project {}: created webhook {}",
        t.project,
        project_hook.id.unwrap_or(0)
    );

    let mut ids = Vec::new();
    let mut mask = String::new();
    for i in 0..3 {
        let created = repo
            .add_repository_webhook()
            .repository_id(t.repository)
            .body(hook(&format!("repo-ci-{i}")))
            .send()
            .await?;
        ids.push(created.id.unwrap_or(0));
        mask = created.token.clone().unwrap_or_default();
    }
    println!(
        "3. repository {}: created webhooks {ids:?}; the token comes back masked: {mask:?}",
        t.repository
    );

    let first = repo
        .list_repository_webhooks()
        .repository_id(t.repository)
        .limit(2)
        .send()
        .await?;
    println!(
        "4. first page: {} of X-Total {}",
        first.len(),
        first.total().unwrap_or(0)
    );
    let all: Vec<_> = page::items(2, |p| {
        repo.list_repository_webhooks()
            .repository_id(t.repository)
            .offset(p.offset)
            .limit(p.limit)
            .send()
    })
    .try_collect()
    .await?;
    println!("   every page: {} webhooks", all.len());

    let updated = repo
        .update_repository_webhook()
        .repository_id(t.repository)
        .hook_id(ids[0])
        .body(WebhookParamsDto {
            tag_push_events: Some(true),
            description: Some("also tags".into()),
            ..hook("repo-ci-0")
        })
        .send()
        .await?;
    println!(
        "5. updated webhook {}: tag pushes {:?}",
        ids[0], updated.tag_push_events
    );
    let shown = repo
        .show_repository_webhook()
        .repository_id(t.repository)
        .hook_id(ids[0])
        .send()
        .await?;
    println!(
        "6. shown: {:?} -> {:?}",
        shown.name.as_deref().unwrap_or(""),
        shown.url.as_deref().unwrap_or("")
    );

    if let Some(fake) = &t.fake {
        fake.deliver(ids[0], "push", "200");
        fake.deliver(ids[0], "merge_request", "internal error");
    }
    let logs = repo
        .list_repository_webhook_logs()
        .repository_id(t.repository)
        .hook_id(ids[0])
        .send()
        .await?;
    println!("7. delivery logs: {}", logs.len());
    for log in logs.iter() {
        println!(
            "   - {} -> {}",
            log.trigger.as_deref().unwrap_or("?"),
            log.response_status.as_deref().unwrap_or("?")
        );
    }

    let chat = ChatWebhook::new("https://open.feishu.cn/open-apis/bot/v2/hook/quickstart")
        .token("chat-secret")
        .mention_users(["ou_123"]);
    let sub = repo
        .update_notification_subscription()
        .repository_id(t.repository)
        .type_(NotificationType::Feishu)
        .body(UpdateRepoNotificationSubscriptionDto {
            enabled: Some(true),
            webhook_config: Some(chat.encode()?),
            ..Default::default()
        })
        .send()
        .await?;
    let cfg = sub.webhook_config.clone().unwrap_or_default();
    println!(
        "8. Feishu notifications on: {:?}; url sent Base64, shown back as {:?}, token set: {:?}",
        sub.enabled.unwrap_or(false),
        cfg.url.as_deref().unwrap_or(""),
        cfg.has_token.unwrap_or(false)
    );

    let check = t
        .client
        .check()
        .update_code_check_webhook()
        .task_id(&t.task)
        .body_map(|b| b.is_set_mr_webhook(true).is_set_push_webhook(false))
        .send()
        .await?;
    println!(
        "9. check task {}: MR trigger on, push trigger off: {:?}",
        t.task,
        check.result.as_deref().unwrap_or("")
    );

    repo.remove_group_webhook()
        .group_id(t.group)
        .hook_id(group_hook.id.unwrap_or(0))
        .send()
        .await?;
    repo.remove_project_webhook()
        .project_id(&t.project)
        .hook_id(project_hook.id.unwrap_or(0))
        .send()
        .await?;
    for id in &ids {
        repo.remove_repository_webhook()
            .repository_id(t.repository)
            .hook_id(*id)
            .send()
            .await?;
    }
    println!("10. removed the {} webhooks", ids.len() + 2);

    let missing = repo
        .show_repository_webhook()
        .repository_id(t.repository)
        .hook_id(ids[0])
        .send()
        .await;
    match missing.map_err(Error::from) {
        Err(e) => println!("11. showing a removed webhook fails as it should:\n    {e}"),
        Ok(_) => println!("11. the removed webhook is still there"),
    }
    let invalid = repo
        .list_repository_webhooks()
        .repository_id(t.repository)
        .limit(500)
        .send()
        .await;
    if let Err(e) = invalid.map_err(Error::from) {
        println!("    and bad input never leaves the machine:\n    {e}");
    }
    Ok(())
}
