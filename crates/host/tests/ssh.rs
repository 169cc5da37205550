//! The SSH transport against real sshd nodes: host key checks, key types,
//! quoting, sudo, transfers and jump hosts.

mod common;

use common::{quick, rt, target};
use strata_host::{fingerprint, Session, SshError};
use strata_testbed::fleet;

#[test]
fn a_changed_host_key_is_refused_naming_both_fingerprints() {
    let Some(f) = fleet(1) else { return };
    rt().block_on(async {
        let first = Session::connect(&target(&f, 0, "root"), &quick())
            .await
            .unwrap();
        let recorded = first.host_key_fingerprint().to_string();
        assert!(recorded.starts_with("SHA256:"), "{recorded}");
        drop(first);
        // The recorded key is accepted again...
        let mut t = target(&f, 0, "root");
        t.host_key.recorded = Some(recorded.clone());
        Session::connect(&t, &quick()).await.unwrap();
        // ...until the node gets new host keys.
        f.exec(
            0,
            "rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && systemctl restart ssh",
        )
        .unwrap();
        f.wait_ssh(0, std::time::Duration::from_secs(30)).unwrap();
        let err = Session::connect(&t, &quick()).await.unwrap_err();
        let now = f
            .exec(
                0,
                "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f2",
            )
            .unwrap();
        let SshError::HostKeyChanged {
            expected, observed, ..
        } = &err
        else {
            panic!("expected a host key error, got {err}");
        };
        assert_eq!(expected, &recorded);
        assert_eq!(observed, &now);
        let msg = err.to_string();
        assert!(msg.contains(&recorded) && msg.contains(&now), "{msg}");
        assert!(!err.retryable());
        // A pinned key that is not the node's is refused the same way.
        let mut pinned = target(&f, 0, "root");
        pinned.host_key.pinned = Some(recorded.clone());
        let msg = Session::connect(&pinned, &quick())
            .await
            .unwrap_err()
            .to_string();
        assert!(msg.contains("pinned") && msg.contains(&now), "{msg}");
        // And the node's real key, pinned as an OpenSSH line, is accepted.
        pinned.host_key.pinned = Some(f.exec(0, "cat /etc/ssh/ssh_host_ed25519_key.pub").unwrap());
        Session::connect(&pinned, &quick()).await.unwrap();
    });
}

#[test]
fn known_hosts_is_honoured() {
    let Some(f) = fleet(1) else { return };
    let port = f.nodes()[0].ssh_port;
    let line = f.exec(0, "cat /etc/ssh/ssh_host_ed25519_key.pub").unwrap();
    let file = f.scratch().join("known_hosts");
    rt().block_on(async {
        let mut t = target(&f, 0, "root");
        t.host_key.known_hosts = Some(file.clone());
        std::fs::write(&file, "").unwrap();
        let e = Session::connect(&t, &quick()).await.unwrap_err();
        assert!(matches!(e, SshError::HostKeyUnknown { .. }), "{e}");
        std::fs::write(&file, format!("[127.0.0.1]:{port} {line}\n")).unwrap();
        Session::connect(&t, &quick()).await.unwrap();
        let other =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGIVQI/APSK8rtosRkSfvceNIUCJdUStla2flXFUEXNe";
        std::fs::write(&file, format!("[127.0.0.1]:{port} {other}\n")).unwrap();
        let e = Session::connect(&t, &quick()).await.unwrap_err();
        assert!(matches!(e, SshError::HostKeyChanged { .. }), "{e}");
    });
}

#[test]
fn a_wrong_key_gives_a_clear_authentication_error() {
    let Some(f) = fleet(1) else { return };
    let other = f.scratch().join("other_ed25519");
    let ok = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap();
    assert!(ok.success());
    let mut t = target(&f, 0, "root");
    t.key = Some(other.clone());
    let e = rt().block_on(Session::connect(&t, &quick())).unwrap_err();
    let fp = fingerprint(strata_host::load_key(&other, None).unwrap().public_key());
    let SshError::Auth {
        ref user,
        ref tried,
        ..
    } = e
    else {
        panic!("expected an authentication error, got {e}");
    };
    assert_eq!(user, "root");
    assert!(tried.contains(&fp), "{tried}");
    let msg = e.to_string();
    assert!(
        msg.contains("authentication as root") && msg.contains("authorized_keys"),
        "{msg}"
    );
    assert!(!e.retryable(), "a refused key must not be retried");
}

#[test]
fn rsa_and_ecdsa_keys_with_a_passphrase_from_the_environment() {
    let Some(f) = fleet(1) else { return };
    for (kind, var) in [
        ("rsa", "STRATA_TEST_RSA_PASS"),
        ("ecdsa", "STRATA_TEST_ECDSA_PASS"),
    ] {
        let key = f.scratch().join(format!("id_{kind}"));
        let ok = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", "s3cret passphrase", "-f"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(ok.success());
        let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        f.exec(
            0,
            &format!("echo '{}' >> /root/.ssh/authorized_keys", public.trim()),
        )
        .unwrap();
        let mut t = target(&f, 0, "root");
        t.key = Some(key.clone());
        t.key_passphrase_env = Some(var.into());
        // Without the variable: a message naming it.
        let e = rt()
            .block_on(Session::connect(&t, &quick()))
            .unwrap_err()
            .to_string();
        assert!(e.contains(var), "{e}");
        std::env::set_var(var, "s3cret passphrase");
        let out = rt()
            .block_on(async {
                Session::connect(&t, &quick())
                    .await?
                    .run(&["id", "-u"])
                    .await
            })
            .unwrap();
        assert_eq!(out.stdout_text().trim(), "0", "{kind}");
        std::env::set_var(var, "wrong");
        let e = rt()
            .block_on(Session::connect(&t, &quick()))
            .unwrap_err()
            .to_string();
        assert!(e.contains(&key.display().to_string()), "{kind}: {e}");
    }
}

const NASTY: &str = "it's \"quoted\" $(touch /tmp/pwned) `touch /tmp/pwned2` $HOME \\ ; | & * ~\nsecond line\n\ttab é";

#[test]
fn arguments_reach_the_node_unchanged_as_root_and_through_sudo() {
    let Some(f) = fleet(1) else { return };
    rt().block_on(async {
        for user in ["root", strata_testbed::SUDO_USER] {
            let s = Session::connect(&target(&f, 0, user), &quick())
                .await
                .unwrap();
            assert_eq!(s.uses_sudo(), user != "root");
            let out = s.run(&["printf", "%s", NASTY]).await.unwrap();
            assert_eq!(out.stdout_text(), NASTY, "as {user}");
            // Commands run as root either way.
            let id = s.run(&["id", "-un"]).await.unwrap();
            assert_eq!(id.stdout_text().trim(), "root", "as {user}");
            // An upload to a path with spaces and quotes, read back by SHA-256.
            let path = format!("/tmp/strata dir/it's {user}.txt");
            s.upload(NASTY.as_bytes(), &path, 0o640).await.unwrap();
            assert_eq!(s.download(&path).await.unwrap(), NASTY.as_bytes());
            let mode = s.run(&["stat", "-c", "%a", &path]).await.unwrap();
            assert_eq!(mode.stdout_text().trim(), "640");
            // stdin passes through unchanged too.
            let echoed = s.run_with_input(&["cat"], NASTY.as_bytes()).await.unwrap();
            assert_eq!(echoed.stdout, NASTY.as_bytes());
        }
    });
    assert!(
        f.exec(
            0,
            "test ! -e /tmp/pwned && test ! -e /tmp/pwned2 && echo clean"
        )
        .unwrap()
            == "clean"
    );
}

#[test]
fn sudo_that_needs_a_password_is_reported() {
    let Some(f) = fleet(1) else { return };
    f.exec(0, "echo 'strata ALL=(ALL) ALL' > /etc/sudoers.d/strata")
        .unwrap();
    let e = rt()
        .block_on(async {
            let s = Session::connect(&target(&f, 0, "strata"), &quick())
                .await
                .unwrap();
            s.run(&["true"]).await
        })
        .unwrap_err();
    assert!(matches!(e, SshError::Sudo { .. }), "{e}");
    assert!(e.to_string().contains("NOPASSWD"), "{e}");
}

#[test]
fn a_jump_host_reaches_a_node_by_its_cluster_address() {
    let Some(f) = fleet(2) else { return };
    let behind = f.nodes()[1].clone();
    let mut t = target(&f, 1, "root");
    t.host = behind.ip.clone();
    t.port = 22;
    t.jump = Some(Box::new(target(&f, 0, "root")));
    let out = rt()
        .block_on(async {
            let s = Session::connect(&t, &quick()).await?;
            assert!(s.endpoint().contains(" via "), "{}", s.endpoint());
            s.run(&["uname", "-n"]).await
        })
        .unwrap();
    assert_eq!(out.stdout_text().trim(), behind.hostname);
}
