# Shared by deploy/deb/build.sh and deploy/overlay.sh: reads "[--aot] RID", finds the build publish.sh made,
# and lays the agent's files out under a root directory. Sourced, not run.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deploy="$repo/deploy"

# usp_read_build_args [--aot] RID: sets rid, aot (0/1), flavor (r2r/aot), build (the publish.sh output
# directory), deb_arch and version; the remaining arguments are left in usp_rest.
usp_read_build_args() {
  aot=0
  if [ "${1:-}" = "--aot" ]; then aot=1; shift; fi
  rid=${1:-}
  [ -n "$rid" ] || { echo "usage: $(basename "$0") [--aot] RID ..." >&2; exit 2; }
  shift
  usp_rest=("$@")
  case "$rid" in
    linux-x64) deb_arch=amd64 ;;
    linux-arm64) deb_arch=arm64 ;;
    *) echo "$(basename "$0"): unsupported RID '$rid' (use linux-x64 or linux-arm64)" >&2; exit 2 ;;
  esac
  if [ "$aot" -eq 1 ]; then flavor=aot; build="$repo/out/$rid-aot"; else flavor=r2r; build="$repo/out/$rid"; fi
  [ -x "$build/usp-agent" ] || {
    echo "$(basename "$0"): $build/usp-agent not found: run ./publish.sh $([ "$aot" -eq 1 ] && echo "--aot ")$rid first" >&2
    exit 1
  }
  version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props" | head -n 1)
  [ -n "$version" ] || { echo "$(basename "$0"): no <Version> in Directory.Build.props" >&2; exit 1; }
}

# usp_native_files: the published files that ship: the executable and the native libraries beside it
# (SQLite's), not debug symbols.
usp_native_files() {
  (cd "$build" && ls usp-agent *.so 2>/dev/null)
}

# usp_stage ROOT UNIT_DIR UDEV_DIR: the agent's files under ROOT. UNIT_DIR and UDEV_DIR are absolute paths
# inside ROOT (Debian 12 keeps units and rules in /lib; image overlays use /usr/lib, which every systemd
# searches and which does not replace a /lib symlink on merged-/usr systems).
usp_stage() {
  local root=$1 unit_dir=$2 udev_dir=$3 f
  install -d -m 0755 "$root/usr/lib/usp-agent" "$root/usr/bin" "$root/usr/share/usp-agent" \
    "$root/etc/usp-agent" "$root$unit_dir" "$root$udev_dir"
  for f in $(usp_native_files); do
    if [ "$f" = usp-agent ]; then
      install -m 0755 "$build/$f" "$root/usr/lib/usp-agent/$f"
    else
      install -m 0644 "$build/$f" "$root/usr/lib/usp-agent/$f"
    fi
  done
  # A relative link: the executable finds SQLite's library and its own directory through /proc/self/exe.
  ln -s ../lib/usp-agent/usp-agent "$root/usr/bin/usp-agent"
  install -m 0644 "$deploy/factory-defaults.txt" "$root/usr/share/usp-agent/factory-defaults.txt"
  install -m 0644 "$deploy/usp-agent.json" "$root/etc/usp-agent/usp-agent.json"
  usp_unit >"$root$unit_dir/usp-agent.service"
  chmod 0644 "$root$unit_dir/usp-agent.service"
  install -m 0644 "$deploy/60-usp-agent.rules" "$root$udev_dir/60-usp-agent.rules"
}

# usp_unit: deploy/usp-agent.service for this flavor. The NativeAOT build has no JIT and no CoreCLR, so it runs
# with MemoryDenyWriteExecute=yes and without the unit's sched_setaffinity relaxation; the ReadyToRun build needs
# writable-then-executable memory for its JIT, and CoreCLR needs sched_setaffinity to start.
usp_unit() {
  if [ "$aot" -eq 1 ]; then
    sed -e 's/^MemoryDenyWriteExecute=no$/MemoryDenyWriteExecute=yes/' \
      -e '/^# Relaxation: sched_setaffinity/,/^SystemCallFilter=sched_setaffinity$/d' "$deploy/usp-agent.service"
  else
    cat "$deploy/usp-agent.service"
  fi
}
