//! Reading `#[module(...)]` attributes; every problem is collected, none stops the rest.

use proc_macro2::Span;
use syn::{Attribute, Expr, ExprLit, Lit, LitInt, LitStr, Path};

/// Errors gathered while parsing, combined into one `syn::Error`.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub fn error(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }

    pub fn finish(self) -> Result<(), syn::Error> {
        self.0.map_or(Ok(()), Err)
    }
}

/// A value with the span of the attribute item that set it, for later errors.
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// Struct-level attributes.
#[derive(Default)]
pub struct ContainerAttrs {
    pub version: Option<Spanned<i64>>,
    pub name: Option<Spanned<String>>,
    pub krate: Option<Path>,
    pub extra_repr: Option<Path>,
    pub display: Option<Span>,
}

/// Field-level attributes.
#[derive(Default)]
pub struct FieldAttrs {
    pub buffer: Option<Span>,
    pub persistent: Option<Spanned<bool>>,
    pub skip: Option<Span>,
    pub training: Option<Span>,
    pub rename: Option<Spanned<String>>,
}

fn set_once<T>(slot: &mut Option<T>, value: T, span: Span, name: &str, errors: &mut Errors) {
    if slot.is_some() {
        errors.error(span, format!("duplicate `{name}` in #[module(...)]"));
    } else {
        *slot = Some(value);
    }
}

pub fn container(attrs: &[Attribute], errors: &mut Errors) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("module")) {
        let res = attr.parse_nested_meta(|meta| {
            let span = meta.path.get_ident().map_or_else(Span::call_site, |i| i.span());
            if meta.path.is_ident("version") {
                let lit: LitInt = meta.value()?.parse().map_err(|e| {
                    syn::Error::new(e.span(), "expected an integer: #[module(version = 2)]")
                })?;
                match lit.base10_parse::<i64>() {
                    Ok(v) if v >= 0 => set_once(
                        &mut out.version,
                        Spanned { value: v, span },
                        span,
                        "version",
                        errors,
                    ),
                    _ => errors.error(
                        lit.span(),
                        "the module version must be a non-negative integer that fits in i64",
                    ),
                }
            } else if meta.path.is_ident("name") {
                let s: LitStr = meta.value()?.parse()?;
                if s.value().is_empty() {
                    errors.error(s.span(), "the printed name must not be empty");
                }
                set_once(
                    &mut out.name,
                    Spanned { value: s.value(), span },
                    span,
                    "name",
                    errors,
                );
            } else if meta.path.is_ident("crate") {
                let s: LitStr = meta.value()?.parse()?;
                let path: Path = s.parse()?;
                set_once(&mut out.krate, path, span, "crate", errors);
            } else if meta.path.is_ident("extra_repr") {
                let s: LitStr = meta.value()?.parse()?;
                let path: Path = s.parse()?;
                set_once(&mut out.extra_repr, path, span, "extra_repr", errors);
            } else if meta.path.is_ident("display") {
                set_once(&mut out.display, span, span, "display", errors);
            } else if field_attr_name(&meta.path) {
                // Skip the value, if any, so parsing can go on.
                if meta.input.peek(syn::Token![=]) {
                    let _: Expr = meta.value()?.parse()?;
                }
                errors.error(
                    span,
                    format!(
                        "`{}` belongs on a field, not on the struct",
                        path_name(&meta.path)
                    ),
                );
            } else {
                return Err(meta.error(format!(
                    "unknown module attribute `{}`; expected one of: version, name, crate, extra_repr, display",
                    path_name(&meta.path)
                )));
            }
            Ok(())
        });
        if let Err(e) = res {
            errors.push(e);
        }
    }
    out
}

pub fn field(attrs: &[Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("module")) {
        let res = attr.parse_nested_meta(|meta| {
            let span = meta.path.get_ident().map_or_else(Span::call_site, |i| i.span());
            if meta.path.is_ident("buffer") {
                set_once(&mut out.buffer, span, span, "buffer", errors);
            } else if meta.path.is_ident("skip") {
                set_once(&mut out.skip, span, span, "skip", errors);
            } else if meta.path.is_ident("training") {
                set_once(&mut out.training, span, span, "training", errors);
            } else if meta.path.is_ident("persistent") {
                let value = match meta.value()?.parse::<Expr>()? {
                    Expr::Lit(ExprLit {
                        lit: Lit::Bool(b), ..
                    }) => b.value,
                    other => {
                        return Err(syn::Error::new_spanned(
                            other,
                            "expected `true` or `false`: #[module(buffer, persistent = false)]",
                        ));
                    }
                };
                set_once(
                    &mut out.persistent,
                    Spanned { value, span },
                    span,
                    "persistent",
                    errors,
                );
            } else if meta.path.is_ident("rename") {
                let s: LitStr = meta.value()?.parse()?;
                let name = s.value();
                if name.is_empty() || name.contains('.') {
                    errors.error(
                        s.span(),
                        "a state-dict name must be non-empty and contain no `.`",
                    );
                }
                set_once(
                    &mut out.rename,
                    Spanned {
                        value: name,
                        span: s.span(),
                    },
                    span,
                    "rename",
                    errors,
                );
            } else {
                return Err(meta.error(format!(
                    "unknown module attribute `{}`; expected one of: buffer, persistent, skip, training, rename",
                    path_name(&meta.path)
                )));
            }
            Ok(())
        });
        if let Err(e) = res {
            errors.push(e);
        }
    }
    out
}

fn field_attr_name(path: &Path) -> bool {
    ["buffer", "persistent", "skip", "training", "rename"]
        .iter()
        .any(|n| path.is_ident(n))
}

fn path_name(path: &Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}
