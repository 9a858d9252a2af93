//! The fake's 25 operations: which one a request is, and the answer.

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
fn operation_of(method: &Method, path: &str) -> Option<&'static Operation> {
    [Service::Repo, Service::Check]
        .into_iter()
        .find_map(|service| spec::of(service).find(method.as_str(), path))
}

/// The official name of the operation a request is for, or `Unknown`.
pub(super) fn identify(method: &Method, path: &str) -> &'static str {
    operation_of(method, path).map_or("Unknown", |op| op.id.official)
}

/// An error answer in the documented shape.
pub(super) fn error(status: StatusCode, code: &str, msg: &str) -> Answer {
    json_answer(status, &json!({ "error_code": code, "error_msg": msg }))
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

/// Answers an authenticated request.
pub(super) fn route(parts: &Parts, body: &[u8], store: &mut Store) -> Answer {
    match answer(parts, body, store) {
        Ok(a) => a,
        Err(Reject(status, code, msg)) => error(status, code, &msg),
    }
}

fn answer(parts: &Parts, body: &[u8], store: &mut Store) -> Result<Answer, Reject> {
    let op = operation_of(&parts.method, parts.uri.path());
    let operation = op.map_or("Unknown", |op| op.id.official);
    let segs: Vec<&str> = parts.uri.path().trim_matches('/').split('/').collect();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(crate::signer::query_pairs)
        .unwrap_or_default();
    let q = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let ok = |v: Value| Ok(json_answer(StatusCode::OK, &v));
    let check_body = || -> Result<(), Reject> {
        let op = op.ok_or_else(|| not_found("operation"))?;
        validate::check_body(op, body).map_err(bad_request)
    };

    if operation == "UpdateCodeCheckWebhook" {
        check_body()?;
        let switch: crate::check::types::UpdateCodeCheckWebhookRequestBody =
            serde_json::from_slice(body)
                .map_err(|e| bad_request(Error::invalid("body", e.to_string())))?;
        let task = store.tasks.entry(segs[2].to_owned()).or_default();
        if switch.is_set_mr_webhook.is_some() {
            task.0 = switch.is_set_mr_webhook;
        }
        if switch.is_set_push_webhook.is_some() {
            task.1 = switch.is_set_push_webhook;
        }
        return ok(json!({ "result": "CodeArts Repo integration setting updated." }));
    }
    if operation == "Unknown" {
        return Err(Reject(
            StatusCode::NOT_FOUND,
            "CH.00404000",
            "No such API.".into(),
        ));
    }

    let id = |i: usize, name: &str| -> Result<i32, Reject> {
        segs.get(i)
            .and_then(|s| s.parse::<i32>().ok())
            .filter(|v| *v >= 1)
            .ok_or_else(|| {
                bad_request(Error::invalid(
                    name,
                    "must be an integer from 1 to 2147483647",
                ))
            })
    };

    if operation.contains("Notification") {
        let repository = id(2, "repository_id")?;
        if operation == "ShowNotificationSubscriptionsStatus" {
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
            return ok(Value::Object(status));
        }
        let kind = q("type").ok_or_else(|| bad_request(Error::invalid("type", "is required")))?;
        if !NOTIFICATION_TYPES.contains(&kind) {
            return Err(bad_request(Error::invalid(
                "type",
                format!("must be one of {}", NOTIFICATION_TYPES.join(", ")),
            )));
        }
        let key = (repository, kind.to_owned());
        if parts.method == Method::PUT {
            check_body()?;
            let update: types::UpdateRepoNotificationSubscriptionDto = serde_json::from_slice(body)
                .map_err(|e| bad_request(Error::invalid("body", e.to_string())))?;
            let decode = |field: &str, v: Option<String>| -> Result<Option<String>, Reject> {
                v.map(|v| {
                    STANDARD
                        .decode(v.as_bytes())
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .ok_or_else(|| {
                            bad_request(Error::invalid(field, "must be Base64-encoded UTF-8"))
                        })
                })
                .transpose()
            };
            let stored = store
                .subscriptions
                .entry(key.clone())
                .or_insert_with(|| default_subscription(repository));
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
        }
        let shown = store
            .subscriptions
            .get(&key)
            .cloned()
            .unwrap_or_else(|| default_subscription(repository));
        return ok(serde_json::to_value(shown).unwrap_or_default());
    }

    let scope = match segs[1] {
        "groups" => Scope::Group(id(2, "group_id")?),
        "repositories" => Scope::Repository(id(2, "repository_id")?),
        _ if segs[2].chars().count() == 32 => Scope::Project(segs[2].to_owned()),
        _ => {
            return Err(bad_request(Error::invalid(
                "project_id",
                "must be exactly 32 characters long",
            )));
        }
    };
    let page = |items: Vec<Value>| -> Result<Answer, Reject> {
        let offset = int_param(q("offset"), "offset", 0, i32::MAX)?.unwrap_or(0) as usize;
        let limit = int_param(q("limit"), "limit", 1, 100)?.unwrap_or(20) as usize;
        let total = items.len();
        let shown: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
        let mut a = json_answer(StatusCode::OK, &Value::Array(shown));
        a.headers_mut().insert("x-total", total.into());
        Ok(a)
    };
    match parts.method.as_str() {
        "POST" => {
            check_body()?;
            let params = parse_params(body)?;
            Ok(json_answer(StatusCode::CREATED, &store.add(scope, params)))
        }
        "GET" if segs.len() == 4 => page(store.list(&scope)),
        "GET" if segs.len() == 5 => store
            .show(&scope, id(4, "hook_id")?)
            .map_or_else(|| Err(not_found("webhook")), ok),
        "PUT" => {
            let hook = id(4, "hook_id")?;
            check_body()?;
            let params = parse_params(body)?;
            match store.update(&scope, hook, params) {
                Some(v) => Ok(json_answer(StatusCode::CREATED, &v)),
                None => Err(not_found("webhook")),
            }
        }
        "DELETE" => match store.remove(&scope, id(4, "hook_id")?) {
            true => Ok(Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Full::new(Bytes::new()))
                .unwrap_or_default()),
            false => Err(not_found("webhook")),
        },
        "GET" if segs.len() == 6 => {
            let logs = store
                .logs(&scope, id(4, "hook_id")?)
                .ok_or_else(|| not_found("webhook"))?;
            let repository = int_param(q("repository_id"), "repository_id", 1, i32::MAX)?;
            let extend = !matches!(scope, Scope::Repository(_));
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
            page(items)
        }
        "GET" => store
            .log(&scope, id(4, "hook_id")?, id(6, "log_id")?)
            .map(|l| serde_json::to_value(&l.detail).unwrap_or_default())
            .map_or_else(|| Err(not_found("webhook log")), ok),
        _ => Err(Reject(
            StatusCode::METHOD_NOT_ALLOWED,
            "CH.00405000",
            "Method not allowed.".into(),
        )),
    }
}

fn parse_params(body: &[u8]) -> Result<types::WebhookParamsDto, Reject> {
    serde_json::from_slice(body).map_err(|e| bad_request(Error::invalid("body", e.to_string())))
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
