//! The fake's data: webhooks per group, project and repository, delivery logs, notification
//! subscriptions and check-task switches.

use std::{
    collections::{BTreeMap, HashMap},
    time::SystemTime,
};

use serde_json::{Value, json};

use crate::{repo::types, signer::format_timestamp};

/// Where a webhook lives.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Scope {
    /// A repository group.
    Group(i32),
    /// A CodeArts project (its 32-character UUID).
    Project(String),
    /// A repository.
    Repository(i32),
}

#[derive(Clone, Debug)]
pub(crate) struct Hook {
    /// The webhook as returned, with the real token (masked on the way out).
    pub dto: types::WebhookDto,
}

#[derive(Clone, Debug)]
pub(crate) struct Log {
    pub detail: types::WebhookLogDetailDto,
    pub repository: types::WebhookRepositoryDto,
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    next_hook: i32,
    next_log: i32,
    hooks: BTreeMap<Scope, BTreeMap<i32, Hook>>,
    logs: BTreeMap<i32, Vec<Log>>,
    pub subscriptions: HashMap<(i32, String), types::ShowNotificationSubscriptionResponse>,
    /// Per task: (merge request trigger, push trigger).
    pub tasks: HashMap<String, (Option<bool>, Option<bool>)>,
    /// How many webhooks one repository may have.
    pub repository_cap: usize,
}

impl Store {
    pub fn add(&mut self, scope: Scope, params: types::WebhookParamsDto) -> Value {
        self.next_hook += 1;
        let now = format_timestamp(SystemTime::now());
        let mut dto = types::WebhookDto {
            id: Some(self.next_hook),
            created_at: Some(now.clone()),
            updated_at: Some(now),
            token_type: Some("X-Repo-Token".into()),
            event_cfgs: Some(vec![]),
            project_cfgs: Some(vec![]),
            branch_cfgs: Some(vec![]),
            ..Default::default()
        };
        apply(&mut dto, params);
        let out = masked(&dto);
        self.hooks
            .entry(scope)
            .or_default()
            .insert(self.next_hook, Hook { dto });
        out
    }

    pub fn list(&self, scope: &Scope) -> Vec<Value> {
        self.hooks
            .get(scope)
            .into_iter()
            .flat_map(|m| m.values())
            .map(|h| masked(&h.dto))
            .collect()
    }

    pub fn show(&self, scope: &Scope, id: i32) -> Option<Value> {
        self.hook(scope, id).map(|h| masked(&h.dto))
    }

    pub fn update(
        &mut self,
        scope: &Scope,
        id: i32,
        params: types::WebhookParamsDto,
    ) -> Option<Value> {
        let hook = self.hooks.get_mut(scope)?.get_mut(&id)?;
        apply(&mut hook.dto, params);
        hook.dto.updated_at = Some(format_timestamp(SystemTime::now()));
        Some(masked(&hook.dto))
    }

    pub fn remove(&mut self, scope: &Scope, id: i32) -> bool {
        let removed = self
            .hooks
            .get_mut(scope)
            .and_then(|m| m.remove(&id))
            .is_some();
        if removed {
            self.logs.remove(&id);
        }
        removed
    }

    fn hook(&self, scope: &Scope, id: i32) -> Option<&Hook> {
        self.hooks.get(scope)?.get(&id)
    }

    /// Records one delivery of webhook `hook_id`; `None` if there is no such webhook.
    pub fn deliver(&mut self, hook_id: i32, trigger: &str, status: &str) -> Option<i32> {
        let (scope, hook) = self
            .hooks
            .iter()
            .find_map(|(s, m)| m.get(&hook_id).map(|h| (s.clone(), h.clone())))?;
        self.next_log += 1;
        let id = self.next_log;
        let uuid = format!("{:08x}-0000-4000-8000-{:012x}", id, hook_id);
        let repository_id = match scope {
            Scope::Repository(r) => r,
            _ => 1000 + hook_id,
        };
        let token_header = hook
            .dto
            .token_type
            .clone()
            .unwrap_or_else(|| "X-Repo-Token".into());
        let detail = types::WebhookLogDetailDto {
            id: Some(id),
            web_hook_id: Some(hook_id),
            trigger: Some(trigger.to_owned()),
            url: hook.dto.url.clone(),
            response_status: Some(status.to_owned()),
            execution_duration: Some(0.042),
            uuid: Some(uuid.clone()),
            created_at: Some(format_timestamp(SystemTime::now())),
            updated_at: Some(format_timestamp(SystemTime::now())),
            request_headers: Some(
                json!({ "Content-Type": "application/json", token_header: "******" }),
            ),
            request_data: Some(
                json!({ "object_kind": trigger, "uuid": uuid, "user_email": "******" }),
            ),
            response_headers: Some(json!({ "Content-Type": "text/plain" })),
            response_body: Some(Value::String("ok".into())),
        };
        let repository = types::WebhookRepositoryDto {
            id: Some(repository_id),
            namespace: Some(format!("demo-group/repo-{repository_id}")),
        };
        self.logs
            .entry(hook_id)
            .or_default()
            .push(Log { detail, repository });
        Some(id)
    }

    /// The logs of a webhook in `scope`, newest first; `None` if there is no such webhook.
    pub fn logs(&self, scope: &Scope, hook_id: i32) -> Option<Vec<&Log>> {
        self.hook(scope, hook_id)?;
        Some(
            self.logs
                .get(&hook_id)
                .into_iter()
                .flatten()
                .rev()
                .collect(),
        )
    }

    pub fn log(&self, scope: &Scope, hook_id: i32, log_id: i32) -> Option<&Log> {
        self.logs(scope, hook_id)?
            .into_iter()
            .find(|l| l.detail.id == Some(log_id))
    }

    /// Every webhook id in every scope, for tests.
    pub fn hook_ids(&self) -> Vec<i32> {
        self.hooks
            .values()
            .flat_map(|m| m.keys().copied())
            .collect()
    }
}

/// Copies the fields the caller set.
fn apply(dto: &mut types::WebhookDto, p: types::WebhookParamsDto) {
    fn set<T>(slot: &mut Option<T>, v: Option<T>) {
        if v.is_some() {
            *slot = v;
        }
    }
    set(&mut dto.url, p.url);
    set(&mut dto.name, p.name);
    set(&mut dto.description, p.description);
    set(&mut dto.push_events, p.push_events);
    set(
        &mut dto.push_events_branch_regex_filter,
        p.push_events_branch_regex_filter,
    );
    set(&mut dto.tag_push_events, p.tag_push_events);
    set(&mut dto.merge_requests_events, p.merge_requests_events);
    set(&mut dto.note_events, p.note_events);
    set(&mut dto.token, p.token);
    set(&mut dto.token_type, p.token_type);
    if !p.note_plain_text_filter.is_empty() {
        dto.note_plain_text_filter = Some(p.note_plain_text_filter);
    }
}

/// The webhook as the service shows it: the token replaced by a mask.
fn masked(dto: &types::WebhookDto) -> Value {
    let mut shown = dto.clone();
    shown.token = Some(match dto.token.as_deref() {
        Some(t) if !t.is_empty() => "************".into(),
        _ => String::new(),
    });
    serde_json::to_value(shown).unwrap_or(Value::Null)
}
