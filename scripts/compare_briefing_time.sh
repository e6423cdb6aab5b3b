#!/usr/bin/env bash
# Brief the Multi-News dev sample with an earlier commit and with the working tree, one after
# the other in one run, and print both tables (time per cluster, conflicts stated).
# Usage: scripts/compare_briefing_time.sh [BASE_COMMIT]   (default: the commit before issue 11)
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-3812e01}"
data="$(pwd)/../shared/data/multinews-dev/sample_validation.csv"
if [ ! -f "$data" ]; then echo "skipped: $data not found"; exit 0; fi
tree="$(mktemp -d)"
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
git worktree add --detach "$tree" "$base" >/dev/null 2>&1
echo "== $base"
(cd "$tree" && "$OLDPWD/.venv/bin/python" scripts/brief_multinews.py --data "$data" \
  --samples /dev/null | grep -E "seconds per cluster|conflicts|clusters briefed")
echo "== working tree"
PYTHONPATH=src .venv/bin/python scripts/brief_multinews.py --data "$data" --samples /dev/null \
  | grep -E "seconds per cluster|conflicts|clusters briefed"
