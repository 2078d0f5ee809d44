#!/usr/bin/env bash
# The action's check, diff, verify, plan and join: `validator ci` with the inputs as options.
set -euo pipefail

case "$VALIDATOR_MODE" in
  check | diff | verify | plan | join) ;;
  *)
    echo "::error title=validator::the mode input must be check, diff, verify, plan, join or comment"
    exit 2
    ;;
esac
args=()
if [ -n "$VALIDATOR_CONFIG" ]; then args+=(--config "$VALIDATOR_CONFIG"); fi
if [ -n "$VALIDATOR_README" ]; then args+=(--readme "$VALIDATOR_README"); fi
if [ -n "$VALIDATOR_TEAM" ]; then args+=(--team "$VALIDATOR_TEAM"); fi
if [ -n "$VALIDATOR_REPORTS" ]; then args+=(--reports "$VALIDATOR_REPORTS"); fi
if [ -n "$VALIDATOR_TEAMS" ]; then args+=(--teams "$VALIDATOR_TEAMS"); fi
# Reports go outside the checkout, where a student's file or symlink cannot stand in for them.
mkdir -p "$RUNNER_TEMP/validator"
exec "$RUNNER_TEMP/validator-venv/bin/validator" ci --mode "$VALIDATOR_MODE" \
  --device "$VALIDATOR_DEVICE" --out "$RUNNER_TEMP/validator/report.json" "${args[@]}"
