//! The one error type of the crate.
//!
//! It depends on nothing else of the crate's request path: the pipeline builds these values
//! while the response is at hand (so status and request id are always its own), and
//! `pipeline::convert` turns the generated clients' errors into them.

use std::{error::Error as StdError, fmt};

use reqwest::StatusCode;

use crate::{diagnosis::SignatureMismatch, region::Service};

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
    /// The connect timeout, an attempt's timeout, or the call's time budget expired.
    Timeout {
        /// The underlying error.
        source: reqwest::Error,
        /// The HTTP status, when the headers had arrived before the body stalled.
        status: Option<StatusCode>,
        /// The `X-Request-Id` of the answer, when the headers had arrived.
        request_id: Option<String>,
    },
    /// The connection failed while the request was sent or the response read (for example a
    /// body cut short).
    Transport {
        /// The underlying error.
        source: reqwest::Error,
        /// The HTTP status, when the headers had arrived before the failure.
        status: Option<StatusCode>,
        /// The `X-Request-Id` of the answer, when the headers had arrived.
        request_id: Option<String>,
    },
    /// No credentials could be found: each provider tried, and why it yielded none (for
    /// temporary credentials from instance metadata, known at the first request). Nothing was
    /// sent to CodeArts.
    NoCredentials(Vec<ProviderFailure>),
    /// The IAM project id could not be looked up (AK/SK credentials without a project id).
    /// Nothing was sent to CodeArts.
    ProjectId {
        /// The region whose project was looked up.
        region: String,
        /// What went wrong: IAM unreachable, an error status, no project, or several.
        message: String,
        /// IAM's HTTP status, when it answered.
        status: Option<StatusCode>,
        /// IAM's `X-IAM-Trace-Id` header, when it answered with one.
        trace_id: Option<String>,
    },
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
    /// When the API gateway refused the signature and sent back its canonical request: where it
    /// differs from the one the client signed.
    pub signature_mismatch: Option<Box<SignatureMismatch>>,
}

/// Why one credential provider yielded no credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFailure {
    /// The provider: `environment`, `profile file` or `instance metadata`.
    pub provider: &'static str,
    /// Why, e.g. `HUAWEICLOUD_SDK_AK is not set` or `/home/me/.huaweicloud/credentials: no
    /// such file`.
    pub reason: String,
}

impl fmt::Display for ProviderFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.provider, self.reason)
    }
}

/// Shorthand for `Result<T, codearts_webhooks::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether trying the same call again later could succeed: connection problems, timeouts,
    /// 429 and 5xx answers (500, 502, 503, 504).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connect(_) | Error::Timeout { .. } | Error::Transport { .. } => true,
            Error::Service(e) => crate::retry::is_retryable_status(e.status),
            _ => false,
        }
    }

    /// The HTTP status, when the service answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Service(e) => Some(e.status),
            Error::Decode { status, .. }
            | Error::ProjectId { status, .. }
            | Error::Timeout { status, .. }
            | Error::Transport { status, .. } => *status,
            _ => None,
        }
    }

    /// The `X-Request-Id` of the answer, when the service answered with one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.request_id.as_deref(),
            Error::Decode { request_id, .. }
            | Error::Timeout { request_id, .. }
            | Error::Transport { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Where the canonical request the API gateway computed differs from the one the client
    /// signed, when the gateway refused the signature and said what it computed.
    pub fn signature_mismatch(&self) -> Option<&SignatureMismatch> {
        self.service_error()?.signature_mismatch.as_deref()
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

    /// Classifies a transport failure; `answered` is the status and request id when the
    /// headers had arrived before it.
    pub(crate) fn from_transport(
        e: reqwest::Error,
        answered: Option<(StatusCode, Option<String>)>,
    ) -> Self {
        let (status, request_id) = match answered {
            Some((s, id)) => (Some(s), id),
            None => (None, None),
        };
        if e.is_timeout() {
            Error::Timeout {
                source: e,
                status,
                request_id,
            }
        } else if status.is_none() && is_tls(&e) {
            Error::Tls(e)
        } else if status.is_none() && e.is_connect() {
            Error::Connect(e)
        } else {
            Error::Transport {
                source: e,
                status,
                request_id,
            }
        }
    }
}

fn is_tls(e: &reqwest::Error) -> bool {
    causes(e).any(|s| s.downcast_ref::<rustls::Error>().is_some())
}

/// `e` and the errors it was caused by, outermost first: where a cause of a given type is
/// looked for.
pub(crate) fn causes<'a>(
    e: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(e), |&e| match e.downcast_ref::<std::io::Error>() {
        // An `io::Error`'s `source()` skips the error it wraps, straight to that error's own
        // source: the rustls error of a failed handshake is wrapped so, inside hyper's.
        Some(io) => io.get_ref().map(|inner| inner as &(dyn StdError + 'static)),
        None => e.source(),
    })
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
            Error::Timeout {
                status, request_id, ..
            } => {
                match status {
                    Some(s) => write!(f, "the request timed out while reading the {s} response")?,
                    None => f.write_str("the request timed out")?,
                }
                request_id_suffix(f, request_id)
            }
            Error::Transport {
                source,
                status,
                request_id,
            } => {
                match status {
                    Some(s) => write!(
                        f,
                        "connection failed while reading the {s} response: {}",
                        chain(source)
                    )?,
                    None => write!(f, "connection failed: {}", chain(source))?,
                }
                request_id_suffix(f, request_id)
            }
            Error::NoCredentials(tried) => {
                f.write_str("no credentials found")?;
                for (i, failure) in tried.iter().enumerate() {
                    f.write_str(if i == 0 { ": " } else { "; " })?;
                    failure.fmt(f)?;
                }
                Ok(())
            }
            Error::ProjectId {
                region,
                message,
                trace_id,
                ..
            } => {
                write!(f, "could not find the project id of {region}: {message}")?;
                match trace_id {
                    Some(id) => write!(f, " (IAM trace id {id})"),
                    None => Ok(()),
                }
            }
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
        if let Some(d) = &self.signature_mismatch {
            write!(f, " [{d}]")?;
        }
        request_id_suffix(f, &self.request_id)
    }
}

/// The error and its sources on one line: reqwest's own message alone is often "error sending
/// request", with the cause (refused, reset, ...) only in the chain.
pub(crate) fn chain(e: &dyn StdError) -> String {
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
            Error::Connect(e)
            | Error::Tls(e)
            | Error::Timeout { source: e, .. }
            | Error::Transport { source: e, .. } => Some(e),
            Error::Decode {
                source: Some(s), ..
            } => Some(s.as_ref()),
            _ => None,
        }
    }
}

impl StdError for ServiceError {}
