#!/usr/bin/env bash
# The GPU check: DIR/run.sh --out RESULT.json [--size N --batch B --steps K]
# Other options: --warmup W --width F --parity-size N --budget SECONDS --model NAME.
# PyTorch: $FACEPAR_KIT_PYTHON (default python3) runs ref/torch_step.py where torch imports.
set -u
. "$(dirname "$0")/env.sh"
exec "$NODE" "$KIT/gpu-check.js" --torch-script "$KIT/ref/torch_step.py" \
  --python "${FACEPAR_KIT_PYTHON:-python3}" "$@"
