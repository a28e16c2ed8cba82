#!/usr/bin/env bash
# The GPU check: DIR/run.sh --out RESULT.json [--size N --batch B --steps K]
# Other options: --warmup W --width F --parity-size N --budget SECONDS --model NAME.
# PyTorch: $FACEPAR_KIT_PYTHON (default python3) runs ref/torch_step.py where torch imports.
set -u
. "$(dirname "$0")/env.sh"
# The check keeps to its --budget (default 420 s); a hard stop at FACEPAR_KIT_TIMEOUT seconds
# (default 540) catches a hung driver. The JSON already holds the steps done by then.
guard=()
command -v timeout >/dev/null 2>&1 && guard=(timeout -k 10 "${FACEPAR_KIT_TIMEOUT:-540}")
exec "${guard[@]}" "$NODE" "$KIT/gpu-check.js" --torch-script "$KIT/ref/torch_step.py" \
  --python "${FACEPAR_KIT_PYTHON:-python3}" "$@"
