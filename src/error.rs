//! The one error type of the crate, and the conversion from the generated clients' errors.
//!
//! Every response the client receives goes through `pipeline::finish` first, which reads the body,
//! works out the service's error code and message, and marks bodies that cannot be decoded. This
//! is what lets an error keep the HTTP status and the request id whatever the server sent.

use std::{error::Error as StdError, fmt};

use reqwest::StatusCode;

use crate::region::Service;

/// A boxed error source.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Everything that can go wrong in a call, from bad input to a failing server.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A value breaks a documented constraint. Nothing was sent.
    InvalidInput {
        /// The field, e.g. `group_id`, `limit` or `body.note_plain_text_filter[2]`.
        field: String,
        /// The rule it breaks, e.g. `must be at most 100 (got 101)`.
        rule: String,
    },
    /// The client is configured wrongly (builder or environment). Nothing was sent.
    Config(String),
    /// The region has no endpoint for this service and none was configured. Nothing was sent.
    ServiceNotInRegion {
        /// The service that was called.
        service: Service,
        /// The region the client was built for.
        region: String,
    },
    /// The service answered with an error status.
    Service(ServiceError),
    /// No connection could be made (refused, unreachable, DNS). The request was not sent.
    Connect(reqwest::Error),
    /// The TLS handshake failed (for example, an untrusted certificate).
    Tls(reqwest::Error),
    /// The connect or overall timeout expired.
    Timeout(reqwest::Error),
    /// The connection failed while the request was sent or the response read.
    Transport(reqwest::Error),
    /// A success status came with a body that is not what the operation returns.
    Decode {
        /// HTTP status of the response (known in every case but a generated decoder's surprise).
        status: Option<StatusCode>,
        /// The `X-Request-Id` of the response, if any.
        request_id: Option<String>,
        /// What was wrong with the body.
        reason: String,
        /// The underlying decode error, if any.
        source: Option<BoxError>,
    },
}

/// An error answer from CodeArts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status.
    pub status: StatusCode,
    /// The service's error code (e.g. `CH.00402000`); the status number when the body had none.
    pub error_code: String,
    /// The service's message; a bounded excerpt of the body when it had no recognised shape.
    pub error_msg: String,
    /// The `X-Request-Id` of the response, if any.
    pub request_id: Option<String>,
}

/// Shorthand for `Result<T, codearts_webhooks::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether trying the same call again later could succeed: connection problems, timeouts,
    /// 429 and 5xx answers (500, 502, 503, 504).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connect(_) | Error::Timeout(_) | Error::Transport(_) => true,
            Error::Service(e) => crate::retry::is_retryable_status(e.status),
            _ => false,
        }
    }

    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Service(e) => Some(e.status),
            Error::Decode { status, .. } => *status,
            _ => None,
        }
    }

    /// The `X-Request-Id` of the answer, when the service answered with one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.request_id.as_deref(),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The service error, when the service answered with an error status.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: field.into(),
            rule: rule.into(),
        }
    }

    pub(crate) fn from_transport(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Error::Timeout(e)
        } else if is_tls(&e) {
            Error::Tls(e)
        } else if e.is_connect() {
            Error::Connect(e)
        } else {
            Error::Transport(e)
        }
    }
}

fn is_tls(e: &reqwest::Error) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        if s.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        source = s.source();
    }
    false
}

fn request_id_suffix(f: &mut fmt::Formatter<'_>, request_id: &Option<String>) -> fmt::Result {
    match request_id {
        Some(id) => write!(f, " (request id {id})"),
        None => Ok(()),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidInput { field, rule } => write!(f, "invalid input: {field} {rule}"),
            Error::Config(msg) => write!(f, "invalid configuration: {msg}"),
            Error::ServiceNotInRegion { service, region } => write!(
                f,
                "{service} has no endpoint in region {region}; set one with the builder's {}",
                service.endpoint_setter()
            ),
            Error::Service(e) => e.fmt(f),
            Error::Connect(e) => write!(f, "could not connect: {}", chain(e)),
            Error::Tls(e) => write!(f, "TLS handshake failed: {}", chain(e)),
            Error::Timeout(_) => f.write_str("the request timed out"),
            Error::Transport(e) => write!(f, "connection failed: {}", chain(e)),
            Error::Decode {
                status,
                request_id,
                reason,
                ..
            } => {
                match status {
                    Some(s) => write!(f, "could not decode the {s} response: {reason}")?,
                    None => write!(f, "could not decode the response: {reason}")?,
                }
                request_id_suffix(f, request_id)
            }
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "service error {}: {}: {}",
            self.status.as_u16(),
            self.error_code,
            self.error_msg
        )?;
        request_id_suffix(f, &self.request_id)
    }
}

/// The error and its sources on one line: reqwest's own message alone is often "error sending
/// request", with the cause (refused, reset, ...) only in the chain.
fn chain(e: &dyn StdError) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        source = s.source();
    }
    out
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Connect(e) | Error::Tls(e) | Error::Timeout(e) | Error::Transport(e) => Some(e),
            Error::Decode {
                source: Some(s), ..
            } => Some(s.as_ref()),
            _ => None,
        }
    }
}

impl StdError for ServiceError {}

/// Converts a generated client's error; `details` takes the code and message out of its
/// (already normalised, see `pipeline::finish`) error body.
fn convert<E>(
    e: progenitor_client::Error<E>,
    details: impl FnOnce(E) -> (Option<String>, Option<String>),
) -> Error {
    use progenitor_client::Error as G;
    match e {
        G::InvalidRequest(msg) => crate::validate::from_builder_message(&msg),
        G::Custom(msg) => crate::pipeline::decode_hook_error(msg),
        G::CommunicationError(e) | G::InvalidUpgrade(e) => Error::from_transport(e),
        G::ResponseBodyError(e) => match find_source::<crate::pipeline::BodyRejected>(&e) {
            Some(r) => r.to_error(),
            None => Error::from_transport(e),
        },
        G::ErrorResponse(rv) => {
            let status = rv.status();
            let headers = rv.headers().clone();
            let (code, msg) = details(rv.into_inner());
            let code = code.unwrap_or_else(|| status.as_u16().to_string());
            crate::pipeline::service_error(status, &headers, code, msg.unwrap_or_default())
        }
        G::UnexpectedResponse(resp) => {
            crate::pipeline::unexpected(resp.status(), resp.headers(), resp.extensions())
        }
        G::InvalidResponsePayload(body, e) => {
            let (status, request_id) = match crate::pipeline::recent::recall(&body) {
                Some((status, request_id)) => (Some(status), request_id),
                None => (None, None),
            };
            Error::Decode {
                status,
                request_id,
                reason: format!("{e} (body of {} bytes)", body.len()),
                source: Some(Box::new(e)),
            }
        }
    }
}

macro_rules! from_generated {
    ($($body:ty),+) => {$(
        impl From<progenitor_client::Error<$body>> for Error {
            fn from(e: progenitor_client::Error<$body>) -> Self {
                convert(e, |b| (b.error_code, b.error_msg))
            }
        }
    )+};
}

from_generated!(
    crate::repo::types::ErrorResponse,
    crate::check::types::ErrorResponse
);

fn find_source<'a, T: StdError + 'static>(e: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(t) = c.downcast_ref::<T>() {
            return Some(t);
        }
        cur = c.source();
    }
    None
}
