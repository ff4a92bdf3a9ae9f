#!/bin/sh
# Checks a FOSSology repository in N shards run at once on this machine with GNU parallel,
# then merges them into the whole run's report: repocheck-shards.sh N REPORT_DIR
# The installation: REPOCHECK_DB (a postgres URL or a dump), REPOCHECK_REPO, REPOCHECK_CONF.
set -eu
n=$1 reports=$2
export REPOCHECK_DB="${REPOCHECK_DB:-postgres://fossy@db/fossology}"
export REPOCHECK_REPO="${REPOCHECK_REPO:-/srv/fossology/repository}"
export REPOCHECK_CONF="${REPOCHECK_CONF:-/usr/local/etc/fossology}"
mkdir -p "$reports"
# A shard's argument is K/N: the report is named by the job's number ({#}), not by it.
# Shards never fail on findings (--fail-on never): the merge gives the verdict.
seq 1 "$n" | parallel --halt now,fail=1 \
  'repocheck check fossology --db "$REPOCHECK_DB" --repo "$REPOCHECK_REPO" --conf "$REPOCHECK_CONF" --shard {}/'"$n"' --fail-on never --quiet --output '"$reports"'/shard-{#}.json'
exec repocheck merge "$reports"/shard-*.json --output "$reports/all.json"
