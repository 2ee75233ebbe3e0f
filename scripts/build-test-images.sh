#!/usr/bin/env bash
# Builds the images Berth's real-container tests and `make run` use, from Debian packages alone (no registry is
# reachable): the pod sandbox image and a busybox-based test image, as docker archives carrying their full names.
#   localhost/berth/pause:1.0     a static pause process (scripts/images/pause.c), user 65535
#   localhost/berth/busybox:1.0   busybox-static with every applet linked, /etc/passwd and /etc/group, /www/index.html
# Names under localhost/ mean that anything asking a registry for them can only ever reach this machine.
# Usage: scripts/build-test-images.sh [OUT_DIR]   (default artifacts/images; skipped when up to date)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/images}"
mkdir -p "$out"

if [ -s "$out/pause.tar" ] && [ -s "$out/busybox.tar" ] && [ "$out/pause.tar" -nt scripts/build-test-images.sh ] \
   && [ "$out/pause.tar" -nt scripts/images/pause.c ]; then
  echo "build-test-images: $out is up to date"
  exit 0
fi
for tool in gcc umoci skopeo busybox; do
  command -v "$tool" >/dev/null || { echo "build-test-images: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
layout="$work/oci"
umoci init --layout "$layout"

# pause: one static binary.
gcc -static -Os -s -o "$work/pause" scripts/images/pause.c
umoci new --image "$layout:pause"
umoci unpack --rootless --image "$layout:pause" "$work/pause-bundle"
install -m 0755 "$work/pause" "$work/pause-bundle/rootfs/pause"
umoci repack --image "$layout:pause" "$work/pause-bundle"
umoci config --image "$layout:pause" --config.entrypoint /pause --config.user 65535:65535

# busybox: the static busybox with a link per applet, users, a writable /tmp and a page for httpd.
umoci new --image "$layout:busybox"
umoci unpack --rootless --image "$layout:busybox" "$work/busybox-bundle"
root="$work/busybox-bundle/rootfs"
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/www" "$root/root" "$root/home"
chmod 1777 "$root/tmp"
install -m 0755 "$(command -v busybox)" "$root/bin/busybox"
for applet in $(busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$root/etc/group"
echo '<h1>hello from berth</h1>' > "$root/www/index.html"
umoci repack --image "$layout:busybox" "$work/busybox-bundle"
umoci config --image "$layout:busybox" --config.cmd sh --config.env PATH=/bin --config.workingdir /

rm -f "$out/pause.tar" "$out/busybox.tar"
skopeo copy -q "oci:$layout:pause" "docker-archive:$out/pause.tar:localhost/berth/pause:1.0"
skopeo copy -q "oci:$layout:busybox" "docker-archive:$out/busybox.tar:localhost/berth/busybox:1.0"
echo "build-test-images: built $out/pause.tar and $out/busybox.tar"
