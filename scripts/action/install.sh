#!/usr/bin/env bash
# The action's install step: the validator in a virtual environment of its own, outside the checkout,
# where student files cannot shadow it.
#
# VALIDATOR_VENV (set on the runner, e.g. in a self-hosted runner's .env): a prepared environment with
# this version of the validator and the right torch already installed; it is used instead of
# installing several gigabytes of CUDA torch on every job of an ephemeral GPU runner.
set -euo pipefail

venv="$RUNNER_TEMP/validator-venv"
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$VALIDATOR_ACTION_PATH/validator/__init__.py")

if [ -n "${VALIDATOR_VENV:-}" ]; then
  prepared=$("$VALIDATOR_VENV/bin/validator" --version 2>/dev/null || true)
  if [ "$prepared" != "validator, version $version" ]; then
    echo "::error title=validator::VALIDATOR_VENV=$VALIDATOR_VENV holds '${prepared:-no validator}', not validator $version"
    exit 2
  fi
  rm -rf "$venv"
  ln -s "$VALIDATOR_VENV" "$venv"
  echo "validator $version: the runner's prepared environment $VALIDATOR_VENV"
  exit 0
fi

package="$VALIDATOR_ACTION_PATH"
index=()
if [ "$VALIDATOR_MODE" = "verify" ]; then
  # onnx: ONNX Runtime, for submissions that run an exported model (a wheel of ~15 MB).
  package="${VALIDATOR_ACTION_PATH}[bench,onnx]"
  if [ "$VALIDATOR_DEVICE" = "cpu" ]; then
    # The CPU build of torch: the default one carries gigabytes of CUDA a CPU run never uses.
    index=(--extra-index-url https://download.pytorch.org/whl/cpu)
  fi
fi
# A job that uses the action several times (check, diff, plan) installs it once.
stamp="$package ${index[*]}"
if [ -f "$venv/.validator-installed" ] && [ "$(cat "$venv/.validator-installed")" = "$stamp" ]; then
  exit 0
fi
"$VALIDATOR_PYTHON" -m venv --clear "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${index[@]}" "$package"
printf '%s' "$stamp" > "$venv/.validator-installed"
