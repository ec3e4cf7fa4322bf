//! `#[derive(Module)]` for `pt-nn`: parses a struct, checks its `#[module(...)]`
//! attributes and field kinds, and expands to a `Module` implementation whose visitors
//! present parameters, buffers and children in PyTorch's order.
//!
//! This crate only parses and delegates: [`ast`] builds the intermediate representation,
//! [`attr`] reads attributes, [`check`] validates, [`expand`] generates code. Errors are
//! turned into tokens in one place, here, together with a stub implementation so that a
//! mistake shows up as one error rather than a cascade.

extern crate proc_macro;

mod ast;
mod attr;
mod check;
mod expand;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `pt_nn::Module`; see the documentation of `pt_nn::Module` (re-exported as
/// `pt::nn::Module`) for the field kinds and attributes.
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input)
        .unwrap_or_else(|errors| {
            let stub = expand::stub(&input);
            let mut tokens = errors.to_compile_error();
            tokens.extend(stub);
            tokens
        })
        .into()
}
