//! Embeds the softphone bundle (`static/softphone.js`, built from web/src by
//! `npm run --prefix web build`, which `make run` and `make test` do) so that a deployment is
//! one file. Without it the crate still builds, and `/static/softphone.js` says in the
//! browser's console and on the phone page how to build it.

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let static_dir = manifest.join("../../static");
    println!("cargo:rerun-if-changed={}", static_dir.display());
    let bundle = static_dir.join("softphone.js");
    println!("cargo:rerun-if-changed={}", bundle.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let built = std::fs::read(&bundle).ok();
    let contents = built.clone().unwrap_or_else(|| MISSING.as_bytes().to_vec());
    write(&out.join("softphone.js"), &contents);
    println!("cargo:rustc-check-cfg=cfg(softphone_bundle)");
    if built.is_some() {
        println!("cargo:rustc-cfg=softphone_bundle");
    }
}

/// What the page runs when the bundle was not built: a visible, actionable error.
const MISSING: &str = "document.addEventListener('DOMContentLoaded',function(){var e=document.getElementById('phone-error')||document.body;var p=document.createElement('p');p.className='error';p.textContent='The softphone was not built into this server: run \"make run\" (or npm ci --prefix web && npm run --prefix web build, then rebuild).';e.appendChild(p);});console.error('softphone bundle missing: build it with npm run --prefix web build');\n";

fn write(path: &Path, contents: &[u8]) {
    if std::fs::read(path).ok().as_deref() != Some(contents)
        && let Err(e) = std::fs::write(path, contents)
    {
        println!("cargo:warning=cannot write {}: {e}", path.display());
    }
}
