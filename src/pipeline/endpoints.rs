//! A service's endpoints: the region's list (CodeArts Check has a `.com` and a `.cn` host in the
//! Chinese mainland regions), a regions file's, or a comma-separated override. Requests go to
//! the current one; when no connection can be made to it (the name does not resolve, the
//! connection is refused or times out, TLS fails), the call moves on to the next, and so do
//! later calls.
//!
//! Each endpoint is parsed once, here: a request's URL is its path written onto the first
//! endpoint ([`Endpoints::url`]), and moved onto another endpoint by replacing the scheme, host,
//! port and leading path, so that neither is parsed whole again on each call.

use std::{
    fmt::{self, Write},
    sync::atomic::{AtomicUsize, Ordering},
};

use reqwest::Url;

use crate::Error;

pub(crate) struct Endpoints {
    /// Base URLs as they were given, without a trailing `/` (for messages).
    list: Vec<String>,
    /// The same, parsed; the generated client builds its URLs on the first.
    parsed: Vec<Url>,
    current: AtomicUsize,
}

impl Endpoints {
    /// Fails on an endpoint that is not a URL with a host, which the client's builder has
    /// already refused for every endpoint it takes.
    pub fn new(list: Vec<String>) -> Result<Self, Error> {
        debug_assert!(!list.is_empty());
        let parsed = list
            .iter()
            .map(|url| match Url::parse(url) {
                Ok(parsed) if parsed.has_host() => Ok(parsed),
                _ => Err(Error::Config(format!(
                    "the endpoint {:?} is not a URL with a host",
                    crate::client::without_credentials(url)
                ))),
            })
            .collect::<Result<_, _>>()?;
        Ok(Endpoints {
            list,
            parsed,
            current: AtomicUsize::new(0),
        })
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

    /// The URL of a request: the path `path` writes (it begins with `/`) after the first
    /// endpoint's. The endpoint's scheme, host and port are kept as parsed; only the path is
    /// parsed, as `Url::parse` would parse it after them.
    pub fn url(&self, path: fmt::Arguments<'_>) -> Url {
        on(&self.parsed[0], path)
    }

    /// Points a request built on the first endpoint at endpoint `index`.
    #[inline]
    pub fn point(&self, request: &mut reqwest::Request, index: usize) {
        if index != 0 {
            self.move_to(request, index);
        }
    }

    fn move_to(&self, request: &mut reqwest::Request, index: usize) {
        let url = request.url();
        let path = url.path();
        let rest = path
            .strip_prefix(leading_path(&self.parsed[0]))
            .unwrap_or(path);
        let mut moved = on(&self.parsed[index], format_args!("{rest}"));
        moved.set_query(url.query());
        *request.url_mut() = moved;
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

/// The URL of `path` (it begins with `/`) on `endpoint`: its scheme, host and port as parsed,
/// and only the path parsed.
fn on(endpoint: &Url, path: fmt::Arguments<'_>) -> Url {
    let mut full = String::with_capacity(128);
    full.push_str(leading_path(endpoint));
    full.write_fmt(path)
        .expect("a String takes whatever is written to it");
    let mut url = endpoint.clone();
    url.set_path(&full);
    url
}

/// The path an endpoint puts before every operation's: empty for a bare host (whose parsed path
/// is `/`).
fn leading_path(endpoint: &Url) -> &str {
    endpoint.path().trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use reqwest::Url;

    use super::Endpoints;
    use crate::pipeline::Segment;

    const BASES: [&str; 7] = [
        "http://127.0.0.1:8080",
        "https://codehub-ext.cn-north-4.myhuaweicloud.com",
        "https://Repo.Example.COM:443",
        "http://[::1]:9",
        "https://h.example/prefix",
        "https://h.example/a%20b/c d",
        "https://bücher.example",
    ];

    fn endpoints(list: &[&str]) -> Endpoints {
        Endpoints::new(list.iter().map(|u| u.to_string()).collect()).unwrap()
    }

    proptest! {
        /// The path written onto the endpoint parsed once is the URL that parsing the whole of
        /// it gives (as the generated code did before: `format!("{}/v4/…", base, …)` parsed
        /// by reqwest), whatever the parameters hold: dot segments, backslashes, `%`, text
        /// that is not ASCII.
        #[test]
        fn the_url_is_the_one_parsing_it_whole_gives(
            base in proptest::sample::select(&BASES[..]),
            project in prop_oneof![
                Just(".".to_owned()),
                Just("..".to_owned()),
                Just("%2e%2E".to_owned()),
                Just("a\\b".to_owned()),
                any::<String>(),
                "[./\\\\%a-f0-9é ?#]{0,12}",
            ],
            hook in any::<i32>(),
        ) {
            let written = endpoints(&[base])
                .url(format_args!("/v4/projects/{}/hooks/{}", Segment(&project), Segment(&hook)));
            let whole = Url::parse(&format!(
                "{base}/v4/projects/{}/hooks/{}",
                Segment(&project),
                Segment(&hook)
            ))
            .unwrap();
            prop_assert_eq!(written.as_str(), whole.as_str());
        }
    }

    /// Moving a request to another endpoint replaces the scheme, host, port and leading path,
    /// and keeps the operation's path and query, however the first endpoint was spelled (its
    /// host in capitals, its default port written out).
    #[test]
    fn a_request_moves_to_another_endpoint_whole() {
        let list = endpoints(&["https://Repo.Example.COM:443/a", "http://10.0.0.1:8080"]);
        let mut url = list.url(format_args!("/v4/repositories/{}/hooks", Segment(&7)));
        url.set_query(Some("page=2&per_page=20"));
        let mut request = reqwest::Request::new(reqwest::Method::GET, url);
        list.point(&mut request, 0);
        assert_eq!(
            request.url().as_str(),
            "https://repo.example.com/a/v4/repositories/7/hooks?page=2&per_page=20"
        );
        list.point(&mut request, 1);
        assert_eq!(
            request.url().as_str(),
            "http://10.0.0.1:8080/v4/repositories/7/hooks?page=2&per_page=20"
        );
        let back = endpoints(&["http://10.0.0.1:8080", "https://h.example/b/c"]);
        back.point(&mut request, 1);
        assert_eq!(
            request.url().as_str(),
            "https://h.example/b/c/v4/repositories/7/hooks?page=2&per_page=20"
        );
    }

    #[test]
    fn an_endpoint_that_is_not_a_url_with_a_host_is_refused() {
        for bad in ["not a url", "mailto:x@example.com"] {
            let e = Endpoints::new(vec![bad.to_owned()]).err().unwrap();
            assert!(e.to_string().contains("is not a URL with a host"), "{e}");
        }
    }
}
