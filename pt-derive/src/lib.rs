use proc_macro::TokenStream;
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(_i: TokenStream) -> TokenStream {
    TokenStream::new()
}
