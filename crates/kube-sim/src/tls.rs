//! A generated certificate authority and server certificate for HTTPS.

use std::net::IpAddr;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA and the leaf certificate the server presents.
pub struct Certs {
    /// PEM of the CA certificate (what clients trust).
    pub ca_pem: String,
    /// rustls server configuration using the leaf certificate.
    pub server_config: Arc<rustls::ServerConfig>,
}

/// Generates a CA and a leaf for `localhost`, 127.0.0.1, ::1, `ip` and the
/// further addresses and names in `sans` (as k3s's `tls-san`). With
/// `ca_key_file`, the CA's key is kept there (mode 0600) and reused at the
/// next start, so clients that trust the CA keep trusting the server across
/// restarts, as with a real cluster's CA.
pub fn generate(
    ip: IpAddr,
    sans: &[String],
    ca_key_file: Option<&std::path::Path>,
) -> anyhow::Result<Certs> {
    let ca_key = match ca_key_file {
        Some(path) if path.exists() => KeyPair::from_pem(&std::fs::read_to_string(path)?)?,
        Some(path) => {
            let key = KeyPair::generate()?;
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(path)?
                .write_all(key.serialize_pem().as_bytes())?;
            key
        }
        None => KeyPair::generate()?,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "kube-sim-ca");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);

    let leaf_key = KeyPair::generate()?;
    let mut names = vec![
        "localhost".to_string(),
        "kubernetes.default.svc".to_string(),
    ];
    let mut ips: Vec<IpAddr> = vec!["127.0.0.1".parse()?, "::1".parse()?];
    for san in sans {
        match san.parse::<IpAddr>() {
            Ok(a) if !ips.contains(&a) => ips.push(a),
            Ok(_) => {}
            Err(_) if !names.contains(san) => names.push(san.clone()),
            Err(_) => {}
        }
    }
    let mut leaf_params = CertificateParams::new(names)?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    if !ip.is_unspecified() && !ips.contains(&ip) {
        ips.push(ip);
    }
    for ip in ips {
        leaf_params.subject_alt_names.push(SanType::IpAddress(ip));
    }
    leaf_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf_params.signed_by(&leaf_key, &issuer)?;

    let chain = vec![
        CertificateDer::from(leaf.der().to_vec()),
        CertificateDer::from(ca_cert.der().to_vec()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Certs {
        ca_pem: ca_cert.pem(),
        server_config: Arc::new(config),
    })
}
