//! The operation table: which operations the generated clients have, under which names.
//!
//! `build.rs` reads it off what progenitor generated (the name each builder's `send` hands the
//! hooks, its method, path and inputs) and joins it with the descriptions' official
//! operationIds; nothing here imitates progenitor's naming. Each generated `send` names its
//! entry by reference when it checks its inputs (`Pipeline::check`), so no name is looked up
//! per call, and an operation missing from the table does not compile.

use crate::region::Service;

/// One generated operation.
#[derive(Debug)]
pub(crate) struct OperationId {
    /// Position in its service's table.
    pub index: usize,
    /// The name progenitor passes to the hooks, e.g. `add_group_webhook` (kept for the tests
    /// that prove the table and the generated code agree).
    #[cfg_attr(not(test), allow(dead_code))]
    pub generated: &'static str,
    /// The official operationId, e.g. `AddGroupWebhook`.
    pub official: &'static str,
    /// HTTP method, upper-case.
    pub method: &'static str,
    /// Path template, e.g. `/v4/groups/{group_id}/hooks`.
    pub path: &'static str,
    /// What the generated `send` checks, in order: its path parameters, its query parameters
    /// and `body` if it takes one, by their names in the description.
    pub inputs: &'static [&'static str],
}

// The generated `send`s name their operation here (`build.rs`).
pub(crate) mod repo {
    use super::OperationId;
    include!(concat!(env!("OUT_DIR"), "/repo_operations.rs"));
}

pub(crate) mod check {
    use super::OperationId;
    include!(concat!(env!("OUT_DIR"), "/check_operations.rs"));
}

/// Every operation of `service`.
pub(crate) fn table(service: Service) -> &'static [OperationId] {
    match service {
        Service::Repo => repo::OPERATIONS,
        Service::Check => check::OPERATIONS,
    }
}

/// The operation of `service` that progenitor named `generated`: for the tests, as the
/// generated code names its operation by reference.
#[cfg(test)]
pub(crate) fn find(service: Service, generated: &str) -> Option<&'static OperationId> {
    match service {
        Service::Repo => repo::by_generated_name(generated),
        Service::Check => check::by_generated_name(generated),
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
    }
}
