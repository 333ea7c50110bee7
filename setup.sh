#!/usr/bin/env bash
# Installs everything this project needs on a fresh Debian 12 (bookworm) machine with Node 20 and
# npm: the native CPU engine's libraries (OpenBLAS and oneDNN), WebGPU's software Vulkan driver
# (Mesa >= 24 from bookworm-backports when the default is older), Chromium for the viewer's
# browser tests, then the JS dependencies (Bun comes from npm), and builds the viewer
# (packages/viewer/dist) so that `bun run cli serve` shows it straight away.
# Safe to run again. Elsewhere (macOS, other distributions) it skips the system packages.
set -euo pipefail
cd "$(dirname "$0")"

if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else SUDO=""; fi

if command -v apt-get >/dev/null && [ -r /etc/debian_version ]; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  mesa_major() { apt-cache policy "$1" 2>/dev/null | awk -v w="$2" '$1 == w":" {print $2}' | sed -E 's/^[0-9]+://; s/\..*//'; }
  if [ -n "$SUDO" ] || [ "$(id -u)" -eq 0 ]; then
    $SUDO apt-get update -qq
    candidate=$(mesa_major mesa-vulkan-drivers Candidate)
    target=()
    if [ "$codename" = "bookworm" ] && [ "${candidate:-0}" -lt 24 ]; then
      # Dawn refuses Mesa 22's lavapipe; bookworm-backports has Mesa 25.
      if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
        $SUDO apt-get update -qq
      fi
      target=(-t bookworm-backports)
    fi
    # The native backend: matrix products on OpenBLAS, convolutions on oneDNN (both through bun:ffi).
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libopenblas0-pthread libdnnl2 >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${target[@]}" libvulkan1 mesa-vulkan-drivers >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
    echo "setup: OpenBLAS $(dpkg-query -W -f='${Version}' libopenblas0-pthread), oneDNN $(dpkg-query -W -f='${Version}' libdnnl2), Mesa Vulkan $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers), $(chromium --version 2>/dev/null || echo 'no chromium')"
  else
    echo "setup: not root and no sudo: skipping system packages (the native backend needs libopenblas0-pthread and libdnnl2; WebGPU needs libvulkan1 + mesa-vulkan-drivers >= 24)" >&2
  fi
else
  echo "setup: not a Debian system: skipping system packages (WebGPU uses your GPU's Vulkan/Metal/D3D12 driver)"
fi

npm ci --no-audit --no-fund --loglevel=error
echo "setup: $(node_modules/.bin/bun --version | sed 's/^/bun /') and the JS dependencies are installed"
# The viewer that `cli serve` shows (cli serve would build it on first use otherwise).
node_modules/.bin/bun run build:viewer >/dev/null
echo "setup: the viewer is built (packages/viewer/dist); bun run cli serve shows it"
