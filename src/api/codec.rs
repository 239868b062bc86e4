//! The JSON the server functions answer with, read in the browser with the same JSON reader as the
//! data the server hands over with the page.
//!
//! Leptos reads a server function's answer with `serde_json::from_slice`, and a `Resource`'s value
//! that came with the page with `serde_json::from_str`: two readers, so every type a page both
//! fetches and hydrates was compiled into the wasm twice. Reading the answer as text (it is JSON,
//! so UTF-8) leaves one reader. The wire format is unchanged: `application/json`, as before.

use leptos::server_fn::{
    codec::{Post, PostUrl},
    Bytes, ContentType, Decodes, Encodes, Format, FormatType,
};
use serde::{de::DeserializeOwned, Serialize};

/// JSON, read as text.
pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        match std::str::from_utf8(&bytes) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => Err(serde::de::Error::custom("the answer is not UTF-8")),
        }
    }
}

/// Arguments as form fields (what `#[server]` takes by default), the answer as [`JsonText`].
pub type Json = Post<JsonText>;
/// The arguments' encoding, named here so each server function states both.
pub type Form = PostUrl;
