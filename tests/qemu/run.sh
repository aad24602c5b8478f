#!/usr/bin/env bash
# Boots a minimal Debian 12 guest under QEMU (TCG) with systemd, installs the agent in it the way a device
# maker would, and checks it from the host with the independent Controller (checks.js).
#
#   tests/qemu/run.sh x64|arm64 [--agent DIR] [--image-only]
#
# --image-only builds (or finds in the cache) the guest's boot files and stops. DIR holds the published agent
# for the guest's architecture (default: published here with publish.sh: the x64 guest runs the NativeAOT
# build, the arm64 guest the trimmed ReadyToRun single file).
# The guest's boot files are built once per version of tests/qemu/image/ and cached under
# $USP_QEMU_CACHE (default /var/cache/usp-agent-qemu/). Exit status 0 when every check passed.
# Needs root, qemu-system-x86 / qemu-system-arm, qemu-user-static, debootstrap, gcc-aarch64-linux-gnu,
# node with tests/interop's npm packages (tests/run.sh installs them all).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
arch=${1:-}
shift || true
agent_dir=""
image_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --agent) agent_dir=$2; shift 2 ;;
    --image-only) image_only=1; shift ;;
    *) echo "usage: $0 x64|arm64 [--agent DIR] [--image-only]" >&2; exit 2 ;;
  esac
done
say() { printf '[tests/qemu %s] %s\n' "$arch" "$*" >&2; }

case "$arch" in
  x64)
    publish=(--aot linux-x64)
    published=out/linux-x64-aot
    qemu=(qemu-system-x86_64 -M q35 -cpu max)
    console=ttyS0
    overall=900 ;;
  arm64)
    publish=(linux-arm64)
    published=out/linux-arm64
    qemu=(qemu-system-aarch64 -M virt -cpu cortex-a57)
    console=ttyAMA0
    overall=1800 ;;
  *) echo "usage: $0 x64|arm64 [--agent DIR]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { say "must run as root (the image build uses debootstrap and chroot)"; exit 2; }

# --- boot files, cached by the hash of what builds them -------------------------------------------------
cache=${USP_QEMU_CACHE:-/var/cache/usp-agent-qemu}
key=$(cd "$here/image" && cat $(ls | sort) | sha256sum | cut -c1-16)
image="$cache/$arch-$key"
mkdir -p "$cache"
t0=$SECONDS
(
  flock 9
  if [ ! -f "$image/rootfs.img" ]; then
    say "building the guest image (cache miss: $image)"
    "$here/image/build.sh" "$arch" "$image"
    # Images of older versions of the build script are of no further use.
    find "$cache" -maxdepth 1 -name "$arch-*" ! -name "$arch-$key" -exec rm -rf {} +
  fi
) 9>"$cache/.lock-$arch"
image_seconds=$((SECONDS - t0))
if [ "$image_only" = 1 ]; then say "image ready in $image_seconds s: $image"; exit 0; fi

# --- the agent --------------------------------------------------------------------------------------------
t0=$SECONDS
if [ -z "$agent_dir" ]; then
  say "publishing the agent: publish.sh ${publish[*]}"
  "$repo/publish.sh" "${publish[@]}" >&2
  agent_dir="$repo/$published"
fi
[ -x "$agent_dir/usp-agent" ] || { say "no usp-agent in $agent_dir"; exit 2; }
publish_seconds=$((SECONDS - t0))

work=$(mktemp -d /tmp/usp-qemu-run.XXXXXX)
qemu_pid=""
monitor() { # COMMAND: send one line to the QEMU monitor
  python3 - "$work/monitor.sock" "$1" <<'EOF' 2>/dev/null || true
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
time.sleep(0.5)
EOF
}
cleanup() {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    monitor quit
    sleep 1
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- the payload disk: guest scripts and the agent --------------------------------------------------------
payload="$work/payload"
mkdir -p "$payload/agent"
cp "$here/guest/guest.sh" "$here/guest/hardware.sh" "$here/guest/usp-agent.service" "$payload/"
cp -a "$agent_dir/." "$payload/agent/"
size_mb=$(( $(du -sm "$payload" | cut -f1) + 64 ))
truncate -s "${size_mb}M" "$work/payload.img"
mkfs.ext4 -q -L usp-payload -d "$payload" "$work/payload.img"
qemu-img create -q -f qcow2 -F raw -b "$image/rootfs.img" "$work/root.qcow2"

free_udp_port() {
  python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
agent_port=$(free_udp_port)

# --- boot ---------------------------------------------------------------------------------------------------
say "booting ($image, agent port 127.0.0.1:$agent_port)"
t0=$SECONDS
timeout --kill-after=10 "$overall" "${qemu[@]}" -smp 2 -m 1024 -accel tcg,thread=multi \
  -display none -no-reboot -nodefaults \
  -kernel "$image/vmlinuz" -initrd "$image/initrd.img" -append "console=$console panic=-1 quiet" \
  -drive "file=$work/root.qcow2,format=qcow2,if=none,id=root" -device virtio-blk-pci,drive=root \
  -drive "file=$work/payload.img,format=raw,if=none,id=payload,readonly=on" -device virtio-blk-pci,drive=payload \
  -netdev "user,id=n0,hostfwd=udp:127.0.0.1:$agent_port-:5683" -device virtio-net-pci,netdev=n0 \
  -device virtio-serial-pci,id=vser -chardev "socket,id=cmd,path=$work/cmd.sock,server=on,wait=on" \
  -device virtserialport,bus=vser.0,chardev=cmd,name=usp-cmd \
  -serial "file:$work/console.log" -monitor "unix:$work/monitor.sock,server=on,wait=off" &
qemu_pid=$!

status=0
timeout --kill-after=10 "$overall" node "$here/checks.js" --arch "$arch" --cmd-socket "$work/cmd.sock" \
  --agent-port "$agent_port" --install files || status=$?
checks_seconds=$((SECONDS - t0))

# The guest powers off after the checks; the monitor and the kill are the safety nets.
# (A guest that never started, because checks.js failed before connecting, is not waited for.)
[ -s "$work/console.log" ] || monitor quit
for _ in $(seq 1 120); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$qemu_pid" 2>/dev/null; then
  say "the guest did not power off within 60 s: quitting QEMU through its monitor"
  status=1
fi
if [ "$status" -ne 0 ]; then
  say "serial console (last 80 lines):"
  tail -n 80 "$work/console.log" | sed 's/^/  | /' >&2
fi
say "image $image_seconds s, publish $publish_seconds s, boot + checks + power-off $checks_seconds s"
exit "$status"
