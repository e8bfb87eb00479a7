#!/usr/bin/env bash
# Installs what `go tool task test:arm64` needs on an x86_64 Debian/Ubuntu
# machine, only what is missing: the aarch64 C cross compiler and C library
# (cgo for ONNX Runtime's bindings) and qemu-user-static (to run the arm64
# binaries). Debian bookworm: gcc-aarch64-linux-gnu 12, qemu-user-static 7.2.
set -euo pipefail
need=()
for p in gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "arm64 tools: installed"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "arm64 tools: apt-get install ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
