//! Code generation: the `Module` implementation, or a stub next to the errors.

use proc_macro2::TokenStream;
use proc_macro2::{Span, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{DeriveInput, Path, WherePredicate, parse_quote, parse_quote_spanned};

use crate::ast::{Field, Input, Kind};
use crate::attr::Errors;
use crate::check;

/// The default path of `pt-nn`: through the `pt` facade, which is what users depend on.
fn default_crate() -> Path {
    parse_quote!(::pt::nn)
}

pub fn derive(input: &DeriveInput) -> Result<TokenStream, syn::Error> {
    let mut errors = Errors::default();
    let parsed = Input::from_syn(input, &mut errors);
    if let Some(parsed) = &parsed {
        check::check(parsed, &mut errors);
    }
    errors.finish()?;
    let parsed = parsed.ok_or_else(|| syn::Error::new(input.ident.span(), "not a struct"))?;
    Ok(impl_module(&parsed))
}

/// An empty implementation so that one error does not cascade into "Module is not
/// implemented" everywhere the type is used.
pub fn stub(input: &DeriveInput) -> TokenStream {
    let krate = crate_path_lenient(input);
    let ident = &input.ident;
    let name = ident.to_string();
    let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
    quote! {
        #[automatically_derived]
        impl #impl_g #krate::Module for #ident #ty_g #where_c {
            fn visit<'__a>(&'__a self, _: &mut dyn #krate::Visitor<'__a>) {}
            fn visit_mut(&mut self, _: &mut dyn #krate::VisitorMut) {}
            fn type_name(&self) -> &str { #name }
        }
    }
}

/// The `crate = "..."` path if it parses, else the default (for stubs).
fn crate_path_lenient(input: &DeriveInput) -> Path {
    let mut errors = Errors::default();
    crate::attr::container(&input.attrs, &mut errors)
        .krate
        .unwrap_or_else(default_crate)
}

fn impl_module(input: &Input<'_>) -> TokenStream {
    let krate = input.attrs.krate.clone().unwrap_or_else(default_crate);
    let ident = input.ident;
    let name = input
        .attrs
        .name
        .as_ref()
        .map_or_else(|| ident.to_string(), |n| n.value.clone());

    let mut generics = input.generics.clone();
    {
        let where_clause = generics.make_where_clause();
        for f in &input.fields {
            // Every child type gets a bound spanned at the field, so a type that is not a
            // module is reported once, there (and generic ones get the bound they need).
            if matches!(f.kind, Kind::Child | Kind::OptionChild) {
                let ty = f.inner;
                let module = respan(quote!(#krate::Module), ty.span());
                let pred: WherePredicate = parse_quote_spanned!(ty.span()=> #ty: #module);
                where_clause.predicates.push(pred);
            }
        }
    }
    let (impl_g, ty_g, where_c) = generics.split_for_impl();

    let by_kind = |kinds: &[Kind]| {
        input
            .fields
            .iter()
            .filter(move |f| kinds.contains(&f.kind))
            .collect::<Vec<_>>()
    };
    let params_f = by_kind(&[Kind::Parameter, Kind::OptionParameter]);
    let buffers_f = by_kind(&[Kind::Buffer, Kind::OptionBuffer]);
    let children_f = by_kind(&[Kind::Child, Kind::OptionChild]);

    let visit: Vec<TokenStream> = params_f
        .iter()
        .chain(&buffers_f)
        .chain(&children_f)
        .map(|f| visit_field(f, &krate, false))
        .collect();
    let visit_mut: Vec<TokenStream> = params_f
        .iter()
        .chain(&buffers_f)
        .chain(&children_f)
        .map(|f| visit_field(f, &krate, true))
        .collect();

    let version = input.attrs.version.as_ref().map(|v| {
        let v = v.value;
        quote! { fn version(&self) -> i64 { #v } }
    });
    let extra_repr = input.attrs.extra_repr.as_ref().map(|path| {
        quote! {
            fn extra_repr(&self) -> ::std::string::String { #path(self) }
        }
    });
    let training = input
        .fields
        .iter()
        .find(|f| f.kind == Kind::Training)
        .map(|f| {
            let m = &f.member;
            quote! {
                fn own_training(&self) -> ::core::option::Option<bool> {
                    ::core::option::Option::Some(self.#m)
                }
                fn set_own_training(&mut self, training: bool) { self.#m = training; }
            }
        });
    let display = input.attrs.display.map(|_| {
        quote! {
            #[automatically_derived]
            impl #impl_g ::core::fmt::Display for #ident #ty_g #where_c {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    #krate::Module::fmt_repr(self, f)
                }
            }
        }
    });

    quote! {
        #[automatically_derived]
        impl #impl_g #krate::Module for #ident #ty_g #where_c {
            fn visit<'__a>(&'__a self, __visitor: &mut dyn #krate::Visitor<'__a>) {
                #(#visit)*
            }
            fn visit_mut(&mut self, __visitor: &mut dyn #krate::VisitorMut) {
                #(#visit_mut)*
            }
            fn type_name(&self) -> &str { #name }
            #version
            #extra_repr
            #training
        }
        #display
    }
}

/// One visitor call for a field; the helper call carries the field type's span so that a
/// wrong type is reported at the field.
fn visit_field(f: &Field<'_>, krate: &Path, mutable: bool) -> TokenStream {
    let m = &f.member;
    let name = &f.name;
    let span = f.ty.span();
    let (r, as_fn, some) = if mutable {
        (
            quote!(&mut),
            "mut",
            quote!(::core::option::Option::Some(__x)),
        )
    } else {
        (quote!(&), "ref", quote!(::core::option::Option::Some(__x)))
    };
    let helper = |what: &str| format_ident!("{what}_{as_fn}");
    let persistent = f.attrs.persistent.as_ref().is_none_or(|p| p.value);
    let p = quote!(#krate::__private);
    match f.kind {
        Kind::Parameter => {
            let h = helper("parameter");
            quote_spanned!(span=> __visitor.parameter(#name, #p::#h(#r self.#m));)
        }
        Kind::OptionParameter => {
            let h = helper("parameter");
            quote_spanned!(span=> if let #some = #r self.#m { __visitor.parameter(#name, #p::#h(__x)); })
        }
        Kind::Buffer => {
            let h = helper("buffer");
            quote_spanned!(span=> __visitor.buffer(#name, #p::#h(#r self.#m), #persistent);)
        }
        Kind::OptionBuffer => {
            let h = helper("buffer");
            quote_spanned!(span=> if let #some = #r self.#m { __visitor.buffer(#name, #p::#h(__x), #persistent); })
        }
        Kind::Child => {
            let h = helper("module");
            quote_spanned!(span=> __visitor.child(#name, #p::#h(#r self.#m));)
        }
        Kind::OptionChild => {
            let h = helper("module");
            quote_spanned!(span=> if let #some = #r self.#m { __visitor.child(#name, #p::#h(__x)); })
        }
        Kind::Training | Kind::Skip | Kind::Invalid => TokenStream::new(),
    }
}

/// `tokens` with every span set to `span`, so errors about them point there.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let TokenTree::Group(g) = &t {
                let mut ng = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                ng.set_span(span);
                t = TokenTree::Group(ng);
            } else {
                t.set_span(span);
            }
            t
        })
        .collect()
}
