//! The operation table: which operations the generated clients have, under which names.
//!
//! `build.rs` reads it off what progenitor generated (the name each builder's `send` hands the
//! hooks, its method, path and success types) and joins it with the descriptions' official
//! operationIds; nothing here imitates progenitor's naming.

use crate::region::Service;

/// One generated operation.
#[derive(Debug)]
pub(crate) struct OperationId {
    /// Position in its service's table.
    pub index: usize,
    /// The name progenitor passes to the hooks, e.g. `add_group_webhook` (looked up by
    /// [`find`]'s generated `match`; kept here for the tests that prove the two agree).
    #[cfg_attr(not(test), allow(dead_code))]
    pub generated: &'static str,
    /// The official operationId, e.g. `AddGroupWebhook`.
    pub official: &'static str,
    /// HTTP method, upper-case.
    pub method: &'static str,
    /// Path template, e.g. `/v4/groups/{group_id}/hooks`.
    pub path: &'static str,
}

/// Decodes `body` as the generated code will, keeping only the verdict.
fn decodes<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<T>(body).map(drop)
}

mod repo {
    use super::{OperationId, decodes};
    use crate::repo::types;
    include!(concat!(env!("OUT_DIR"), "/repo_operations.rs"));
}

mod check {
    use super::{OperationId, decodes};
    use crate::check::types;
    include!(concat!(env!("OUT_DIR"), "/check_operations.rs"));
}

/// Every operation of `service`.
pub(crate) fn table(service: Service) -> &'static [OperationId] {
    match service {
        Service::Repo => repo::OPERATIONS,
        Service::Check => check::OPERATIONS,
    }
}

/// The operation of `service` that progenitor named `generated`.
pub(crate) fn find(service: Service, generated: &str) -> Option<&'static OperationId> {
    match service {
        Service::Repo => repo::by_generated_name(generated),
        Service::Check => check::by_generated_name(generated),
    }
}

/// Whether `body` decodes as the generated code will decode the `status` answer of `op`;
/// `None` when the generated code reads no body for that status.
pub(crate) fn check_success_body(
    service: Service,
    op: &OperationId,
    status: u16,
    body: &[u8],
) -> Option<Result<(), serde_json::Error>> {
    match service {
        Service::Repo => repo::check_success_body(op.index, status, body),
        Service::Check => check::check_success_body(op.index, status, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_read_off_the_generated_code() {
        assert_eq!(table(Service::Repo).len(), 24);
        assert_eq!(table(Service::Check).len(), 1);
        let add = find(Service::Repo, "add_group_webhook").unwrap();
        assert_eq!(
            (add.official, add.method, add.path),
            ("AddGroupWebhook", "POST", "/v4/groups/{group_id}/hooks")
        );
        for service in [Service::Repo, Service::Check] {
            for (i, op) in table(service).iter().enumerate() {
                assert_eq!(op.index, i);
                assert!(std::ptr::eq(find(service, op.generated).unwrap(), op));
            }
        }
        assert!(find(Service::Repo, "AddGroupWebhook").is_none());
        // Add and update decode 200 and 201 as the same webhook; remove reads no body.
        let body = br#"{"id": 1}"#;
        assert!(
            check_success_body(Service::Repo, add, 201, body)
                .unwrap()
                .is_ok()
        );
        assert!(
            check_success_body(Service::Repo, add, 200, b"[1]")
                .unwrap()
                .is_err()
        );
        let remove = find(Service::Repo, "remove_group_webhook").unwrap();
        assert!(check_success_body(Service::Repo, remove, 204, b"").is_none());
        assert!(check_success_body(Service::Repo, remove, 200, b"x").is_none());
    }
}
