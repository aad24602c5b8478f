#!/usr/bin/env bash
# Measures the published agent: time from exec to the "usp-agent ready" line on stdout, the resident
# memory (VmRSS, RssAnon, RssFile from /proc/PID/status) once it has been idle for a moment, and the time
# from SIGTERM to exit. The agent serves its CoAP MTP on a free loopback port, as a deployed agent listens;
# COAP_PORT=0 measures it with no MTP. Prints figures; asserts nothing. Run ./publish.sh first.
#   bench/measure-startup.sh [RUNS] [BINARY]        e.g. DOTNET_GCgen0size=0x100000 bench/measure-startup.sh 7
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-5}
binary=${2:-$repo/out/linux-x64/usp-agent}
idle_seconds=${IDLE_SECONDS:-2}
[ -x "$binary" ] || { echo "measure-startup.sh: $binary not found: run ./publish.sh first" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

free_udp_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
field() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$2/status"; }

startups=() rss=() anon=() file=() stops=()
for run in $(seq "$runs"); do
  fifo="$work/out.$run"
  mkfifo "$fifo"
  begin=$(date +%s%N)
  port=${COAP_PORT:-$(free_udp_port)}
  "$binary" run --data-dir "$work/var.$run" --no-mdns --bind 127.0.0.1 --coap-port "$port" --log-level warning >"$fifo" 2>/dev/null &
  pid=$!
  ready=""
  while IFS= read -r line; do
    case "$line" in "usp-agent ready"*) ready=$(date +%s%N); break ;; esac
  done <"$fifo" 3>"$fifo"
  [ -n "$ready" ] || { echo "run $run: the agent exited before it was ready" >&2; exit 1; }
  sleep "$idle_seconds"
  startups+=($(( (ready - begin) / 1000000 )))
  rss+=($(field VmRSS "$pid")) anon+=($(field RssAnon "$pid")) file+=($(field RssFile "$pid"))
  term=$(date +%s%N)
  kill -TERM "$pid"
  wait "$pid" || { echo "run $run: the agent exited with status $? on SIGTERM" >&2; exit 1; }
  stops+=($(( ($(date +%s%N) - term) / 1000000 )))
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
kb_to_mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }

echo "binary:         $binary ($(du -h "$binary" | cut -f1))"
echo "runs:           $runs (idle ${idle_seconds}s before reading memory; CoAP port ${COAP_PORT:-a free loopback port})"
echo "DOTNET_ knobs:  $(env | grep -E '^DOTNET_' | tr '\n' ' ' || true)"
echo "exec -> ready:  median $(median "${startups[@]}") ms  (each: ${startups[*]} ms)"
echo "VmRSS:          median $(kb_to_mb "$(median "${rss[@]}")") MB"
echo "RssAnon:        median $(kb_to_mb "$(median "${anon[@]}")") MB"
echo "RssFile:        median $(kb_to_mb "$(median "${file[@]}")") MB"
echo "SIGTERM -> exit: median $(median "${stops[@]}") ms"
