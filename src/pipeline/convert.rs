//! Turns the generated clients' errors into the crate's [`Error`] (the `?` on every `send`).
//!
//! The pipeline has already made the error of every failed call (see `carry`); what is left here
//! is taking it out, and the few errors the generated code makes itself (a builder left
//! incomplete).

use progenitor_client::Error as Generated;

use super::{answer::request_id, carry};
use crate::{Error, ServiceError};

fn convert<E>(
    e: Generated<E>,
    details: impl FnOnce(E) -> (Option<String>, Option<String>),
) -> Error {
    match e {
        Generated::InvalidRequest(msg) => from_builder_message(&msg),
        // No hook of this crate fails with a message.
        Generated::Custom(msg) => Error::Config(msg),
        Generated::CommunicationError(e)
        | Generated::InvalidUpgrade(e)
        | Generated::ResponseBodyError(e) => Error::from_transport(e, None),
        Generated::UnexpectedResponse(mut response) => {
            carry::take(&mut response).unwrap_or_else(|| Error::Decode {
                status: Some(response.status()),
                request_id: request_id(response.headers()).map(str::to_owned),
                reason: format!(
                    "the operation does not declare the status {}",
                    response.status()
                ),
                source: None,
            })
        }
        // The pipeline carries every error status itself, and build.rs removes the arms that
        // would make this one; it is kept because progenitor's error type has it.
        Generated::ErrorResponse(rv) => {
            let status = rv.status();
            let request_id = request_id(rv.headers()).map(str::to_owned);
            let (code, msg) = details(rv.into_inner());
            Error::Service(ServiceError {
                status,
                error_code: code.unwrap_or_else(|| status.as_u16().to_string()),
                error_msg: msg.unwrap_or_default(),
                request_id,
                signature_mismatch: None,
            })
        }
        // Every success arm decodes through `pipeline::decode`, which carries a failure with its
        // status; progenitor's own decoding, which makes this one, is not called.
        Generated::InvalidResponsePayload(body, e) => Error::Decode {
            status: None,
            request_id: None,
            reason: format!("{e} (body of {} bytes)", body.len()),
            source: Some(Box::new(e)),
        },
    }
}

macro_rules! from_generated {
    ($($body:ty),+) => {$(
        impl From<Generated<$body>> for Error {
            fn from(e: Generated<$body>) -> Self {
                convert(e, |b| (b.error_code, b.error_msg))
            }
        }
    )+};
}

from_generated!(
    crate::repo::types::ErrorResponse,
    crate::check::types::ErrorResponse
);

/// The message of a generated builder's value: `build.rs` makes a value not set yet an empty
/// message, so that each builder does not make one string per parameter; `send` asks for the
/// message only when a value is wrong or missing, and then it reads as progenitor wrote it.
pub(crate) fn unset_message(message: String, field: &str) -> String {
    match message.is_empty() {
        true => format!("{field} was not initialized"),
        false => message,
    }
}

/// Turns a generated builder's message into an input error that names the field.
///
/// The generated builders say `"hook_id was not initialized"` or
/// `"conversion to `WebhookParamsRequestDto` for body failed: no value supplied for url"`.
fn from_builder_message(msg: &str) -> Error {
    // progenitor appends `_` to names that are Rust keywords (`type` becomes `type_`).
    if let Some(field) = msg.strip_suffix(" was not initialized") {
        return Error::invalid(field.trim_end_matches('_'), "is required");
    }
    if let Some(rest) = msg.strip_prefix("conversion to `")
        && let Some((_, rest)) = rest.split_once("` for ")
    {
        let (field, detail) = rest.split_once(" failed").unwrap_or((rest, ""));
        let detail = detail.trim_start_matches(": ");
        if let Some(inner) = detail.strip_prefix("no value supplied for ") {
            return Error::invalid(format!("{field}.{inner}"), "is required");
        }
        let rule = if detail.is_empty() {
            "has the wrong type".to_owned()
        } else {
            detail.to_owned()
        };
        return Error::invalid(field.to_string(), rule);
    }
    Error::invalid("request", msg)
}
