//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An OpenAPI description (`repo` or `check`) as JSON.
pub fn spec(name: &str) -> Value {
    let path = root().join(format!("openapi/codearts-{name}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    serde_norway::from_str(&text).unwrap()
}

/// Follows a local `$ref`.
pub fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => spec.pointer(r.trim_start_matches('#')).unwrap(),
        None => v,
    }
}

/// One `example` of a description.
#[derive(Debug, Clone)]
pub struct Example {
    pub operation: String,
    /// `None` for the request body, else the response status.
    pub status: Option<String>,
    /// Name of the schema the example is given for (the `$ref` target), or `array:<item>`.
    pub schema: String,
    pub value: Value,
}

fn schema_name(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.rsplit('/').next().unwrap().to_owned();
    }
    format!("array:{}", schema_name(&schema["items"]))
}

/// Every request and response example of the description.
pub fn examples(spec: &Value) -> Vec<Example> {
    let mut out = Vec::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for method in ["get", "put", "post", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let operation = op["operationId"].as_str().unwrap().to_owned();
            if let Some(body) = op.get("requestBody") {
                let media = &resolve(spec, body)["content"]["application/json"];
                if let Some(value) = media.get("example") {
                    out.push(Example {
                        operation: operation.clone(),
                        status: None,
                        schema: schema_name(&media["schema"]),
                        value: value.clone(),
                    });
                }
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                let media = &resolve(spec, response)["content"]["application/json"];
                if let Some(value) = media.get("example") {
                    out.push(Example {
                        operation: operation.clone(),
                        status: Some(status.clone()),
                        schema: schema_name(&media["schema"]),
                        value: value.clone(),
                    });
                }
            }
        }
    }
    out
}

/// `value` without object members that are `null`, recursively: a decoded `None` is not
/// re-encoded, so nulls are the one thing a round trip may drop.
pub fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// The documented examples of one operation's official page, kept in the repository as
/// `tests/fixtures/documented/<OperationId>.json` (taken from the page; see
/// `tests/fixtures/documented/README.md`).
#[derive(Debug, Default)]
pub struct PageExamples {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub request: Option<Value>,
    pub responses: Vec<(String, Value)>,
    /// The page's title and official URL.
    pub title: String,
    pub url: String,
}

/// Reads the fixture `file` of `tests/fixtures/documented`.
pub fn page_examples(file: &str) -> PageExamples {
    let path = root().join("tests/fixtures/documented").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let f: Value = serde_json::from_str(&text).unwrap();
    let text = |v: &Value| {
        v.as_str()
            .unwrap_or_else(|| panic!("{file}: {v} is not text"))
            .to_owned()
    };
    PageExamples {
        method: text(&f["request"]["method"]),
        path: text(&f["request"]["path"]),
        query: f["request"]["query"].as_str().map(str::to_owned),
        request: Some(f["request"]["body"].clone()).filter(|b| !b.is_null()),
        responses: f["responses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["status"].to_string(), r["body"].clone()))
            .collect(),
        title: text(&f["page"]["title"]),
        url: text(&f["page"]["url"]),
    }
}

/// The five documented pages: fixture file, service, and the operation each documents.
pub const PAGES: &[(&str, &str, &str)] = &[
    (
        "UpdateCodeCheckWebhook.json",
        "check",
        "UpdateCodeCheckWebhook",
    ),
    ("AddGroupWebhook.json", "repo", "AddGroupWebhook"),
    (
        "UpdateRepositoryWebhook.json",
        "repo",
        "UpdateRepositoryWebhook",
    ),
    ("ShowProjectWebhook.json", "repo", "ShowProjectWebhook"),
    (
        "UpdateNotificationSubscription.json",
        "repo",
        "UpdateNotificationSubscription",
    ),
];

use codearts_webhooks::{Client, Credentials, RetryPolicy, fake::FakeCodeArts};

/// The two credential modes the tests run in.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    Token,
    AkSk,
}

pub const MODES: [Mode; 2] = [Mode::Token, Mode::AkSk];

/// A client of `fake` in `mode`, retrying fast so that tests stay quick.
pub fn client(fake: &FakeCodeArts, mode: Mode) -> Client {
    let credentials = match mode {
        Mode::Token => Credentials::token(fake.token()),
        Mode::AkSk => {
            let (ak, sk) = fake.key();
            Credentials::aksk(ak, sk)
        }
    };
    fake.client_builder()
        .credentials(credentials)
        .retry(RetryPolicy::default().initial_backoff(std::time::Duration::from_millis(5)))
        .build()
        .unwrap()
}

pub const PROJECT: &str = "a642c851d4dc4853b595e5c8a5e56df7";

/// Calls operation `op` (official name) with fixed valid arguments; the `Ok` value is the
/// status of the answer.
pub async fn call_operation(c: &Client, op: &str) -> Result<u16, codearts_webhooks::Error> {
    use codearts_webhooks::repo::types::{
        NotificationType, UpdateRepoNotificationSubscriptionDto, WebhookParamsDto,
        WebhookParamsRequestDto,
    };
    let r = c.repo();
    let p = || WebhookParamsDto {
        url: Some("https://x.example".into()),
        name: Some("n".into()),
        ..Default::default()
    };
    let g = || {
        WebhookParamsRequestDto::builder()
            .url("https://x.example")
            .name("n")
            .tag_push_events(true)
    };
    let n = || UpdateRepoNotificationSubscriptionDto {
        enabled: Some(true),
        ..Default::default()
    };
    let t = NotificationType::Email;
    macro_rules! status {
        ($call:expr) => {
            $call
                .send()
                .await
                .map(|v| v.status().as_u16())
                .map_err(codearts_webhooks::Error::from)
        };
    }
    match op {
        "AddGroupWebhook" => status!(r.add_group_webhook().group_id(1).body(g())),
        "ListGroupWebhooks" => status!(r.list_group_webhooks().group_id(1)),
        "ShowGroupWebhook" => status!(r.show_group_webhook().group_id(1).hook_id(1)),
        "UpdateGroupWebhook" => status!(r.update_group_webhook().group_id(1).hook_id(1).body(g())),
        "RemoveGroupWebhook" => status!(r.remove_group_webhook().group_id(1).hook_id(1)),
        "ListGroupWebhookLogs" => status!(r.list_group_webhook_logs().group_id(1).hook_id(1)),
        "ShowGroupWebhookLog" => {
            status!(r.show_group_webhook_log().group_id(1).hook_id(1).log_id(1))
        }
        "AddProjectWebhook" => status!(r.add_project_webhook().project_id(PROJECT).body(p())),
        "ListProjectWebhooks" => status!(r.list_project_webhooks().project_id(PROJECT)),
        "ShowProjectWebhook" => status!(r.show_project_webhook().project_id(PROJECT).hook_id(1)),
        "UpdateProjectWebhook" => status!(
            r.update_project_webhook()
                .project_id(PROJECT)
                .hook_id(1)
                .body(p())
        ),
        "RemoveProjectWebhook" => {
            status!(r.remove_project_webhook().project_id(PROJECT).hook_id(1))
        }
        "ListProjectWebhookLogs" => {
            status!(r.list_project_webhook_logs().project_id(PROJECT).hook_id(1))
        }
        "ShowProjectWebhookLog" => status!(
            r.show_project_webhook_log()
                .project_id(PROJECT)
                .hook_id(1)
                .log_id(1)
        ),
        "AddRepositoryWebhook" => status!(r.add_repository_webhook().repository_id(1).body(p())),
        "ListRepositoryWebhooks" => status!(r.list_repository_webhooks().repository_id(1)),
        "ShowRepositoryWebhook" => status!(r.show_repository_webhook().repository_id(1).hook_id(1)),
        "UpdateRepositoryWebhook" => status!(
            r.update_repository_webhook()
                .repository_id(1)
                .hook_id(1)
                .body(p())
        ),
        "RemoveRepositoryWebhook" => {
            status!(r.remove_repository_webhook().repository_id(1).hook_id(1))
        }
        "ListRepositoryWebhookLogs" => {
            status!(r.list_repository_webhook_logs().repository_id(1).hook_id(1))
        }
        "ShowRepositoryWebhookLog" => status!(
            r.show_repository_webhook_log()
                .repository_id(1)
                .hook_id(1)
                .log_id(1)
        ),
        "ShowNotificationSubscription" => {
            status!(r.show_notification_subscription().repository_id(1).type_(t))
        }
        "UpdateNotificationSubscription" => {
            status!(
                r.update_notification_subscription()
                    .repository_id(1)
                    .type_(t)
                    .body(n())
            )
        }
        "ShowNotificationSubscriptionsStatus" => {
            status!(r.show_notification_subscriptions_status().repository_id(1))
        }
        "UpdateCodeCheckWebhook" => {
            status!(
                c.check()
                    .update_code_check_webhook()
                    .task_id("t")
                    .body_map(|b| b.is_set_mr_webhook(true))
            )
        }
        other => panic!("unknown operation {other}"),
    }
}

/// The official names of all 25 operations.
pub const ALL_OPERATIONS: [&str; 25] = [
    "AddGroupWebhook",
    "ListGroupWebhooks",
    "ShowGroupWebhook",
    "UpdateGroupWebhook",
    "RemoveGroupWebhook",
    "ListGroupWebhookLogs",
    "ShowGroupWebhookLog",
    "AddProjectWebhook",
    "ListProjectWebhooks",
    "ShowProjectWebhook",
    "UpdateProjectWebhook",
    "RemoveProjectWebhook",
    "ListProjectWebhookLogs",
    "ShowProjectWebhookLog",
    "AddRepositoryWebhook",
    "ListRepositoryWebhooks",
    "ShowRepositoryWebhook",
    "UpdateRepositoryWebhook",
    "RemoveRepositoryWebhook",
    "ListRepositoryWebhookLogs",
    "ShowRepositoryWebhookLog",
    "ShowNotificationSubscription",
    "UpdateNotificationSubscription",
    "ShowNotificationSubscriptionsStatus",
    "UpdateCodeCheckWebhook",
];

/// A `tracing` writer that keeps what is logged, for tests that read the logs.
#[derive(Clone, Default)]
pub struct Capture(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}
