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
pub(crate) async fn decode<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, Generated<E>> {
    // Every answer that reaches the generated code went through the pipeline, which read its
    // body; progenitor's own decoding is for a response made elsewhere (boxed, as its state
    // would otherwise weigh on every call's future).
    let Some(read) = response.extensions_mut().remove::<ReadBody>() else {
        return Box::pin(ResponseValue::from_response(response)).await;
    };
    let status = response.status();
    match parse(response.headers(), &read) {
        Ok(inner) => Ok(ResponseValue::new(
            inner,
            status,
            std::mem::take(response.headers_mut()),
        )),
        Err((reason, source)) => {
            let error = Error::Decode {
                status: Some(status),
                request_id: request_id(response.headers()).map(str::to_owned),
                reason,
                source,
            };
            Err(Generated::UnexpectedResponse(carry::response(
                error,
                Some(response.url().clone()),
            )))
        }
    }
}

fn parse<T: DeserializeOwned>(
    headers: &HeaderMap,
    read: &ReadBody,
) -> Result<T, (String, Option<crate::BoxError>)> {
    let body = &read.bytes;
    if read.too_large {
        return Err((
            format!("the body is larger than the {}-byte limit", read.max),
            None,
        ));
    }
    if !is_json(headers) {
        return Err((
            format!(
                "the content type {:?} is not JSON",
                content_type_of(headers)
            ),
            None,
        ));
    }
    if body.is_empty() {
        return Err(("the body is empty where JSON was expected".to_owned(), None));
    }
    serde_json::from_slice(body).map_err(|e| {
        (
            format!("{e} (body of {} bytes)", body.len()),
            Some(Box::new(e) as crate::BoxError),
        )
    })
}

fn content_type_of(headers: &HeaderMap) -> &str {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// JSON, or no content type at all (some gateways leave it out).
fn is_json(headers: &HeaderMap) -> bool {
    let essence = content_type_of(headers)
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .as_bytes();
    essence == b"application/json"
        || essence.is_empty()
        || essence.eq_ignore_ascii_case(b"application/json")
        || essence
            .len()
            .checked_sub(5)
            .is_some_and(|at| essence[at..].eq_ignore_ascii_case(b"+json"))
}
