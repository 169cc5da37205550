#!/bin/sh
# k3s — a SIMULATION for Strata's testbed, not the real k3s binary.
# Like the real binary it carries what it runs: on first use the payload
# after the __PAYLOAD__ line (kube-sim and the k3s simulation) is unpacked
# into /var/lib/rancher/k3s/data/VERSION/bin. See k3s_sim.py.
set -eu
K3S_SIM_VERSION="@VERSION@"
export K3S_SIM_VERSION
# Called through the kubectl symlink the install script makes.
[ "$(basename "$0")" = kubectl ] && set -- kubectl "$@"
case "${1:-}" in
  --version|-v|version)
    echo "k3s version $K3S_SIM_VERSION (simulation)"
    echo "go version go1.25.0 (not built with Go: Strata testbed simulation)"
    exit 0
    ;;
esac
data="/var/lib/rancher/k3s/data/$K3S_SIM_VERSION"
if [ ! -x "$data/bin/kube-sim" ] || [ ! -f "$data/bin/k3s_sim.py" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "k3s: the simulation unpacks itself into $data on first use; run it as root" >&2
    exit 1
  fi
  line=$(grep -an '^__PAYLOAD__$' "$0" | head -n1 | cut -d: -f1)
  mkdir -p "$data.tmp"
  tail -n +"$((line + 1))" "$0" | tar -xz -C "$data.tmp"
  rm -rf "$data"
  mv "$data.tmp" "$data"
fi
exec python3 "$data/bin/k3s_sim.py" "$@"
exit 1
__PAYLOAD__
