//! TLS material for the SIP TLS and HTTPS listeners. When the operator configured no
//! certificate, a self-signed one is made on first start under `<data_dir>/tls/` and reused on
//! every later start, so clients that chose to trust it keep trusting it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::{Config, TlsFiles};

/// Server configurations built from one certificate.
pub struct TlsMaterial {
    /// For SIP over TLS (no ALPN: SIP defines none).
    pub sip: Arc<ServerConfig>,
    /// For the HTTPS listener (ALPN `http/1.1`, the only HTTP version served).
    pub https: Arc<ServerConfig>,
    pub cert_path: PathBuf,
    /// True when this start created the certificate.
    pub generated: bool,
}

/// The PEM paths used when none are configured.
pub fn generated_paths(data_dir: &Path) -> TlsFiles {
    let dir = data_dir.join("tls");
    TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    }
}

pub fn load_or_generate(config: &Config) -> anyhow::Result<TlsMaterial> {
    let (files, generated) = match &config.tls {
        Some(files) => (files.clone(), false),
        None => {
            let files = generated_paths(&config.data_dir);
            let generated = if files.cert.exists() && files.key.exists() {
                false
            } else {
                generate(&files, &config.domain)?;
                true
            };
            (files, generated)
        }
    };
    let certs = read_certs(&files.cert)?;
    let key = read_key(&files.key)?;
    let sip = server_config(certs.clone(), key.clone_key(), Vec::new())?;
    let https = server_config(certs, key, vec![b"http/1.1".to_vec()])?;
    Ok(TlsMaterial {
        sip,
        https,
        cert_path: files.cert,
        generated,
    })
}

fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    alpn: Vec<Vec<u8>>,
) -> anyhow::Result<Arc<ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("TLS certificate and key do not match")?;
    config.alpn_protocols = alpn;
    Ok(Arc::new(config))
}

/// A self-signed certificate for the configured domain plus the loopback names, so local
/// clients and tests can verify it once they trust it.
fn generate(files: &TlsFiles, domain: &str) -> anyhow::Result<()> {
    let mut names = vec![domain.to_owned()];
    for extra in ["localhost", "127.0.0.1", "::1"] {
        if !names.iter().any(|n| n == extra) {
            names.push(extra.to_owned());
        }
    }
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|e| anyhow!("generating a self-signed certificate: {e}"))?;
    if let Some(dir) = files.cert.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    write_private(&files.key, certified.signing_key.serialize_pem().as_bytes())?;
    std::fs::write(&files.cert, certified.cert.pem())
        .with_context(|| format!("writing {}", files.cert.display()))?;
    Ok(())
}

/// Writes the private key readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn read_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: not a PEM certificate file", path.display()))?;
    if certs.is_empty() {
        return Err(anyhow!("{}: no certificate in it", path.display()));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let pem = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .with_context(|| format!("{}: not a PEM key file", path.display()))?
        .ok_or_else(|| anyhow!("{}: no private key in it", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_then_reuses() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut config = Config::defaults().unwrap_or_else(|e| panic!("{e}"));
        config.data_dir = dir.path().to_path_buf();
        let first = load_or_generate(&config).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(first.generated);
        let pem = std::fs::read(&first.cert_path).unwrap_or_default();
        let second = load_or_generate(&config).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(!second.generated);
        assert_eq!(std::fs::read(&second.cert_path).unwrap_or_default(), pem);
        assert_eq!(second.https.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn configured_files_are_used_as_they_are() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let files = TlsFiles {
            cert: dir.path().join("c.pem"),
            key: dir.path().join("k.pem"),
        };
        generate(&files, "pbx.example.com").unwrap_or_else(|e| panic!("{e:#}"));
        let mut config = Config::defaults().unwrap_or_else(|e| panic!("{e}"));
        config.data_dir = dir.path().join("data");
        config.tls = Some(files.clone());
        let m = load_or_generate(&config).unwrap_or_else(|e| panic!("{e:#}"));
        assert!(!m.generated);
        assert_eq!(m.cert_path, files.cert);
        assert!(!config.data_dir.join("tls").exists(), "nothing generated");
    }

    #[test]
    fn configured_files_that_are_missing_are_an_error() {
        let mut config = Config::defaults().unwrap_or_else(|e| panic!("{e}"));
        config.tls = Some(TlsFiles {
            cert: "/nonexistent/c.pem".into(),
            key: "/nonexistent/k.pem".into(),
        });
        let err = load_or_generate(&config)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("/nonexistent/c.pem"), "{err}");
    }
}
