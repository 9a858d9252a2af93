//! A typed client for the webhook APIs of Huawei Cloud CodeArts Repo (v4) and CodeArts Check.
//!
//! The operations are generated at build time from the OpenAPI descriptions in `openapi/`
//! ([`repo`] and [`check`]); this crate adds what a generator cannot: [`Credentials`] (IAM token
//! or AK/SK signing), regions and endpoints ([`ClientBuilder`]), one [`Error`] type, retries
//! ([`RetryPolicy`]), input checks, Base64 handling for notification webhooks
//! ([`notification`]), paging ([`page`]), and keeping webhooks in place across many scopes
//! ([`plan`]).
//!
//! ```no_run
//! use codearts_webhooks::{Client, Credentials, repo::types::WebhookParamsDto};
//!
//! # async fn run() -> Result<(), codearts_webhooks::Error> {
//! let client = Client::builder()
//!     .credentials(Credentials::token(std::env::var("IAM_TOKEN").unwrap_or_default()))
//!     .region("cn-north-4")
//!     .build()?;
//! let hook = client
//!     .repo()
//!     .add_repository_webhook()
//!     .repository_id(2111978605)
//!     .body(WebhookParamsDto {
//!         url: Some("https://ci.example.com/hook".into()),
//!         name: Some("ci".into()),
//!         push_events: Some(true),
//!         push_events_branch_regex_filter: Some(".*".into()),
//!         ..Default::default()
//!     })
//!     .send()
//!     .await?;
//! println!("created webhook {:?}", hook.id);
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! - `fake`: `fake::FakeCodeArts`, an in-memory CodeArts Repo and Check on loopback, with
//!   authentication and fault injection, for trying the crate and testing code that uses it.
//! - `native-tls`: the platform's TLS (OpenSSL on Linux) instead of rustls with *ring*.
//! - `cli`: the `codearts-webhooks` command-line tool (`list`, `show`, `logs`, `plan`, `apply`,
//!   `check-trigger`, `schema`).
//!
//! See `README.md` for the defaults (timeouts, retries), `RELIABILITY.md` for what is
//! guaranteed under failure, and `BENCHMARKS.md` for the cost.
//!
//! # How a request flows
//!
//! `send()` on a generated builder makes a `reqwest::Request` (its path written with
//! `src/pipeline/segment.rs`, which `build.rs` puts in place of progenitor's path encoding, onto
//! the endpoint parsed once, `src/pipeline/endpoints.rs`) and hands it to the hand-written
//! pipeline through progenitor's `exec` hook. Each step has one owner:
//!
//! 1. **Check and preflight** (`src/pipeline.rs`): before the generated `send` writes its URL,
//!    its parameters and body are checked against the description (`src/validate.rs`,
//!    `src/spec.rs`) as the typed values they are, in one call that names the operation by its
//!    place in the table `build.rs` read off the generated code (`src/operations.rs`; `build.rs`
//!    puts `Pipeline::check` into every `send`), which also refuses a service without an
//!    endpoint. The same walk measures the body's JSON, which the `send` writes into a buffer
//!    of that length (`src/pipeline/json.rs`). In `exec`, the query is put in its one encoding.
//!    Bad input is never sent.
//! 2. **Attempt** (`src/pipeline/attempt.rs`): credentials are resolved (`src/auth.rs`,
//!    `src/provider/`, `src/project.rs`), the request is signed (`src/signer.rs`) and sent to the
//!    current endpoint (`src/pipeline/endpoints.rs`), and the body is read, bounded.
//! 3. **Decide** (`src/retry.rs`): one pure function says retry after a wait, or stop. A request
//!    HTTP/2 says the server did not take counts as a refused connection
//!    (`src/pipeline/unprocessed.rs`).
//! 4. **Answer** (`src/pipeline/answer.rs`): an error status becomes [`Error`] with that answer's
//!    status and request id; a success goes on with the body it read (so the generated code
//!    never sees an error status: `build.rs` removes its arms for them).
//! 5. **Decode** (`src/pipeline/decode.rs`): the generated success arms, rewritten by `build.rs`,
//!    decode the body once; a body that does not decode becomes [`Error::Decode`] with its status
//!    and request id.
//! 6. **Back to the caller** (`src/pipeline/carry.rs`, `src/pipeline/convert.rs`): an error
//!    travels in the call's own response and `?` takes it out as [`Error`].
//!
//! `src/error.rs` depends on none of these steps except `src/retry.rs`'s list of statuses worth
//! retrying (a module that depends on nothing); the others all depend on it.
#![warn(missing_docs)]

mod auth;
mod client;
pub mod clock;
pub mod diagnosis;
pub mod enums;
mod error;
#[cfg(feature = "fake")]
pub mod fake;
pub mod notification;
mod operations;
pub mod page;
mod pipeline;
pub mod plan;
mod project;
mod provider;
pub mod region;
mod retry;
pub mod signer;
mod skew;
mod spec;
mod validate;

pub use auth::Credentials;
pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};
pub use error::{BoxError, Error, ProviderFailure, Result, ServiceError};
pub use pipeline::Pipeline;
pub use progenitor_client::ResponseValue;
pub use retry::{DEFAULT_MAX_ELAPSED, RetryPolicy};

/// The CodeArts Repo v4 client, generated from `openapi/codearts-repo.yaml`.
#[allow(
    missing_docs,
    clippy::all,
    unreachable_patterns,
    unused_imports,
    rustdoc::all
)]
pub mod repo {
    include!(concat!(env!("OUT_DIR"), "/repo.rs"));
}

/// The CodeArts Check client, generated from `openapi/codearts-check.yaml`.
#[allow(
    missing_docs,
    clippy::all,
    unreachable_patterns,
    unused_imports,
    rustdoc::all
)]
pub mod check {
    include!(concat!(env!("OUT_DIR"), "/check.rs"));
}

/// The README's Rust examples, compiled as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
