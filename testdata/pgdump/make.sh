#!/usr/bin/env bash
# Makes the real dumps the pgdump tests read: a throwaway PostgreSQL, two databases with
# awkward values, then pg_dump in every format (plain, --create, --inserts,
# --column-inserts, --rows-per-insert=3, gzip'd inserts, custom with default compression
# and -Z0, custom with --inserts, directory, tar) and pg_dumpall (plain, gzip).
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
CREATE SCHEMA other;
CREATE TABLE other.pfile (pfile_pk int, note text);
INSERT INTO other.pfile VALUES (99, 'same name, other schema');
CREATE TABLE "Types" (
  id int PRIMARY KEY, flag boolean, bits bit(4), vbits varbit, n numeric, f float8, b bytea,
  t text, twice int GENERATED ALWAYS AS (id * 2) STORED);
INSERT INTO "Types" (id, flag, bits, vbits, n, f, b, t) VALUES
  (1, true, B'1010', B'1', 'NaN', 'Infinity', '\x00ff', E'it''s a \\ backslash'),
  (2, false, B'0000', B'', -1.5, 1e-300, '\x', E'two\nlines\tand a tab'),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, ''),
  (4, true, B'1111', B'0101', 12345678901234567890.123, -0.0, '\x5c27', E'\\N and ''quotes'' and "doubles"'),
  (5, false, B'0001', B'11', 0, 3.14159, NULL, NULL);
CREATE TABLE parent (a int, b text);
CREATE TABLE child (c text) INHERITS (parent);
INSERT INTO child VALUES (1, 'from parent', 'own');
INSERT INTO parent VALUES (2, 'only parent');
CREATE TABLE empty (x int);
SQL
"${psql[@]}" -d other -c "CREATE TABLE pfile (pfile_pk int, note text)" -c "INSERT INTO pfile VALUES (7, 'other database')"
dump=("$bin/pg_dump" -h "$tmp" -U postgres)
"${dump[@]}" fossology > "$here/plain.sql"
"${dump[@]}" --create fossology > "$here/create.sql"
"${dump[@]}" --inserts fossology > "$here/inserts.sql"
"${dump[@]}" --column-inserts fossology > "$here/column-inserts.sql"
"${dump[@]}" --rows-per-insert=3 fossology > "$here/rows3.sql"
"${dump[@]}" --inserts fossology | gzip -9 -n > "$here/inserts.sql.gz"
# Custom format through a pipe (no data offsets in its TOC) and to a file (offsets set).
"${dump[@]}" -Fc fossology | cat > "$here/custom.dump"
as_pg "${dump[@]}" -Fc -Z0 -f "$tmp/custom-z0.dump" fossology && cp "$tmp/custom-z0.dump" "$here/custom-z0.dump"
"${dump[@]}" -Fc --inserts fossology > "$here/custom-inserts.dump"
rm -rf "$here/directory" && as_pg "${dump[@]}" -Fd -f "$tmp/directory" fossology && cp -r "$tmp/directory" "$here/directory"
"${dump[@]}" -Ft fossology > "$here/tar.tar"
"$bin/pg_dumpall" -h "$tmp" -U postgres > "$here/all.sql"
gzip -9 -n -c "$here/all.sql" > "$here/all.sql.gz"
echo "made: $(ls "$here")"
