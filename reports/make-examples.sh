#!/usr/bin/env bash
# Regenerates the example reports from the bundled example installation, after breaking a
# copy of it the way a bad restore does: a lost member file, a lost gold, a misplaced object.
# A second copy, broken another way (two lost member files), is the "before" of the example
# diff: one of its findings is resolved after, one unchanged, and the others are new.
#
# REPOCHECK names the binary (default: target/release/repocheck); OUT the directory written
# (default: this one). tests/reports.rs runs this script into a temporary OUT and compares.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${REPOCHECK:-$root/target/release/repocheck}
out=$(mkdir -p "${OUT:-$here}" && cd "${OUT:-$here}" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Exit 1 (findings) is what these runs are for; 2 is a failure. Standard output goes
# nowhere, so no table is wrapped to the width of a terminal.
run() {
  local rc=0
  "$bin" "$@" >/dev/null || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "repocheck $1 failed with exit code $rc" >&2
    exit "$rc"
  fi
  echo "repocheck $1: exit code $rc (1: findings at or above --fail-on)"
}
check() {
  run check fossology --db fossology.sql.gz --repo repository --conf etc/fossology.conf --level size "$@"
}

# cp -R: a copy of the checkout (gold and files copies are separate files, as ununpack
# leaves them). The project user fossy is not expected on the machine that runs this: the
# permissions rule then checks nothing and the reports' scope says so.
mkdir "$tmp/after" "$tmp/before"
cp -R "$root/testdata/fossology/example/." "$tmp/after/"
cp -R "$root/testdata/fossology/example/." "$tmp/before/"
files=repository/localhost/files

cd "$tmp/after"
first=$(find "$files" -type f -size -2k | sort | head -1)
second=$(find "$files" -type f -size -2k | sort | sed -n 2p)
rm "$first"
gold=$(find repository/localhost/gold -type f | sort | head -1)
rm "$gold"
moved=$(find "$files" -type f -size -4k | sort | sed -n 5p)
mv "$moved" "$files/"
check --output "$out/example-fossology.json" --output "$out/example-fossology.xml" \
  --output "$out/example-fossology.txt" --output "$out/example-fossology.html"

cd "$tmp/before"
rm "$first" "$second"
check --output "$out/example-fossology-before.json"

# Relative names, so the diff names the files as a reader of reports/ sees them.
cd "$out"
run diff example-fossology-before.json example-fossology.json --output example-diff.json --output example-diff.txt
