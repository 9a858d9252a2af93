//! A path parameter as the generated code writes it: build.rs turns progenitor's
//! `format!("{}/v4/…/{}", client.baseurl, encode_path(&value.to_string()))` into
//! `client.inner.url(format_args!("/v4/…/{}", Segment(&value)))` (`Pipeline::url`), which
//! percent-encodes each path parameter as it is written, into one buffer, without the two
//! strings progenitor makes for each parameter, and writes the path onto the endpoint parsed
//! once instead of parsing the whole URL again.

use std::fmt::{self, Display, Write};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// progenitor's set (`progenitor_client::encode_path`): the URL stays the same.
const PATH_SET: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// A value written percent-encoded as one path segment.
pub(crate) struct Segment<'a, T: ?Sized>(pub &'a T);

impl<T: Display + ?Sized> Display for Segment<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Percent-encoding works byte by byte, so encoding each piece the value writes is
        // encoding the whole.
        struct Encode<'a, 'b>(&'a mut fmt::Formatter<'b>);
        impl Write for Encode<'_, '_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                utf8_percent_encode(s, PATH_SET).try_for_each(|part| self.0.write_str(part))
            }
        }
        write!(Encode(f), "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Segment;

    #[test]
    fn writes_what_progenitor_encodes() {
        for value in [
            "a642c851d4dc4853b595e5c8a5e56df7",
            "group/sub group",
            "50%?#{x}",
            "é中\u{7f}\t`\"<>",
            "",
        ] {
            assert_eq!(
                Segment(value).to_string(),
                progenitor_client::encode_path(value),
                "{value:?}"
            );
        }
        assert_eq!(Segment(&-42i32).to_string(), "-42");
        assert_eq!(Segment(&String::from("a b")).to_string(), "a%20b");
    }
}
