//! What the pipeline makes of the last attempt's answer: a success goes on to the generated code
//! with the body the attempt read (decoded there by `decode`); an error status becomes the
//! crate's [`Error`], with the answer's own status and request id.

use reqwest::{
    StatusCode,
    header::{HeaderMap, HeaderName},
};
use serde_json::Value;

use super::{Pipeline, attempt::Answer, decode::ReadBody};
use crate::{Error, ServiceError};

/// Longest excerpt of an unrecognised error body kept as the error message.
const EXCERPT_CHARS: usize = 512;

/// The response for the generated code, or the error of this answer.
/// `canonical` is the canonical request the attempt signed, if it was signed.
pub(super) fn finish(
    pipeline: &Pipeline,
    answer: Answer,
    canonical: Option<String>,
) -> Result<reqwest::Response, Error> {
    let Answer {
        mut response,
        body,
        too_large,
    } = answer;
    if !response.status().is_success() {
        return Err(service_error(
            pipeline, &response, &body, too_large, canonical,
        ));
    }
    // The body is decoded by the generated code, through `decode`, where the status and
    // request id are still on the response.
    response.extensions_mut().insert(ReadBody {
        bytes: body,
        too_large,
        max: pipeline.0.max_response_bytes,
    });
    Ok(response)
}

/// The error of an answer with an error status, with its own status and request id.
#[cold]
fn service_error(
    pipeline: &Pipeline,
    response: &reqwest::Response,
    body: &[u8],
    too_large: bool,
    canonical: Option<String>,
) -> Error {
    let status = response.status();
    let max = pipeline.0.max_response_bytes;
    let (error_code, error_msg) = if too_large {
        let msg = format!("the error body is larger than the {max}-byte limit");
        match excerpt(body) {
            ex if ex.is_empty() => (status.as_u16().to_string(), msg),
            ex => (
                status.as_u16().to_string(),
                format!("{msg}; it starts: {ex}"),
            ),
        }
    } else {
        error_details(status, body)
    };
    let signature_mismatch = match &canonical {
        Some(signed) if status == StatusCode::UNAUTHORIZED && error_code == "APIGW.0301" => {
            crate::diagnosis::diagnose(signed, &error_msg).map(Box::new)
        }
        _ => None,
    };
    Error::Service(ServiceError {
        status,
        error_code,
        error_msg,
        request_id: request_id(response.headers()).map(str::to_owned),
        signature_mismatch,
    })
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
    const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
    headers.get(X_REQUEST_ID).and_then(|v| v.to_str().ok())
}
