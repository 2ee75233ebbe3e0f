#!/usr/bin/env bash
# Installs the Debian packages Berth's build, tests and benchmarks need, only when missing.
# Idempotent: a second run installs nothing and says so. `install-deps.sh bench` adds what benchmarks compare against.
set -euo pipefail

packages=(
  clang         # links bin/berth, which is compiled to native code (make build)
  zlib1g-dev    # ... with zlib
  libsqlite3-dev  # ... and SQLite, statically
  etcd-server   # the etcd datastore backend and its conformance tests
  etcd-client   # etcdctl, for looking at a test etcd by hand
  containerd    # the container runtime the agent drives over CRI (and its ctr, for image imports)
  runc          # what containerd runs containers with
  containernetworking-plugins  # CNI: bridge, host-local, portmap, loopback
  iproute2      # ip: blackhole routes for the cluster CIDRs
  iptables      # the FORWARD rules for the pod network (nf_tables backend), and portmap's
  nftables      # nft: the service proxy's rules, one transaction per sync
  conntrack     # forgets UDP flows to endpoints that are gone
  busybox-static  # the test image's userland
  umoci         # builds the test images (scripts/build-test-images.sh)
  skopeo        # writes them as docker archives
  gcc           # compiles the pause process
  libc6-dev     # ... statically
  docker-registry  # a real registry on 127.0.0.1 for image pull tests
  apache2-utils    # htpasswd: the test registry's bcrypt password file
)
if [ "${1:-}" = bench ]; then
  packages+=(podman)  # bench-pods: `podman run -d` of the same image, beside Berth
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${missing[*]}; run as root (or install them yourself)" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the packaged etcd as a service on 2379; Berth's tests run their own on random ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
  systemctl disable --now etcd >/dev/null 2>&1 || true
fi
# Debian's docker-registry and containerd packages may start services of their own; Berth runs its own.
if command -v systemctl >/dev/null 2>&1; then
  for service in docker-registry containerd; do
    systemctl is-active --quiet "$service" 2>/dev/null && systemctl disable --now "$service" >/dev/null 2>&1 || true
  done
fi
echo "install-deps: installed ${missing[*]}"
