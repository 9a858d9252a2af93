//! The OpenAPI descriptions as data: what each operation takes, read once from the JSON copies
//! that `build.rs` writes next to the generated clients, with each schema compiled into
//! [`Rules`] so that checking a request looks nothing up in the description.

use std::sync::LazyLock;

use serde_json::Value;

use crate::{
    operations::{self, OperationId},
    region::Service,
};

/// One operation of a description.
#[derive(Debug)]
pub(crate) struct Operation {
    /// Its names, method and path (the fake routes by them).
    #[cfg_attr(not(feature = "fake"), allow(dead_code))]
    pub id: &'static OperationId,
    /// Path and query parameters, in the order the generated `send` checks them
    /// ([`OperationId::inputs`]).
    pub params: Vec<Param>,
    /// Rules of the JSON body, if the operation takes one.
    pub body: Option<Rules>,
}

/// A path or query parameter.
#[derive(Debug)]
pub(crate) struct Param {
    pub name: String,
    /// For a path parameter, its segment's position counted from the end of the path (0 is
    /// the last), so that a base URL with a path prefix does not matter.
    #[cfg_attr(not(feature = "fake"), allow(dead_code))]
    pub from_end: Option<usize>,
    pub required: bool,
    pub rules: Rules,
}

/// The constraint keywords of a schema, `$ref`s resolved.
#[derive(Debug, Default)]
pub(crate) struct Rules {
    /// `type`.
    pub kind: Option<Kind>,
    /// `enum`.
    pub allowed: Option<Vec<Value>>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub max_items: Option<u64>,
    /// `items`.
    pub items: Option<Box<Rules>>,
    /// `properties`, by name.
    pub properties: Vec<(String, Rules)>,
    pub required: Vec<String>,
    /// A rule over several properties that the description states only in words.
    pub cross: Option<CrossRule>,
    /// The value is a path segment of the URL: `.` and `..` would move the request to another
    /// path (a URL resolves them), so they are refused.
    pub segment: bool,
}

/// The rules over several fields of a body, written out by hand from the descriptions' words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CrossRule {
    /// `WebhookParamsRequestDto` (group webhooks): at least one event, and the filter of push
    /// and note events when they are on.
    GroupWebhook,
}

/// A JSON Schema `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Boolean,
    Integer,
    Number,
    Array,
    Object,
}

impl Kind {
    /// The keyword's value, as messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Boolean => "boolean",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Array => "array",
            Kind::Object => "object",
        }
    }
}

impl Rules {
    /// Compiles `schema` (following local `$ref`s) against the document `root`.
    fn compile(root: &Value, schema: &Value) -> Rules {
        let s = resolve(root, schema);
        let kind = match s["type"].as_str() {
            Some("string") => Some(Kind::String),
            Some("boolean") => Some(Kind::Boolean),
            Some("integer") => Some(Kind::Integer),
            Some("number") => Some(Kind::Number),
            Some("array") => Some(Kind::Array),
            Some("object") => Some(Kind::Object),
            _ => None,
        };
        Rules {
            kind,
            allowed: s["enum"].as_array().cloned(),
            min_length: s["minLength"].as_u64(),
            max_length: s["maxLength"].as_u64(),
            minimum: s["minimum"].as_f64(),
            maximum: s["maximum"].as_f64(),
            max_items: s["maxItems"].as_u64(),
            items: s.get("items").map(|i| Box::new(Rules::compile(root, i))),
            properties: {
                let mut properties: Vec<_> = s["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, p)| (name.clone(), Rules::compile(root, p)))
                    .collect();
                // In the order of the generated structs' fields (see `Rules::property`).
                properties.sort_by(|a, b| a.0.cmp(&b.0));
                properties
            },
            required: s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            cross: None,
            segment: false,
        }
    }

    /// The rules of property `name`, if the schema names it. `next` is where to look first,
    /// and is moved past the property found: members mostly come in the order of
    /// [`Rules::properties`] (both the generated structs and the compiled schemas sort them by
    /// name), so each is found at the first comparison.
    #[inline]
    pub fn property(&self, name: &str, next: &mut usize) -> Option<&Rules> {
        let at = match self.properties.get(*next) {
            Some((n, _)) if n == name => *next,
            _ => self.properties.iter().position(|(n, _)| n == name)?,
        };
        *next = at + 1;
        Some(&self.properties[at].1)
    }
}

/// A parsed description.
#[derive(Debug)]
pub(crate) struct Spec {
    /// In the order of [`operations::table`], so that an [`OperationId`] indexes it.
    operations: Vec<Operation>,
}

static REPO: LazyLock<Spec> = LazyLock::new(|| {
    Spec::parse(
        Service::Repo,
        include_str!(concat!(env!("OUT_DIR"), "/repo.json")),
    )
});
static CHECK: LazyLock<Spec> = LazyLock::new(|| {
    Spec::parse(
        Service::Check,
        include_str!(concat!(env!("OUT_DIR"), "/check.json")),
    )
});

/// The description of `service`.
pub(crate) fn of(service: Service) -> &'static Spec {
    match service {
        Service::Repo => &REPO,
        Service::Check => &CHECK,
    }
}

impl Spec {
    fn parse(service: Service, json: &str) -> Spec {
        // build.rs wrote this JSON from a description progenitor accepted, and read the table
        // off the code generated from it: every operation of the table is in it.
        let root: Value = serde_json::from_str(json).expect("build.rs writes valid JSON");
        let operations = operations::table(service)
            .iter()
            .map(|id| {
                let item = &root["paths"][id.path];
                let op = &item[id.method.to_ascii_lowercase()];
                let segments: Vec<&str> = id.path.trim_matches('/').split('/').collect();
                let mut params: Vec<Param> = item
                    .get("parameters")
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
                        let mut rules = Rules::compile(&root, &p["schema"]);
                        rules.segment = from_end.is_some();
                        Param {
                            name,
                            from_end,
                            required: p["required"] == true,
                            rules,
                        }
                    })
                    .collect();
                // build.rs checked that the inputs are the described parameters (and `body`).
                params.sort_by_key(|p| id.inputs.iter().position(|i| *i == p.name));
                let body = op
                    .get("requestBody")
                    .map(|b| resolve(&root, b))
                    .and_then(|b| b.pointer("/content/application~1json/schema"))
                    .map(|s| Rules {
                        cross: matches!(id.official, "AddGroupWebhook" | "UpdateGroupWebhook")
                            .then_some(CrossRule::GroupWebhook),
                        ..Rules::compile(&root, s)
                    });
                Operation { id, params, body }
            })
            .collect();
        Spec { operations }
    }

    /// The description of the operation `id` (of this service).
    pub fn operation(&self, id: &OperationId) -> &Operation {
        &self.operations[id.index]
    }

    /// The operation a request with this method and path is for, if any.
    #[cfg(feature = "fake")]
    pub fn find(&self, method: &str, path: &str) -> Option<&Operation> {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.operations.iter().find(|op| {
            let template = op.id.path.trim_matches('/').split('/');
            op.id.method == method
                && template.clone().count() == segs.len()
                && template
                    .zip(&segs)
                    .all(|(t, s)| t.starts_with('{') || t == *s)
        })
    }
}

/// Follows a local `$ref` (`#/components/...`). A dangling one cannot reach here (progenitor
/// refuses the description at build time); the value itself stands in for it.
fn resolve<'a>(root: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => root.pointer(r.trim_start_matches('#')).unwrap_or(v),
        None => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Members are found wherever they come; in the order of the properties, each is found at
    /// the first comparison.
    #[test]
    fn properties_are_found_in_any_order() {
        let rules = of(Service::Repo)
            .operation(operations::find(Service::Repo, "update_repository_webhook").unwrap())
            .body
            .as_ref()
            .unwrap();
        let names: Vec<&str> = rules.properties.iter().map(|(n, _)| n.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        let mut next = 0;
        for (i, name) in names.iter().enumerate() {
            assert!(rules.property(name, &mut next).is_some(), "{name}");
            assert_eq!(next, i + 1);
        }
        let mut next = 0;
        for name in names.iter().rev() {
            assert!(rules.property(name, &mut next).is_some(), "{name}");
        }
        assert!(rules.property("no_such_member", &mut next).is_none());
        assert!(rules.property("", &mut 99).is_none());
    }

    #[test]
    fn every_operation_is_indexed() {
        assert_eq!(of(Service::Repo).operations.len(), 24);
        assert_eq!(of(Service::Check).operations.len(), 1);
        let id = operations::find(Service::Repo, "list_group_webhook_logs").unwrap();
        let op = of(Service::Repo).operation(id);
        assert_eq!(op.id.official, "ListGroupWebhookLogs");
        let names: Vec<_> = op.params.iter().map(|p| p.name.as_str()).collect();
        // In the order the generated `send` passes them: path, then query by name.
        assert_eq!(
            names,
            [
                "group_id",
                "hook_id",
                "created_after",
                "created_before",
                "limit",
                "offset",
                "repository_id",
                "uuid"
            ]
        );
        assert_eq!(names, id.inputs);
        assert_eq!(op.params[0].rules.maximum, Some(2147483647.0));
        assert_eq!(op.params[0].rules.kind, Some(Kind::Integer));
        let from_end: Vec<_> = op.params.iter().take(3).map(|p| p.from_end).collect();
        assert_eq!(from_end, [Some(3), Some(1), None]);
        let add = operations::find(Service::Repo, "add_group_webhook").unwrap();
        let body = of(Service::Repo).operation(add).body.as_ref().unwrap();
        assert_eq!(body.cross, Some(CrossRule::GroupWebhook));
    }

    /// The checks keep a bit per required member of an object (`validate::checker`).
    #[test]
    fn no_object_requires_63_members_or_more() {
        fn walk(rules: &Rules) {
            assert!(rules.required.len() < 63);
            rules.properties.iter().for_each(|(_, p)| walk(p));
            rules.items.iter().for_each(|i| walk(i));
        }
        for service in [Service::Repo, Service::Check] {
            for op in &of(service).operations {
                op.body.iter().for_each(walk);
                op.params.iter().for_each(|p| walk(&p.rules));
            }
        }
    }

    #[cfg(feature = "fake")]
    #[test]
    fn requests_are_routed_by_method_and_path() {
        let found = of(Service::Repo)
            .find("GET", "/v4/groups/7/hooks/3/logs")
            .unwrap();
        assert_eq!(found.id.official, "ListGroupWebhookLogs");
        assert!(
            of(Service::Repo)
                .find("GET", "/v4/nothing/7/hooks")
                .is_none()
        );
    }
}
