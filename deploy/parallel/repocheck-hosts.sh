#!/bin/sh
# Checks each [REPOSITORY] host's share of a FOSSology repository on the host that holds
# it, over ssh with GNU parallel, then merges: repocheck-hosts.sh HOSTS_MAP REPORT_DIR
# HOSTS_MAP has a line per share: the ssh login of the host holding it, then its
# [REPOSITORY] key (FOSSology's keys are free names, not host names), e.g.
#   fossy@repo1 localhost
#   fossy@repo2 archive
# REPOCHECK_DB, REPOCHECK_REPO and REPOCHECK_CONF are the installation as the hosts see it.
set -eu
map=$1 reports=$2
export REPOCHECK_DB="${REPOCHECK_DB:-postgres://fossy@db/fossology}"
export REPOCHECK_REPO="${REPOCHECK_REPO:-/srv/fossology/repository}"
export REPOCHECK_CONF="${REPOCHECK_CONF:-/usr/local/etc/fossology}"
mkdir -p "$reports"
# A hostgroup per login holding the keys of its shares; a job per key, run only where its
# hostgroup is (key@key). The report of a key is named with every / of it made _.
logins=$(awk 'NF == 2 { g[$1] = ($1 in g) ? g[$1] "+" $2 : $2 } END { for (l in g) printf "-S @%s/%s\n", g[l], l }' "$map")
keys=$(awk 'NF == 2 { print $2 "@" $2 }' "$map")
# shellcheck disable=SC2086 # one word per -S option and per key
parallel --hostgroups $logins --env REPOCHECK_DB --env REPOCHECK_REPO --env REPOCHECK_CONF --halt now,fail=1 \
  --return 'repocheck-{= s:/:_:g =}.json' \
  'repocheck check fossology --db "$REPOCHECK_DB" --repo "$REPOCHECK_REPO" --conf "$REPOCHECK_CONF" --host {} --fail-on never --quiet --output repocheck-{= s:/:_:g =}.json' \
  ::: $keys
for key in $(awk 'NF == 2 { print $2 }' "$map"); do
  mv "repocheck-$(printf %s "$key" | tr / _).json" "$reports/"
done
exec repocheck merge "$reports"/repocheck-*.json --output "$reports/all.json"
