//! `#[derive(Event)]`: gives a payload type the name of its event
//! (implements the trait `zap_protocol::TypedEvent`), and with `response = T` makes it a typed request
//! (`zap_protocol::Request`).
//!
//! ```ignore
//! #[derive(Serialize, Deserialize, JsonSchema, Event)]
//! #[event(name = "chat.history", response = History)]
//! struct HistoryQuery { room: String }
//! ```
//!
//! The generated code names the protocol crate through whichever of
//! `zap-core`, `zap-client` or `zap-protocol` the deriving crate depends on;
//! `#[event(crate = path)]` overrides it.
#![forbid(unsafe_code)]

mod attrs;

use proc_macro::TokenStream;
use quote::quote;
use syn::{DeriveInput, parse_macro_input};

/// Implements `TypedEvent` (and `Request` with `response = T`) for a type.
///
/// Attributes, in `#[event(...)]`: `name = "…"` (required), `response = Type`
/// (optional), `crate = path` (optional).
#[proc_macro_derive(Event, attributes(event))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(err) => err.to_compile_error().into(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let attrs = attrs::EventAttrs::parse(input)?;
    let krate = match attrs.krate {
        Some(path) => quote!(#path),
        None => attrs::protocol_path(),
    };
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let name = &attrs.name;
    let response = attrs.response.as_ref().map(|response| {
        quote! {
            fn response_schema(
                generator: &mut #krate::schemars::SchemaGenerator,
            ) -> ::core::option::Option<#krate::schemars::Schema> {
                ::core::option::Option::Some(
                    generator.subschema_for::<#response>(),
                )
            }
        }
    });
    let request = attrs.response.as_ref().map(|response| {
        quote! {
            impl #impl_generics #krate::Request for #ident #ty_generics #where_clause {
                type Response = #response;
            }
        }
    });
    Ok(quote! {
        impl #impl_generics #krate::TypedEvent for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
            #response
        }
        #request
    })
}
