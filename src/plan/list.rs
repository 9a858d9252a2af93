//! Reading what exists: every page of every scope, and each notification subscription.

use futures_util::TryStreamExt;

use super::{
    Desired, DesiredNotification, NotificationPlan, Options, Plan, Scope, ScopePlan, TriggerPlan,
    apply::in_order, compare,
};
use crate::{
    Client, Result, page,
    repo::types::{RepoSubscriptionEventDto, WebhookDto},
};

/// Lists every scope of `desired` (at most `options.concurrency` at once) and compares.
/// A scope that cannot be listed gets [`super::Problem::ListFailed`]; the others are planned.
pub async fn plan(client: &Client, desired: &Desired, options: &Options) -> Plan {
    let n = options.concurrency.max(1);
    let scopes = in_order(&desired.scopes, n, |scope| async move {
        match list_webhooks(client, scope).await {
            Ok(existing) => {
                let (changes, problem) =
                    compare::diff(scope, &existing, &desired.webhooks, options);
                ScopePlan {
                    scope: scope.clone(),
                    changes,
                    problem,
                }
            }
            Err(e) => ScopePlan {
                scope: scope.clone(),
                changes: Vec::new(),
                problem: Some(super::Problem::ListFailed(e)),
            },
        }
    })
    .await;
    let notifications = in_order(&desired.notifications, n, |want| {
        notification(client, want, options)
    })
    .await;
    Plan {
        scopes,
        notifications,
        triggers: desired
            .triggers
            .iter()
            .map(|t| TriggerPlan { desired: t.clone() })
            .collect(),
    }
}

/// Every webhook of a scope, all pages.
pub async fn list_webhooks(client: &Client, scope: &Scope) -> Result<Vec<WebhookDto>> {
    let r = client.repo();
    match scope {
        Scope::Group(id) => {
            page::items(100, |p| {
                r.list_group_webhooks()
                    .group_id(*id)
                    .offset(p.offset)
                    .limit(p.limit)
                    .send()
            })
            .try_collect()
            .await
        }
        Scope::Project(id) => {
            page::items(100, |p| {
                r.list_project_webhooks()
                    .project_id(id.as_str())
                    .offset(p.offset)
                    .limit(p.limit)
                    .send()
            })
            .try_collect()
            .await
        }
        Scope::Repository(id) => {
            page::items(100, |p| {
                r.list_repository_webhooks()
                    .repository_id(*id)
                    .offset(p.offset)
                    .limit(p.limit)
                    .send()
            })
            .try_collect()
            .await
        }
    }
}

async fn notification(
    client: &Client,
    want: &DesiredNotification,
    options: &Options,
) -> NotificationPlan {
    let shown = client
        .repo()
        .show_notification_subscription()
        .repository_id(want.repository)
        .type_(want.channel)
        .send()
        .await;
    let mut plan = NotificationPlan {
        desired: want.clone(),
        fields: Vec::new(),
        token_unknown: false,
        error: None,
        events: Vec::new(),
    };
    let have = match shown {
        Ok(v) => v.into_inner(),
        Err(e) => {
            plan.error = Some(e.into());
            return plan;
        }
    };
    if have.enabled != Some(want.enabled) {
        plan.fields.push("enabled");
    }
    if !want.events.is_empty() {
        let mut events = have.subscript_events.clone().unwrap_or_default();
        let mut differs = false;
        for e in &want.events {
            let same = |x: &&mut RepoSubscriptionEventDto| {
                x.resource_type.as_ref() == Some(&e.resource)
                    && x.action.as_ref() == Some(&e.action)
            };
            match events.iter_mut().find(same) {
                Some(x) if x.enabled == Some(e.enabled) => {}
                Some(x) => {
                    x.enabled = Some(e.enabled);
                    differs = true;
                }
                None => {
                    events.push(RepoSubscriptionEventDto {
                        resource_type: Some(e.resource.clone()),
                        action: Some(e.action.clone()),
                        enabled: Some(e.enabled),
                        ..Default::default()
                    });
                    differs = true;
                }
            }
        }
        if differs {
            plan.fields.push("subscript_events");
            plan.events = events;
        }
    }
    if let Some(chat) = &want.chat {
        let config = have.webhook_config.unwrap_or_default();
        if config.url.as_deref() != Some(chat.url.as_str()) {
            plan.fields.push("webhook_config.url");
        }
        if config.mention_users.unwrap_or_default() != chat.mention_users.join(";") {
            plan.fields.push("webhook_config.mention_users");
        }
        if config.mention_phone.unwrap_or_default() != chat.mention_phones.join(";") {
            plan.fields.push("webhook_config.mention_phone");
        }
        if chat.token.is_some() {
            match options.rotate_tokens {
                true => plan.fields.push("webhook_config.token"),
                false => plan.token_unknown = true,
            }
        }
    }
    plan
}
