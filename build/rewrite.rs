//! The changes `build.rs` makes to what progenitor generated (see its module docs), each checked
//! to apply to every operation.

use crate::Generated;

/// The changes to the generated code (see the module docs):
/// - every `2xx => ResponseValue::from_response(response).await` arm of a `send` becomes
///   `crate::pipeline::decode(response)`, and the arms that decode an error status's body go
///   (the pipeline never hands the generated code an error status);
/// - the awaits of the `pre` and `post` hooks go (this crate implements neither);
/// - the `api-version` header each `send` adds goes (CodeArts defines none), with the header map
///   it went into;
/// - each path parameter is written into the URL through `crate::pipeline::Segment` instead of
///   `encode_path(&value.to_string())` (the same encoding, without two strings per parameter),
///   and the URL is the path written onto the endpoint parsed once (`Pipeline::url`) instead of
///   a string reqwest parses whole again;
/// - a builder's unset value is an empty error until `send` finds it unset (without a string
///   per parameter for every call), and `send` carries a builder's error as the crate's typed
///   input error naming the field (`crate::pipeline::builder_error`), not as a message;
/// - every `send` checks its inputs, parameters and body, as typed values (`Pipeline::check`)
///   before it writes the URL; `module` is where the operation table of `found` is;
/// - a body is written by `crate::pipeline::json`, into a buffer of the length the check
///   measured, instead of reqwest's `json`.
///
/// Stops the build if any of these is not found everywhere.
pub(crate) fn rewrite_generated(
    input: &str,
    module: &str,
    file: &mut syn::File,
    found: &[Generated],
) {
    use quote::ToTokens;
    use syn::visit_mut::VisitMut;

    struct Rewrite<'a> {
        found: &'a [Generated],
        module: &'a str,
        checks: usize,
        bodies: usize,
        success: usize,
        other: usize,
        api_version: usize,
        segments: usize,
        urls: usize,
        unset: usize,
        invalid_request: usize,
        error_arms: usize,
        pre_post: usize,
        header_maps: usize,
    }
    /// Replaces `builder.headers(header_map)` with `builder`.
    struct StripHeaders(usize);
    impl VisitMut for StripHeaders {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            syn::visit_mut::visit_expr_mut(self, expr);
            if let syn::Expr::MethodCall(call) = expr
                && call.method == "headers"
                && call.args.len() == 1
                && call.args[0].to_token_stream().to_string() == "header_map"
            {
                *expr = (*call.receiver).clone();
                self.0 += 1;
            }
        }
    }
    impl VisitMut for Rewrite<'_> {
        fn visit_expr_match_mut(&mut self, m: &mut syn::ExprMatch) {
            // The pipeline turns every error status into the crate's `Error` before the
            // generated code sees the response (`pipeline::answer`), so the arms that decode an
            // error body never run; without them each `send`'s future is about half as large.
            let before = m.arms.len();
            m.arms.retain(|arm| {
                let body = arm.body.to_token_stream().to_string();
                !body.contains("Error :: ErrorResponse (ResponseValue :: from_response (response)")
            });
            self.error_arms += before - m.arms.len();
            syn::visit_mut::visit_expr_match_mut(self, m);
        }

        fn visit_impl_item_fn_mut(&mut self, f: &mut syn::ImplItemFn) {
            syn::visit_mut::visit_impl_item_fn_mut(self, f);
            // Right before the URL is written, every input of the `send` (its parameters and
            // its body, as the typed values they are) is checked against the description, in
            // one call that names the operation by its place in the table.
            if f.sig.ident != "send" {
                return;
            }
            let name = crate::operation_id_of(&f.block.to_token_stream().to_string());
            let Some(index) = name.and_then(|n| self.found.iter().position(|g| g.name == n)) else {
                return;
            };
            let Some(at) = f.block.stmts.iter().position(|stmt| {
                matches!(stmt, syn::Stmt::Local(local)
                    if local.pat.to_token_stream().to_string() == "url")
            }) else {
                return;
            };
            let found = &self.found[index];
            let vars = found
                .inputs
                .iter()
                .map(|(_, var)| syn::Ident::new(var, proc_macro2::Span::call_site()));
            let module = syn::Ident::new(self.module, proc_macro2::Span::call_site());
            let check: syn::Expr = syn::parse_quote!(
                client
                    .inner
                    .check(&crate::operations::#module::OPERATIONS[#index], &(#(&#vars,)*))
                    .map_err(Error::UnexpectedResponse)?
            );
            // The length of the body's JSON goes to `crate::pipeline::json` (below).
            f.block.stmts.insert(
                at,
                match found.has_body() {
                    true => syn::parse_quote!(let json_len = #check;),
                    false => syn::parse_quote!(#check;),
                },
            );
            self.checks += 1;
        }

        fn visit_field_value_mut(&mut self, field: &mut syn::FieldValue) {
            // `name: Err("name was not initialized".to_string())` in a builder's `new()`
            // becomes `name: Err(String::new())`, which does not allocate; `send` tells an
            // unset value by its empty message (`builder_error` below).
            if let syn::Member::Named(name) = &field.member {
                let unset = format!("Err (\"{name} was not initialized\" . to_string ())");
                if field.expr.to_token_stream().to_string() == unset {
                    field.expr = syn::parse_quote!(Err(::std::string::String::new()));
                    self.unset += 1;
                    return;
                }
            }
            syn::visit_mut::visit_field_value_mut(self, field);
        }

        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            use syn::{Expr, Token, punctuated::Punctuated};
            if let Expr::MethodCall(call) = expr
                && call.method == "map_err"
                && call.args.len() == 1
                && call.args[0].to_token_stream().to_string() == "Error :: InvalidRequest"
            {
                // `name.map_err(Error::InvalidRequest)` (perhaps after `.and_then(…)`) in `send`.
                let mut root = &*call.receiver;
                while let Expr::MethodCall(inner) = root {
                    root = &inner.receiver;
                }
                if let Expr::Path(path) = root
                    && let Some(name) = path.path.get_ident()
                {
                    let name = name.to_string();
                    let name = name.trim_end_matches('_');
                    call.args[0] = syn::parse_quote!(
                        |e| Error::UnexpectedResponse(crate::pipeline::builder_error(e, #name))
                    );
                    self.invalid_request += 1;
                }
                return syn::visit_mut::visit_expr_mut(self, expr);
            }
            if let Expr::MethodCall(call) = expr
                && call.method == "json"
                && call.args.len() == 1
                && call.args[0].to_token_stream().to_string() == "& body"
            {
                // `builder.json(&body)` becomes `crate::pipeline::json(builder, &body,
                // json_len)`, with the length the send's check measured.
                syn::visit_mut::visit_expr_mut(self, &mut call.receiver);
                let builder = &call.receiver;
                *expr = syn::parse_quote!(crate::pipeline::json(#builder, &body, json_len));
                self.bodies += 1;
                return;
            }
            let Expr::Macro(m) = expr else {
                return syn::visit_mut::visit_expr_mut(self, expr);
            };
            if !m.mac.path.is_ident("format") {
                return;
            }
            let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
            let Ok(mut args) = m.mac.parse_body_with(parser) else {
                return;
            };
            for arg in args.iter_mut() {
                // `encode_path(&value.to_string())` becomes `crate::pipeline::Segment(&value)`.
                let Expr::Call(call) = arg else { continue };
                let is_encode =
                    matches!(&*call.func, Expr::Path(p) if p.path.is_ident("encode_path"));
                let [Expr::Reference(reference)] = call.args.iter().collect::<Vec<_>>()[..] else {
                    continue;
                };
                let Expr::MethodCall(to_string) = &*reference.expr else {
                    continue;
                };
                if is_encode && to_string.method == "to_string" && to_string.args.is_empty() {
                    let value = &to_string.receiver;
                    *arg = syn::parse_quote!(crate::pipeline::Segment(&#value));
                    self.segments += 1;
                }
            }
            // `format!("{}/v4/…", client.baseurl, …)` becomes
            // `client.inner.url(format_args!("/v4/…", …))`: the path is written onto the
            // endpoint parsed once, and only the path is parsed (`Pipeline::url`). Any other
            // `format!` stays as progenitor wrote it (the counts below stop the build if a
            // send's URL or path parameter is among them).
            let base = args.iter().nth(1).map(|a| a.to_token_stream().to_string());
            let path = match args.first() {
                Some(Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                })) => s.value().strip_prefix("{}/").map(|p| format!("/{p}")),
                _ => None,
            };
            if let (Some("client . baseurl"), Some(path)) = (base.as_deref(), path) {
                let path = syn::LitStr::new(&path, proc_macro2::Span::call_site());
                let rest = args.iter().skip(2);
                *expr = syn::parse_quote!(client.inner.url(format_args!(#path #(, #rest)*)));
                self.urls += 1;
            }
        }

        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            // The `pre` and `post` hooks: this crate implements neither, so they do nothing, and
            // awaiting them keeps the request and the result in the `send`'s future (a future
            // keeps what is borrowed across an `.await`) for as long as it runs.
            let hooks = block.stmts.len();
            block.stmts.retain(|stmt| {
                let text = stmt.to_token_stream().to_string();
                text != "client . pre (& mut request , & info) . await ? ;"
                    && text != "client . post (& result , & info) . await ? ;"
            });
            self.pre_post += hooks - block.stmts.len();
            let before = block.stmts.len();
            block.stmts.retain(|stmt| {
                !matches!(stmt, syn::Stmt::Expr(..))
                    || !stmt
                        .to_token_stream()
                        .to_string()
                        .contains("\"api-version\"")
            });
            if block.stmts.len() < before {
                self.api_version += before - block.stmts.len();
                // The map it was appended to is now left empty: it is neither made nor handed
                // to the request builder (whose `headers` walks and drops it), unless a header
                // parameter still goes into it.
                let uses = block
                    .to_token_stream()
                    .to_string()
                    .matches("header_map")
                    .count();
                if uses == 2 {
                    block.stmts.retain(|stmt| {
                        !matches!(stmt, syn::Stmt::Local(local)
                            if local.pat.to_token_stream().to_string() == "mut header_map")
                    });
                    let mut strip = StripHeaders(0);
                    strip.visit_block_mut(block);
                    self.header_maps += strip.0;
                }
            }
            syn::visit_mut::visit_block_mut(self, block);
        }

        fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
            let body = arm.body.to_token_stream().to_string();
            // progenitor writes the arm as a block.
            let body = body
                .strip_prefix("{ ")
                .and_then(|b| b.strip_suffix(" }"))
                .unwrap_or(&body);
            let decodes = body == "ResponseValue :: from_response (response) . await";
            let success = match &arm.pat {
                syn::Pat::Lit(syn::PatLit {
                    lit: syn::Lit::Int(n),
                    ..
                }) => n
                    .base10_parse::<u16>()
                    .is_ok_and(|n| (200..300).contains(&n)),
                _ => false,
            };
            match (decodes, success) {
                (true, true) => {
                    *arm.body = syn::parse_quote!(crate::pipeline::decode(response));
                    self.success += 1;
                }
                (true, false) => self.other += 1,
                _ => syn::visit_mut::visit_arm_mut(self, arm),
            }
        }
    }
    let sends = found.len();
    let with_body = found.iter().filter(|g| g.has_body()).count();
    let expected: usize = found.iter().map(|g| g.decoded.len()).sum();
    let mut rewrite = Rewrite {
        found,
        module,
        checks: 0,
        bodies: 0,
        success: 0,
        other: 0,
        api_version: 0,
        segments: 0,
        urls: 0,
        unset: 0,
        invalid_request: 0,
        error_arms: 0,
        pre_post: 0,
        header_maps: 0,
    };
    rewrite.visit_file_mut(file);
    let tokens = file.to_token_stream().to_string();
    let left = tokens.matches("encode_path (").count();
    let unset_left = tokens.matches("was not initialized").count();
    let invalid_left = tokens.matches("map_err (Error :: InvalidRequest)").count();
    let error_arms_left = tokens.matches("Error :: ErrorResponse").count();
    assert!(
        rewrite.error_arms > 0 && error_arms_left == 0,
        "{input}: {} arms that decode an error body were removed and {error_arms_left} are \
         left: has progenitor changed how it matches statuses?",
        rewrite.error_arms
    );
    assert_eq!(
        rewrite.checks, sends,
        "{input}: each of the {sends} sends should check its inputs before writing its URL: has \
         progenitor changed how a send begins?"
    );
    assert!(
        rewrite.bodies == with_body && !tokens.contains(". json ("),
        "{input}: {with_body} sends take a body and {} of them were made to write it with \
         `crate::pipeline::json`: has progenitor changed how it writes a body?",
        rewrite.bodies
    );
    assert!(
        rewrite.unset > 0 && unset_left == 0 && rewrite.invalid_request > 0 && invalid_left == 0,
        "{input}: {} unset builder values and {} builder errors were rewritten, {unset_left} \
         and {invalid_left} were not: has progenitor changed its builders?",
        rewrite.unset,
        rewrite.invalid_request
    );
    assert!(
        rewrite.segments > 0 && left == 0,
        "{input}: {} path parameters were rewritten to `Segment` and {left} still call \
         `encode_path`: has progenitor changed how it builds URLs?",
        rewrite.segments
    );
    assert_eq!(
        rewrite.urls, sends,
        "{input}: each of the {sends} sends should format its URL on `client.baseurl` once: has \
         progenitor changed how it builds URLs?"
    );
    assert_eq!(
        rewrite.pre_post,
        2 * sends,
        "{input}: each of the {sends} sends should await the `pre` and `post` hooks once"
    );
    assert_eq!(
        rewrite.header_maps, sends,
        "{input}: each of the {sends} sends should hand the request builder an empty header map \
         once the `api-version` header is gone: has progenitor changed, or does an operation \
         take a header parameter?"
    );
    assert_eq!(
        rewrite.api_version, sends,
        "{input}: each of the {sends} sends should add one `api-version` header"
    );
    assert!(
        rewrite.success == expected && rewrite.other == 0,
        "{input}: {expected} success arms decode a body, {} were rewritten to decode in the \
         pipeline and {} other arms decode with progenitor's own code: has progenitor changed?",
        rewrite.success,
        rewrite.other
    );
}
