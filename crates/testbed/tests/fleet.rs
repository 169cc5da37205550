//! The testbed itself: nodes boot systemd, answer SSH on 127.0.0.1, carry
//! the generated key, and vanish with their network when the fleet drops.

use std::time::Instant;
use strata_testbed::{docker, fleet};

#[test]
fn a_fleet_boots_real_nodes_and_cleans_up_after_itself() {
    let t = Instant::now();
    let Some(f) = fleet(2) else { return };
    eprintln!("2 nodes up (sshd answering) in {:?}", t.elapsed());
    let names: Vec<String> = f.nodes().iter().map(|n| n.container.clone()).collect();
    let network = f.network().to_string();
    for (i, n) in f.nodes().iter().enumerate() {
        assert_eq!(f.exec(i, "uname -n").unwrap(), n.hostname);
        // systemd is PID 1 and sshd runs under it.
        assert_eq!(f.exec(i, "cat /proc/1/comm").unwrap(), "systemd");
        let state = f.exec(i, "systemctl is-active ssh.service").unwrap();
        assert_eq!(state, "active");
        // The generated key is installed for root and the sudo user.
        let pubkey = std::fs::read_to_string(f.key_path().with_extension("pub")).unwrap();
        let root = f.exec(i, "cat /root/.ssh/authorized_keys").unwrap();
        let user = f.exec(i, "cat /home/strata/.ssh/authorized_keys").unwrap();
        assert_eq!(root, pubkey.trim());
        assert_eq!(user, pubkey.trim());
        assert!(n.ip.split('.').count() == 4, "{}", n.ip);
    }
    // Every node has its own host key.
    let k1 = f.exec(0, "cat /etc/ssh/ssh_host_ed25519_key.pub").unwrap();
    let k2 = f.exec(1, "cat /etc/ssh/ssh_host_ed25519_key.pub").unwrap();
    assert_ne!(k1, k2);
    drop(f);
    for n in names {
        assert!(docker(&["inspect", &n]).is_err(), "{n} still exists");
    }
    assert!(docker(&["network", "inspect", &network]).is_err());
}

#[test]
fn a_panicking_test_still_removes_its_nodes() {
    let names = std::sync::Mutex::new(Vec::new());
    let r = std::panic::catch_unwind(|| {
        let Some(f) = fleet(1) else { return };
        names
            .lock()
            .unwrap()
            .extend(f.nodes().iter().map(|n| n.container.clone()));
        panic!("a failing test");
    });
    let names = names.into_inner().unwrap();
    if names.is_empty() {
        return; // skipped: no Docker
    }
    assert!(r.is_err());
    for n in names {
        assert!(docker(&["inspect", &n]).is_err(), "{n} survived the panic");
    }
}
