//! A request the server turned away unprocessed, which HTTP/2 lets it say (RFC 9113, 8.7): the
//! stream was refused (`REFUSED_STREAM`), or the connection was closing (a `GOAWAY` with
//! `NO_ERROR`) before the stream was taken. Such a request is safe to send again whatever its
//! method, as a refused connection is.
//!
//! reqwest's own retry layer resends exactly these ("protocol NACKs"), and clones every request
//! it sends to be able to. The client turns that layer off, since the pipeline owns retries
//! (`client.rs`), and counts these failures as refused here: the client's retry policy resends
//! them, for any method. Unlike reqwest's layer, it waits its backoff first and counts each
//! resend as an attempt, so `RetryPolicy::none()` means one send.

use std::error::Error as StdError;

/// Whether `error`, or an error it was caused by, is the server turning the request away
/// unprocessed.
pub(super) fn unprocessed(error: &(dyn StdError + 'static)) -> bool {
    crate::error::causes(error)
        .filter_map(|e| e.downcast_ref::<h2::Error>())
        .any(|e| {
            e.is_remote()
                && match e.reason() {
                    Some(h2::Reason::REFUSED_STREAM) => e.is_reset(),
                    Some(h2::Reason::NO_ERROR) => e.is_go_away(),
                    _ => false,
                }
        })
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// A server on loopback that does `serve` with its one HTTP/2 connection.
    async fn server<F, Fut>(serve: F) -> std::net::SocketAddr
    where
        F: FnOnce(h2::server::Connection<TcpStream, bytes::Bytes>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            serve(h2::server::handshake(socket).await.unwrap()).await;
        });
        addr
    }

    /// The error of one GET sent to `addr` over HTTP/2, as the h2 client reports it: when the
    /// stream is opened or when its answer is awaited, whichever the server's frame reaches.
    async fn failed_get(addr: std::net::SocketAddr) -> h2::Error {
        let socket = TcpStream::connect(addr).await.unwrap();
        let (client, connection) = h2::client::handshake(socket).await.unwrap();
        tokio::spawn(connection);
        let get = async {
            let mut client = client.ready().await?;
            let request = http::Request::get(format!("http://{addr}/"))
                .body(())
                .unwrap();
            let (response, _) = client.send_request(request, true)?;
            response.await
        };
        get.await.expect_err("the server answers no request")
    }

    /// Resets every stream it is sent with `reason`.
    async fn resetting(reason: h2::Reason) -> std::net::SocketAddr {
        server(move |mut connection| async move {
            while let Some(Ok((_, mut respond))) = connection.accept().await {
                respond.send_reset(reason);
            }
        })
        .await
    }

    /// An error caused by another, as the layers between reqwest and h2 wrap it.
    #[derive(Debug)]
    struct Wrapped(h2::Error);

    impl fmt::Display for Wrapped {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("request failed")
        }
    }

    impl StdError for Wrapped {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stream_the_server_refused_is_unprocessed_however_deep_the_cause() {
        let refused = failed_get(resetting(h2::Reason::REFUSED_STREAM).await).await;
        assert!(refused.is_reset() && refused.is_remote(), "{refused:?}");
        assert!(unprocessed(&refused));
        assert!(unprocessed(&Wrapped(refused)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_graceful_goaway_before_the_stream_was_taken_is_unprocessed() {
        let addr = server(|mut connection| async move {
            // Before any stream is read: the GOAWAY names none as processed.
            connection.abrupt_shutdown(h2::Reason::NO_ERROR);
            while let Some(Ok(_)) = connection.accept().await {}
            // The socket stays open, so the client reads the GOAWAY rather than a closed pipe.
            std::future::pending::<()>().await;
            drop(connection);
        })
        .await;
        let gone = failed_get(addr).await;
        assert!(gone.is_go_away() && gone.is_remote(), "{gone:?}");
        assert_eq!(gone.reason(), Some(h2::Reason::NO_ERROR));
        assert!(unprocessed(&gone));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn other_failures_may_have_been_processed() {
        // The server may have acted on a stream it reset for another reason.
        let reset = failed_get(resetting(h2::Reason::INTERNAL_ERROR).await).await;
        assert!(reset.is_reset() && reset.is_remote(), "{reset:?}");
        assert!(!unprocessed(&reset));
        assert!(!unprocessed(&Wrapped(reset)));
        // A refusal that did not come from the server, and an error that is not HTTP/2's.
        let local = h2::Error::from(h2::Reason::REFUSED_STREAM);
        assert!(!local.is_remote());
        assert!(!unprocessed(&local));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        assert!(!unprocessed(&io));
    }
}
