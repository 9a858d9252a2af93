//! What the pipeline makes of an answer: the service's error code and message, bodies it
//! rejects, and the errors the generated code's outcomes turn into.

use std::{
    fmt,
    pin::Pin,
    task::{Context, Poll},
};

use bytes::Bytes;
use reqwest::{StatusCode, header::HeaderMap};
use serde_json::Value;

use crate::Error;

/// Longest excerpt of an unrecognised error body kept as the error message.
const EXCERPT_CHARS: usize = 512;

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

pub(crate) fn content_type_of(headers: &HeaderMap) -> &str {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// JSON, or no content type at all (some gateways leave it out).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    let ct = content_type_of(headers).to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    essence.is_empty() || essence == "application/json" || essence.ends_with("+json")
}

/// The service's code and message for an error answer, attached to the rebuilt response.
#[derive(Clone, Debug)]
pub(crate) struct ErrorDetails {
    pub(crate) error_code: String,
    pub(crate) error_msg: String,
}

/// Why a success body was rejected; travels as the body's read error, and as an extension.
#[derive(Clone, Debug)]
pub(crate) struct BodyRejected {
    status: StatusCode,
    request_id: Option<String>,
    reason: String,
}

impl BodyRejected {
    pub(crate) fn new(status: StatusCode, request_id: Option<String>, reason: String) -> Self {
        BodyRejected {
            status,
            request_id,
            reason,
        }
    }

    pub(crate) fn to_error(&self) -> Error {
        Error::Decode {
            status: Some(self.status),
            request_id: self.request_id.clone(),
            reason: self.reason.clone(),
            source: None,
        }
    }
}

impl fmt::Display for BodyRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for BodyRejected {}

/// A body whose first read fails with the rejection.
pub(crate) struct Rejected(pub(crate) Option<BodyRejected>);

impl http_body::Body for Rejected {
    type Data = Bytes;
    type Error = BodyRejected;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BodyRejected>>> {
        Poll::Ready(self.0.take().map(Err))
    }
}

/// The error of a response the generated code found outside the operation's declared statuses.
pub(crate) fn unexpected(
    status: StatusCode,
    headers: &HeaderMap,
    extensions: &http::Extensions,
) -> Error {
    if let Some(d) = extensions.get::<ErrorDetails>() {
        return service_error(status, headers, d.error_code.clone(), d.error_msg.clone());
    }
    if let Some(r) = extensions.get::<BodyRejected>() {
        return r.to_error();
    }
    Error::Decode {
        status: Some(status),
        request_id: request_id(headers).map(str::to_owned),
        reason: format!("the operation does not declare the status {status}"),
        source: None,
    }
}

pub(crate) fn service_error(
    status: StatusCode,
    headers: &HeaderMap,
    error_code: String,
    error_msg: String,
) -> Error {
    Error::Service(crate::ServiceError {
        status,
        error_code,
        error_msg,
        request_id: request_id(headers).map(str::to_owned),
    })
}

/// The status and request id of the success bodies this thread handed to the generated code.
///
/// The generated code decodes a success body itself, and a failure gives only the body's bytes
/// (`InvalidResponsePayload`). The error still holds those bytes, so their buffer cannot have
/// been reused for another response: matching it here tells which response it was. The
/// conversion runs on the thread that read the response unless the caller keeps the error
/// across an await; then the record may be gone, and the status is reported as unknown.
pub(crate) mod recent {
    use std::{cell::RefCell, collections::VecDeque};

    use bytes::Bytes;
    use reqwest::StatusCode;

    /// Enough for the responses of a wide `join!` on one task.
    const KEPT: usize = 64;

    struct Seen {
        ptr: usize,
        len: usize,
        status: StatusCode,
        request_id: Option<String>,
    }

    thread_local! {
        static SEEN: RefCell<VecDeque<Seen>> = RefCell::new(VecDeque::with_capacity(KEPT));
    }

    pub(crate) fn remember(body: &Bytes, status: StatusCode, request_id: Option<String>) {
        SEEN.with_borrow_mut(|seen| {
            if seen.len() == KEPT {
                seen.pop_front();
            }
            seen.push_back(Seen {
                ptr: body.as_ptr() as usize,
                len: body.len(),
                status,
                request_id,
            });
        });
    }

    /// The status and request id of the response whose body is `body`, if this thread saw it.
    pub(crate) fn recall(body: &Bytes) -> Option<(StatusCode, Option<String>)> {
        let (ptr, len) = (body.as_ptr() as usize, body.len());
        SEEN.with_borrow(|seen| {
            seen.iter()
                .rev()
                .find(|s| s.ptr == ptr && s.len == len && len > 0)
                .map(|s| (s.status, s.request_id.clone()))
        })
    }
}
