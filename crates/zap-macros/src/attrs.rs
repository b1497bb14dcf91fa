//! Parsing `#[event(...)]` and finding the path of the protocol crate.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{DeriveInput, Ident, LitStr, Path, Type};

/// What `#[event(...)]` said.
pub(crate) struct EventAttrs {
    pub(crate) name: LitStr,
    pub(crate) response: Option<Type>,
    pub(crate) krate: Option<Path>,
}

impl EventAttrs {
    pub(crate) fn parse(input: &DeriveInput) -> syn::Result<Self> {
        let mut name = None;
        let mut response = None;
        let mut krate = None;
        for attr in input
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("event"))
        {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("name") {
                    let value: LitStr = meta.value()?.parse()?;
                    if value.value().is_empty() {
                        return Err(meta.error("the event name must not be empty"));
                    }
                    name = Some(value);
                } else if meta.path.is_ident("response") {
                    response = Some(meta.value()?.parse()?);
                } else if meta.path.is_ident("crate") {
                    let value: LitStr = meta.value()?.parse()?;
                    krate = Some(value.parse()?);
                } else {
                    return Err(meta.error("expected `name`, `response` or `crate`"));
                }
                Ok(())
            })?;
        }
        let name = name.ok_or_else(|| {
            syn::Error::new_spanned(
                &input.ident,
                "missing `#[event(name = \"...\")]`: a typed event needs its wire name",
            )
        })?;
        Ok(EventAttrs {
            name,
            response,
            krate,
        })
    }
}

/// The path of `zap_protocol` as the deriving crate sees it: through
/// `zap-core` or `zap-client` (which re-export it) or directly.
pub(crate) fn protocol_path() -> TokenStream {
    for (package, reexport) in [
        ("zap-core", Some("protocol")),
        ("zap-client", Some("protocol")),
        ("zap-protocol", None),
    ] {
        // Inside the crate itself (its doc tests and integration tests
        // included) the name also resolves: zap-core and zap-client declare
        // `extern crate self as …`.
        let name = match crate_name(package) {
            Ok(FoundCrate::Itself) => package.replace('-', "_"),
            Ok(FoundCrate::Name(name)) => name,
            Err(_) => continue,
        };
        let name = Ident::new(&name, Span::call_site());
        let path = match reexport {
            Some(module) => {
                let module = Ident::new(module, Span::call_site());
                quote!(::#name::#module)
            }
            None => quote!(::#name),
        };
        return path;
    }
    quote!(::zap_protocol)
}
