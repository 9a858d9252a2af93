//! Building from the environment, as the official SDK finds credentials and endpoints.

use super::{
    ClientBuilder,
    regions_file::{REGIONS_FILE_VAR, RegionsFile},
};
use crate::{
    Error, Result,
    project::IAM_ENDPOINT_VAR,
    provider::{self, Env},
    region::Service,
};

impl ClientBuilder {
    /// A builder filled the way the official SDK finds credentials and endpoints.
    ///
    /// Credentials ([`Credentials::default_chain`](crate::Credentials::default_chain)), the
    /// first that has them:
    /// 1. the environment: `HUAWEICLOUD_SDK_AK` and `HUAWEICLOUD_SDK_SK`, with optional
    ///    `HUAWEICLOUD_SDK_PROJECT_ID` and `HUAWEICLOUD_SDK_SECURITY_TOKEN`; or
    ///    `HUAWEICLOUD_SDK_AUTH_TOKEN` (an IAM token, this crate's own);
    /// 2. the profile file `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`
    ///    (section `[basic]`);
    /// 3. the instance metadata of an ECS/BMS server (`HUAWEICLOUD_SDK_METADATA_ENDPOINT`, this
    ///    crate's own, moves it from `http://169.254.169.254`), reached at the first request.
    ///
    /// The region is `HUAWEICLOUD_SDK_REGION` (this crate's own: the official SDK takes it from
    /// code). Each service's endpoints, the first that has them:
    /// 1. `HUAWEICLOUD_SDK_REGION_CODEARTSREPO_<REGION>` / `..._CODEARTSCHECK_<REGION>`, the
    ///    region upper-cased with `-` as `_`, comma-separated;
    /// 2. the regions file `HUAWEICLOUD_SDK_REGIONS_FILE`, else `~/.huaweicloud/regions.yaml`;
    /// 3. the built-in table.
    ///
    /// AK/SK credentials without a project id get it from IAM at the first request
    /// (`HUAWEICLOUD_SDK_IAM_ENDPOINT`, else the profile's `iam_endpoint`, else the region's).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`ClientBuilder::from_env`] over any source of variables, e.g. a map in a test. `HOME`
    /// (or `USERPROFILE`) is read from it too, to find `~/.huaweicloud`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let env = Env(&lookup);
        let credentials = provider::chain(&env)?;
        let region = env.var("HUAWEICLOUD_SDK_REGION").ok_or_else(|| {
            Error::Config(
                "HUAWEICLOUD_SDK_REGION is not set; set it to a region such as cn-north-4".into(),
            )
        })?;
        let suffix = region.to_ascii_uppercase().replace('-', "_");
        let file = match env.sdk_file(REGIONS_FILE_VAR, "regions.yaml") {
            Some((path, named)) => RegionsFile::read(path.as_path(), named)?,
            None => None,
        };
        let endpoints = |service: Service| {
            let from_var = env
                .var(&format!(
                    "HUAWEICLOUD_SDK_REGION_{}_{suffix}",
                    service.sdk_key()
                ))
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|e| !e.is_empty())
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .filter(|list| !list.is_empty());
            from_var.or_else(|| file.as_ref()?.endpoints(service, &region))
        };
        let mut builder = ClientBuilder::default()
            .credentials(credentials)
            .region(region.clone());
        builder.repo_endpoints = endpoints(Service::Repo);
        builder.check_endpoints = endpoints(Service::Check);
        builder.iam_endpoint = env.var(IAM_ENDPOINT_VAR);
        Ok(builder)
    }
}
