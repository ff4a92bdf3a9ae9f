#!/usr/bin/env bash
# Regenerates the example reports from the bundled example installation, after breaking a
# copy of it the way a bad restore does: a lost member file, a lost gold, a misplaced object.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${REPOCHECK:-$root/target/release/repocheck}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -a "$root/testdata/fossology/example/." "$tmp/"
cd "$tmp"
files=repository/localhost/files
first=$(find "$files" -type f -size -2k | sort | head -1)
rm "$first"
gold=$(find repository/localhost/gold -type f | sort | head -1)
rm "$gold"
moved=$(find "$files" -type f -size -4k | sort | sed -n 5p)
mv "$moved" "$files/"
set +e
"$bin" check fossology --db fossology.sql.gz --repo repository --conf etc/fossology.conf --level size \
  --output "$here/example-fossology.json" --output "$here/example-fossology.xml" --output "$here/example-fossology.txt"
echo "exit code $? (1: errors found)"
