#!/bin/sh
# Merges the shards of a repocheck-array.sh job array into the whole run's report, once
# every task succeeded: sbatch --dependency=afterok:<array job> deploy/slurm/repocheck-merge.sh <array job>
# Its exit code is the verdict (1: findings at or above --fail-on).
#SBATCH --job-name=repocheck-merge
#SBATCH --nodes=1 --ntasks=1
#SBATCH --output=repocheck-%j.out
set -eu
reports="${REPOCHECK_REPORTS:-reports}/$1"
exec repocheck merge "$reports"/shard-*.json --output "$reports/all.json" --output "$reports/all.html"
