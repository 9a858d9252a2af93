//! The fake's 25 operations: which one a request is (looked up once, from the descriptions),
//! and one small handler per family of operations.

use base64::{Engine, engine::general_purpose::STANDARD};
use bytes::Bytes;
use http::{Method, Response, StatusCode, request::Parts};
use http_body_util::Full;
use serde_json::{Value, json};

use super::store::{Scope, Store};
use crate::{
    Error,
    enums::ConfigSource,
    region::Service,
    repo::types,
    spec::{self, Operation},
    validate,
};

type Answer = Response<Full<Bytes>>;

const NOTIFICATION_TYPES: &[&str] = &[
    "internal_message",
    "email",
    "qyweixin",
    "feishu",
    "dingding",
];

/// The operation a request is for: routing comes from the descriptions themselves.
pub(super) fn operation_of(method: &Method, path: &str) -> Option<&'static Operation> {
    [Service::Repo, Service::Check]
        .into_iter()
        .find_map(|service| spec::of(service).find(method.as_str(), path))
}

/// An error answer in the documented shape.
pub(super) fn error(status: StatusCode, code: &str, msg: &str) -> Answer {
    json_answer(status, &json!({ "error_code": code, "error_msg": msg }))
}

/// The API gateway's 401 for a request whose credentials it refused.
pub(super) fn gateway_refusal(msg: &str, request_id: &str) -> Answer {
    json_answer(
        StatusCode::UNAUTHORIZED,
        &json!({ "error_code": "APIGW.0301", "error_msg": msg, "request_id": request_id }),
    )
}

fn json_answer(status: StatusCode, body: &Value) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    r
}

/// An error answer on its way out: status, error code, message.
struct Reject(StatusCode, &'static str, String);

fn bad_request(e: Error) -> Reject {
    let msg = match e {
        Error::InvalidInput { field, rule } => format!("{field} {rule}"),
        other => other.to_string(),
    };
    Reject(StatusCode::BAD_REQUEST, "CH.00400001", msg)
}

fn not_found(what: &str) -> Reject {
    let msg = format!("The {what} does not exist. Check and try again.");
    Reject(StatusCode::NOT_FOUND, "CH.00402000", msg)
}

/// A request of a known operation, with its parameters at hand by name.
struct Call<'a> {
    op: &'static Operation,
    path: Vec<&'a str>,
    query: Vec<(String, String)>,
    body: &'a [u8],
}

impl<'a> Call<'a> {
    fn new(op: &'static Operation, parts: &'a Parts, body: &'a [u8]) -> Self {
        Call {
            op,
            path: parts.uri.path().trim_matches('/').split('/').collect(),
            query: parts
                .uri
                .query()
                .map(crate::signer::query_pairs)
                .unwrap_or_default(),
            body,
        }
    }

    /// A path parameter, by name.
    fn path_param(&self, name: &str) -> Option<&'a str> {
        let from_end = self.op.params.iter().find(|p| p.name == name)?.from_end?;
        self.path.iter().rev().nth(from_end).copied()
    }

    /// A path parameter that is an id: an integer from 1.
    fn id(&self, name: &str) -> Result<i32, Reject> {
        self.path_param(name)
            .and_then(|s| s.parse::<i32>().ok())
            .filter(|v| *v >= 1)
            .ok_or_else(|| {
                bad_request(Error::invalid(
                    name,
                    "must be an integer from 1 to 2147483647",
                ))
            })
    }

    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body, checked against the description, then decoded.
    fn body<T: serde::de::DeserializeOwned>(&self) -> Result<T, Reject> {
        validate::check_json_body(self.op, self.body).map_err(bad_request)?;
        serde_json::from_slice(self.body)
            .map_err(|e| bad_request(Error::invalid("body", e.to_string())))
    }

    /// Where a webhook operation acts: the group, project or repository of its path.
    fn scope(&self) -> Result<Scope, Reject> {
        if self.path_param("group_id").is_some() {
            return Ok(Scope::Group(self.id("group_id")?));
        }
        if self.path_param("repository_id").is_some() {
            return Ok(Scope::Repository(self.id("repository_id")?));
        }
        match self.path_param("project_id") {
            Some(p) if p.chars().count() == 32 => Ok(Scope::Project(p.to_owned())),
            _ => Err(bad_request(Error::invalid(
                "project_id",
                "must be exactly 32 characters long",
            ))),
        }
    }
}

/// Answers an authenticated request of `op` (`None`: no operation has that method and path).
pub(super) fn route(
    op: Option<&'static Operation>,
    parts: &Parts,
    body: &[u8],
    store: &mut Store,
) -> Answer {
    let Some(op) = op else {
        return error(StatusCode::NOT_FOUND, "CH.00404000", "No such API.");
    };
    let call = Call::new(op, parts, body);
    let answer = match op.id.official {
        "UpdateCodeCheckWebhook" => check_switch(&call, store),
        "ShowNotificationSubscriptionsStatus" => notification_status(&call, store),
        "ShowNotificationSubscription" => notification(&call, store, false),
        "UpdateNotificationSubscription" => notification(&call, store, true),
        "AddGroupWebhook" | "AddProjectWebhook" | "AddRepositoryWebhook" => add(&call, store),
        "ListGroupWebhooks" | "ListProjectWebhooks" | "ListRepositoryWebhooks" => {
            list(&call, store)
        }
        "ShowGroupWebhook" | "ShowProjectWebhook" | "ShowRepositoryWebhook" => show(&call, store),
        "UpdateGroupWebhook" | "UpdateProjectWebhook" | "UpdateRepositoryWebhook" => {
            update(&call, store)
        }
        "RemoveGroupWebhook" | "RemoveProjectWebhook" | "RemoveRepositoryWebhook" => {
            remove(&call, store)
        }
        "ListGroupWebhookLogs" | "ListProjectWebhookLogs" | "ListRepositoryWebhookLogs" => {
            list_logs(&call, store)
        }
        "ShowGroupWebhookLog" | "ShowProjectWebhookLog" | "ShowRepositoryWebhookLog" => {
            show_log(&call, store)
        }
        other => Err(Reject(
            StatusCode::NOT_IMPLEMENTED,
            "CH.00501000",
            format!("The fake does not serve {other}."),
        )),
    };
    match answer {
        Ok(a) => a,
        Err(Reject(status, code, msg)) => error(status, code, &msg),
    }
}

fn ok(v: Value) -> Result<Answer, Reject> {
    Ok(json_answer(StatusCode::OK, &v))
}

/// A page of `items`, as `offset` and `limit` ask, with the total in `X-Total`.
fn page(call: &Call<'_>, items: Vec<Value>) -> Result<Answer, Reject> {
    let offset = int_param(call.query("offset"), "offset", 0, i32::MAX)?.unwrap_or(0) as usize;
    let limit = int_param(call.query("limit"), "limit", 1, 100)?.unwrap_or(20) as usize;
    let total = items.len();
    let shown: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let mut a = json_answer(StatusCode::OK, &Value::Array(shown));
    a.headers_mut().insert("x-total", total.into());
    Ok(a)
}

fn check_switch(call: &Call<'_>, store: &mut Store) -> Result<Answer, Reject> {
    let switch: crate::check::types::UpdateCodeCheckWebhookRequestBody = call.body()?;
    let task_id = call.path_param("task_id").unwrap_or_default().to_owned();
    let task = store.tasks.entry(task_id).or_default();
    if switch.is_set_mr_webhook.is_some() {
        task.0 = switch.is_set_mr_webhook;
    }
    if switch.is_set_push_webhook.is_some() {
        task.1 = switch.is_set_push_webhook;
    }
    ok(json!({ "result": "CodeArts Repo integration setting updated." }))
}

fn notification_status(call: &Call<'_>, store: &mut Store) -> Result<Answer, Reject> {
    let repository = call.id("repository_id")?;
    let mut status = serde_json::Map::new();
    for t in NOTIFICATION_TYPES {
        let sub = store.subscriptions.get(&(repository, (*t).to_owned()));
        status.insert(
            (*t).to_owned(),
            json!({
                "config_source": sub.and_then(|s| s.config_source.clone()).unwrap_or(ConfigSource::Repo),
                "enabled": sub.and_then(|s| s.enabled).unwrap_or(false),
            }),
        );
    }
    ok(Value::Object(status))
}

/// Shows, or updates then shows, the subscription of one notification type.
fn notification(call: &Call<'_>, store: &mut Store, update: bool) -> Result<Answer, Reject> {
    let repository = call.id("repository_id")?;
    let kind = call
        .query("type")
        .ok_or_else(|| bad_request(Error::invalid("type", "is required")))?;
    if !NOTIFICATION_TYPES.contains(&kind) {
        return Err(bad_request(Error::invalid(
            "type",
            format!("must be one of {}", NOTIFICATION_TYPES.join(", ")),
        )));
    }
    let key = (repository, kind.to_owned());
    if update {
        let update: types::UpdateRepoNotificationSubscriptionDto = call.body()?;
        let stored = store
            .subscriptions
            .entry(key.clone())
            .or_insert_with(|| default_subscription(repository));
        apply_subscription(stored, update)?;
    }
    let shown = store
        .subscriptions
        .get(&key)
        .cloned()
        .unwrap_or_else(|| default_subscription(repository));
    ok(serde_json::to_value(shown).unwrap_or_default())
}

/// Stores an update as the service shows it back: chat webhook URL and phones decoded from
/// Base64, and `has_token` instead of the token.
fn apply_subscription(
    stored: &mut types::ShowNotificationSubscriptionResponse,
    update: types::UpdateRepoNotificationSubscriptionDto,
) -> Result<(), Reject> {
    let decode = |field: &str, v: Option<String>| -> Result<Option<String>, Reject> {
        v.map(|v| {
            STANDARD
                .decode(v.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| bad_request(Error::invalid(field, "must be Base64-encoded UTF-8")))
        })
        .transpose()
    };
    if let Some(w) = update.webhook_config {
        let url = decode("body.webhook_config.url", w.url)?;
        let phones = decode("body.webhook_config.mention_phone", w.mention_phone)?;
        let shown = stored.webhook_config.get_or_insert_with(Default::default);
        shown.url = url.or(shown.url.take());
        shown.mention_phone = phones.or(shown.mention_phone.take());
        if w.mention_users.is_some() {
            shown.mention_users = w.mention_users;
        }
        if let Some(t) = w.token {
            shown.has_token = Some(!t.is_empty());
        }
    }
    if update.enabled.is_some() {
        stored.enabled = update.enabled;
    }
    if update.config_source.is_some() {
        stored.config_source = update.config_source;
    }
    if update.waring_repo_usage_rate.is_some() {
        stored.waring_repo_usage_rate = update.waring_repo_usage_rate;
    }
    if !update.subscript_events.is_empty() {
        stored.subscript_events = Some(update.subscript_events);
    }
    Ok(())
}

fn add(call: &Call<'_>, store: &mut Store) -> Result<Answer, Reject> {
    let scope = call.scope()?;
    let params = call.body()?;
    if matches!(scope, Scope::Repository(_)) && store.list(&scope).len() >= store.repository_cap {
        return Err(Reject(
            StatusCode::BAD_REQUEST,
            "CH.00406001",
            format!(
                "A repository can have at most {} webhooks.",
                store.repository_cap
            ),
        ));
    }
    Ok(json_answer(StatusCode::CREATED, &store.add(scope, params)))
}

fn list(call: &Call<'_>, store: &mut Store) -> Result<Answer, Reject> {
    let items = store.list(&call.scope()?);
    page(call, items)
}

fn show(call: &Call<'_>, store: &mut Store) -> Result<Answer, Reject> {
    store
        .show(&call.scope()?, call.id("hook_id")?)
        .map_or_else(|| Err(not_found("webhook")), ok)
}

fn update(call: &Call<'_>, store: &mut Store) -> Result<Answer, Reject> {
    let (scope, hook) = (call.scope()?, call.id("hook_id")?);
    let params = call.body()?;
    match store.update(&scope, hook, params) {
        Some(v) => Ok(json_answer(StatusCode::CREATED, &v)),
        None => Err(not_found("webhook")),
    }
}

fn remove(call: &Call<'_>, store: &mut Store) -> Result<Answer, Reject> {
    match store.remove(&call.scope()?, call.id("hook_id")?) {
        true => Ok(Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Full::new(Bytes::new()))
            .unwrap_or_default()),
        false => Err(not_found("webhook")),
    }
}

fn list_logs(call: &Call<'_>, store: &mut Store) -> Result<Answer, Reject> {
    let scope = call.scope()?;
    let logs = store
        .logs(&scope, call.id("hook_id")?)
        .ok_or_else(|| not_found("webhook"))?;
    let repository = int_param(call.query("repository_id"), "repository_id", 1, i32::MAX)?;
    // Group and project logs name the repository each delivery came from.
    let extend = !matches!(scope, Scope::Repository(_));
    let q = |name| call.query(name);
    let items = logs
        .into_iter()
        .filter(|l| q("uuid").is_none_or(|u| l.detail.uuid.as_deref() == Some(u)))
        .filter(|l| repository.is_none_or(|r| l.repository.id == Some(r)))
        .filter(|l| q("created_after").is_none_or(|t| l.detail.created_at.as_deref() >= Some(t)))
        .filter(|l| q("created_before").is_none_or(|t| l.detail.created_at.as_deref() <= Some(t)))
        .map(|l| {
            let d = &l.detail;
            let mut v = json!({
                "id": d.id, "web_hook_id": d.web_hook_id, "trigger": d.trigger, "url": d.url,
                "response_status": d.response_status, "execution_duration": d.execution_duration,
                "uuid": d.uuid, "created_at": d.created_at, "updated_at": d.updated_at,
            });
            if extend {
                v["repository"] = serde_json::to_value(&l.repository).unwrap_or_default();
            }
            v
        })
        .collect();
    page(call, items)
}

fn show_log(call: &Call<'_>, store: &mut Store) -> Result<Answer, Reject> {
    store
        .log(&call.scope()?, call.id("hook_id")?, call.id("log_id")?)
        .map(|l| serde_json::to_value(&l.detail).unwrap_or_default())
        .map_or_else(|| Err(not_found("webhook log")), ok)
}

fn int_param(raw: Option<&str>, name: &str, min: i32, max: i32) -> Result<Option<i32>, Reject> {
    raw.map(|r| {
        r.parse::<i32>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .ok_or_else(|| {
                bad_request(Error::invalid(
                    name,
                    format!("must be an integer from {min} to {max}"),
                ))
            })
    })
    .transpose()
}

fn default_subscription(repository: i32) -> types::ShowNotificationSubscriptionResponse {
    types::ShowNotificationSubscriptionResponse {
        repository_id: Some(repository),
        enabled: Some(false),
        config_source: Some(ConfigSource::Repo),
        webhook_config: None,
        waring_repo_usage_rate: Some(80),
        subscript_events: Some(vec![]),
    }
}
