//! Authentication through a real ssh-agent (its own test binary: it sets
//! SSH_AUTH_SOCK for the process).

mod common;

use common::{quick, rt, target};
use std::process::Command;
use strata_host::Session;
use strata_testbed::fleet;

/// Kills the agent when the test ends, however it ends.
struct Agent(u32);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.to_string()).status();
    }
}

#[test]
fn keys_held_by_the_ssh_agent_are_used_when_no_key_file_is_set() {
    let Some(f) = fleet(1) else { return };
    let sock = f.scratch().join("agent.sock");
    let out = Command::new("ssh-agent")
        .arg("-a")
        .arg(&sock)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let pid: u32 = text
        .split("SSH_AGENT_PID=")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .and_then(|s| s.parse().ok())
        .expect("ssh-agent prints its pid");
    let _agent = Agent(pid);
    std::env::set_var("SSH_AUTH_SOCK", &sock);
    let mut t = target(&f, 0, "root");
    t.key = None;
    // An empty agent: the message says so.
    let e = rt()
        .block_on(Session::connect(&t, &quick()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("ssh-add"), "{e}");
    let added = Command::new("ssh-add")
        .arg(f.key_path())
        .env("SSH_AUTH_SOCK", &sock)
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let out = rt()
        .block_on(async {
            Session::connect(&t, &quick())
                .await?
                .run(&["uname", "-n"])
                .await
        })
        .unwrap();
    assert_eq!(out.stdout_text().trim(), f.nodes()[0].hostname);
}
