//! The intermediate representation: each field with its kind and its state-dict name,
//! keeping the original syntax only to point errors at it.

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{
    Data, DeriveInput, Fields, GenericArgument, Ident, Member, PathArguments, Type, TypePath,
};

use crate::attr::{self, ContainerAttrs, Errors, FieldAttrs};

/// What a field contributes to the module.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// `Parameter`.
    Parameter,
    /// `Option<Parameter>`.
    OptionParameter,
    /// `#[module(buffer)] Tensor`.
    Buffer,
    /// `#[module(buffer)] Option<Tensor>`.
    OptionBuffer,
    /// A module.
    Child,
    /// `Option<M>`.
    OptionChild,
    /// `#[module(training)] bool`.
    Training,
    /// `#[module(skip)]`.
    Skip,
    /// A type that cannot be part of a module's state (already reported).
    Invalid,
}

pub struct Field<'a> {
    pub member: Member,
    /// The state-dict name (field name, tuple index, or `rename`).
    pub name: String,
    /// Span for errors about the name: the `rename` literal or the field.
    pub name_span: Span,
    pub ty: &'a Type,
    /// For `Option<T>` kinds, `T`.
    pub inner: &'a Type,
    pub attrs: FieldAttrs,
    pub kind: Kind,
    /// The field type's span, for errors about the type.
    pub span: Span,
}

pub struct Input<'a> {
    pub ident: &'a Ident,
    pub generics: &'a syn::Generics,
    pub attrs: ContainerAttrs,
    pub fields: Vec<Field<'a>>,
}

impl<'a> Input<'a> {
    /// Parses a struct; enums and unions are reported.
    pub fn from_syn(input: &'a DeriveInput, errors: &mut Errors) -> Option<Input<'a>> {
        let attrs = attr::container(&input.attrs, errors);
        let fields = match &input.data {
            Data::Struct(s) => &s.fields,
            Data::Enum(e) => {
                errors.error(
                    e.enum_token.span,
                    "#[derive(Module)] supports structs only, not enums: a module has a fixed set of parameters and children",
                );
                return None;
            }
            Data::Union(u) => {
                errors.error(
                    u.union_token.span,
                    "#[derive(Module)] supports structs only, not unions",
                );
                return None;
            }
        };
        let fields = match fields {
            Fields::Named(named) => named.named.iter().collect::<Vec<_>>(),
            Fields::Unnamed(unnamed) => unnamed.unnamed.iter().collect(),
            Fields::Unit => Vec::new(),
        };
        let fields = fields
            .into_iter()
            .enumerate()
            .map(|(i, f)| Field::from_syn(i, f, errors))
            .collect();
        Some(Input {
            ident: &input.ident,
            generics: &input.generics,
            attrs,
            fields,
        })
    }
}

impl<'a> Field<'a> {
    fn from_syn(index: usize, field: &'a syn::Field, errors: &mut Errors) -> Field<'a> {
        let attrs = attr::field(&field.attrs, errors);
        let (member, default_name) = match &field.ident {
            Some(ident) => (Member::Named(ident.clone()), unraw(ident)),
            None => (Member::Unnamed(index.into()), index.to_string()),
        };
        let (name, name_span) = match &attrs.rename {
            Some(r) => (r.value.clone(), r.span),
            None => (
                default_name,
                field
                    .ident
                    .as_ref()
                    .map_or_else(|| field.ty.span(), Ident::span),
            ),
        };
        let ty = &field.ty;
        let option_inner = option_inner(ty);
        let inner = option_inner.unwrap_or(ty);
        let kind = classify(ty, option_inner, &attrs);
        Field {
            member,
            name,
            name_span,
            ty,
            inner,
            attrs,
            kind,
            span: field.ty.span(),
        }
    }
}

fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#")
        .map_or_else(|| s.clone(), str::to_owned)
}

/// The kind implied by the type and attributes (conflicts are checked in `check`).
fn classify(ty: &Type, option_inner: Option<&Type>, attrs: &FieldAttrs) -> Kind {
    if attrs.skip.is_some() {
        return Kind::Skip;
    }
    if attrs.training.is_some() {
        return Kind::Training;
    }
    if attrs.buffer.is_some() {
        return match option_inner {
            Some(inner) if last_ident_is(inner, "Tensor") => Kind::OptionBuffer,
            None if last_ident_is(ty, "Tensor") => Kind::Buffer,
            _ => Kind::Invalid,
        };
    }
    match option_inner {
        Some(inner) if last_ident_is(inner, "Parameter") => Kind::OptionParameter,
        Some(inner) if is_plain_state(inner) => Kind::Invalid,
        Some(_) => Kind::OptionChild,
        None if last_ident_is(ty, "Parameter") => Kind::Parameter,
        None if is_plain_state(ty) => Kind::Invalid,
        None => Kind::Child,
    }
}

/// `T` for `Option<T>` (also `std::option::Option<T>`).
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(TypePath { qself: None, path }) = ty else {
        return None;
    };
    let last = path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

pub fn last_ident_is(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(TypePath { qself: None, path }) => path
            .segments
            .last()
            .is_some_and(|s| s.ident == name && s.arguments.is_none()),
        _ => false,
    }
}

/// Types that are never modules: tensors without `buffer`, numbers, strings, references.
pub fn is_plain_state(ty: &Type) -> bool {
    const PLAIN: &[&str] = &[
        "Tensor", "bool", "char", "str", "String", "u8", "u16", "u32", "u64", "u128", "usize",
        "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64",
    ];
    match ty {
        Type::Path(_) => PLAIN.iter().any(|n| last_ident_is(ty, n)),
        Type::Reference(_) | Type::Ptr(_) | Type::Tuple(_) | Type::Array(_) | Type::Slice(_) => {
            true
        }
        _ => false,
    }
}
