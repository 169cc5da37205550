//! Test harness for Strata: fleets of real sshd nodes in Docker containers.
//!
//! Each node runs the Debian image built by `scripts/build-node-image`
//! (debootstrap + `docker import`; no registry), with systemd as PID 1 so
//! services behave as on a real host. A [`Fleet`] creates its own Docker
//! network, starts the containers on it with sshd (and 6443, a k3s server's
//! API) published on 127.0.0.1 ports, installs a freshly generated ed25519 key for `root` and
//! for `strata` (a non-root user with password-less sudo), and removes
//! every container and the network when dropped — also when a test panics.
//!
//! ```no_run
//! let Some(fleet) = strata_testbed::fleet(3) else { return };
//! let node = &fleet.nodes()[0];
//! println!("ssh -p {} -i {} root@127.0.0.1", node.ssh_port, fleet.key_path().display());
//! ```

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The non-root user of every node (password-less sudo).
pub const SUDO_USER: &str = "strata";

/// A testbed failure (Docker missing, a container that would not start).
#[derive(Debug)]
pub struct TestbedError(pub String);

impl std::fmt::Display for TestbedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TestbedError {}

type Result<T> = std::result::Result<T, TestbedError>;

/// Runs `docker ARGS`, returning its trimmed stdout.
pub fn docker(args: &[&str]) -> Result<String> {
    docker_with_input(args, None)
}

fn docker_with_input(args: &[&str], input: Option<&[u8]>) -> Result<String> {
    let mut cmd = Command::new("docker");
    cmd.args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| TestbedError(format!("cannot run docker: {e}")))?;
    if let Some(bytes) = input {
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(bytes)
            .map_err(|e| TestbedError(format!("docker stdin: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| TestbedError(format!("docker: {e}")))?;
    if !out.status.success() {
        return Err(TestbedError(format!(
            "docker {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Why Docker cannot be used here, or `None` when it can.
pub fn docker_unavailable() -> Option<String> {
    match Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
    {
        Err(e) => Some(format!("docker is not installed ({e})")),
        Ok(o) if !o.status.success() => Some(format!(
            "the Docker daemon is not reachable: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Ok(_) => None,
    }
}

/// A fleet of `n` nodes, or `None` (with the reason printed) when Docker is
/// unavailable and `STRATA_CI` is not set. In CI (`STRATA_CI` set) a
/// missing Docker or a failing start panics: those tests must never be skipped.
pub fn fleet(n: usize) -> Option<Fleet> {
    if let Some(why) = docker_unavailable() {
        if std::env::var_os("STRATA_CI").is_some() {
            panic!("STRATA_CI is set but {why}");
        }
        eprintln!("skipping: {why} (set STRATA_CI=1 to make this an error)");
        return None;
    }
    Some(Fleet::start(n).unwrap_or_else(|e| panic!("cannot start a test fleet: {e}")))
}

/// The workspace root (where `scripts/` lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// Makes sure the node image exists (building or importing it through
/// `scripts/build-node-image`, which holds a file lock so concurrent test
/// binaries build it once) and returns its tag.
pub fn ensure_image() -> Result<String> {
    static TAG: OnceLock<std::result::Result<String, String>> = OnceLock::new();
    TAG.get_or_init(|| {
        let script = workspace_root().join("scripts/build-node-image");
        let out = Command::new(&script)
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        if !out.status.success() {
            return Err(format!("{} failed", script.display()));
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout
            .lines()
            .last()
            .map(str::to_string)
            .ok_or_else(|| "build-node-image printed no image tag".to_string())
    })
    .clone()
    .map_err(TestbedError)
}

/// One node of a fleet.
#[derive(Debug, Clone)]
pub struct Node {
    /// The container's name.
    pub container: String,
    /// Its host name (`node-1`, ...).
    pub hostname: String,
    /// Its address on the fleet's Docker network (the cluster address).
    pub ip: String,
    /// The 127.0.0.1 port sshd is published on.
    pub ssh_port: u16,
    /// The 127.0.0.1 port the node's 6443 (a k3s server's API) is published on.
    pub api_port: u16,
}

/// Running test nodes; dropping it removes them and their network.
pub struct Fleet {
    id: String,
    network: String,
    nodes: Vec<Node>,
    key_dir: tempfile::TempDir,
    image: String,
}

static FLEETS: AtomicUsize = AtomicUsize::new(0);

/// Removes containers and networks left by test processes that died
/// without unwinding (SIGKILL), recognised by their owner-pid label.
fn reap_orphans() {
    let Ok(list) = docker(&[
        "ps",
        "-a",
        "--filter",
        "label=strata-testbed.pid",
        "--format",
        "{{.ID}} {{.Label \"strata-testbed.pid\"}} {{.Label \"strata-testbed.network\"}}",
    ]) else {
        return;
    };
    for line in list.lines() {
        let mut it = line.split_whitespace();
        let (Some(id), Some(pid), net) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = docker(&["rm", "-f", id]);
            if let Some(net) = net {
                let _ = docker(&["network", "rm", net]);
            }
        }
    }
}

impl Fleet {
    /// Starts `n` nodes on a new Docker network and waits until each one's
    /// sshd answers.
    pub fn start(n: usize) -> Result<Fleet> {
        let image = ensure_image()?;
        reap_orphans();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let id = format!(
            "strata-tb-{}-{}-{:x}",
            std::process::id(),
            FLEETS.fetch_add(1, Ordering::SeqCst),
            nanos
        );
        let key_dir = tempfile::tempdir().map_err(|e| TestbedError(e.to_string()))?;
        let mut fleet = Fleet {
            network: id.clone(),
            id,
            nodes: Vec::new(),
            key_dir,
            image,
        };
        let keygen = Command::new("ssh-keygen")
            .args([
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "strata-testbed",
                "-f",
            ])
            .arg(fleet.key_path())
            .output()
            .map_err(|e| TestbedError(format!("cannot run ssh-keygen (openssh-client): {e}")))?;
        if !keygen.status.success() {
            return Err(TestbedError("ssh-keygen failed".into()));
        }
        docker(&[
            "network",
            "create",
            "--label",
            &format!("strata-testbed.pid={}", std::process::id()),
            &fleet.network,
        ])?;
        // Start the containers in parallel; each is its own docker call.
        let names: Vec<(String, String)> = (1..=n)
            .map(|i| (format!("{}-n{i}", fleet.id), format!("node-{i}")))
            .collect();
        let started: Vec<Result<Node>> = std::thread::scope(|s| {
            let handles: Vec<_> = names
                .iter()
                .map(|(c, h)| s.spawn(|| fleet.run_container(c, h)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("start thread"))
                .collect()
        });
        let mut first_error = None;
        for r in started {
            match r {
                Ok(node) => fleet.nodes.push(node),
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        for i in 0..fleet.nodes.len() {
            fleet.wait_ssh(i, Duration::from_secs(60))?;
        }
        Ok(fleet)
    }

    fn run_container(&self, container: &str, hostname: &str) -> Result<Node> {
        let r = self.run_container_inner(container, hostname);
        if r.is_err() {
            let _ = docker(&["rm", "-f", "-v", container]);
        }
        r
    }

    fn run_container_inner(&self, container: &str, hostname: &str) -> Result<Node> {
        docker(&[
            "run",
            "-d",
            "--name",
            container,
            "--hostname",
            hostname,
            "--network",
            &self.network,
            "--label",
            &format!("strata-testbed.pid={}", std::process::id()),
            "--label",
            &format!("strata-testbed.network={}", self.network),
            "--tmpfs",
            "/run",
            "--tmpfs",
            "/run/lock",
            "-v",
            "/sys/fs/cgroup:/sys/fs/cgroup:ro",
            "--stop-signal",
            "SIGRTMIN+3",
            "-p",
            "127.0.0.1::22",
            "-p",
            "127.0.0.1::6443",
            &self.image,
        ])?;
        let public = std::fs::read(self.key_path().with_extension("pub"))
            .map_err(|e| TestbedError(e.to_string()))?;
        docker_with_input(
            &["exec", "-i", container, "sh", "-c", AUTHORIZE],
            Some(&public),
        )?;
        let ssh_port = published(container, 22)?;
        let api_port = published(container, 6443)?;
        let ip = docker(&[
            "inspect",
            "-f",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            container,
        ])?;
        Ok(Node {
            container: container.to_string(),
            hostname: hostname.to_string(),
            ip,
            ssh_port,
            api_port,
        })
    }

    /// The nodes.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The Docker network's name.
    pub fn network(&self) -> &str {
        &self.network
    }

    /// The private key (ed25519, no passphrase) every node accepts for
    /// `root` and [`SUDO_USER`].
    pub fn key_path(&self) -> PathBuf {
        self.key_dir.path().join("id_ed25519")
    }

    /// A scratch directory that lives as long as the fleet.
    pub fn scratch(&self) -> &Path {
        self.key_dir.path()
    }

    /// Runs `sh -c SCRIPT` on node `i` through `docker exec` (not SSH), for
    /// tests to set up or change a node behind Strata's back.
    pub fn exec(&self, i: usize, script: &str) -> Result<String> {
        docker(&["exec", &self.nodes[i].container, "sh", "-c", script])
    }

    /// Stops node `i` (systemd shuts down; connections close).
    pub fn stop(&self, i: usize) -> Result<()> {
        docker(&["stop", "-t", "5", &self.nodes[i].container]).map(|_| ())
    }

    /// Kills node `i` at once.
    pub fn kill(&self, i: usize) -> Result<()> {
        docker(&["kill", &self.nodes[i].container]).map(|_| ())
    }

    /// Freezes node `i`: its processes stop, its connections go silent.
    pub fn pause(&self, i: usize) -> Result<()> {
        docker(&["pause", &self.nodes[i].container]).map(|_| ())
    }

    /// Thaws a paused node.
    pub fn unpause(&self, i: usize) -> Result<()> {
        docker(&["unpause", &self.nodes[i].container]).map(|_| ())
    }

    /// Starts a stopped node again and waits for sshd. The published port
    /// may change; the node's entry is updated.
    pub fn restart(&mut self, i: usize) -> Result<()> {
        let c = self.nodes[i].container.clone();
        docker(&["start", &c])?;
        self.nodes[i].ssh_port = published(&c, 22)?;
        self.nodes[i].api_port = published(&c, 6443)?;
        self.wait_ssh(i, Duration::from_secs(60))
    }

    /// Waits until node `i`'s sshd sends its banner on 127.0.0.1.
    pub fn wait_ssh(&self, i: usize, within: Duration) -> Result<()> {
        let start = Instant::now();
        let port = self.nodes[i].ssh_port;
        loop {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 8];
                if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"SSH-2.0") {
                    return Ok(());
                }
            }
            if start.elapsed() > within {
                let logs =
                    docker(&["logs", "--tail", "20", &self.nodes[i].container]).unwrap_or_default();
                return Err(TestbedError(format!(
                    "sshd of {} did not answer on 127.0.0.1:{port} within {within:?}; container log:\n{logs}",
                    self.nodes[i].container
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The 127.0.0.1 port the container's TCP `port` is published on.
fn published(container: &str, port: u16) -> Result<u16> {
    let out = docker(&["port", container, &format!("{port}/tcp")])?;
    out.lines()
        .find_map(|l| l.strip_prefix("127.0.0.1:"))
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| TestbedError(format!("unexpected docker port output: {out}")))
}

/// Installs the public key (stdin) for root and the sudo user.
const AUTHORIZE: &str = r#"set -e
key=$(cat)
for home in /root /home/strata; do
  install -d -m 700 "$home/.ssh"
  printf '%s\n' "$key" > "$home/.ssh/authorized_keys"
  chmod 600 "$home/.ssh/authorized_keys"
done
chown -R strata:strata /home/strata/.ssh"#;

impl Drop for Fleet {
    fn drop(&mut self) {
        let names: Vec<&str> = self.nodes.iter().map(|n| n.container.as_str()).collect();
        if !names.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(names);
            if let Err(e) = docker(&args) {
                eprintln!("testbed cleanup: {e}");
            }
        }
        if let Err(e) = docker(&["network", "rm", &self.network]) {
            eprintln!("testbed cleanup: {e}");
        }
    }
}
