#!/bin/sh
# A Slurm job array checking a FOSSology repository in shards, one per array task; the
# shard count is the array's size: sbatch --array=0-15 deploy/slurm/repocheck-array.sh
# Each task has a node to itself (--exclusive) and walks and hashes with all its CPUs.
# The installation: REPOCHECK_DB (a postgres URL or a dump), REPOCHECK_REPO,
# REPOCHECK_CONF; the reports go to REPOCHECK_REPORTS/<array job id>/.
#SBATCH --job-name=repocheck-shard
#SBATCH --nodes=1 --ntasks=1 --exclusive
#SBATCH --output=repocheck-%A_%a.out
set -eu
reports="${REPOCHECK_REPORTS:-reports}/$SLURM_ARRAY_JOB_ID"
mkdir -p "$reports"
k=$((SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN + 1))
# Shards never fail on findings (--fail-on never): the merge job gives the verdict.
exec repocheck check fossology --db "${REPOCHECK_DB:-postgres://fossy@db/fossology}" \
    --repo "${REPOCHECK_REPO:-/srv/fossology/repository}" --conf "${REPOCHECK_CONF:-/usr/local/etc/fossology}" \
    --shard "$k/$SLURM_ARRAY_TASK_COUNT" --jobs "$SLURM_CPUS_ON_NODE" --fail-on never --quiet --output "$reports/shard-$k.json"
