//! Why the API gateway refused a signature: it sends back the canonical request it computed
//! (newlines written as `|`), and the client has the one it signed. The first part where they
//! differ is almost always the cause (a proxy that rewrote the path, a header changed on the way,
//! a body re-encoded).

use std::fmt;

/// A part of the canonical request (see [`crate::signer`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CanonicalPart {
    /// The HTTP method.
    Method,
    /// The canonical URI (the path).
    Uri,
    /// The canonical query.
    Query,
    /// The list of signed header names.
    SignedHeaders,
    /// The value of this signed header.
    Header(String),
    /// The SHA-256 of the body.
    PayloadHash,
    /// Nothing: both canonical requests agree, so the secret key (or the signing time) differs.
    Nothing,
}

/// Where the canonical request the gateway computed differs from the one the client signed.
/// It holds no secret: a canonical request carries none (the `Authorization` header is not in it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureMismatch {
    /// The first part that differs.
    pub part: CanonicalPart,
    /// That part as the client signed it.
    pub signed: String,
    /// That part as the gateway computed it.
    pub gateway: String,
}

impl fmt::Display for SignatureMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.part {
            CanonicalPart::Method => "method".to_owned(),
            CanonicalPart::Uri => "canonical URI".to_owned(),
            CanonicalPart::Query => "canonical query".to_owned(),
            CanonicalPart::SignedHeaders => "signed-header list".to_owned(),
            CanonicalPart::Header(name) => format!("header {name}"),
            CanonicalPart::PayloadHash => "payload hash".to_owned(),
            CanonicalPart::Nothing => {
                return f.write_str(
                    "the canonical requests agree: the secret key or the signing time differs",
                );
            }
        };
        write!(
            f,
            "{what} differs: signed {:?}, gateway {:?}",
            self.signed, self.gateway
        )
    }
}

/// A canonical request, split into its parts.
struct Parts<'a> {
    method: &'a str,
    uri: &'a str,
    query: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    signed_headers: &'a str,
    payload_hash: &'a str,
}

impl<'a> Parts<'a> {
    /// `lines`: method, URI, query, `name:value` per header, an empty line, the signed-header
    /// list, the payload hash.
    fn parse(lines: &[&'a str]) -> Option<Self> {
        if lines.len() < 6 {
            return None;
        }
        let n = lines.len();
        let headers = lines[3..n - 3]
            .iter()
            .map(|l| l.split_once(':').unwrap_or((l, "")))
            .collect();
        Some(Parts {
            method: lines[0],
            uri: lines[1],
            query: lines[2],
            headers,
            signed_headers: lines[n - 2],
            payload_hash: lines[n - 1],
        })
    }
}

/// Compares the canonical request the client signed with the one in the gateway's message;
/// `None` when the message carries none (older gateways) or it cannot be read.
pub(crate) fn diagnose(signed: &str, gateway_msg: &str) -> Option<SignatureMismatch> {
    let (_, theirs) = gateway_msg.split_once("canonicalRequest:")?;
    let ours: Vec<&str> = signed.split('\n').collect();
    // The gateway writes newlines as `|`; a header value with a `|` would shift its lines, so
    // the signed-header list (the last but one) anchors the header lines.
    let theirs: Vec<&str> = theirs.trim().split('|').collect();
    let (a, b) = (Parts::parse(&ours)?, Parts::parse(&theirs)?);
    let differs = |part, x: &str, y: &str| {
        (x != y).then(|| SignatureMismatch {
            part,
            signed: x.to_owned(),
            gateway: y.to_owned(),
        })
    };
    if let Some(d) = differs(CanonicalPart::Method, a.method, b.method)
        .or_else(|| differs(CanonicalPart::Uri, a.uri, b.uri))
        .or_else(|| differs(CanonicalPart::Query, a.query, b.query))
        .or_else(|| {
            differs(
                CanonicalPart::SignedHeaders,
                a.signed_headers,
                b.signed_headers,
            )
        })
    {
        return Some(d);
    }
    for ((name, x), (_, y)) in a.headers.iter().zip(&b.headers) {
        if x != y {
            return differs(CanonicalPart::Header((*name).to_owned()), x, y);
        }
    }
    Some(
        differs(CanonicalPart::PayloadHash, a.payload_hash, b.payload_hash).unwrap_or(
            SignatureMismatch {
                part: CanonicalPart::Nothing,
                signed: String::new(),
                gateway: String::new(),
            },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gateway's message from the public report (huaweicloud-sdk-nodejs-v3 issue 2).
    const REPORTED: &str = "Incorrect IAM authentication information: verify aksk signature fail, canonicalRequest:DELETE|/v2/0bcc05efb100f2a92f53c011f262dfa0/fgs/functions/urn%3Afss%3Acn-north-4%3A0bcc05efb100f2a92f53c011f262dfa0%3Afunction%3Adefault%3Afunction_test_node/||host:functiongraph.cn-north-4.myhuaweicloud.com|x-project-id:0bcc05efb100f2a92f53c011f262dfa0|x-sdk-date:20210824T025548Z||host;x-project-id;x-sdk-date|44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    fn reported_as_signed() -> String {
        REPORTED
            .split_once("canonicalRequest:")
            .unwrap()
            .1
            .replace('|', "\n")
    }

    #[test]
    fn each_part_is_named() {
        let same = reported_as_signed();
        assert_eq!(
            diagnose(&same, REPORTED).unwrap().part,
            CanonicalPart::Nothing
        );
        let cases = [
            ("DELETE\n", "GET\n", CanonicalPart::Method),
            ("urn%3Afss", "urn:fss", CanonicalPart::Uri),
            ("/\n\nhost", "/\nlimit=1\nhost", CanonicalPart::Query),
            (
                "x-sdk-date:20210824T025548Z",
                "x-sdk-date:20210824T025549Z",
                CanonicalPart::Header("x-sdk-date".into()),
            ),
            (
                "\nhost;x-project-id;x-sdk-date",
                "\nhost;x-sdk-date",
                CanonicalPart::SignedHeaders,
            ),
            ("44136fa3", "00000000", CanonicalPart::PayloadHash),
        ];
        for (from, to, part) in cases {
            let ours = same.replacen(from, to, 1);
            let d = diagnose(&ours, REPORTED).unwrap();
            assert_eq!(d.part, part, "{from} -> {to}");
        }
        let ours = same.replace("urn%3Afss%3Acn-north-4", "urn:fss:cn-north-4");
        assert!(
            diagnose(&ours, REPORTED)
                .unwrap()
                .to_string()
                .starts_with("canonical URI differs: signed \"/v2/0bcc05efb100f2a92f53c011f262dfa0/fgs/functions/urn:fss:cn-north-4")
        );
        assert_eq!(diagnose(&same, "verify aksk signature fail"), None);
    }
}
