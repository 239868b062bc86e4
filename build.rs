//! Embeds the site (wasm bundle, JS glue, CSS, public files) into the server build, precompressed
//! with brotli and gzip (memory-serve), so a deployment is one file. `./run build` writes the site to
//! `target/site` before it builds the server; a server built without it (clippy, a bare `cargo
//! build`) embeds nothing and reads `LEPTOS_SITE_ROOT` at run time instead.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    // sqlx::migrate! embeds the migrations: a new one must rebuild the server.
    println!("cargo::rerun-if-changed=migrations");
    // Only the server embeds the site; the wasm build is the site.
    if std::env::var_os("CARGO_FEATURE_SSR").is_none() {
        return;
    }
    let site = std::path::Path::new("target/site");
    if let Err(e) = std::fs::create_dir_all(site) {
        println!("cargo::warning=cannot create {}: {e}", site.display());
        return;
    }
    // Embedded in release builds; a debug build reads the files when they are asked for.
    memory_serve::load_directory(site);
}
