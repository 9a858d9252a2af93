//! The HTTP side of the fake: its own accept loop (so that a scripted fault can close a
//! connection), request bookkeeping, faults, authentication, then the routes.

use std::{convert::Infallible, net::SocketAddr, sync::Arc};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, sync::Notify, task::JoinSet};

use super::{
    FakeBuilder, Fault, FaultAction, Received, Shared, auth::Auth, identity, lock, routes,
};

type Body = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// Largest request body the fake reads.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// A running fake CodeArts. It stops when dropped.
#[derive(Debug)]
pub struct FakeCodeArts {
    addr: SocketAddr,
    token: String,
    key: (String, String),
    pub(crate) shared: Arc<Shared>,
    pub(super) auth: Arc<Auth>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for FakeCodeArts {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.accept.abort();
    }
}

impl FakeCodeArts {
    /// Starts a fake on a free port of 127.0.0.1 with the default credentials.
    pub async fn start() -> std::io::Result<Self> {
        FakeBuilder::default().start().await
    }

    /// Settings for a fake: port, accepted tokens and keys.
    pub fn builder() -> FakeBuilder {
        FakeBuilder::default()
    }

    pub(super) async fn serve(settings: FakeBuilder) -> std::io::Result<Self> {
        let listener = TcpListener::bind(settings.addr).await?;
        let addr = listener.local_addr()?;
        let token = settings.tokens.first().cloned().unwrap_or_default();
        let key = settings
            .keys
            .iter()
            .next()
            .map(|(a, s)| (a.clone(), s.clone()))
            .unwrap_or_default();
        let shared = Arc::new(Shared::default());
        lock(&shared.store).repository_cap = settings.repository_webhook_cap;
        shared
            .clock_offset
            .store(settings.clock_offset, std::sync::atomic::Ordering::Relaxed);
        let auth = Arc::new(Auth::new(
            settings.tokens,
            settings.keys,
            settings.max_clock_skew,
        ));
        let accept = tokio::spawn(accept_loop(listener, shared.clone(), auth.clone()));
        Ok(FakeCodeArts {
            addr,
            token,
            key,
            shared,
            auth,
            accept,
        })
    }

    /// The base URL of both services, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// An IAM token the fake accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Sets how many seconds the fake's clock runs ahead of the machine's (behind when negative),
    /// from the next request on.
    pub fn set_clock_offset(&self, seconds: i64) {
        self.shared
            .clock_offset
            .store(seconds, std::sync::atomic::Ordering::Relaxed);
    }

    /// The fake's own time: the machine's, moved by the clock offset.
    pub(crate) fn now(&self) -> std::time::SystemTime {
        now_of(&self.shared)
    }

    /// A key pair the fake accepts: access key and secret key.
    pub fn key(&self) -> (&str, &str) {
        (&self.key.0, &self.key.1)
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, auth: Arc<Auth>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        while connections.try_join_next().is_some() {}
        let (shared, auth) = (shared.clone(), auth.clone());
        connections.spawn(async move {
            let close = Arc::new(Notify::new());
            let on_request = close.clone();
            let service = service_fn(move |req| {
                let (shared, auth, close) = (shared.clone(), auth.clone(), on_request.clone());
                async move { Ok::<_, Infallible>(handle(req, &shared, &auth, &close).await) }
            });
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                // Dropping the connection closes the socket without an answer.
                _ = close.notified() => {}
            }
        });
    }
}

async fn handle(
    req: Request<Incoming>,
    shared: &Shared,
    auth: &Auth,
    close: &Notify,
) -> Response<Body> {
    let n = shared
        .next_request
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        + 1;
    let request_id = format!("fake-{n:08}");
    let now = now_of(shared);
    let mut response = answer(req, shared, auth, close, &request_id, now).await;
    // The gateway's time, as every answer of the gateway carries it (unless a fault set one).
    if !response.headers().contains_key("date")
        && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(now))
    {
        response.headers_mut().insert("date", v);
    }
    response
}

fn now_of(shared: &Shared) -> std::time::SystemTime {
    let offset = shared
        .clock_offset
        .load(std::sync::atomic::Ordering::Relaxed);
    let by = std::time::Duration::from_secs(offset.unsigned_abs());
    match offset >= 0 {
        true => std::time::SystemTime::now() + by,
        false => std::time::SystemTime::now() - by,
    }
}

async fn answer(
    req: Request<Incoming>,
    shared: &Shared,
    auth: &Auth,
    close: &Notify,
    request_id: &str,
    now: std::time::SystemTime,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = match http_body_util::Limited::new(body, MAX_REQUEST_BYTES)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return finish(
                routes::error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "CH.00400000",
                    "The request body is too large.",
                ),
                request_id,
            );
        }
    };
    let op = routes::operation_of(&parts.method, parts.uri.path());
    let around = identity::operation_of(&parts.method, parts.uri.path());
    let operation = op.map_or(around.unwrap_or("Unknown"), |op| op.id.official);
    *lock(&shared.counts)
        .entry(operation.to_owned())
        .or_default() += 1;
    lock(&shared.received).push(Received {
        operation: operation.to_owned(),
        request_id: request_id.to_owned(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    });

    let fault = lock(&shared.faults)
        .get_mut(operation)
        .and_then(|q| q.pop_front());
    let handle_then_drop = fault
        .as_ref()
        .is_some_and(|f| f.action == FaultAction::HandleThenDrop);
    if let Some(fault) = fault.filter(|_| !handle_then_drop) {
        return scripted(fault, close, request_id).await;
    }
    if around.is_some() {
        let mut identity = lock(&shared.identity);
        let answer = identity::answer(
            operation,
            &parts,
            &body,
            &mut identity,
            auth,
            now,
            request_id,
        );
        return finish(answer, request_id);
    }
    if let Err(why) = auth.check(&parts, &body, now) {
        return finish(routes::gateway_refusal(&why, request_id), request_id);
    }
    let response = routes::route(op, &parts, &body, &mut lock(&shared.store));
    if handle_then_drop {
        close.notify_one();
        return std::future::pending().await;
    }
    finish(response, request_id)
}

fn finish(response: Response<Full<Bytes>>, request_id: &str) -> Response<Body> {
    let mut response = response.map(|b| b.map_err(|never| match never {}).boxed());
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

async fn scripted(fault: Fault, close: &Notify, request_id: &str) -> Response<Body> {
    tokio::time::sleep(fault.delay).await;
    match fault.action {
        FaultAction::Drop => {
            close.notify_one();
            std::future::pending().await
        }
        FaultAction::Hang => std::future::pending().await,
        FaultAction::Respond
        | FaultAction::HandleThenDrop
        | FaultAction::DropMidBody
        | FaultAction::DropMidChunked
        | FaultAction::StallMidBody => {}
    }
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder()
        .status(status)
        .header("x-request-id", request_id);
    for (name, value) in &fault.headers {
        builder = builder.header(name, value);
    }
    let body: Body = match fault.action {
        FaultAction::DropMidBody | FaultAction::DropMidChunked | FaultAction::StallMidBody => {
            if fault.action != FaultAction::DropMidChunked {
                builder = builder.header("content-length", fault.body.len().to_string());
            }
            let half = Bytes::copy_from_slice(&fault.body[..fault.body.len() / 2]);
            let stall = fault.action == FaultAction::StallMidBody;
            let frames = futures_util::stream::unfold(Some(half), move |half| async move {
                match half {
                    Some(half) => Some((Ok(hyper::body::Frame::data(half)), None)),
                    None => {
                        // Let hyper flush the headers and the half body before the cut.
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        if stall {
                            std::future::pending::<()>().await;
                        }
                        let cut: Box<dyn std::error::Error + Send + Sync> =
                            "connection cut mid-body by a scripted fault".into();
                        Some((Err(cut), None))
                    }
                }
            });
            StreamBody::new(frames).boxed()
        }
        _ => Full::new(Bytes::from(fault.body))
            .map_err(|never| match never {})
            .boxed(),
    };
    builder.body(body).unwrap_or_else(|_| {
        let mut r = Response::new(
            Full::new(Bytes::new())
                .map_err(|never| match never {})
                .boxed(),
        );
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}
