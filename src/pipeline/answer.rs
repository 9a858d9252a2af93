//! What the pipeline makes of the last attempt's answer: a success whose body decodes goes on to
//! the generated code; anything else becomes the crate's [`Error`], with the answer's own status
//! and request id.

use reqwest::{StatusCode, header::HeaderMap};
use serde_json::Value;

use super::{Pipeline, attempt::Answer};
use crate::{Error, ServiceError, operations::OperationId};

/// Longest excerpt of an unrecognised error body kept as the error message.
const EXCERPT_CHARS: usize = 512;

/// The response for the generated code, or the error of this answer.
/// `canonical` is the canonical request the attempt signed, if it was signed.
pub(super) fn finish(
    pipeline: &Pipeline,
    op: &OperationId,
    answer: Answer,
    canonical: Option<String>,
) -> Result<reqwest::Response, Error> {
    let Answer {
        mut response,
        body,
        too_large,
    } = answer;
    let status = response.status();
    let request_id = || request_id(response.headers()).map(str::to_owned);
    let max = pipeline.0.max_response_bytes;
    if !status.is_success() {
        let (error_code, error_msg) = if too_large {
            let msg = format!("the error body is larger than the {max}-byte limit");
            match excerpt(&body) {
                ex if ex.is_empty() => (status.as_u16().to_string(), msg),
                ex => (
                    status.as_u16().to_string(),
                    format!("{msg}; it starts: {ex}"),
                ),
            }
        } else {
            error_details(status, &body)
        };
        let signature_mismatch = match &canonical {
            Some(signed) if status == StatusCode::UNAUTHORIZED && error_code == "APIGW.0301" => {
                crate::diagnosis::diagnose(signed, &error_msg).map(Box::new)
            }
            _ => None,
        };
        return Err(Error::Service(ServiceError {
            status,
            error_code,
            error_msg,
            request_id: request_id(),
            signature_mismatch,
        }));
    }
    let decodes =
        crate::operations::check_success_body(pipeline.0.service, op, status.as_u16(), &body);
    if let Some(verdict) = decodes {
        let reason = if too_large {
            Some(format!("the body is larger than the {max}-byte limit"))
        } else if !is_json(response.headers()) {
            Some(format!(
                "the content type {:?} is not JSON",
                content_type_of(response.headers())
            ))
        } else if body.is_empty() {
            Some("the body is empty where JSON was expected".to_owned())
        } else {
            None
        };
        let failure = match (reason, verdict) {
            (Some(reason), _) => Some((reason, None)),
            (None, Err(e)) => Some((format!("{e} (body of {} bytes)", body.len()), Some(e))),
            (None, Ok(())) => None,
        };
        if let Some((reason, source)) = failure {
            return Err(Error::Decode {
                status: Some(status),
                request_id: request_id(),
                reason,
                source: source.map(|e| Box::new(e) as crate::BoxError),
            });
        }
    }
    // Keep the URL: rebuilding a response without one makes reqwest parse a placeholder.
    let mut out =
        reqwest::ResponseBuilderExt::url(http::Response::builder(), response.url().clone())
            .status(status)
            .version(response.version());
    if let Some(h) = out.headers_mut() {
        *h = std::mem::take(response.headers_mut());
    }
    // Building from the parts of a valid response cannot fail.
    out.body(reqwest::Body::from(body))
        .map(reqwest::Response::from)
        .map_err(|e| Error::Config(format!("could not rebuild the response: {e}")))
}

/// The error code and message of an error body, found as the official SDK finds them: the first
/// of `error_code`/`error_msg`, `errorCode`/`errorMsg`, `code`/`message` present together, at the
/// top or in a nested object; otherwise the status and an excerpt of the body.
pub(crate) fn error_details(status: StatusCode, body: &[u8]) -> (String, String) {
    fn text(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
    fn find(map: &serde_json::Map<String, Value>) -> Option<(String, String)> {
        for (c, m) in [
            ("error_code", "error_msg"),
            ("errorCode", "errorMsg"),
            ("code", "message"),
        ] {
            if let (Some(c), Some(m)) = (map.get(c), map.get(m)) {
                return Some((text(c), text(m)));
            }
        }
        map.values().filter_map(Value::as_object).find_map(find)
    }
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body)
        && let Some(found) = find(&map)
    {
        return found;
    }
    (status.as_u16().to_string(), excerpt(body))
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

pub(crate) fn request_id(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok())
}

fn content_type_of(headers: &HeaderMap) -> &str {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// JSON, or no content type at all (some gateways leave it out).
fn is_json(headers: &HeaderMap) -> bool {
    let ct = content_type_of(headers).to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    essence.is_empty() || essence == "application/json" || essence.ends_with("+json")
}
