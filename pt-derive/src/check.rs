//! Validation of the intermediate representation; every problem is reported.

use std::collections::HashMap;

use quote::ToTokens;

use crate::ast::{Input, Kind, last_ident_is};
use crate::attr::Errors;

pub fn check(input: &Input<'_>, errors: &mut Errors) {
    let mut names: HashMap<&str, String> = HashMap::new();
    let mut training_seen = false;
    for f in &input.fields {
        let a = &f.attrs;
        let ty = f.ty.to_token_stream().to_string();
        if let Some(skip) = a.skip {
            for (set, what) in [
                (a.buffer.is_some(), "buffer"),
                (a.training.is_some(), "training"),
                (a.rename.is_some(), "rename"),
                (a.persistent.is_some(), "persistent"),
            ] {
                if set {
                    errors.error(
                        skip,
                        format!("`skip` cannot be combined with `{what}`: a skipped field has no state-dict name"),
                    );
                }
            }
            continue;
        }
        if let Some(training) = a.training {
            if a.buffer.is_some() || a.rename.is_some() || a.persistent.is_some() {
                errors.error(
                    training,
                    "`training` marks the module's own train/eval flag and takes no other options",
                );
            }
            if !last_ident_is(f.ty, "bool") {
                errors.error(
                    f.span,
                    format!("`#[module(training)]` needs a `bool` field, found `{ty}`"),
                );
            }
            if training_seen {
                errors.error(training, "only one field can hold the training flag");
            }
            training_seen = true;
            continue;
        }
        if let (Some(p), None) = (&a.persistent, a.buffer) {
            errors.error(
                p.span,
                "`persistent` only applies to buffers: #[module(buffer, persistent = false)]",
            );
        }
        match f.kind {
            Kind::Invalid if a.buffer.is_some() => errors.error(
                f.span,
                format!("#[module(buffer)] needs a `Tensor` or `Option<Tensor>` field, found `{ty}`"),
            ),
            Kind::Invalid if last_ident_is(f.inner, "Tensor") => errors.error(
                f.span,
                format!(
                    "field `{}` of type `{ty}` needs #[module(buffer)] (or #[module(skip)]); trainable tensors are `Parameter`s",
                    f.name
                ),
            ),
            Kind::Invalid => errors.error(
                f.span,
                format!(
                    "field `{}` of type `{ty}` is not a module, a parameter or a buffer; mark configuration with #[module(skip)] (or #[module(training)] for the train/eval flag)",
                    f.name
                ),
            ),
            _ => {}
        }
        if let Some(first) = names.get(f.name.as_str()) {
            errors.error(
                f.name_span,
                format!(
                    "duplicate state-dict name `{}`: field `{first}` already uses it",
                    f.name
                ),
            );
        } else {
            names.insert(&f.name, member_name(&f.member));
        }
    }
}

fn member_name(m: &syn::Member) -> String {
    match m {
        syn::Member::Named(i) => i.to_string(),
        syn::Member::Unnamed(i) => i.index.to_string(),
    }
}
