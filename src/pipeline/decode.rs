//! The last step of a successful call: decoding the body the attempt read into the operation's
//! type. `build.rs` makes every success arm of the generated `send`s call [`decode`] in place of
//! progenitor's `ResponseValue::from_response`, whose error for a body that does not decode
//! keeps neither the status nor the request id. Here both are still on the response, so the
//! failure becomes the crate's [`Error::Decode`] and travels back like every other failure of
//! the pipeline (`carry`).

use bytes::Bytes;
use progenitor_client::{Error as Generated, ResponseValue};
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::{answer::request_id, carry};
use crate::Error;

/// The body an attempt read, on the response handed to the generated code.
#[derive(Clone)]
pub(super) struct ReadBody {
    pub bytes: Bytes,
    /// The body was longer than the client's limit: `bytes` is its first part.
    pub too_large: bool,
    /// The limit, for the error message.
    pub max: usize,
}

/// Decodes a success answer as the generated code expects, or carries the error that says why
/// it cannot be decoded, with the answer's status and request id.
///
/// Not `async`: the body was read by the attempt, so there is nothing to wait for, and a
/// future here would weigh on every `send`'s future. Only the decoding itself is generic (one
/// copy per operation); whatever leads to an error is in [`refuse`] and [`failed`], shared.
// The result is what the generated `send` returns, error included.
#[allow(clippy::result_large_err)]
pub(crate) fn decode<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, Generated<E>> {
    // Every success answer that reaches the generated code went through the pipeline, which
    // read its body (`answer::finish`).
    let Some(read) = response.extensions_mut().remove::<ReadBody>() else {
        return Err(Generated::UnexpectedResponse(failed(
            response,
            Failure::NotRead,
        )));
    };
    if let Some(why) = refuse(response.headers(), &read) {
        return Err(Generated::UnexpectedResponse(failed(response, why)));
    }
    // Text checked once as a whole is faster to read than bytes checked string by string.
    let decoded = match std::str::from_utf8(&read.bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(&read.bytes),
    };
    match decoded {
        Ok(inner) => {
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            Ok(ResponseValue::new(inner, status, headers))
        }
        Err(e) => Err(Generated::UnexpectedResponse(failed(
            response,
            Failure::Json(e, read.bytes.len()),
        ))),
    }
}

/// Why a success answer could not be decoded.
enum Failure {
    NotRead,
    TooLarge(usize),
    NotJson,
    Empty,
    Json(serde_json::Error, usize),
}

/// Why the body `read` cannot be JSON at all, before it is parsed.
#[inline]
fn refuse(headers: &HeaderMap, read: &ReadBody) -> Option<Failure> {
    if read.too_large {
        Some(Failure::TooLarge(read.max))
    } else if !is_json(headers) {
        Some(Failure::NotJson)
    } else if read.bytes.is_empty() {
        Some(Failure::Empty)
    } else {
        None
    }
}

/// The response that carries the [`Error::Decode`] of `response`, with its status and request
/// id.
#[cold]
fn failed(response: reqwest::Response, why: Failure) -> reqwest::Response {
    let (reason, source) = match why {
        Failure::NotRead => ("the body was not read by the pipeline".to_owned(), None),
        Failure::TooLarge(max) => (
            format!("the body is larger than the {max}-byte limit"),
            None,
        ),
        Failure::NotJson => (
            format!(
                "the content type {:?} is not JSON",
                content_type_of(response.headers())
            ),
            None,
        ),
        Failure::Empty => ("the body is empty where JSON was expected".to_owned(), None),
        Failure::Json(e, len) => (
            format!("{e} (body of {len} bytes)"),
            Some(Box::new(e) as crate::BoxError),
        ),
    };
    let error = Error::Decode {
        status: Some(response.status()),
        request_id: request_id(response.headers()).map(str::to_owned),
        reason,
        source,
    };
    carry::response(error, Some(response.url().clone()))
}

fn content_type_of(headers: &HeaderMap) -> &str {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// JSON, or no content type at all (some gateways leave it out).
#[inline]
fn is_json(headers: &HeaderMap) -> bool {
    match headers.get(reqwest::header::CONTENT_TYPE) {
        None => true,
        Some(value) if value.as_bytes() == b"application/json" => true,
        Some(value) => is_json_type(value.to_str().unwrap_or("")),
    }
}

/// A content type other than plain `application/json`: with parameters, in other cases, or
/// `+json`.
fn is_json_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .as_bytes();
    essence.is_empty()
        || essence.eq_ignore_ascii_case(b"application/json")
        || essence
            .len()
            .checked_sub(5)
            .is_some_and(|at| essence[at..].eq_ignore_ascii_case(b"+json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::types::WebhookDto;

    fn response(
        content_type: &str,
        read: Option<ReadBody>,
        body: &'static str,
    ) -> reqwest::Response {
        let mut r = http::Response::builder()
            .status(200)
            .header("content-type", content_type)
            .header("x-request-id", "req-7")
            .body(reqwest::Body::from(body))
            .unwrap();
        if let Some(read) = read {
            r.extensions_mut().insert(read);
        }
        reqwest::Response::from(r)
    }

    fn read(body: &'static str, too_large: bool) -> Option<ReadBody> {
        Some(ReadBody {
            bytes: Bytes::from_static(body.as_bytes()),
            too_large,
            max: 16,
        })
    }

    /// The error `decode` carried back, as the caller's `?` would find it.
    fn failure(r: reqwest::Response) -> Error {
        match decode::<WebhookDto, ()>(r) {
            Err(Generated::UnexpectedResponse(mut carrier)) => carry::take(&mut carrier).unwrap(),
            other => panic!("not a carried error: {other:?}"),
        }
    }

    #[test]
    fn decodes_the_body_the_attempt_read_not_the_response_body() {
        let r = response("application/json", read(r#"{"id": 5}"#, false), "ignored");
        let v = decode::<WebhookDto, ()>(r).unwrap();
        assert_eq!(v.status(), 200);
        assert_eq!(v.headers()["x-request-id"], "req-7");
        assert_eq!(v.into_inner().id, Some(5));
    }

    #[test]
    fn a_body_that_does_not_decode_keeps_status_and_request_id() {
        for (ct, body, too_large, reason) in [
            (
                "application/json",
                r#"{"id": "five"}"#,
                false,
                "invalid type",
            ),
            ("application/json", "", false, "empty"),
            (
                "text/plain",
                r#"{"id": 5}"#,
                false,
                "\"text/plain\" is not JSON",
            ),
            (
                "application/json",
                r#"{"id": 5"#,
                true,
                "larger than the 16-byte limit",
            ),
        ] {
            match failure(response(ct, read(body, too_large), "")) {
                Error::Decode {
                    status,
                    request_id,
                    reason: got,
                    ..
                } => {
                    assert_eq!(status, Some(reqwest::StatusCode::OK));
                    assert_eq!(request_id.as_deref(), Some("req-7"));
                    assert!(got.contains(reason), "{got}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn content_types_that_are_json() {
        for ct in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/problem+json",
            "",
        ] {
            let r = response(ct, read(r#"{"id": 1}"#, false), "");
            assert!(decode::<WebhookDto, ()>(r).is_ok(), "{ct:?}");
        }
    }

    /// A success answer that did not come through the pipeline has no body read for it: an
    /// error that says so, with its status and request id, not a panic.
    #[test]
    fn a_response_the_pipeline_did_not_read_is_an_error() {
        match failure(response("application/json", None, r#"{"id": 9}"#)) {
            Error::Decode {
                status,
                request_id,
                reason,
                ..
            } => {
                assert_eq!(status, Some(reqwest::StatusCode::OK));
                assert_eq!(request_id.as_deref(), Some("req-7"));
                assert_eq!(reason, "the body was not read by the pipeline");
            }
            other => panic!("{other:?}"),
        }
    }
}
