#!/usr/bin/env bash
# Makes the real dumps the pgdump tests read: a throwaway PostgreSQL, two databases with
# awkward values, then pg_dump (plain, --create, custom) and pg_dumpall (plain, gzip).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${REPOCHECK_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
tmp=$(mktemp -d)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$tmp"
trap 'as_pg "$bin/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
as_pg "$bin/initdb" -D "$tmp/data" --auth=trust -U postgres -E UTF8 --no-sync >/dev/null
as_pg "$bin/pg_ctl" -D "$tmp/data" -o "-k $tmp -c listen_addresses='' -c fsync=off" -l "$tmp/log" -w start >/dev/null
psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$tmp" -U postgres)
"${psql[@]}" -c "CREATE DATABASE fossology" -c "CREATE DATABASE other" -c 'CREATE DATABASE "Odd ""Name"""'
"${psql[@]}" -d fossology <<'SQL'
CREATE TABLE pfile (pfile_pk int PRIMARY KEY, pfile_md5 char(32), pfile_sha1 char(40), pfile_size bigint);
INSERT INTO pfile VALUES
  (1, '149FD9DAC3A1FF6AD491F95F49E90BF2', '403C2B25B9B02A2EBB6817C459B37AFC1F9BA3B5', 35328),
  (2, 'D41D8CD98F00B204E9800998ECF8427E', 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', 0),
  (3, NULL, NULL, NULL);
CREATE TABLE "Awkward Table" (id int, "Text Value" text, b bytea);
INSERT INTO "Awkward Table" VALUES
  (1, E'tab\there', '\x00ff'),
  (2, E'new\nline and back\\slash', NULL),
  (3, 'héllo wörld ✓', '\x'),
  (4, NULL, NULL),
  (5, E'\\N is not null', NULL),
  (6, E'cr\rvt\x0bff\x0cbs\x08', NULL);
SQL
"${psql[@]}" -d other -c "CREATE TABLE pfile (pfile_pk int, note text)" -c "INSERT INTO pfile VALUES (7, 'other database')"
dump=("$bin/pg_dump" -h "$tmp" -U postgres)
"${dump[@]}" fossology > "$here/plain.sql"
"${dump[@]}" --create fossology > "$here/create.sql"
"${dump[@]}" -Fc fossology > "$here/custom.dump"
"$bin/pg_dumpall" -h "$tmp" -U postgres > "$here/all.sql"
gzip -9 -n -c "$here/all.sql" > "$here/all.sql.gz"
echo "made: $(ls "$here")"
