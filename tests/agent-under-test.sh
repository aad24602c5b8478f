# Sourced by scripts that run a published usp-agent. Sets the array `agent_launcher` to what runs the
# executable $1 on this host: nothing for a native one, qemu-aarch64-static for an aarch64 one on another
# architecture. qemu takes the arm64 loader and libraries from Debian's cross packages (libc6-arm64-cross,
# libgcc-s1-arm64-cross, libstdc++6-arm64-cross): QEMU_LD_PREFIX points the loader there, and
# LD_LIBRARY_PATH keeps it from picking up a multiarch libc6:arm64 of another build from /lib/aarch64-linux-gnu.
agent_launcher_for() {
  agent_launcher=()
  local machine
  machine=$(od -An -tu2 -j18 -N2 "$1" | tr -d ' ')
  if [ "$machine" = 183 ] && [ "$(uname -m)" != aarch64 ]; then
    command -v qemu-aarch64-static >/dev/null 2>&1 \
      || { echo "$1 is an aarch64 executable: running it here needs qemu-aarch64-static (apt-get install qemu-user-static libc6-arm64-cross libgcc-s1-arm64-cross libstdc++6-arm64-cross)" >&2; return 1; }
    [ -f /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] \
      || { echo "$1 is an aarch64 executable: running it here needs the arm64 loader (apt-get install libc6-arm64-cross libgcc-s1-arm64-cross libstdc++6-arm64-cross)" >&2; return 1; }
    agent_launcher=(env QEMU_LD_PREFIX=/usr/aarch64-linux-gnu LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib qemu-aarch64-static)
  fi
}
