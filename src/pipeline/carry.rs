//! How a failure reaches the caller through the generated code, typed.
//!
//! progenitor's `exec` hook returns a `reqwest::Response` or a `reqwest::Error`, and its other
//! hooks can only fail with a string. So a failure the pipeline has already turned into the
//! crate's [`Error`] travels in the extensions of a response whose status, [`CARRIER_STATUS`],
//! no operation declares: the generated code hands such a response back untouched
//! (`Error::UnexpectedResponse`), and `convert` takes the error out. `decode` returns a body that
//! does not decode the same way, and `Pipeline::check` an input that breaks a rule. It is that
//! call's own response, so the error cannot be confused with another call's.

use std::sync::{Arc, Mutex};

use crate::Error;

/// The status of a response that carries a failure; no description declares it.
pub(crate) const CARRIER_STATUS: u16 = 999;

/// The error, taken out once (extensions require `Clone`; the error is not).
#[derive(Clone)]
struct Carried(Arc<Mutex<Option<Error>>>);

/// A response that carries `error` to the caller, with the URL of the request when it is at
/// hand (without one, reqwest gives the response a placeholder).
pub(super) fn response(error: Error, url: Option<reqwest::Url>) -> reqwest::Response {
    let carried = Carried(Arc::new(Mutex::new(Some(error))));
    let mut builder = http::Response::builder().status(CARRIER_STATUS);
    if let Some(url) = url {
        builder = reqwest::ResponseBuilderExt::url(builder, url);
    }
    let mut response = builder
        .body(reqwest::Body::from(Vec::new()))
        .expect("a three-digit status and no headers make a valid response");
    response.extensions_mut().insert(carried);
    reqwest::Response::from(response)
}

/// The error a carrier response holds, if it is one.
pub(super) fn take(response: &mut reqwest::Response) -> Option<Error> {
    let carried = response.extensions_mut().remove::<Carried>()?;
    let mut slot = carried
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    slot.take()
}
