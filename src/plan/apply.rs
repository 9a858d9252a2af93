//! Carrying a plan out: scopes at once up to a bound, each scope's changes in order (deletes,
//! updates, creates, so that a repository at its cap makes room first).

use futures_util::{StreamExt, stream};

use super::{
    Change, DesiredWebhook, Identity, NotificationPlan, Plan, Scope, ScopePlan, TriggerPlan,
    compare,
};
use crate::{Client, Error, Result, notification::ChatWebhook, repo::types};

/// How to apply.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// How many scopes are worked on at once (default 16).
    pub concurrency: usize,
    /// The identity rule the plan was made with, to recognise a webhook created by a create
    /// whose answer was lost.
    pub identity: Identity,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            concurrency: 16,
            identity: Identity::Url,
        }
    }
}

/// What [`apply`] did.
#[derive(Debug, Default)]
pub struct Report {
    /// Per scope, in the plan's order.
    pub scopes: Vec<ScopeReport>,
    /// Per notification subscription.
    pub notifications: Vec<NotificationReport>,
    /// Per check task.
    pub triggers: Vec<TriggerReport>,
}

impl Report {
    /// Whether anything failed or was skipped.
    pub fn is_complete(&self) -> bool {
        self.scopes
            .iter()
            .map(|s| &s.outcome)
            .chain(self.notifications.iter().map(|n| &n.outcome))
            .chain(self.triggers.iter().map(|t| &t.outcome))
            .all(|o| matches!(o, Outcome::Done(_)))
    }
}

/// One scope's result.
#[derive(Debug)]
pub struct ScopeReport {
    /// The scope.
    pub scope: Scope,
    /// What came of it.
    pub outcome: Outcome,
}

/// One notification subscription's result.
#[derive(Debug)]
pub struct NotificationReport {
    /// The repository.
    pub repository: i32,
    /// The channel.
    pub channel: types::NotificationType,
    /// What came of it.
    pub outcome: Outcome,
}

/// One check task's result.
#[derive(Debug)]
pub struct TriggerReport {
    /// The task.
    pub task: String,
    /// What came of it.
    pub outcome: Outcome,
}

/// What came of a scope, a subscription or a task.
#[derive(Debug)]
pub enum Outcome {
    /// Every change was made.
    Done(Done),
    /// A change failed; the ones before it were made, the ones after it were not tried.
    Failed {
        /// What was made before the failure.
        done: Done,
        /// The failure.
        error: Error,
    },
    /// Nothing was tried, for this reason (a problem the plan found).
    Skipped(String),
}

/// Changes made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Done {
    /// Created.
    pub created: usize,
    /// Updated (or set, for subscriptions and triggers).
    pub updated: usize,
    /// Deleted.
    pub deleted: usize,
}

/// Applies `plan`; see [`apply_with_progress`].
pub async fn apply(client: &Client, plan: &Plan, options: &ApplyOptions) -> Report {
    apply_with_progress(client, plan, options, || {}).await
}

/// Applies `plan`: scopes at once up to `options.concurrency`, one scope's failure stopping
/// only that scope; then the notification subscriptions and check triggers. `progress` is
/// called once per scope, subscription and task finished.
pub async fn apply_with_progress(
    client: &Client,
    plan: &Plan,
    options: &ApplyOptions,
    progress: impl Fn() + Sync,
) -> Report {
    let n = options.concurrency.max(1);
    let progress = &progress;
    let scopes = in_order(&plan.scopes, n, |scope| async move {
        let outcome = apply_scope(client, scope, options.identity).await;
        progress();
        ScopeReport {
            scope: scope.scope.clone(),
            outcome,
        }
    })
    .await;
    let notifications = in_order(&plan.notifications, n, |plan| async move {
        let outcome = apply_notification(client, plan).await;
        progress();
        NotificationReport {
            repository: plan.desired.repository,
            channel: plan.desired.channel,
            outcome,
        }
    })
    .await;
    let triggers = in_order(&plan.triggers, n, |plan| async move {
        let outcome = apply_trigger(client, plan).await;
        progress();
        TriggerReport {
            task: plan.desired.task.clone(),
            outcome,
        }
    })
    .await;
    Report {
        scopes,
        notifications,
        triggers,
    }
}

/// `f` over `items`, `n` at once, results in the items' order.
pub(super) async fn in_order<'a, T, R, Fut>(
    items: &'a [T],
    n: usize,
    f: impl FnMut(&'a T) -> Fut,
) -> Vec<R>
where
    Fut: std::future::Future<Output = R>,
{
    stream::iter(items).map(f).buffered(n).collect().await
}

/// A change made once (a subscription or a trigger set), or its error.
fn set_once<T>(result: std::result::Result<T, impl Into<Error>>) -> Outcome {
    match result {
        Ok(_) => Outcome::Done(Done {
            updated: 1,
            ..Done::default()
        }),
        Err(e) => Outcome::Failed {
            done: Done::default(),
            error: e.into(),
        },
    }
}

async fn apply_scope(client: &Client, plan: &ScopePlan, identity: Identity) -> Outcome {
    if let Some(problem) = &plan.problem {
        return Outcome::Skipped(problem.to_string());
    }
    let mut done = Done::default();
    let order = |c: &Change| match c {
        Change::Delete { .. } => 0,
        Change::Update { .. } => 1,
        Change::Create(_) => 2,
        Change::Unchanged { .. } => 3,
    };
    let mut changes: Vec<&Change> = plan.changes.iter().filter(|c| c.is_change()).collect();
    changes.sort_by_key(|c| order(c));
    for change in changes {
        let result = match change {
            Change::Delete { id, .. } => remove(client, &plan.scope, *id)
                .await
                .map(|()| done.deleted += 1),
            Change::Update { id, desired, .. } => update(client, &plan.scope, *id, desired)
                .await
                .map(|()| done.updated += 1),
            Change::Create(desired) => create_once(client, &plan.scope, desired, identity)
                .await
                .map(|()| done.created += 1),
            Change::Unchanged { .. } => Ok(()),
        };
        if let Err(error) = result {
            return Outcome::Failed { done, error };
        }
    }
    Outcome::Done(done)
}

/// Whether a failed create may have reached the service (and created the webhook).
fn ambiguous(e: &Error) -> bool {
    match e {
        Error::Service(s) => s.status.is_server_error(),
        Error::Transport { .. } | Error::Timeout { .. } | Error::Decode { .. } => true,
        _ => false,
    }
}

/// Creates, and after an ambiguous failure looks before creating again, so that one webhook
/// is made at most.
async fn create_once(
    client: &Client,
    scope: &Scope,
    desired: &DesiredWebhook,
    identity: Identity,
) -> Result<()> {
    let Err(first) = create(client, scope, desired).await else {
        return Ok(());
    };
    if !ambiguous(&first) {
        return Err(first);
    }
    tracing::warn!(%scope, url = %desired.url, error = %first,
        "a create may have reached the service; listing the scope before trying again");
    let existing = super::list::list_webhooks(client, scope).await?;
    if existing
        .iter()
        .any(|have| compare::matches(have, desired, identity))
    {
        return Ok(());
    }
    create(client, scope, desired).await
}

async fn create(client: &Client, scope: &Scope, desired: &DesiredWebhook) -> Result<()> {
    let r = client.repo();
    let result = match scope {
        Scope::Group(id) => r
            .add_group_webhook()
            .group_id(*id)
            .body(compare::group_params(desired))
            .send()
            .await
            .map(drop),
        Scope::Project(id) => r
            .add_project_webhook()
            .project_id(id.as_str())
            .body(compare::params(desired))
            .send()
            .await
            .map(drop),
        Scope::Repository(id) => r
            .add_repository_webhook()
            .repository_id(*id)
            .body(compare::params(desired))
            .send()
            .await
            .map(drop),
    };
    result.map_err(Error::from)
}

async fn update(client: &Client, scope: &Scope, hook: i32, desired: &DesiredWebhook) -> Result<()> {
    let r = client.repo();
    let result = match scope {
        Scope::Group(id) => r
            .update_group_webhook()
            .group_id(*id)
            .hook_id(hook)
            .body(compare::group_params(desired))
            .send()
            .await
            .map(drop),
        Scope::Project(id) => r
            .update_project_webhook()
            .project_id(id.as_str())
            .hook_id(hook)
            .body(compare::params(desired))
            .send()
            .await
            .map(drop),
        Scope::Repository(id) => r
            .update_repository_webhook()
            .repository_id(*id)
            .hook_id(hook)
            .body(compare::params(desired))
            .send()
            .await
            .map(drop),
    };
    result.map_err(Error::from)
}

async fn remove(client: &Client, scope: &Scope, hook: i32) -> Result<()> {
    let r = client.repo();
    let result = match scope {
        Scope::Group(id) => r
            .remove_group_webhook()
            .group_id(*id)
            .hook_id(hook)
            .send()
            .await
            .map(drop),
        Scope::Project(id) => r
            .remove_project_webhook()
            .project_id(id.as_str())
            .hook_id(hook)
            .send()
            .await
            .map(drop),
        Scope::Repository(id) => r
            .remove_repository_webhook()
            .repository_id(*id)
            .hook_id(hook)
            .send()
            .await
            .map(drop),
    };
    result.map_err(Error::from)
}

async fn apply_notification(client: &Client, plan: &NotificationPlan) -> Outcome {
    if let Some(e) = &plan.error {
        return Outcome::Skipped(format!("could not read the subscription: {e}"));
    }
    if plan.fields.is_empty() {
        return Outcome::Done(Done::default());
    }
    let want = &plan.desired;
    let config = match &want.chat {
        None => None,
        Some(chat) => {
            let mut hook = ChatWebhook::new(&chat.url)
                .mention_users(chat.mention_users.iter().cloned())
                .mention_phones(chat.mention_phones.iter().cloned());
            if let Some(t) = &chat.token {
                hook = hook.token(t);
            }
            match hook.encode() {
                Ok(c) => Some(c),
                Err(error) => {
                    return Outcome::Failed {
                        done: Done::default(),
                        error,
                    };
                }
            }
        }
    };
    let result = client
        .repo()
        .update_notification_subscription()
        .repository_id(want.repository)
        .type_(want.channel)
        .body(types::UpdateRepoNotificationSubscriptionDto {
            enabled: Some(want.enabled),
            webhook_config: config,
            subscript_events: plan.events.clone(),
            ..Default::default()
        })
        .send()
        .await;
    set_once(result)
}

async fn apply_trigger(client: &Client, plan: &TriggerPlan) -> Outcome {
    let want = &plan.desired;
    let result = client
        .check()
        .update_code_check_webhook()
        .task_id(want.task.as_str())
        .body_map(|mut b| {
            if let Some(mr) = want.merge_request {
                b = b.is_set_mr_webhook(mr);
            }
            if let Some(push) = want.push {
                b = b.is_set_push_webhook(push);
            }
            b
        })
        .send()
        .await;
    set_once(result)
}
