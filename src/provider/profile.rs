//! The profile file: INI as Python's `configparser` reads it, section `[basic]`.

use std::path::Path;

use ini::{Ini, ParseOption};

use super::{Found, no};
use crate::{Credentials, Error, Result, auth::Keys};

pub(super) const PROFILE: &str = "profile file";

/// Reads `[basic]` of the file at `path`; `named` says a variable named it (for the message).
pub(super) fn read(path: &Path, named: bool) -> Result<Found<Credentials>> {
    let shown = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let by = if named {
                " (named by HUAWEICLOUD_SDK_CREDENTIALS_FILE)"
            } else {
                ""
            };
            return Ok(no(PROFILE, format!("{shown}{by} does not exist")));
        }
        Err(e) => return Ok(no(PROFILE, format!("{shown} could not be read: {e}"))),
    };
    parse(&text, &shown.to_string())
}

/// Parses the text of a profile file; `shown` names it in messages.
fn parse(text: &str, shown: &str) -> Result<Found<Credentials>> {
    // configparser keeps quotes and backslashes as they are.
    let options = ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        ..ParseOption::default()
    };
    // rust-ini reads a section name up to the next `]` and a key up to the next `=`, across
    // lines, so its line numbers point past the mistake; configparser refuses the line itself,
    // and so does this check.
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let continued = raw.starts_with([' ', '\t']);
        let fine = line.is_empty()
            || line.starts_with(['#', ';'])
            || (line.starts_with('[') && line.ends_with(']'))
            || (!line.starts_with('[') && line.contains(['=', ':']))
            || continued;
        if !fine {
            let rule = match line.starts_with('[') {
                true => "a section header must end with `]`",
                false => "a line must be `[section]`, `key = value` or a comment",
            };
            return Err(Error::Config(format!(
                "the profile file {shown} is not valid INI: line {}: {rule}",
                n + 1
            )));
        }
    }
    let ini = Ini::load_from_str_opt(text, options).map_err(|e| {
        Error::Config(format!(
            "the profile file {shown} is not valid INI: line {}, column {}: {}",
            e.line + 1,
            e.col + 1,
            e.msg
        ))
    })?;
    let Some(basic) = ini.section(Some("basic")) else {
        return Ok(no(PROFILE, format!("{shown} has no [basic] section")));
    };
    let get = |key: &str| basic.get(key).map(str::trim).filter(|v| !v.is_empty());
    let (ak, sk) = match (get("ak"), get("sk")) {
        (Some(ak), Some(sk)) => (ak, sk),
        (ak, _) => {
            let missing = if ak.is_none() { "ak" } else { "sk" };
            return Ok(no(
                PROFILE,
                format!("the [basic] section of {shown} has no {missing}"),
            ));
        }
    };
    let keys = Keys::new(
        ak.to_owned(),
        sk.to_owned(),
        get("project_id").map(str::to_owned),
        get("security_token").map(str::to_owned),
    )
    .with_iam_endpoint(get("iam_endpoint").map(str::to_owned));
    Ok(Found::Yes(Credentials(crate::auth::Kind::AkSk(
        std::sync::Arc::new(keys),
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Credentials {
        match parse(text, "f").unwrap() {
            Found::Yes(c) => c,
            Found::No(why) => panic!("{why}"),
        }
    }

    fn reason(text: &str) -> String {
        match parse(text, "f") {
            Ok(Found::No(why)) => why.reason,
            Ok(Found::Yes(c)) => panic!("found {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn what_configparser_files_hold() {
        let text = "# written by hand\r\n; another comment\r\n[global]\r\nak = GLOBALAK\r\n\r\n\
                    [basic]\r\nak = AK1 ; the access key\r\nsk=SK1\r\n  project_id   =  p1  \r\n\
                    iam_endpoint = https://iam.example.com\r\n[other]\r\nak = NO\r\n";
        let c = found(text);
        let crate::auth::Kind::AkSk(keys) = &c.0 else {
            panic!("{c:?}")
        };
        assert_eq!(keys.access_key, "AK1");
        assert_eq!(keys.project_id.as_deref(), Some("p1"));
        assert_eq!(
            keys.iam_endpoint.as_deref(),
            Some("https://iam.example.com")
        );
        assert_eq!(
            format!("{c:?}"),
            "Credentials::AkSk { access_key: \"AK1\", secret_key: ** redacted **, project_id: \
             Some(\"p1\"), security_token: None }"
        );
    }

    #[test]
    fn missing_parts_are_named() {
        assert_eq!(reason("[global]\nak=a\nsk=b\n"), "f has no [basic] section");
        assert_eq!(
            reason("[basic]\nak=a\n"),
            "the [basic] section of f has no sk"
        );
        assert_eq!(
            reason("[basic]\nsk = b\nak =\n"),
            "the [basic] section of f has no ak"
        );
    }

    #[test]
    fn a_malformed_file_names_the_line() {
        let e = reason("[basic]\nak = a\n[broken\nsk = b\n");
        assert!(
            e.starts_with("invalid configuration: the profile file f is not valid INI: line 3"),
            "{e}"
        );
        let e = reason("[basic]\nak = a\nnot a key value line\n");
        assert!(
            e.starts_with("invalid configuration: the profile file f is not valid INI: line 3"),
            "{e}"
        );
    }
}
