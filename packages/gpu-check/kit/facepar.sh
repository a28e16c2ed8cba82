#!/usr/bin/env bash
# The facepar CLI from the kit, e.g. DIR/facepar.sh train --config demo --data synthetic --backend webgpu
set -u
. "$(dirname "$0")/env.sh"
exec "$NODE" "$KIT/facepar.js" "$@"
