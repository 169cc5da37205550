#!/bin/sh
# install.sh — a SIMULATION of k3s's install script (https://get.k3s.io) for
# Strata's testbed. It honours the official script's interface:
#
#   INSTALL_K3S_SKIP_DOWNLOAD  true: use the k3s binary already in BIN_DIR
#                              (air-gapped install). The simulation cannot
#                              download, so it requires it.
#   INSTALL_K3S_VERSION        the version expected (checked against the binary)
#   INSTALL_K3S_EXEC           command (server|agent) and flags for the service
#   INSTALL_K3S_SKIP_ENABLE, INSTALL_K3S_SKIP_START, INSTALL_K3S_BIN_DIR,
#   INSTALL_K3S_SYSTEMD_DIR
#   K3S_URL, K3S_TOKEN, K3S_CONFIG_FILE, K3S_KUBECONFIG_MODE and every other
#                              K3S_* variable: kept for the service in
#                              SYSTEMD_DIR/k3s[-agent].service.env (mode 0600)
#
# It writes the systemd unit k3s.service (server) or k3s-agent.service (agent),
# /usr/local/bin/k3s-killall.sh and k3s-uninstall.sh / k3s-agent-uninstall.sh,
# the kubectl symlink, and (re)starts the service. For tests it appends what
# it did, with nanosecond timestamps, to /var/log/k3s-sim-events.log.
set -eu

info() { echo "[INFO]  $*"; }
fatal() { echo "[ERROR] $*" >&2; exit 1; }
event() { echo "$(date +%s%N) $*" >> /var/log/k3s-sim-events.log; }

[ "$(id -u)" = 0 ] || fatal "run the install script as root"
BIN_DIR=${INSTALL_K3S_BIN_DIR:-/usr/local/bin}
SYSTEMD_DIR=${INSTALL_K3S_SYSTEMD_DIR:-/etc/systemd/system}

# The command: the first word of INSTALL_K3S_EXEC, else agent when K3S_URL is set.
set -- ${INSTALL_K3S_EXEC:-}
case "${1:-}" in
  server|agent) CMD_K3S=$1; shift ;;
  *) if [ -n "${K3S_URL:-}" ]; then CMD_K3S=agent; else CMD_K3S=server; fi ;;
esac
if [ "$CMD_K3S" = agent ] && [ -z "${K3S_URL:-}" ] && ! grep -qs '^server:' "${K3S_CONFIG_FILE:-/etc/rancher/k3s/config.yaml}"; then
  fatal "an agent needs K3S_URL or server: in its config file"
fi
if [ "$CMD_K3S" = agent ]; then
  SYSTEM_NAME=k3s-agent
  UNINSTALL=k3s-agent-uninstall.sh
else
  SYSTEM_NAME=k3s
  UNINSTALL=k3s-uninstall.sh
fi

if [ "${INSTALL_K3S_SKIP_DOWNLOAD:-}" != true ]; then
  fatal "this simulated install script cannot download k3s; place the bundle's k3s in $BIN_DIR and set INSTALL_K3S_SKIP_DOWNLOAD=true"
fi
[ -x "$BIN_DIR/k3s" ] || fatal "INSTALL_K3S_SKIP_DOWNLOAD is set but $BIN_DIR/k3s is missing or not executable"
have=$("$BIN_DIR/k3s" --version | head -n1 | awk '{print $3}')
if [ -n "${INSTALL_K3S_VERSION:-}" ] && [ "$have" != "$INSTALL_K3S_VERSION" ]; then
  fatal "INSTALL_K3S_VERSION is $INSTALL_K3S_VERSION but $BIN_DIR/k3s is $have"
fi
event "install-start $(hostname) $CMD_K3S $have"
info "Skipping k3s download and verify"
info "Using k3s $have at $BIN_DIR/k3s"

if [ ! -e "$BIN_DIR/kubectl" ]; then
  info "Creating $BIN_DIR/kubectl symlink to k3s"
  ln -sf k3s "$BIN_DIR/kubectl"
fi

info "Creating killall script $BIN_DIR/k3s-killall.sh"
cat > "$BIN_DIR/k3s-killall.sh" <<KILLALL
#!/bin/sh
[ "\$(id -u)" = 0 ] || exec sudo \$0 "\$@"
for service in $SYSTEMD_DIR/k3s*.service; do
  [ -s "\$service" ] && systemctl stop "\$(basename "\$service")"
done
pkill -f /var/lib/rancher/k3s/data/ 2>/dev/null || true
exit 0
KILLALL
chmod 755 "$BIN_DIR/k3s-killall.sh"

info "Creating uninstall script $BIN_DIR/$UNINSTALL"
cat > "$BIN_DIR/$UNINSTALL" <<UNINSTALL_EOF
#!/bin/sh
set -x
[ "\$(id -u)" = 0 ] || exec sudo \$0 "\$@"
$BIN_DIR/k3s-killall.sh
systemctl disable $SYSTEM_NAME || true
systemctl reset-failed $SYSTEM_NAME || true
systemctl daemon-reload
rm -f $SYSTEMD_DIR/$SYSTEM_NAME.service $SYSTEMD_DIR/$SYSTEM_NAME.service.env
echo "\$(date +%s%N) uninstall \$(hostname) $SYSTEM_NAME" >> /var/log/k3s-sim-events.log
remove_uninstall() { rm -f $BIN_DIR/$UNINSTALL; }
trap remove_uninstall EXIT
if (ls $SYSTEMD_DIR/k3s*.service || ls /etc/init.d/k3s*) >/dev/null 2>&1; then
  set +x; echo "Additional k3s services installed, skipping uninstall of k3s"; set -x
  exit
fi
[ -L $BIN_DIR/kubectl ] && rm -f $BIN_DIR/kubectl
rm -rf /etc/rancher/k3s /run/k3s /var/lib/rancher/k3s
rm -f $BIN_DIR/k3s $BIN_DIR/k3s-killall.sh
UNINSTALL_EOF
chmod 755 "$BIN_DIR/$UNINSTALL"

info "env: Creating environment file $SYSTEMD_DIR/$SYSTEM_NAME.service.env"
umask 077
env | grep '^K3S_' | grep -v '^K3S_SIM_' > "$SYSTEMD_DIR/$SYSTEM_NAME.service.env" || true
chmod 600 "$SYSTEMD_DIR/$SYSTEM_NAME.service.env"
umask 022

info "systemd: Creating service file $SYSTEMD_DIR/$SYSTEM_NAME.service"
cat > "$SYSTEMD_DIR/$SYSTEM_NAME.service" <<UNIT
[Unit]
Description=Lightweight Kubernetes (Strata testbed simulation)
Documentation=https://k3s.io
Wants=network-online.target
After=network-online.target

[Install]
WantedBy=multi-user.target

[Service]
Type=exec
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
EnvironmentFile=-$SYSTEMD_DIR/$SYSTEM_NAME.service.env
KillMode=mixed
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStart=$BIN_DIR/k3s $CMD_K3S $*
UNIT

systemctl daemon-reload
if [ "${INSTALL_K3S_SKIP_ENABLE:-}" != true ]; then
  info "systemd: Enabling $SYSTEM_NAME unit"
  systemctl enable "$SYSTEM_NAME" >/dev/null 2>&1
fi
if [ "${INSTALL_K3S_SKIP_START:-}" != true ]; then
  info "systemd: Starting $SYSTEM_NAME"
  systemctl restart "$SYSTEM_NAME"
fi
event "install-end $(hostname) $CMD_K3S $have"
