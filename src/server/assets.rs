//! The site: the wasm bundle, its JS glue, the CSS and the public files. A release build carries them
//! inside the binary (build.rs, memory-serve): precompressed with brotli and gzip, served with `ETag`
//! (and 304 for `If-None-Match`), and each also under a name with its content hash, cached as
//! `immutable`; the pages load those, except the JS glue (see `load`). `LEPTOS_SITE_ROOT`, when set, serves a folder instead (for
//! development, or a build that embedded nothing).

use axum::Router;
use memory_serve::CacheControl;
use tracing::info;

use crate::app::AssetPaths;

/// Where the pages load their assets from, and the router that serves them (none: from disk).
pub struct Site<S> {
    pub paths: AssetPaths,
    pub router: Option<Router<S>>,
}

/// The embedded site, unless `LEPTOS_SITE_ROOT` is set or nothing was embedded.
pub fn load<S: Clone + Send + Sync + 'static>(site_root_override: bool) -> Site<S> {
    let from_disk = Site {
        paths: AssetPaths::default(),
        router: None,
    };
    if site_root_override {
        info!("serving the site from LEPTOS_SITE_ROOT");
        return from_disk;
    }
    let serve = memory_serve::load!()
        .enable_hashed_routes(true)
        // Plain names are revalidated with their ETag; hashed ones are immutable.
        .cache_control(CacheControl::NoCache)
        .index_file(None);
    let manifest = serve.manifest();
    let defaults = AssetPaths::default();
    if manifest.get(&defaults.js).is_none() {
        info!("no site embedded in this build; serving it from LEPTOS_SITE_ROOT or target/site");
        return from_disk;
    }
    let hashed = |plain: &str| manifest.get(plain).unwrap_or(plain).to_owned();
    let paths = AssetPaths {
        // The JS glue keeps its plain name (revalidated with its ETag): the loader of the lazily
        // loaded pages, `__wasm_split.js`, imports it as `./livecheck.js`, and a second name would
        // be a second instance of the module, without the running wasm.
        js: defaults.js.clone(),
        wasm: hashed(&defaults.wasm),
        css: hashed(&defaults.css),
        favicon: hashed(&defaults.favicon),
    };
    info!(js = %paths.js, wasm = %paths.wasm, "serving the embedded site");
    Site {
        paths,
        router: Some(serve.into_router()),
    }
}
