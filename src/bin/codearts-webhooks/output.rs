//! What the tool prints: aligned tables and a diff-like plan for people, JSON for scripts.
//! Tokens are never printed: the service masks them and the plan only says it cannot compare.

use codearts_webhooks::{
    Error,
    plan::{Change, Outcome, Plan, Report},
    repo::types::{WebhookDto, WebhookLogDto, WebhookLogExtendDto},
};
use comfy_table::{Table, presets::NOTHING};
use serde_json::{Value, json};

/// Human or JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables and a diff-like plan.
    Human,
    /// One JSON document on standard output.
    Json,
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(NOTHING).set_header(header.iter().copied());
    t
}

fn events(h: &WebhookDto) -> String {
    let mut e = Vec::new();
    if h.push_events == Some(true) {
        e.push(format!(
            "push({})",
            h.push_events_branch_regex_filter.as_deref().unwrap_or("")
        ));
    }
    if h.tag_push_events == Some(true) {
        e.push("tag_push".into());
    }
    if h.merge_requests_events == Some(true) {
        e.push("merge_request".into());
    }
    if h.note_events == Some(true) {
        e.push("note".into());
    }
    e.join(" ")
}

/// A webhook without its (masked) token.
fn hook_json(h: &WebhookDto) -> Value {
    json!({
        "id": h.id, "name": h.name, "url": h.url, "description": h.description,
        "push_events": h.push_events,
        "push_events_branch_regex_filter": h.push_events_branch_regex_filter,
        "tag_push_events": h.tag_push_events, "merge_requests_events": h.merge_requests_events,
        "note_events": h.note_events, "note_plain_text_filter": h.note_plain_text_filter,
        "token_type": h.token_type, "created_at": h.created_at, "updated_at": h.updated_at,
    })
}

pub fn hooks(format: Format, hooks: &[WebhookDto]) -> String {
    match format {
        Format::Json => Value::Array(hooks.iter().map(hook_json).collect()).to_string(),
        Format::Human => {
            let mut t = table(&["ID", "NAME", "URL", "EVENTS"]);
            for h in hooks {
                t.add_row(vec![
                    h.id.map(|i| i.to_string()).unwrap_or_default(),
                    h.name.clone().unwrap_or_default(),
                    h.url.clone().unwrap_or_default(),
                    events(h),
                ]);
            }
            t.to_string()
        }
    }
}

pub fn hook(format: Format, h: &WebhookDto) -> String {
    match format {
        Format::Json => hook_json(h).to_string(),
        Format::Human => {
            let mut t = table(&["FIELD", "VALUE"]);
            if let Value::Object(fields) = hook_json(h) {
                for (k, v) in fields {
                    let shown = match v {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    t.add_row(vec![k, shown]);
                }
            }
            t.to_string()
        }
    }
}

/// One delivery, whichever scope's log it came from.
#[derive(serde::Serialize)]
pub struct LogRow {
    id: Option<i32>,
    trigger: Option<String>,
    response_status: Option<String>,
    duration_ms: Option<f64>,
    url: Option<String>,
    created_at: Option<String>,
}

/// Group and project logs carry the repository too; the rows show what all three share.
macro_rules! log_row_from {
    ($($t:ty),*) => {$(
        impl From<&$t> for LogRow {
            fn from(l: &$t) -> Self {
                LogRow {
                    id: l.id,
                    trigger: l.trigger.clone(),
                    response_status: l.response_status.clone(),
                    duration_ms: l.execution_duration,
                    url: l.url.clone(),
                    created_at: l.created_at.clone(),
                }
            }
        }
    )*};
}

log_row_from!(WebhookLogDto, WebhookLogExtendDto);

pub fn logs(format: Format, logs: &[LogRow]) -> String {
    match format {
        Format::Json => serde_json::to_string(logs).unwrap_or_default(),
        Format::Human => {
            let mut t = table(&["ID", "TRIGGER", "STATUS", "DURATION", "AT"]);
            for l in logs {
                t.add_row(vec![
                    l.id.map(|i| i.to_string()).unwrap_or_default(),
                    l.trigger.clone().unwrap_or_default(),
                    l.response_status.clone().unwrap_or_default(),
                    l.duration_ms.map(|d| format!("{d} ms")).unwrap_or_default(),
                    l.created_at.clone().unwrap_or_default(),
                ]);
            }
            t.to_string()
        }
    }
}

fn change_json(c: &Change) -> Value {
    match c {
        Change::Create(d) => json!({"action": "create", "url": d.url, "name": d.name}),
        Change::Update {
            id,
            desired,
            fields,
        } => json!({"action": "update", "id": id, "url": desired.url, "name": desired.name,
                   "fields": fields}),
        Change::Unchanged {
            id,
            url,
            token_unknown,
        } => json!({"action": "unchanged", "id": id, "url": url, "token_unknown": token_unknown}),
        Change::Delete { id, url, name } => {
            json!({"action": "delete", "id": id, "url": url, "name": name})
        }
    }
}

pub fn plan(format: Format, plan: &Plan) -> String {
    let counts = plan.counts();
    match format {
        Format::Json => json!({
            "changes_pending": plan.has_changes(),
            "problems": plan.has_problems(),
            "counts": counts,
            "scopes": plan.scopes.iter().map(|s| json!({
                "scope": s.scope,
                "problem": s.problem.as_ref().map(|p| p.to_string()),
                "changes": s.changes.iter().map(change_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "notifications": plan.notifications.iter().map(|n| json!({
                "repository": n.desired.repository,
                "channel": n.desired.channel,
                "fields": n.fields,
                "token_unknown": n.token_unknown,
                "error": n.error.as_ref().map(|e| e.to_string()),
            })).collect::<Vec<_>>(),
            "check_triggers": plan.triggers.iter().map(|t| json!({
                "task": t.desired.task, "merge_request": t.desired.merge_request,
                "push": t.desired.push, "known": false,
            })).collect::<Vec<_>>(),
        })
        .to_string(),
        Format::Human => {
            let mut out = String::new();
            for s in &plan.scopes {
                out.push_str(&format!("{}\n", s.scope));
                if let Some(p) = &s.problem {
                    out.push_str(&format!("  ! {p}\n"));
                }
                for c in &s.changes {
                    out.push_str(&match c {
                        Change::Create(d) => format!("  + {} {}\n", d.name, d.url),
                        Change::Update {
                            desired, fields, ..
                        } => format!(
                            "  ~ {} {} ({})\n",
                            desired.name,
                            desired.url,
                            fields.join(", ")
                        ),
                        Change::Delete { name, url, .. } => format!("  - {name} {url}\n"),
                        Change::Unchanged {
                            url, token_unknown, ..
                        } => match token_unknown {
                            true => {
                                format!("    {url} (token not compared: the service masks it)\n")
                            }
                            false => format!("    {url}\n"),
                        },
                    });
                }
            }
            for n in &plan.notifications {
                let head = format!(
                    "repository {} notifications {}",
                    n.desired.repository, n.desired.channel
                );
                out.push_str(&match (&n.error, n.fields.is_empty()) {
                    (Some(e), _) => format!("{head}\n  ! {e}\n"),
                    (None, true) => format!("{head}\n    unchanged\n"),
                    (None, false) => format!("{head}\n  ~ {}\n", n.fields.join(", ")),
                });
            }
            for t in &plan.triggers {
                out.push_str(&format!(
                    "check task {}\n  ? set merge_request={} push={} (the service cannot be read)\n",
                    t.desired.task,
                    on_off(t.desired.merge_request),
                    on_off(t.desired.push)
                ));
            }
            out.push_str(&format!(
                "Plan: {} to create, {} to update, {} to delete, {} unchanged.\n",
                counts.create, counts.update, counts.delete, counts.unchanged
            ));
            out
        }
    }
}

fn on_off(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "on",
        Some(false) => "off",
        None => "unchanged",
    }
}

fn outcome_json(o: &Outcome) -> Value {
    match o {
        Outcome::Done(d) => json!({"result": "done", "done": d}),
        Outcome::Failed { done, error } => json!({"result": "failed", "done": done,
            "error": error.to_string(), "status": error.status().map(|s| s.as_u16()),
            "request_id": error.request_id()}),
        Outcome::Skipped(why) => json!({"result": "skipped", "reason": why}),
    }
}

fn outcome_line(o: &Outcome) -> String {
    match o {
        Outcome::Done(d) => format!(
            "done: {} created, {} updated, {} deleted",
            d.created, d.updated, d.deleted
        ),
        Outcome::Failed { done, error } => format!(
            "FAILED after {} created, {} updated, {} deleted: {error}",
            done.created, done.updated, done.deleted
        ),
        Outcome::Skipped(why) => format!("skipped: {why}"),
    }
}

pub fn report(format: Format, report: &Report) -> String {
    match format {
        Format::Json => json!({
            "complete": report.is_complete(),
            "scopes": report.scopes.iter().map(|s| {
                let mut v = outcome_json(&s.outcome);
                v["scope"] = json!(s.scope);
                v
            }).collect::<Vec<_>>(),
            "notifications": report.notifications.iter().map(|n| {
                let mut v = outcome_json(&n.outcome);
                v["repository"] = json!(n.repository);
                v["channel"] = json!(n.channel);
                v
            }).collect::<Vec<_>>(),
            "check_triggers": report.triggers.iter().map(|t| {
                let mut v = outcome_json(&t.outcome);
                v["task"] = json!(t.task);
                v
            }).collect::<Vec<_>>(),
        })
        .to_string(),
        Format::Human => {
            let mut t = table(&["WHERE", "RESULT"]);
            for s in &report.scopes {
                t.add_row(vec![s.scope.to_string(), outcome_line(&s.outcome)]);
            }
            for n in &report.notifications {
                t.add_row(vec![
                    format!("repository {} notifications {}", n.repository, n.channel),
                    outcome_line(&n.outcome),
                ]);
            }
            for c in &report.triggers {
                t.add_row(vec![
                    format!("check task {}", c.task),
                    outcome_line(&c.outcome),
                ]);
            }
            t.to_string()
        }
    }
}

pub fn error(format: Format, e: &Error) -> String {
    match format {
        Format::Json => json!({"error": e.to_string(), "status": e.status().map(|s| s.as_u16()),
                               "request_id": e.request_id()})
        .to_string(),
        Format::Human => format!("error: {e}"),
    }
}
