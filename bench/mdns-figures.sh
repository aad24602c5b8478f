#!/usr/bin/env bash
# Measures what mDNS costs the published agent, inside a network namespace of its own (never UDP 5353 on the host):
# exec -> "usp-agent ready", exec -> the first unsolicited mDNS announcement seen from the other end of a veth pair,
# the datagrams the agent multicasts per minute once idle, and the resident memory with and without --no-mdns.
# Prints figures; asserts nothing. Run as root (ip netns), after ./publish.sh.
#   bench/mdns-figures.sh [RUNS] [BINARY]      IDLE_SECONDS (default 60): the idle window the packets are counted in
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-5}
binary=${2:-$repo/out/linux-x64/usp-agent}
idle_seconds=${IDLE_SECONDS:-60}
[ -x "$binary" ] || { echo "mdns-figures.sh: $binary not found: run ./publish.sh first" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "mdns-figures.sh: needs root for ip netns" >&2; exit 2; }

tag=$(printf '%04x' $((RANDOM % 65536)))
agent_ns="ub${tag}a" peer_ns="ub${tag}b" agent_if="ub${tag}va" peer_if="ub${tag}vb"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  ip netns del "$agent_ns" 2>/dev/null || true
  ip netns del "$peer_ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$agent_ns"; ip netns add "$peer_ns"
ip link add "$agent_if" type veth peer name "$peer_if"
ip link set "$agent_if" netns "$agent_ns"; ip link set "$peer_if" netns "$peer_ns"
ip -n "$agent_ns" addr add 10.253.14.1/30 dev "$agent_if"; ip -n "$peer_ns" addr add 10.253.14.2/30 dev "$peer_if"
for ns in "$agent_ns" "$peer_ns"; do ip -n "$ns" link set lo up; done
ip -n "$agent_ns" link set "$agent_if" up; ip -n "$peer_ns" link set "$peer_if" up
sleep 2   # IPv6 link-local addresses leave the tentative state

field() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$2/status"; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
kb_to_mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }

# One agent run: prints "ready_ms first_announcement_ms rss_kb anon_kb packets_in_idle_window"
run_agent() {
  local mode=$1 idle=$2 run=$3
  local capture_out="$work/capture.$run.$mode" fifo="$work/out.$run.$mode"
  ip netns exec "$peer_ns" /usr/bin/python3 "$repo/tests/interop/mdns/zc.py" capture $((idle + 30)) 10.253.14.2 >"$capture_out" 2>/dev/null &
  local capture=$!
  pids+=("$capture")
  until grep -q capturing "$capture_out" 2>/dev/null; do sleep 0.05; done
  mkfifo "$fifo"
  local flag=() begin ready=""
  [ "$mode" = mdns ] || flag=(--no-mdns)
  begin=$(date +%s%N)
  ip netns exec "$agent_ns" "$binary" run --data-dir "$work/var.$run.$mode" --bind 0.0.0.0 --coap-port 5683 --log-level warning "${flag[@]}" >"$fifo" 2>/dev/null &
  local pid=$!
  pids+=("$pid")
  while IFS= read -r line; do
    case "$line" in "usp-agent ready"*) ready=$(date +%s%N); break ;; esac
  done <"$fifo" 3>"$fifo"
  sleep "$idle"
  local rss anon
  rss=$(field VmRSS "$pid") anon=$(field RssAnon "$pid")
  kill -TERM "$pid"; wait "$pid" || true
  kill -TERM "$capture" 2>/dev/null || true; wait "$capture" 2>/dev/null || true
  /usr/bin/python3 - "$capture_out" "$begin" "$idle" <<'PY'
import json, sys
path, begin, idle = sys.argv[1], int(sys.argv[2]) / 1e9, float(sys.argv[3])
packets = [json.loads(l) for l in open(path) if l.startswith("{")]
ours = [p for p in packets if p.get("event") == "packet" and p["source"] == "10.253.14.1"]
announcements = [p for p in ours if p["response"] and p["records"]]
first = announcements[0]["time"] - begin if announcements else -1
# The idle window starts 5 s after the first announcement (probing and the two announcements are over).
start = (announcements[0]["time"] + 5) if announcements else begin
idle_packets = [p for p in ours if start <= p["time"] <= start + (idle - 8) and p["records"] and min(r["ttl"] for r in p["records"]) > 0]
print(int(first * 1000), len(idle_packets), max(idle - 8, 0))
PY
  echo "$(( (ready - begin) / 1000000 )) $rss $anon"
}

echo "binary: $binary; $runs runs with mDNS and $runs with --no-mdns, agent in namespace $agent_ns"
ready_m=() first=() rss_m=() anon_m=() ready_n=() rss_n=() anon_n=()
for run in $(seq "$runs"); do
  out=$(run_agent mdns 5 "m$run"); read -r f _ _ <<<"$(sed -n 1p <<<"$out")"; read -r r rs an <<<"$(sed -n 2p <<<"$out")"
  first+=("$f") ready_m+=("$r") rss_m+=("$rs") anon_m+=("$an")
  out=$(run_agent none 5 "n$run"); read -r r rs an <<<"$(sed -n 2p <<<"$out")"
  ready_n+=("$r") rss_n+=("$rs") anon_n+=("$an")
done
out=$(run_agent mdns "$idle_seconds" idle); read -r _ packets window <<<"$(sed -n 1p <<<"$out")"

echo "exec -> ready, mDNS on / --no-mdns:        median $(median "${ready_m[@]}") / $(median "${ready_n[@]}") ms"
echo "exec -> first unsolicited announcement:    median $(median "${first[@]}") ms  (each: ${first[*]} ms)"
echo "VmRSS after 5 s, mDNS on / --no-mdns:      median $(kb_to_mb "$(median "${rss_m[@]}")") / $(kb_to_mb "$(median "${rss_n[@]}")") MB"
echo "RssAnon after 5 s, mDNS on / --no-mdns:    median $(kb_to_mb "$(median "${anon_m[@]}")") / $(kb_to_mb "$(median "${anon_n[@]}")") MB"
echo "datagrams multicast while idle:            $packets in ${window} s (nobody querying)"
