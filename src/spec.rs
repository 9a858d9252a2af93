//! The OpenAPI descriptions as data: what each operation takes, read once from the JSON copies
//! that `build.rs` writes next to the generated clients.

use std::{collections::HashMap, sync::LazyLock};

use serde_json::Value;

pub(crate) use crate::naming::snake_case;
use crate::region::Service;

/// One operation of a description.
#[derive(Debug)]
pub(crate) struct Operation {
    /// The official name, e.g. `AddGroupWebhook`.
    pub official: String,
    /// Path and query parameters.
    pub params: Vec<Param>,
    /// Schema of the JSON body, if the operation takes one.
    pub body: Option<Value>,
}

/// A path or query parameter.
#[derive(Debug)]
pub(crate) struct Param {
    pub name: String,
    /// For a path parameter, its segment's position counted from the end of the path (0 is
    /// the last), so that a base URL with a path prefix does not matter.
    pub from_end: Option<usize>,
    pub required: bool,
    pub schema: Value,
}

/// A parsed description.
#[derive(Debug)]
pub(crate) struct Spec {
    pub root: Value,
    /// Keyed by progenitor's method name (`add_group_webhook`), which `OperationInfo` carries.
    pub operations: HashMap<String, Operation>,
}

static REPO: LazyLock<Spec> =
    LazyLock::new(|| Spec::parse(include_str!(concat!(env!("OUT_DIR"), "/repo.json"))));
static CHECK: LazyLock<Spec> =
    LazyLock::new(|| Spec::parse(include_str!(concat!(env!("OUT_DIR"), "/check.json"))));

/// The description of `service`.
pub(crate) fn of(service: Service) -> &'static Spec {
    match service {
        Service::Repo => &REPO,
        Service::Check => &CHECK,
    }
}

impl Spec {
    fn parse(json: &str) -> Spec {
        // build.rs wrote this JSON from a description progenitor accepted: it is well formed.
        let root: Value = serde_json::from_str(json).expect("build.rs writes valid JSON");
        let mut operations = HashMap::new();
        for (path, item) in root["paths"].as_object().into_iter().flatten() {
            let shared = item.get("parameters");
            for method in ["get", "put", "post", "delete", "patch"] {
                let Some(op) = item.get(method) else { continue };
                let official = op["operationId"].as_str().unwrap_or_default().to_owned();
                let segments: Vec<String> = path
                    .trim_matches('/')
                    .split('/')
                    .map(str::to_owned)
                    .collect();
                let params = shared
                    .into_iter()
                    .chain(op.get("parameters"))
                    .filter_map(Value::as_array)
                    .flatten()
                    .map(|p| {
                        let p = resolve(&root, p);
                        let name = p["name"].as_str().unwrap_or_default().to_owned();
                        let placeholder = format!("{{{name}}}");
                        let from_end = (p["in"] == "path")
                            .then(|| segments.iter().rev().position(|s| *s == placeholder))
                            .flatten();
                        Param {
                            name,
                            from_end,
                            required: p["required"] == true,
                            schema: resolve(&root, &p["schema"]).clone(),
                        }
                    })
                    .collect();
                let body = op
                    .get("requestBody")
                    .map(|b| resolve(&root, b))
                    .and_then(|b| b.pointer("/content/application~1json/schema"))
                    .map(|s| resolve(&root, s).clone());
                operations.insert(
                    snake_case(&official),
                    Operation {
                        official,
                        params,
                        body,
                    },
                );
            }
        }
        Spec { root, operations }
    }

    /// Follows a local `$ref`, if the value is one.
    pub fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        resolve(&self.root, v)
    }
}

fn resolve<'a>(root: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => root.pointer(r.trim_start_matches('#')).unwrap_or(v),
        None => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_indexed() {
        assert_eq!(of(Service::Repo).operations.len(), 24);
        assert_eq!(of(Service::Check).operations.len(), 1);
        let op = &of(Service::Repo).operations["list_group_webhook_logs"];
        assert_eq!(op.official, "ListGroupWebhookLogs");
        let names: Vec<_> = op.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "group_id",
                "hook_id",
                "offset",
                "limit",
                "repository_id",
                "uuid",
                "created_after",
                "created_before"
            ]
        );
        assert_eq!(op.params[0].schema["maximum"], 2147483647);
        let from_end: Vec<_> = op.params.iter().take(3).map(|p| p.from_end).collect();
        assert_eq!(from_end, [Some(3), Some(1), None]);
    }
}
