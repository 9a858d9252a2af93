//! A reviewable picture of the generated Rust API: for every operation its method, path,
//! parameters (with their Rust types and the description's constraints), body, success and error
//! types; then every generated type with its fields. An edit to `openapi/*.yaml` shows up here as
//! a snapshot diff (`cargo insta review`).

mod common;

use std::fmt::Write;

use quote::ToTokens;
use serde_json::Value;
use syn::{FnArg, ImplItem, Item, ReturnType, Type};

fn ty(t: &impl ToTokens) -> String {
    let s: String = t.to_token_stream().to_string().split_whitespace().collect();
    let s = s.replace(",>", ">").replace(',', ", ");
    [
        "::std::option::",
        "::std::vec::",
        "::std::string::",
        "::std::num::",
        "::serde_json::",
        "super::",
    ]
    .iter()
    .fold(s, |acc, p| acc.replace(p, ""))
}

fn doc(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The constraint keywords of a parameter's schema, as one short string.
fn constraints(spec: &Value, op_path: &str, name: &str) -> String {
    let item = &spec["paths"][op_path];
    let params = item["parameters"].as_array().into_iter().flatten().chain(
        ["get", "put", "post", "delete"]
            .iter()
            .filter_map(|m| item[*m]["parameters"].as_array())
            .flatten(),
    );
    for p in params {
        let p = common::resolve(spec, p);
        if p["name"] == name {
            let s = common::resolve(spec, &p["schema"]);
            let mut out = vec![format!("in {}", p["in"].as_str().unwrap())];
            if p["required"] == true {
                out.push("required".into());
            }
            for k in ["minimum", "maximum", "minLength", "maxLength", "enum"] {
                if let Some(v) = s.get(k) {
                    out.push(format!("{k} {v}"));
                }
            }
            return out.join(", ");
        }
    }
    String::new()
}

fn surface(name: &str) -> String {
    let path = format!("{}/{name}.rs", env!("OUT_DIR"));
    let file = syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap();
    let spec = common::spec(name);
    let mut ops = String::new();
    let mut types = String::new();
    let builders: Vec<&syn::ItemMod> = file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Mod(m) if m.ident == "builder" => Some(m),
            _ => None,
        })
        .collect();
    let builder_items = &builders[0].content.as_ref().unwrap().1;
    for item in &file.items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || ty(&imp.self_ty) != "Client" {
            continue;
        }
        for f in &imp.items {
            let ImplItem::Fn(f) = f else { continue };
            let d = doc(&f.attrs);
            let Some(sends) = d.lines().find(|l| l.starts_with("Sends a `")) else {
                continue;
            };
            let mut parts = sends.split('`');
            let (method, op_path) = (parts.nth(1).unwrap(), parts.nth(1).unwrap());
            let ReturnType::Type(_, ret) = &f.sig.output else {
                continue;
            };
            let Type::Path(ret) = ret.as_ref() else {
                continue;
            };
            let builder = ret.path.segments.last().unwrap().ident.to_string();
            let official = spec["paths"][op_path][method.to_lowercase()]["operationId"]
                .as_str()
                .unwrap();
            writeln!(
                ops,
                "{official} (client.{}())\n  {method} {op_path}",
                f.sig.ident
            )
            .unwrap();
            for bi in builder_items {
                match bi {
                    Item::Struct(s) if s.ident == builder => {
                        for field in &s.fields {
                            let fname = field.ident.as_ref().unwrap().to_string();
                            if fname == "client" {
                                continue;
                            }
                            let t = ty(&field.ty);
                            let t = t
                                .strip_prefix("Result<")
                                .and_then(|t| t.strip_suffix(", String>"))
                                .unwrap_or(&t);
                            let c = constraints(&spec, op_path, &fname);
                            let c = if c.is_empty() {
                                String::new()
                            } else {
                                format!("  [{c}]")
                            };
                            writeln!(ops, "  .{fname}({t}){c}").unwrap();
                        }
                    }
                    Item::Impl(i) if ty(&i.self_ty).starts_with(&format!("{builder}<")) => {
                        for it in &i.items {
                            if let ImplItem::Fn(m) = it
                                && m.sig.ident == "send"
                            {
                                assert!(matches!(m.sig.inputs.first(), Some(FnArg::Receiver(_))));
                                writeln!(
                                    ops,
                                    "  .send() -> {}",
                                    ty(&m.sig.output).trim_start_matches("->")
                                )
                                .unwrap();
                            }
                        }
                    }
                    _ => {}
                }
            }
            ops.push('\n');
        }
    }
    for item in &file.items {
        let Item::Mod(m) = item else { continue };
        if m.ident != "types" {
            continue;
        }
        for t in &m.content.as_ref().unwrap().1 {
            match t {
                Item::Struct(s) => {
                    writeln!(types, "struct {}", s.ident).unwrap();
                    for f in &s.fields {
                        let wire = f
                            .attrs
                            .iter()
                            .find(|a| {
                                a.path().is_ident("serde")
                                    && a.to_token_stream().to_string().contains("rename")
                            })
                            .map(|a| format!("  {}", ty(a)))
                            .unwrap_or_default();
                        match &f.ident {
                            Some(i) => writeln!(types, "  {i}: {}{wire}", ty(&f.ty)).unwrap(),
                            None => writeln!(types, "  ({})", ty(&f.ty)).unwrap(),
                        }
                    }
                }
                Item::Enum(e) => {
                    let variants: Vec<String> =
                        e.variants.iter().map(|v| v.ident.to_string()).collect();
                    writeln!(types, "enum {} {{ {} }}", e.ident, variants.join(", ")).unwrap();
                }
                _ => {}
            }
        }
    }
    format!("# Operations\n\n{ops}# Types\n\n{types}")
}

#[test]
fn repo_api_surface() {
    let s = surface("repo");
    assert_eq!(s.matches("\n  .send() -> ").count(), 24);
    insta::assert_snapshot!("repo_api_surface", s);
}

#[test]
fn check_api_surface() {
    let s = surface("check");
    assert_eq!(s.matches("\n  .send() -> ").count(), 1);
    insta::assert_snapshot!("check_api_surface", s);
}
