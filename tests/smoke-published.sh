#!/usr/bin/env bash
# Smoke-tests a published usp-agent (publish.sh output folder): `file` names the expected architecture,
# `usp-agent --version` answers, the agent starts on a free loopback port with its own data directory, a USP
# Get of Device.DeviceInfo. over CoAP (the binary's own `ctl`) is answered, and SIGTERM stops it with status 0.
# An aarch64 binary on a non-ARM host runs under qemu-aarch64-static (tests/agent-under-test.sh).
#
#   tests/smoke-published.sh OUT_DIR [EXPECTED_ARCH]     e.g. tests/smoke-published.sh out/linux-arm64-aot aarch64
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:?usage: tests/smoke-published.sh OUT_DIR [x86-64|aarch64]}
binary=$(cd "$dir" && pwd)/usp-agent
[ -x "$binary" ] || { echo "smoke: $binary is missing: publish it first (publish.sh)" >&2; exit 1; }
# shellcheck source=tests/agent-under-test.sh
. "$repo/tests/agent-under-test.sh"
agent_launcher_for "$binary"

expected=${2:-}
description=$(file -b "$binary")
if [ -n "$expected" ]; then
  case "$description" in
    *"$(printf '%s' "$expected" | sed 's/^aarch64$/ARM aarch64/')"*) ;;
    *) echo "smoke: $binary is not a $expected executable: $description" >&2; exit 1 ;;
  esac
fi
say() { printf 'smoke %s: %s\n' "$dir" "$*"; }
say "$(printf '%s' "$description" | cut -d, -f1-2)"

version=$("${agent_launcher[@]}" "$binary" --version)
case "$version" in
  "usp-agent "*"(USP "*) say "$version" ;;
  *) echo "smoke: usp-agent --version printed '$version'" >&2; exit 1 ;;
esac

work=$(mktemp -d)
pid=""
cleanup() {
  [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${agent_launcher[@]}" "$binary" run --data-dir "$work/data" --coap-port "$port" --coaps-port 0 --bind 127.0.0.1 --no-mdns \
  >"$work/stdout" 2>"$work/stderr" &
pid=$!
for _ in $(seq 1 120); do
  grep -q '^usp-agent ready' "$work/stdout" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/stdout" "$work/stderr" >&2; echo "smoke: the agent exited before it was ready" >&2; exit 1; }
  sleep 0.5
done
grep -q '^usp-agent ready' "$work/stdout" || { cat "$work/stdout" "$work/stderr" >&2; echo "smoke: no 'usp-agent ready' within 60 s" >&2; exit 1; }

uri=$(sed -n 's/^listening: \(coap:[^ ]*\).*/\1/p' "$work/stdout" | head -n 1)
[ -n "$uri" ] || { cat "$work/stdout" >&2; echo "smoke: the banner names no coap:// URI" >&2; exit 1; }
answer=$("${agent_launcher[@]}" "$binary" ctl --agent "$uri" get Device.DeviceInfo.SoftwareVersion)
case "$answer" in
  "Device.DeviceInfo.SoftwareVersion = "*) say "CoAP Get answered: $answer" ;;
  *) echo "smoke: the CoAP Get was answered with '$answer'" >&2; exit 1 ;;
esac

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" -eq 0 ] || { cat "$work/stderr" >&2; echo "smoke: SIGTERM ended the agent with status $status" >&2; exit 1; }
say "stopped cleanly on SIGTERM"
