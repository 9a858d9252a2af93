//! A service's endpoints: the region's list (CodeArts Check has a `.com` and a `.cn` host in the
//! Chinese mainland regions), a regions file's, or a comma-separated override. Requests go to
//! the current one; when no connection can be made to it (the name does not resolve, the
//! connection is refused or times out, TLS fails), the call moves on to the next, and so do
//! later calls.

use std::sync::atomic::{AtomicUsize, Ordering};

pub(crate) struct Endpoints {
    /// Base URLs without a trailing `/`; the generated client builds URLs on the first.
    list: Vec<String>,
    current: AtomicUsize,
}

impl Endpoints {
    pub fn new(list: Vec<String>) -> Self {
        debug_assert!(!list.is_empty());
        Endpoints {
            list,
            current: AtomicUsize::new(0),
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn current(&self) -> usize {
        self.current.load(Ordering::Relaxed)
    }

    /// The endpoint as it may be logged.
    pub fn shown(&self, index: usize) -> String {
        crate::client::without_credentials(&self.list[index])
    }

    /// Points a request built on the first endpoint at endpoint `index`.
    #[inline]
    pub fn point(&self, request: &mut reqwest::Request, index: usize) {
        if index != 0 {
            self.move_to(request, index);
        }
    }

    fn move_to(&self, request: &mut reqwest::Request, index: usize) {
        let url = request.url().as_str();
        if let Some(rest) = url.strip_prefix(self.list[0].as_str())
            && let Ok(moved) = reqwest::Url::parse(&format!("{}{rest}", self.list[index]))
        {
            *request.url_mut() = moved;
        }
    }

    /// Moves on from endpoint `from` (unless another call already did) and returns the one to
    /// use now.
    pub fn move_on(&self, from: usize) -> usize {
        let next = (from + 1) % self.list.len();
        match self
            .current
            .compare_exchange(from, next, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => next,
            Err(already) => already,
        }
    }
}
