//! Building from environment variables: the official SDK's, and two of this crate's own.

use super::ClientBuilder;
use crate::{Credentials, Error, Result, region::Service};

impl ClientBuilder {
    /// A builder filled from environment variables. The official SDK reads these:
    ///
    /// - credentials: `HUAWEICLOUD_SDK_AK` and `HUAWEICLOUD_SDK_SK`, with optional
    ///   `HUAWEICLOUD_SDK_PROJECT_ID` and `HUAWEICLOUD_SDK_SECURITY_TOKEN`;
    /// - endpoint overrides: `HUAWEICLOUD_SDK_REGION_CODEARTSREPO_<REGION>` and
    ///   `HUAWEICLOUD_SDK_REGION_CODEARTSCHECK_<REGION>`, the region upper-cased with `-` as `_`
    ///   (the first of a comma-separated list is used).
    ///
    /// These two are this crate's own (the official SDK takes a token and the region from code):
    ///
    /// - `HUAWEICLOUD_SDK_AUTH_TOKEN`: an IAM token, instead of AK/SK;
    /// - `HUAWEICLOUD_SDK_REGION`: the region, e.g. `cn-north-4`.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`ClientBuilder::from_env`] over any source of variables, e.g. a map in a test.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let (ak, sk, token) = (
            var("HUAWEICLOUD_SDK_AK"),
            var("HUAWEICLOUD_SDK_SK"),
            var("HUAWEICLOUD_SDK_AUTH_TOKEN"),
        );
        let credentials = match (ak, sk, token) {
            (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
                return Err(Error::Config(
                    "both HUAWEICLOUD_SDK_AUTH_TOKEN and HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK are \
                     set; unset one of them"
                        .into(),
                ));
            }
            (None, None, Some(token)) => {
                for only_aksk in [
                    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
                    "HUAWEICLOUD_SDK_PROJECT_ID",
                ] {
                    if var(only_aksk).is_some() {
                        return Err(Error::Config(format!(
                            "{only_aksk} goes with HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK, not with \
                             HUAWEICLOUD_SDK_AUTH_TOKEN; unset it"
                        )));
                    }
                }
                Credentials::token(token)
            }
            (Some(ak), Some(sk), None) => {
                let mut c = Credentials::aksk(ak, sk);
                if let Some(p) = var("HUAWEICLOUD_SDK_PROJECT_ID") {
                    c = c.with_project_id(p);
                }
                if let Some(t) = var("HUAWEICLOUD_SDK_SECURITY_TOKEN") {
                    c = c.with_security_token(t);
                }
                c
            }
            (Some(_), None, None) => {
                return Err(Error::Config(
                    "HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not; set it".into(),
                ));
            }
            (None, Some(_), None) => {
                return Err(Error::Config(
                    "HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not; set it".into(),
                ));
            }
            (None, None, None) => {
                return Err(Error::Config(
                    "no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or \
                     HUAWEICLOUD_SDK_AUTH_TOKEN"
                        .into(),
                ));
            }
        };
        let region = var("HUAWEICLOUD_SDK_REGION").ok_or_else(|| {
            Error::Config(
                "HUAWEICLOUD_SDK_REGION is not set; set it to a region such as cn-north-4".into(),
            )
        })?;
        let suffix = region.to_ascii_uppercase().replace('-', "_");
        let endpoint = |service: Service| {
            var(&format!(
                "HUAWEICLOUD_SDK_REGION_{}_{suffix}",
                service.sdk_key()
            ))
            .map(|v| v.split(',').next().unwrap_or_default().trim().to_owned())
        };
        let mut builder = ClientBuilder::default()
            .credentials(credentials)
            .region(region);
        builder.repo_endpoint = endpoint(Service::Repo);
        builder.check_endpoint = endpoint(Service::Check);
        Ok(builder)
    }
}
