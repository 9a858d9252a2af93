//! Paging: the `X-Total` count of a list, and a stream of every item across pages.
//!
//! ```no_run
//! use codearts_webhooks::{Client, page};
//! use futures_util::TryStreamExt;
//!
//! # async fn run(client: Client) -> Result<(), codearts_webhooks::Error> {
//! let hooks = page::items(100, |p| {
//!     client.repo().list_repository_webhooks().repository_id(2111978605).offset(p.offset).limit(p.limit).send()
//! });
//! let all: Vec<_> = hooks.try_collect().await?;
//! # Ok(()) }
//! ```

use std::{collections::VecDeque, future::Future};

use futures_util::{Stream, stream};
use progenitor_client::ResponseValue;

use crate::{Error, Result};

/// The total number of items a list operation reports in its `X-Total` header.
pub trait TotalCount {
    /// `X-Total` as a number; `None` when the header is missing or not a number.
    fn total(&self) -> Option<u64>;
}

impl<T> TotalCount for ResponseValue<T> {
    fn total(&self) -> Option<u64> {
        self.headers()
            .get("x-total")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok())
    }
}

/// The window of one page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// Items to skip.
    pub offset: i32,
    /// Page size (1 to 100).
    pub limit: i32,
}

/// Every item of a list operation, fetching pages of `page_size` (clamped to 1..=100) as the
/// stream is read. It stops at `X-Total`, at a short page, or at the first error (yielded
/// once). Only one page is held at a time.
pub fn items<T, E, F, Fut>(page_size: u32, fetch: F) -> impl Stream<Item = Result<T>>
where
    F: FnMut(Page) -> Fut,
    Fut: Future<Output = Result<ResponseValue<Vec<T>>, progenitor_client::Error<E>>>,
    Error: From<progenitor_client::Error<E>>,
{
    let limit = page_size.clamp(1, 100) as i32;
    let state = (fetch, VecDeque::new(), Some(0i32));
    stream::unfold(
        state,
        move |(mut fetch, mut buffer, mut next): (F, VecDeque<T>, Option<i32>)| async move {
            loop {
                if let Some(item) = buffer.pop_front() {
                    return Some((Ok(item), (fetch, buffer, next)));
                }
                let offset = next?;
                match fetch(Page { offset, limit }).await {
                    Err(e) => return Some((Err(Error::from(e)), (fetch, buffer, None))),
                    Ok(page) => {
                        let total = page.total();
                        let got = page.len() as i64;
                        let reached = offset as i64 + got;
                        next = (got == limit as i64 && total.is_none_or(|t| (reached as u64) < t))
                            .then(|| i32::try_from(reached).ok())
                            .flatten();
                        buffer = page.into_inner().into();
                    }
                }
            }
        },
    )
}
