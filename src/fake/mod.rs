//! An in-memory CodeArts Repo and CodeArts Check, for running the crate, and testing code that
//! uses it, with no cloud account. Feature `fake`.
//!
//! It serves all 25 operations over real HTTP on loopback, authenticates tokens and AK/SK
//! signatures as the service does, answers with the documented shapes, and can be scripted to
//! fail ([`Fault`]).
//!
//! ```
//! use codearts_webhooks::{Credentials, fake::FakeCodeArts};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fake = FakeCodeArts::start().await?;
//! let client = fake.client_builder().credentials(Credentials::token(fake.token())).build()?;
//! let hooks = client.repo().list_group_webhooks().group_id(1).send().await?;
//! assert!(hooks.is_empty());
//! # Ok(()) }
//! ```

mod auth;
mod identity;
mod routes;
mod server;
mod store;

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicI64, AtomicU64},
    },
    time::Duration,
};

pub use identity::{
    DEFAULT_PROJECT_ID, KEYSTONE_LIST_PROJECTS, METADATA_SECURITY_KEY, METADATA_TOKEN,
};
pub use server::FakeCodeArts;

use crate::ClientBuilder;

/// Default IAM token the fake accepts.
pub const DEFAULT_TOKEN: &str = "fake-iam-token";
/// Default access key the fake accepts.
pub const DEFAULT_AK: &str = "FAKEACCESSKEY";
/// Default secret key of [`DEFAULT_AK`].
pub const DEFAULT_SK: &str = "fake-secret-key";

/// Settings of a fake server.
#[derive(Clone, Debug)]
pub struct FakeBuilder {
    addr: SocketAddr,
    tokens: Vec<String>,
    keys: HashMap<String, String>,
    max_clock_skew: Duration,
    clock_offset: i64,
    repository_webhook_cap: usize,
}

impl Default for FakeBuilder {
    fn default() -> Self {
        FakeBuilder {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tokens: vec![DEFAULT_TOKEN.to_owned()],
            keys: HashMap::from([(DEFAULT_AK.to_owned(), DEFAULT_SK.to_owned())]),
            max_clock_skew: Duration::from_secs(15 * 60),
            clock_offset: 0,
            repository_webhook_cap: 20,
        }
    }
}

impl FakeBuilder {
    /// Listens on this port of 127.0.0.1 (default 0: a free port).
    pub fn port(mut self, port: u16) -> Self {
        self.addr.set_port(port);
        self
    }

    /// Accepts only these IAM tokens (default [`DEFAULT_TOKEN`]).
    pub fn tokens<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tokens: I) -> Self {
        self.tokens = tokens.into_iter().map(Into::into).collect();
        self
    }

    /// Accepts only this key pair (default [`DEFAULT_AK`] / [`DEFAULT_SK`]).
    pub fn key(mut self, access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        self.keys = HashMap::from([(access_key.into(), secret_key.into())]);
        self
    }

    /// Accepts only these key pairs: (access key, secret key).
    pub fn keys<I, A, S>(mut self, pairs: I) -> Self
    where
        I: IntoIterator<Item = (A, S)>,
        A: Into<String>,
        S: Into<String>,
    {
        self.keys = pairs
            .into_iter()
            .map(|(a, s)| (a.into(), s.into()))
            .collect();
        self
    }

    /// How far `X-Sdk-Date` may be from the fake's clock (default 15 minutes, as the service).
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }

    /// The fake's clock runs this many seconds ahead of the machine's (behind when negative),
    /// as a gateway whose time differs from the client's; see also
    /// [`FakeCodeArts::set_clock_offset`].
    pub fn clock_offset(mut self, seconds: i64) -> Self {
        self.clock_offset = seconds;
        self
    }

    /// How many webhooks one repository may have (default 20, as the service); more is
    /// refused with 400. Raise it for tests that need many webhooks in one place.
    pub fn repository_webhook_cap(mut self, cap: usize) -> Self {
        self.repository_webhook_cap = cap;
        self
    }

    /// Starts serving.
    pub async fn start(self) -> std::io::Result<FakeCodeArts> {
        FakeCodeArts::serve(self).await
    }
}

/// A scripted answer for the next request of an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) delay: Duration,
    pub(crate) action: FaultAction,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultAction {
    Respond,
    /// Close the connection without answering.
    Drop,
    /// Send the headers (with a `Content-Length` of the whole body) and half the body, then close.
    DropMidBody,
    /// Send the headers (chunked) and half the body, then close before the last chunk.
    DropMidChunked,
    /// Send the headers and half the body, then send nothing more.
    StallMidBody,
    /// Never answer.
    Hang,
    /// Handle the request as usual (a create creates), then close without answering.
    HandleThenDrop,
}

impl Fault {
    /// Answers with `status`, an empty body and no extra header.
    pub fn status(status: u16) -> Self {
        Fault {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
            action: FaultAction::Respond,
        }
    }

    /// Answers with `status` and the JSON `body` (content type `application/json`).
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Fault::status(status)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    /// Closes the connection without answering.
    pub fn drop_connection() -> Self {
        Fault {
            action: FaultAction::Drop,
            ..Fault::status(0)
        }
    }

    /// Sends `status`, a `Content-Length` of the whole `body`, half the body, then closes.
    pub fn drop_mid_body(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Fault {
            action: FaultAction::DropMidBody,
            ..Fault::status(status).body(body)
        }
    }

    /// Sends `status`, the chunked framing, half the body, then closes without the last chunk.
    pub fn drop_mid_chunked_body(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Fault {
            action: FaultAction::DropMidChunked,
            ..Fault::status(status).body(body)
        }
    }

    /// Sends `status`, a `Content-Length` of the whole `body` and half the body, then nothing
    /// more (the client's timeout must fire while it reads the body).
    pub fn stall_mid_body(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Fault {
            action: FaultAction::StallMidBody,
            ..Fault::status(status).body(body)
        }
    }

    /// Handles the request as usual (a create creates), then closes the connection without
    /// answering: a change the client cannot know was made.
    pub fn handle_then_drop() -> Self {
        Fault {
            action: FaultAction::HandleThenDrop,
            ..Fault::status(0)
        }
    }

    /// Never answers (the client's timeout must fire).
    pub fn hang() -> Self {
        Fault {
            action: FaultAction::Hang,
            ..Fault::status(0)
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the response body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Waits this long before answering.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// What the fake shares between its connections.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub next_request: AtomicU64,
    /// Seconds the fake's clock runs ahead of the machine's.
    pub clock_offset: AtomicI64,
    pub store: Mutex<store::Store>,
    pub faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    pub counts: Mutex<HashMap<String, usize>>,
    pub received: Mutex<Vec<Received>>,
    pub identity: Mutex<identity::Identity>,
}

/// A request as the fake received it, for tests that look at the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The official operation name, or `Unknown`.
    pub operation: String,
    /// The `X-Request-Id` the fake answered it with.
    pub request_id: String,
    /// HTTP method.
    pub method: String,
    /// Path as sent.
    pub path: String,
    /// Query as sent, if any.
    pub query: Option<String>,
    /// Headers, names lower-case, in the order received.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Locks a mutex, recovering the data if a panicking test poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakeCodeArts {
    /// A client builder pointed at this fake (both services, IAM and instance metadata). Add
    /// credentials and build.
    pub fn client_builder(&self) -> ClientBuilder {
        ClientBuilder::default()
            .repo_endpoint(self.endpoint())
            .check_endpoint(self.endpoint())
            .iam_endpoint(self.endpoint())
            .metadata_endpoint(self.endpoint())
    }

    /// Queues scripted answers for the next requests of `operation` (official name, e.g.
    /// `ShowProjectWebhook`), used in order before the fake answers normally again.
    pub fn inject(&self, operation: &str, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.shared.faults)
            .entry(operation.to_owned())
            .or_default()
            .extend(faults);
    }

    /// How many requests of `operation` arrived (scripted, rejected or served).
    pub fn requests(&self, operation: &str) -> usize {
        lock(&self.shared.counts)
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    /// Every request received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.shared.received).clone()
    }
}

/// The fake's instance metadata service and IAM, at [`FakeCodeArts::endpoint`] too.
impl FakeCodeArts {
    /// Temporary keys issued by the instance metadata from now on stay valid this long after
    /// they are issued (default 6 hours).
    pub fn set_credential_lifetime(&self, lifetime: Duration) {
        lock(&self.shared.identity).lifetime = lifetime;
    }

    /// Every temporary key issued so far is refused from now on, as expired.
    pub fn expire_issued_credentials(&self) {
        self.auth.expire_temporary(self.now());
    }

    /// Every metadata session token issued so far is refused (401) from now on.
    pub fn expire_metadata_sessions(&self) {
        lock(&self.shared.identity).expire_sessions();
    }

    /// The projects IAM lists for `region` (default: one, [`DEFAULT_PROJECT_ID`]).
    pub fn set_projects<I: IntoIterator<Item = S>, S: Into<String>>(&self, region: &str, ids: I) {
        lock(&self.shared.identity)
            .projects
            .insert(region.to_owned(), ids.into_iter().map(Into::into).collect());
    }
}

impl FakeCodeArts {
    /// Records a delivery of webhook `hook_id` (any scope), as if an event had fired, answered
    /// with `response_status` by the receiver. Returns the log id, or `None` for an unknown
    /// webhook.
    pub fn deliver(&self, hook_id: i32, trigger: &str, response_status: &str) -> Option<i32> {
        lock(&self.shared.store).deliver(hook_id, trigger, response_status)
    }

    /// The merge-request and push trigger switches last set on a check task.
    pub fn check_task(&self, task_id: &str) -> Option<(Option<bool>, Option<bool>)> {
        lock(&self.shared.store).tasks.get(task_id).copied()
    }

    /// The ids of every webhook stored, in every scope.
    pub fn webhook_ids(&self) -> Vec<i32> {
        lock(&self.shared.store).hook_ids()
    }
}
