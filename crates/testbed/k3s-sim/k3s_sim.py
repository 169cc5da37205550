#!/usr/bin/env python3
"""A SIMULATION of the k3s binary, for Strata's testbed (not k3s).

It follows k3s's command-line and file interface closely enough for Strata's
k3s phases to be tested on Docker nodes without the real binary:

  k3s server  reads /etc/rancher/k3s/config.yaml (or K3S_CONFIG_FILE) and its
              flags; the cluster-init server runs kube-sim (the Kubernetes API
              emulator) on port 6443, writes /etc/rancher/k3s/k3s.yaml and the
              token to /var/lib/rancher/k3s/server/token and node-token.
              A server with `server: URL` joins that cluster: it registers its
              Node (control-plane, etcd) through the API with the token. The
              simulation has one API server, the cluster-init server's.
  k3s agent   registers its Node with the server's API (K3S_URL / `server`)
              using the token (K3S_TOKEN / `token`) and keeps it Ready.
  k3s kubectl get node[s] [NAME] -o json | label node NAME K=V... [--overwrite]
              | delete node NAME [--ignore-not-found] | get --raw PATH,
              against /etc/rancher/k3s/k3s.yaml.

The token is the API's bearer token (real k3s uses it to bootstrap
certificates). Joining nodes do not verify the server certificate (real k3s
pins the CA through the token's hash).
"""

import base64
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

VERSION = os.environ.get("K3S_SIM_VERSION", "v0.0.0+k3s1")
DATA = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVER_DIR = "/var/lib/rancher/k3s/server"
KUBECONFIG = "/etc/rancher/k3s/k3s.yaml"
STOP = False


def log(msg):
    sys.stderr.write("k3s-sim: %s\n" % msg)
    sys.stderr.flush()


def event(what):
    """Appends to the log tests read to see what happened in which order."""
    try:
        with open("/var/log/k3s-sim-events.log", "a") as f:
            f.write("%d %s\n" % (time.time_ns(), what))
    except OSError:
        pass


# --- configuration ----------------------------------------------------------


def scalar(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        inner = text[1:-1]
        return inner.replace("''", "'") if text[0] == "'" else json.loads(text)
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        return text


def parse_yaml(text):
    """The subset of YAML k3s config files use: top-level keys with scalars
    or block lists of scalars."""
    out, key = {}, None
    for raw in text.splitlines():
        line = raw.split(" #")[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#") or line == "---":
            continue
        stripped = line.lstrip()
        if stripped.startswith("- ") and key is not None:
            if not isinstance(out.get(key), list):
                out[key] = []
            out[key].append(scalar(stripped[2:]))
            continue
        if line[0] != " " and ":" in line:
            k, _, v = line.partition(":")
            key = k.strip()
            out[key] = scalar(v) if v.strip() else []
    return out


def settings(args):
    """config file overlaid with --flags (lists append, as in k3s)."""
    path = os.environ.get("K3S_CONFIG_FILE", "/etc/rancher/k3s/config.yaml")
    cfg = {}
    if os.path.exists(path):
        with open(path) as f:
            cfg = parse_yaml(f.read())
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            if not eq:
                if i + 1 < len(args) and not args[i + 1].startswith("--"):
                    value = args[i + 1]
                    i += 1
                else:
                    value = True
            if name in ("node-label", "node-taint", "tls-san", "disable"):
                cfg.setdefault(name, [])
                cfg[name].append(value)
            else:
                cfg[name] = value
        i += 1
    env = {"K3S_URL": "server", "K3S_TOKEN": "token", "K3S_NODE_NAME": "node-name"}
    for var, key in env.items():
        if os.environ.get(var) and key not in cfg:
            cfg[key] = os.environ[var]
    cfg.setdefault("node-name", os.uname().nodename)
    return cfg


def bearer(token):
    """The secret of a `K10<hash>::server:<secret>` token, or the token."""
    return token.split("::server:", 1)[1] if "::server:" in token else token


# --- the API ----------------------------------------------------------------


class Api:
    def __init__(self, url, token, cafile=None):
        self.url = url.rstrip("/")
        self.token = token
        if cafile:
            self.ctx = ssl.create_default_context(cafile=cafile)
        else:
            self.ctx = ssl.create_default_context()
            self.ctx.check_hostname = False
            self.ctx.verify_mode = ssl.CERT_NONE

    def call(self, method, path, body=None, ctype="application/json"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, (e.read() or b"").decode(errors="replace")

    def merge(self, path, body):
        return self.call("PATCH", path, body, "application/merge-patch+json")


def node_object(cfg, server_role):
    name = cfg["node-name"]
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": "k3s",
    }
    if server_role:
        labels["node-role.kubernetes.io/control-plane"] = "true"
        labels["node-role.kubernetes.io/etcd"] = "true"
    for item in cfg.get("node-label") or []:
        k, _, v = str(item).partition("=")
        labels[k] = v
    taints = []
    for item in cfg.get("node-taint") or []:
        kv, _, effect = str(item).rpartition(":")
        k, _, v = kv.partition("=")
        t = {"key": k, "effect": effect}
        if v:
            t["value"] = v
        taints.append(t)
    spec = {"taints": taints} if taints else {}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
    }


def node_status(cfg):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    addresses = [{"type": "Hostname", "address": cfg["node-name"]}]
    if cfg.get("node-ip"):
        addresses.insert(0, {"type": "InternalIP", "address": str(cfg["node-ip"])})
    return {
        "status": {
            "capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
            "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
            "addresses": addresses,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": now,
                }
            ],
            "nodeInfo": {
                "kubeletVersion": VERSION,
                "kubeProxyVersion": VERSION,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        }
    }


def register(api, cfg, server_role):
    """Creates or updates this node's Node object and marks it Ready."""
    obj = node_object(cfg, server_role)
    path = "/api/v1/nodes/" + cfg["node-name"]
    code, _ = api.call("GET", path)
    if code == 404:
        code, body = api.call("POST", "/api/v1/nodes", obj)
    elif code == 200:
        code, body = api.merge(path, {"metadata": {"labels": obj["metadata"]["labels"]}, "spec": obj["spec"]})
    else:
        return code
    if code not in (200, 201):
        log("registering node %s: HTTP %s %s" % (cfg["node-name"], code, body))
        return code
    code, body = api.merge(path + "/status", node_status(cfg))
    return code


def heartbeat(api, cfg, server_role, alive=lambda: True):
    registered = False
    while not STOP and alive():
        try:
            code = register(api, cfg, server_role) if not registered else api.merge(
                "/api/v1/nodes/%s/status" % cfg["node-name"], node_status(cfg))[0]
            if code == 404:
                registered = False
            elif code in (200, 201):
                if not registered:
                    log("node %s is registered with %s" % (cfg["node-name"], api.url))
                    event("registered %s %s" % (cfg["node-name"], VERSION))
                registered = True
            elif code == 401:
                log("the server refused the token (HTTP 401)")
            else:
                registered = False
        except Exception as e:  # the server may be down or restarting
            log("cannot reach %s: %s" % (api.url, e))
            registered = False
        for _ in range(20 if registered else 4):
            if STOP or not alive():
                break
            time.sleep(0.25)


# --- files k3s writes -------------------------------------------------------


def write_file(path, text, mode):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def kubeconfig_yaml(server, ca_b64, token):
    ca = "    certificate-authority-data: %s\n" % ca_b64 if ca_b64 else "    insecure-skip-tls-verify: true\n"
    return (
        "apiVersion: v1\n"
        "clusters:\n"
        "- cluster:\n"
        + ca
        + "    server: %s\n"
        "  name: default\n"
        "contexts:\n"
        "- context:\n"
        "    cluster: default\n"
        "    user: default\n"
        "  name: default\n"
        "current-context: default\n"
        "kind: Config\n"
        "preferences: {}\n"
        "users:\n"
        "- name: default\n"
        "  user:\n"
        "    token: %s\n"
    ) % (server, token)


def kubeconfig_mode(cfg):
    mode = os.environ.get("K3S_KUBECONFIG_MODE") or cfg.get("write-kubeconfig-mode") or "0600"
    return int(str(mode), 8)


def server_token(cfg):
    path = os.path.join(SERVER_DIR, "token")
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    given = str(cfg.get("token") or "")
    if given.startswith("K10"):
        return given
    secret = given or secrets.token_hex(16)
    return "K10%s::server:%s" % (secrets.token_hex(32), secret)


# --- commands ---------------------------------------------------------------


def on_term(*_):
    global STOP
    STOP = True


def run_server(args):
    cfg = settings(args)
    if cfg.get("server") and not cfg.get("cluster-init"):
        return join(cfg, server_role=True)
    token = server_token(cfg)
    write_file(os.path.join(SERVER_DIR, "token"), token + "\n", 0o600)
    write_file(os.path.join(SERVER_DIR, "node-token"), token + "\n", 0o600)
    os.makedirs(os.path.join(SERVER_DIR, "db"), exist_ok=True)
    admin = os.path.join(SERVER_DIR, "cred", "admin.kubeconfig")
    if os.path.exists(admin):
        os.remove(admin)
    core = VERSION.lstrip("v").split("+")[0]
    cmd = [
        os.path.join(DATA, "bin", "kube-sim"),
        "--listen", "0.0.0.0:6443",
        "--token", bearer(token),
        "--state", os.path.join(SERVER_DIR, "db", "kube-sim.json"),
        "--kubeconfig-out", admin,
        "--node-name", cfg["node-name"],
        "--kubernetes-version", core,
    ]
    for san in (cfg.get("tls-san") or []) + [cfg.get("node-ip"), cfg.get("advertise-address")]:
        if san:
            cmd += ["--tls-san", str(san)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(admin) or proc.poll() is not None:
            break
        time.sleep(0.05)
    if not os.path.exists(admin):
        log("kube-sim did not start")
        proc.terminate()
        return 1
    ca = ""
    with open(admin) as f:
        for line in f:
            if "certificate-authority-data:" in line:
                ca = line.split(":", 1)[1].strip()
    write_file(
        KUBECONFIG,
        kubeconfig_yaml("https://127.0.0.1:6443", ca, bearer(token)),
        kubeconfig_mode(cfg),
    )
    cafile = os.path.join(SERVER_DIR, "tls", "server-ca.crt")
    write_file(cafile, base64.b64decode(ca).decode(), 0o644)
    api = Api("https://127.0.0.1:6443", bearer(token), cafile)
    log("k3s %s server is running (cluster-init)" % VERSION)
    heartbeat(api, cfg, True, alive=lambda: proc.poll() is None)
    if proc.poll() is None:
        proc.terminate()
        proc.wait(10)
    return 0 if STOP else (proc.returncode or 1)


def join(cfg, server_role):
    url, token = cfg.get("server"), str(cfg.get("token") or "")
    if not url or not token:
        log("a joining node needs the server URL (K3S_URL or `server`) and the token (K3S_TOKEN or `token`)")
        return 1
    api = Api(str(url), bearer(token))
    if server_role:
        write_file(os.path.join(SERVER_DIR, "token"), token + "\n", 0o600)
        write_file(KUBECONFIG, kubeconfig_yaml(str(url), "", bearer(token)), kubeconfig_mode(cfg))
    log("k3s %s %s joining %s" % (VERSION, "server" if server_role else "agent", url))
    heartbeat(api, cfg, server_role)
    return 0


def read_kubeconfig():
    path = os.environ.get("KUBECONFIG", KUBECONFIG)
    server = token = ca = None
    with open(path) as f:
        for line in f:
            s = line.strip()
            if s.startswith("server:"):
                server = s.split(":", 1)[1].strip()
            elif s.startswith("token:"):
                token = s.split(":", 1)[1].strip()
            elif s.startswith("certificate-authority-data:"):
                ca = s.split(":", 1)[1].strip()
    cafile = None
    if ca:
        cafile = "/tmp/.k3s-sim-ca-%d.crt" % os.getpid()
        with open(cafile, "w") as f:
            f.write(base64.b64decode(ca).decode())
    return Api(server, token, cafile)


def kubectl(args):
    api = read_kubeconfig()
    words = [a for a in args if not a.startswith("-")]
    if args[:2] == ["get", "--raw"] and len(args) > 2:
        code, body = api.call("GET", args[2])
    elif len(words) >= 2 and words[0] == "get" and words[1] in ("node", "nodes", "no"):
        path = "/api/v1/nodes" + ("/" + words[2] if len(words) > 2 else "")
        code, body = api.call("GET", path)
    elif len(words) >= 3 and words[0] == "label" and words[1] in ("node", "nodes", "no"):
        labels = {}
        for kv in words[3:]:
            if kv.endswith("-") and "=" not in kv:
                labels[kv[:-1]] = None
            else:
                k, _, v = kv.partition("=")
                labels[k] = v
        code, body = api.merge("/api/v1/nodes/" + words[2], {"metadata": {"labels": labels}})
        if code == 200:
            print("node/%s labeled" % words[2])
            return 0
    elif len(words) >= 3 and words[0] == "delete" and words[1] in ("node", "nodes", "no"):
        code, body = api.call("DELETE", "/api/v1/nodes/" + words[2])
        if code == 404 and "--ignore-not-found" in args:
            return 0
        if code == 200:
            print('node "%s" deleted' % words[2])
            return 0
    else:
        log("k3s kubectl (simulated) supports: get node[s] [NAME] -o json, get --raw PATH, label node NAME K=V..., delete node NAME")
        return 1
    if code != 200:
        sys.stderr.write("Error from server: HTTP %s %s\n" % (code, body))
        return 1
    print(json.dumps(body, indent=2))
    return 0


def main(argv):
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print("k3s (Strata testbed simulation) %s\ncommands: server, agent, kubectl" % VERSION)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "server":
        return run_server(rest)
    if cmd == "agent":
        return join(settings(rest), server_role=False)
    if cmd == "kubectl":
        return kubectl(rest)
    log("unknown command %r (the simulation knows server, agent and kubectl)" % cmd)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
