//! Turns the generated clients' errors into the crate's [`Error`] (the `?` on every `send`).
//!
//! The pipeline has already made the error of every failed call (see `carry`), a builder left
//! incomplete included (`builder_error`, which `build.rs` puts into every `send`); what is left
//! here is taking it out.

use progenitor_client::Error as Generated;

use super::{answer::request_id, carry};
use crate::{Error, ServiceError};

fn convert<E>(
    e: Generated<E>,
    details: impl FnOnce(E) -> (Option<String>, Option<String>),
) -> Error {
    match e {
        // The generated builders' errors are carried (`builder_error`); progenitor makes this
        // one nowhere else.
        Generated::InvalidRequest(msg) => Error::invalid("request", msg),
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

/// The carried error of a generated builder's value that is missing or wrong, for the input
/// `field` (its name in the description): `build.rs` makes each `send` call this where
/// progenitor's wraps the builder's message in `Error::InvalidRequest`, so the field comes from
/// the generated code, typed, and travels back like every failure of the pipeline (`carry`).
pub(crate) fn builder_error(message: String, field: &str) -> reqwest::Response {
    carry::response(builder_input_error(&message, field), None)
}

/// What a builder's message says about `field`. `build.rs` leaves an unset value's message
/// empty; a setter that could not convert its value says
/// ``"conversion to `i32` for hook_id failed"``; a body's builder type names a required member
/// it was not given, `"no value supplied for url"` (after ``"conversion to `…` for body failed: "``
/// when `body()` was given the builder).
fn builder_input_error(message: &str, field: &str) -> Error {
    if message.is_empty() {
        return Error::invalid(field, "is required");
    }
    let detail = match message
        .strip_prefix("conversion to `")
        .and_then(|rest| rest.split_once(" failed"))
    {
        Some((_, detail)) => detail.trim_start_matches(": "),
        None => message,
    };
    match detail.strip_prefix("no value supplied for ") {
        Some(member) => Error::invalid(format!("{field}.{member}"), "is required"),
        None if detail.is_empty() => Error::invalid(field, "has the wrong type"),
        None => Error::invalid(field, detail),
    }
}

#[cfg(test)]
mod tests {
    use super::builder_input_error;
    use crate::Error;

    fn read(message: &str, field: &str) -> (String, String) {
        match builder_input_error(message, field) {
            Error::InvalidInput { field, rule } => (field, rule),
            other => panic!("{other:?}"),
        }
    }

    /// Each message progenitor's builders make, read for the field `build.rs` names.
    #[test]
    fn each_builder_message_names_the_field_and_the_rule() {
        let cases = [
            ("", "hook_id", ("hook_id", "is required")),
            (
                "conversion to `i32` for hook_id failed",
                "hook_id",
                ("hook_id", "has the wrong type"),
            ),
            (
                "conversion to `WebhookParamsRequestDto` for body failed: no value supplied for url",
                "body",
                ("body.url", "is required"),
            ),
            (
                "no value supplied for url",
                "body",
                ("body.url", "is required"),
            ),
            (
                "error converting supplied value for url: too long",
                "body",
                ("body", "error converting supplied value for url: too long"),
            ),
        ];
        for (message, field, (want_field, want_rule)) in cases {
            assert_eq!(
                read(message, field),
                (want_field.to_owned(), want_rule.to_owned()),
                "{message}"
            );
        }
    }
}
