#!/usr/bin/env bash
# The action's comment mode: `validator comment` with the inputs as options. The only step given a token.
set -euo pipefail

args=()
if [ -n "$VALIDATOR_CONFIG" ]; then args+=(--config "$VALIDATOR_CONFIG"); fi
if [ -n "$VALIDATOR_REPORT" ]; then args+=(--report "$VALIDATOR_REPORT"); fi
if [ -n "$VALIDATOR_MISSING_REPORT" ]; then args+=(--missing-report "$VALIDATOR_MISSING_REPORT"); fi
if [ -n "$VALIDATOR_PR" ]; then args+=(--pr "$VALIDATOR_PR"); fi
if [ -n "$VALIDATOR_HEAD_SHA" ]; then args+=(--head-sha "$VALIDATOR_HEAD_SHA"); fi
if [ -n "$VALIDATOR_HEAD_SHA_FILE" ]; then args+=(--head-sha-from "$VALIDATOR_HEAD_SHA_FILE"); fi
if [ -n "$VALIDATOR_AUTHOR" ]; then args+=(--author "$VALIDATOR_AUTHOR"); fi
exec "$RUNNER_TEMP/validator-venv/bin/validator" comment --repo "$GITHUB_REPOSITORY" "${args[@]}"
