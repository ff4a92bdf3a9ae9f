#!/bin/sh
# Builds the Debian package of repocheck with dpkg-deb, from the Cargo metadata and a built
# binary: sh deploy/debian/build-deb.sh [target/release/repocheck]
# It holds the binary, the bundled rules, the man pages and shell completions the binary
# writes, an example /etc/repocheck/site.toml and the systemd units repocheck.service and
# repocheck.timer. The package is written to target/debian/.
set -eu
bin=${1:-target/release/repocheck}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
field() { awk -F' = ' -v k="$1" '/^\[/ { p = ($0 == "[package]") } p && $1 == k { gsub(/"/, "", $2); print $2; exit }' "$top/Cargo.toml"; }
name=$(field name) version=$(field version) description=$(field description) license=$(field license)
arch=$(dpkg --print-architecture)
out="$top/target/debian"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -D -m 0755 "$bin" "$root/usr/bin/$name"
# As Debian packages do (dh_strip): no debugging symbols in the installed binary.
strip --strip-unneeded "$root/usr/bin/$name"
install -d "$root/usr/share/$name/rules"
install -m 0644 "$top"/rules/*.toml "$root/usr/share/$name/rules/"
install -d "$root/usr/share/man/man1"
"$bin" man --dir "$root/usr/share/man/man1"
gzip -9n "$root"/usr/share/man/man1/*.1
install -d "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" "$root/usr/share/fish/vendor_completions.d"
"$bin" completions bash > "$root/usr/share/bash-completion/completions/$name"
"$bin" completions zsh > "$root/usr/share/zsh/vendor-completions/_$name"
"$bin" completions fish > "$root/usr/share/fish/vendor_completions.d/$name.fish"
install -D -m 0644 "$here/site.toml" "$root/etc/$name/site.toml"
install -D -m 0644 "$here/repocheck.service" "$root/lib/systemd/system/repocheck.service"
install -D -m 0644 "$here/repocheck.timer" "$root/lib/systemd/system/repocheck.timer"
install -D -m 0644 "$top/README.md" "$root/usr/share/doc/$name/README.md"
printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: %s\n\nFiles: *\nLicense: %s\n' "$name" "$license" > "$root/usr/share/doc/$name/copyright"
install -d "$root/DEBIAN"
echo "/etc/$name/site.toml" > "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: $name
Version: $version
Architecture: $arch
Maintainer: repocheck maintainers <repocheck@localhost>
Installed-Size: $size
Depends: libc6, libgcc-s1
Section: admin
Priority: optional
Description: $description
 Checks FOSSology, JS7, Fiorano, Connectware and Hubble installations: every
 object the database references is on disk and every object on disk is
 referenced; nightly from repocheck.timer, with a node_exporter textfile.
CONTROL
mkdir -p "$out"
dpkg-deb --root-owner-group -Zgzip --build "$root" "$out/${name}_${version}_${arch}.deb"
