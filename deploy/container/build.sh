#!/bin/sh
# Builds the image localhost/repocheck:latest (or IMAGE) with podman (or BUILDER=buildah)
# from a built binary: sh deploy/container/build.sh [target/release/repocheck]
set -eu
bin=${1:-target/release/repocheck}
image=${IMAGE:-localhost/repocheck:latest}
here=$(cd "$(dirname "$0")" && pwd)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
root="$ctx/rootfs"
mkdir -p "$root/usr/bin" "$root/bin" "$root/tmp" "$root/etc/ssl/certs"
chmod 1777 "$root/tmp"
cp "$bin" "$root/usr/bin/repocheck"
strip --strip-unneeded "$root/usr/bin/repocheck"
# Every library the dynamic linker loads for it, at the path it loads it from.
for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
  cp -L --parents "$lib" "$root/"
done
cp /bin/busybox "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
[ ! -f /etc/ssl/certs/ca-certificates.crt ] || cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
cp "$here/Containerfile" "$ctx/Containerfile"
case "${BUILDER:-podman}" in
  buildah) buildah build --layers=false -t "$image" -f "$ctx/Containerfile" "$ctx" ;;
  *) podman build -t "$image" -f "$ctx/Containerfile" "$ctx" ;;
esac
