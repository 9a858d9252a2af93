//! The two services and their regional endpoints, from the official SDK's region tables.

use std::fmt;

/// A CodeArts service this crate calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// CodeArts Repo (webhooks and notifications), SDK service key `CODEARTSREPO`.
    Repo,
    /// CodeArts Check (the task webhook switch), SDK service key `CODEARTSCHECK`.
    Check,
}

impl Service {
    /// The service key the official SDK uses in endpoint-override variables.
    pub fn sdk_key(self) -> &'static str {
        match self {
            Service::Repo => "CODEARTSREPO",
            Service::Check => "CODEARTSCHECK",
        }
    }

    /// The builder method that sets this service's endpoint.
    pub(crate) fn endpoint_setter(self) -> &'static str {
        match self {
            Service::Repo => "repo_endpoint()",
            Service::Check => "check_endpoint()",
        }
    }

    /// The official endpoints of this service in `region`, in the order they are tried: for
    /// CodeArts Check in the Chinese mainland regions, the `.com` host and then the `.cn` one,
    /// as in the official SDK's table. Empty when the service is not offered there.
    pub fn endpoints(self, region: &str) -> Vec<String> {
        let Some(primary) = self.endpoint(region) else {
            return Vec::new();
        };
        let mut all = vec![primary.to_owned()];
        if self == Service::Check && region.starts_with("cn-") {
            all.push(format!("{}.cn", primary.trim_end_matches(".com")));
        }
        all
    }

    /// The official (first) endpoint of this service in `region`, if the service is offered
    /// there.
    pub fn endpoint(self, region: &str) -> Option<&'static str> {
        let table = match self {
            Service::Repo => REPO,
            Service::Check => CHECK,
        };
        table.iter().find(|(r, _)| *r == region).map(|(_, e)| *e)
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Repo => "CodeArts Repo",
            Service::Check => "CodeArts Check",
        })
    }
}

/// Every region where at least one of the two services has an endpoint, sorted.
pub fn known_regions() -> Vec<&'static str> {
    let mut all: Vec<&str> = REPO.iter().chain(CHECK).map(|(r, _)| *r).collect();
    all.sort_unstable();
    all.dedup();
    all
}

const REPO: &[(&str, &str)] = &[
    (
        "cn-east-2",
        "https://codehub-ext.cn-east-2.myhuaweicloud.com",
    ),
    (
        "cn-south-1",
        "https://codehub-ext.cn-south-1.myhuaweicloud.com",
    ),
    (
        "cn-east-3",
        "https://codehub-ext.cn-east-3.myhuaweicloud.com",
    ),
    (
        "cn-north-4",
        "https://codehub-ext.cn-north-4.myhuaweicloud.com",
    ),
    (
        "cn-north-1",
        "https://codehub-ext.cn-north-1.myhuaweicloud.com",
    ),
    (
        "cn-south-2",
        "https://codehub-ext.cn-south-2.myhuaweicloud.com",
    ),
    (
        "cn-southwest-2",
        "https://codehub-ext.cn-southwest-2.myhuaweicloud.com",
    ),
    (
        "sa-brazil-1",
        "https://codehub-ext.sa-brazil-1.myhuaweicloud.com",
    ),
    (
        "la-north-2",
        "https://codehub-ext.la-north-2.myhuaweicloud.com",
    ),
    (
        "ap-southeast-3",
        "https://codehub-ext.ap-southeast-3.myhuaweicloud.com",
    ),
    (
        "la-south-2",
        "https://codeartsrepo-ext.la-south-2.myhuaweicloud.com",
    ),
    ("me-east-1", "https://repo.me-east-1.myhuaweicloud.com"),
    (
        "tr-west-1",
        "https://codeartsrepo-ext.tr-west-1.myhuaweicloud.com",
    ),
    ("af-south-1", "https://repo.af-south-1.myhuaweicloud.com"),
    ("af-north-1", "https://repo.af-north-1.myhuaweicloud.com"),
    (
        "eu-west-101",
        "https://codeartsrepo-ext.eu-west-101.myhuaweicloud.com",
    ),
];

// The official table also lists a `.cn` fallback host for the cn-* regions: see `endpoints`.
const CHECK: &[(&str, &str)] = &[
    (
        "cn-north-4",
        "https://codearts-check.cn-north-4.myhuaweicloud.com",
    ),
    (
        "cn-north-1",
        "https://codearts-check.cn-north-1.myhuaweicloud.com",
    ),
    (
        "cn-east-2",
        "https://codearts-check.cn-east-2.myhuaweicloud.com",
    ),
    (
        "cn-south-1",
        "https://codearts-check.cn-south-1.myhuaweicloud.com",
    ),
    (
        "cn-east-3",
        "https://codearts-check.cn-east-3.myhuaweicloud.com",
    ),
    (
        "la-north-2",
        "https://codearts-check.la-north-2.myhuaweicloud.com",
    ),
    (
        "sa-brazil-1",
        "https://codearts-check.sa-brazil-1.myhuaweicloud.com",
    ),
    (
        "ap-southeast-3",
        "https://codearts-check.ap-southeast-3.myhuaweicloud.com",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tables_resolve_and_differ_where_documented() {
        assert_eq!(
            Service::Repo.endpoint("la-south-2"),
            Some("https://codeartsrepo-ext.la-south-2.myhuaweicloud.com")
        );
        assert_eq!(Service::Check.endpoint("la-south-2"), None);
        assert_eq!(
            Service::Check.endpoint("cn-north-4"),
            Some("https://codearts-check.cn-north-4.myhuaweicloud.com")
        );
        assert_eq!(
            Service::Check.endpoints("cn-east-3"),
            [
                "https://codearts-check.cn-east-3.myhuaweicloud.com",
                "https://codearts-check.cn-east-3.myhuaweicloud.cn"
            ]
        );
        assert_eq!(
            Service::Check.endpoints("ap-southeast-3"),
            ["https://codearts-check.ap-southeast-3.myhuaweicloud.com"]
        );
        assert_eq!(Service::Repo.endpoints("cn-north-4").len(), 1);
        assert_eq!(known_regions().len(), 16);
        assert!(known_regions().windows(2).all(|w| w[0] < w[1]));
    }
}
