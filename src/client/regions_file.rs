//! The official SDK's regions file (YAML): endpoints per service key and region id.
//!
//! ```yaml
//! CODEARTSREPO:
//!   - id: cn-north-4
//!     endpoint: https://codehub-ext.cn-north-4.myhuaweicloud.com
//! CODEARTSCHECK:
//!   - id: cn-north-4
//!     endpoints:
//!       - https://codearts-check.cn-north-4.myhuaweicloud.com
//!       - https://codearts-check.cn-north-4.myhuaweicloud.cn
//! ```

use std::{collections::HashMap, path::Path};

use serde::Deserialize;

use crate::{Error, Result, region::Service};

/// The environment variable that names the regions file.
pub(crate) const REGIONS_FILE_VAR: &str = "HUAWEICLOUD_SDK_REGIONS_FILE";

#[derive(Debug, Default)]
pub(crate) struct RegionsFile(HashMap<String, Vec<Entry>>);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    endpoints: Vec<String>,
}

impl RegionsFile {
    /// Reads the file; `None` when it does not exist and no variable named it.
    pub fn read(path: &Path, named: bool) -> Result<Option<Self>> {
        let shown = path.display();
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, &shown.to_string()).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => Ok(None),
            Err(e) => Err(Error::Config(format!(
                "the regions file {shown} (named by {REGIONS_FILE_VAR}) could not be read: {e}"
            ))),
        }
    }

    pub fn parse(text: &str, shown: &str) -> Result<Self> {
        if text.trim().is_empty() {
            return Ok(RegionsFile::default());
        }
        let raw: HashMap<String, Vec<Entry>> = serde_norway::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!("line {}, column {}: ", l.line(), l.column()))
                .unwrap_or_default();
            Error::Config(format!("the regions file {shown} is not valid: {at}{e}"))
        })?;
        // The SDK compares service keys upper-cased.
        Ok(RegionsFile(
            raw.into_iter()
                .map(|(k, v)| (k.to_ascii_uppercase(), v))
                .collect(),
        ))
    }

    /// The endpoints the file gives `service` in `region`: `endpoint`, then `endpoints`.
    pub fn endpoints(&self, service: Service, region: &str) -> Option<Vec<String>> {
        let entry = self
            .0
            .get(service.sdk_key())?
            .iter()
            .find(|e| e.id == region)?;
        let all: Vec<String> = entry
            .endpoint
            .iter()
            .chain(&entry.endpoints)
            .filter(|e| !e.trim().is_empty())
            .map(|e| e.trim().to_owned())
            .collect();
        (!all.is_empty()).then_some(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_format() {
        let f = RegionsFile::parse(
            "codeartsrepo:\n  - id: cn-north-4\n    endpoint: https://a.example\n\
             CODEARTSCHECK:\n  - id: cn-north-4\n    endpoint: https://b.example\n    \
             endpoints:\n      - https://c.example\n  - id: x-1\n    endpoints: []\n",
            "f",
        )
        .unwrap();
        assert_eq!(
            f.endpoints(Service::Repo, "cn-north-4").unwrap(),
            ["https://a.example"]
        );
        assert_eq!(
            f.endpoints(Service::Check, "cn-north-4").unwrap(),
            ["https://b.example", "https://c.example"]
        );
        assert_eq!(f.endpoints(Service::Check, "x-1"), None);
        assert_eq!(f.endpoints(Service::Repo, "cn-east-3"), None);
    }

    #[test]
    fn a_malformed_file_names_the_line() {
        let e = RegionsFile::parse("CODEARTSREPO:\n  - id: a\n    endpont: b\n", "f")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("the regions file f is not valid: line 3") && e.contains("endpont"),
            "{e}"
        );
    }
}
