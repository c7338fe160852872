//! Links libbcg729 (Debian libbcg729-dev) when the `g729` feature is on.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_G729").is_some() {
        println!("cargo:rustc-link-lib=bcg729");
    }
}
