#!/usr/bin/env bash
# Boots a minimal Debian 12 guest under QEMU (TCG) with systemd, installs the agent in it the way a device
# maker would, and checks it from the host with the independent Controller (checks.js):
#   x64    the NativeAOT build's Debian package (deploy/deb/build.sh --aot), installed with dpkg in the booted
#          guest over the board's configuration, started by its maintainer scripts
#   arm64  the ReadyToRun build's image overlay (deploy/overlay.sh) and the board's configuration unpacked into
#          the root file system before the first boot ("flashed into a gateway image"), started by systemd at boot
#
#   tests/qemu/run.sh x64|arm64 [--image-only]
#
# USP_QEMU_FLAVOR=r2r|aot boots the other flavor instead (the same package or overlay of that build), e.g. for the
# memory figures of all four builds in a real kernel; tests/run.sh uses the defaults above.
#
# --image-only builds (or finds in the cache) the guest's boot files and stops. The agent comes from out/ when
# USP_AGENT_PUBLISHED=1 says publish.sh has made it (.ci/run does: out/linux-x64-aot, out/linux-arm64), else it is
# published here. The guest's boot files are built once per version of tests/qemu/image/ and cached under
# $USP_QEMU_CACHE (default tests/.work/qemu/). Exit status 0 when every check passed.
# Needs root, qemu-system-x86 / qemu-system-arm, qemu-user-static, debootstrap, gcc-aarch64-linux-gnu, dpkg-dev,
# node with tests/interop's npm packages (tests/run.sh installs them all).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
arch=${1:-}
shift || true
image_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --image-only) image_only=1; shift ;;
    *) echo "usage: $0 x64|arm64 [--image-only]" >&2; exit 2 ;;
  esac
done
say() { printf '[tests/qemu %s] %s\n' "$arch" "$*" >&2; }

case "$arch" in
  x64)
    rid=linux-x64 flavor=--aot published=out/linux-x64-aot install=deb
    qemu=(qemu-system-x86_64 -M q35 -cpu max)
    console=ttyS0
    overall=900 ;;
  arm64)
    rid=linux-arm64 flavor="" published=out/linux-arm64 install=overlay
    qemu=(qemu-system-aarch64 -M virt -cpu cortex-a57)
    console=ttyAMA0
    overall=1800 ;;
  *) echo "usage: $0 x64|arm64 [--image-only]" >&2; exit 2 ;;
esac
case "${USP_QEMU_FLAVOR:-}" in
  "") ;;
  aot) flavor=--aot published=out/$rid-aot ;;
  r2r) flavor="" published=out/$rid ;;
  *) echo "USP_QEMU_FLAVOR=${USP_QEMU_FLAVOR}: expected r2r or aot" >&2; exit 2 ;;
esac
flavor_name=r2r
[ -z "$flavor" ] || flavor_name=aot
[ "$(id -u)" -eq 0 ] || { say "must run as root (the image build uses debootstrap and chroot)"; exit 2; }

# --- boot files, cached by the hash of what builds them -------------------------------------------------
cache=${USP_QEMU_CACHE:-$repo/tests/.work/qemu}
key=$(cd "$here/image" && cat $(ls | sort) | sha256sum | cut -c1-16)
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
image="$cache/$arch-$key"
t0=$SECONDS
(
  flock 9
  if [ ! -d "$image/root" ]; then
    say "building the guest image (cache miss: $image)"
    "$here/image/build.sh" "$arch" "$image"
    # Images of older versions of the build script are of no further use.
    find "$cache" -maxdepth 1 -name "$arch-*" ! -name "$arch-$key" -exec rm -rf {} +
  fi
) 9>"$cache/.lock-$arch"
image_seconds=$((SECONDS - t0))
if [ "$image_only" = 1 ]; then say "image ready in $image_seconds s: $image"; exit 0; fi

# --- the agent, packaged ------------------------------------------------------------------------------------
t0=$SECONDS
if [ "${USP_AGENT_PUBLISHED:-0}" = 1 ] && [ -x "$repo/$published/usp-agent" ]; then
  say "the agent from $published (USP_AGENT_PUBLISHED=1)"
else
  say "publishing the agent: publish.sh $flavor $rid"
  "$repo/publish.sh" $flavor "$rid" >&2
fi
[ -x "$repo/$published/usp-agent" ] || { say "no usp-agent in $published"; exit 2; }

# The run's disks next to the cached root (cp -al needs the same file system); QEMU's sockets in a short path
# (a UNIX socket's path has at most 107 bytes).
work=$(mktemp -d "$cache/.run-$arch.XXXXXX")
sockets=$(mktemp -d /tmp/usp-qemu.XXXXXX)
qemu_pid=""
monitor() { # COMMAND: send one line to the QEMU monitor
  python3 - "$sockets/monitor.sock" "$1" <<'PY' 2>/dev/null || true
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
time.sleep(0.5)
PY
}
cleanup() {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    monitor quit
    sleep 1
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  rm -rf "$work" "$sockets"
}
trap cleanup EXIT

free_udp_port() {
  python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
agent_port=$(free_udp_port)
controller_port=$(free_udp_port)

# --- the payload disk: guest scripts, the board's BME280 registers, (x64) the package ---------------------------
payload="$work/payload"
mkdir -p "$payload"
cp "$here/guest/guest.sh" "$here/guest/hardware.sh" "$payload/"
# The board: the device maker's usp-agent.json and factory defaults, and the registers the BME280 stub holds.
# On arm64 the stub is the only I2C adapter of -M virt, so its bus is i2c-0; x64's is found in the booted guest.
board=(--write-board "$work/board" --arch "$arch" --controller-port "$controller_port")
[ "$arch" = arm64 ] && board+=(--i2c-bus 0)
node "$here/checks.js" "${board[@]}"
cp "$work/board/bme280.regs" "$payload/"
case "$install" in
  deb)
    "$repo/deploy/deb/build.sh" $flavor "$rid" "$payload" >&2
    package=$(cd "$payload" && ls usp-agent_*.deb)
    say "package: $package" ;;
  overlay)
    "$repo/deploy/overlay.sh" $flavor "$rid" "$work/overlay.tar.gz" >&2
    say "overlay: $(du -h "$work/overlay.tar.gz" | cut -f1)" ;;
esac
package_seconds=$((SECONDS - t0))
t0=$SECONDS
size_mb=$(( $(du -sm "$payload" | cut -f1) + 16 ))
truncate -s "${size_mb}M" "$work/payload.img"
mkfs.ext4 -q -L usp-payload -d "$payload" "$work/payload.img"

# --- this run's root file system: the cached root (hard links), on arm64 with the overlay and the board's files --
cp -al "$image/root" "$work/root"
if [ "$install" = overlay ]; then
  # tar replaces a file by unlinking it first, so the cached root's hard-linked files are never written through.
  tar -xzf "$work/overlay.tar.gz" -C "$work/root"
  install -m 0644 "$work/board/usp-agent.json" "$work/root/etc/usp-agent/usp-agent.json"
  install -m 0644 "$work/board/factory-defaults.txt" "$work/root/etc/usp-agent/factory-defaults.txt"
fi
truncate -s 1800M "$work/rootfs.img"
mkfs.ext4 -q -L usp-root -d "$work/root" "$work/rootfs.img"
rm -rf "$work/root"
disks_seconds=$((SECONDS - t0))

# --- boot ---------------------------------------------------------------------------------------------------
say "booting ($image, agent port 127.0.0.1:$agent_port)"
t0=$SECONDS
timeout --kill-after=10 "$overall" "${qemu[@]}" -smp 2 -m 1024 -accel tcg,thread=multi \
  -display none -no-reboot -nodefaults \
  -kernel "$image/vmlinuz" -initrd "$image/initrd.img" -append "console=$console panic=-1 quiet" \
  -drive "file=$work/rootfs.img,format=raw,if=none,id=root" -device virtio-blk-pci,drive=root \
  -drive "file=$work/payload.img,format=raw,if=none,id=payload,readonly=on" -device virtio-blk-pci,drive=payload \
  -netdev "user,id=n0,hostfwd=udp:127.0.0.1:$agent_port-:5683" -device virtio-net-pci,netdev=n0 \
  -device virtio-serial-pci,id=vser -chardev "socket,id=cmd,path=$sockets/cmd.sock,server=on,wait=on" \
  -device virtserialport,bus=vser.0,chardev=cmd,name=usp-cmd \
  -serial "file:$work/console.log" -monitor "unix:$sockets/monitor.sock,server=on,wait=off" &
qemu_pid=$!

status=0
timeout --kill-after=10 "$overall" node "$here/checks.js" --arch "$arch" --cmd-socket "$sockets/cmd.sock" \
  --agent-port "$agent_port" --controller-port "$controller_port" --install "$install" --flavor "$flavor_name" || status=$?
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
say "image $image_seconds s, agent packaged $package_seconds s, guest disks made $disks_seconds s, boot + checks + power-off $checks_seconds s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
exit "$status"
