#!/usr/bin/env bash
# Publishes usp-agent for each RID given (default linux-x64; linux-x64 and linux-arm64 are supported,
# linux-arm is tried without --aot and stops with one line where its runtime pack is not served).
#
#   publish.sh [--aot] [RID...]
#
# Without --aot: a trimmed, ReadyToRun, self-contained single file into out/<rid>/.
# With --aot:    a NativeAOT executable with the same feature switches into out/<rid>-aot/; linux-arm64 is
#                cross-compiled on an x64 host with clang + lld and the Debian arm64 cross libraries.
# Each publish prints the output's size and every IL/trim/AOT warning of the build. Nothing is installed: a
# missing toolchain piece is named in one line with the Debian packages that bring it.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$repo"
project=agent/Usp.Agent.csproj

aot=false
rids=()
for arg in "$@"; do
  case "$arg" in
    --aot) aot=true ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "publish.sh: unknown option '$arg' (usage: publish.sh [--aot] [RID...])" >&2; exit 2 ;;
    *) rids+=("$arg") ;;
  esac
done
[ ${#rids[@]} -gt 0 ] || rids=(linux-x64)

host_arch=$(uname -m)

# Prints the Debian packages missing for a NativeAOT build of $1 on this host (nothing when all are there).
missing_aot_toolchain() {
  local rid=$1 missing=()
  command -v clang >/dev/null 2>&1 || missing+=(clang)
  if [ "$rid" = linux-arm64 ] && [ "$host_arch" != aarch64 ]; then
    command -v ld.lld >/dev/null 2>&1 || missing+=(lld)
    [ -f /usr/aarch64-linux-gnu/lib/crt1.o ] || missing+=(libc6-dev-arm64-cross)
    compgen -G "/usr/lib/gcc-cross/aarch64-linux-gnu/*/crtbegin.o" >/dev/null || missing+=(libgcc-12-dev-arm64-cross)
    command -v aarch64-linux-gnu-objcopy >/dev/null 2>&1 || missing+=(binutils-aarch64-linux-gnu)
  elif [ "$rid" = linux-x64 ] && [ "$host_arch" != x86_64 ]; then
    echo "(an x64 host: NativeAOT for linux-x64 is built on x64 only)"
    return
  else
    command -v objcopy >/dev/null 2>&1 || missing+=(binutils)
    [ -f "/usr/lib/$host_arch-linux-gnu/crt1.o" ] || missing+=(libc6-dev)
  fi
  echo "${missing[*]}"
}

for rid in "${rids[@]}"; do
  case "$rid" in
    linux-x64|linux-arm64) ;;
    # 32-bit ARM: tried, so that a NuGet source serving its runtime pack publishes it; no NativeAOT flavor.
    linux-arm)
      if $aot; then
        echo "publish.sh: no NativeAOT build for linux-arm (32-bit): publish it without --aot, or linux-arm64 for 64-bit ARM boards" >&2
        exit 2
      fi ;;
    *) echo "publish.sh: unsupported RID '$rid' (use linux-x64 or linux-arm64)" >&2; exit 2 ;;
  esac

  flavor_props=(-p:PublishReadyToRun=true -p:PublishSingleFile=true -p:PublishAot=false)
  out="out/$rid"
  flavor="trimmed ReadyToRun single file"
  if $aot; then
    missing=$(missing_aot_toolchain "$rid")
    if [ -n "$missing" ]; then
      echo "publish.sh: NativeAOT for $rid needs Debian packages that are not installed: $missing (apt-get install $missing)" >&2
      exit 1
    fi
    # The native symbols (usp-agent.dbg) stay in obj/: a board image ships the stripped executable.
    flavor_props=(-p:PublishAot=true -p:PublishReadyToRun=false -p:PublishSingleFile=false -p:CopyOutputSymbolsToPublishDirectory=false)
    if [ "$rid" = linux-arm64 ] && [ "$host_arch" != aarch64 ]; then
      # clang targets aarch64 and finds the Debian cross libraries in /usr/aarch64-linux-gnu by itself.
      flavor_props+=(-p:LinkerFlavor=lld -p:ObjCopyName=aarch64-linux-gnu-objcopy)
    fi
    out="out/$rid-aot"
    flavor="NativeAOT"
  fi

  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  # Restore first, on its own, so that a runtime pack the NuGet source does not serve is reported in
  # one line instead of a wall of MSBuild errors.
  if ! dotnet restore "$project" -r "$rid" -p:SelfContained=true "${flavor_props[@]}" >"$log" 2>&1; then
    pack=$(grep -oE "(Microsoft\.(NETCore\.App\.(Runtime|Crossgen2)|AspNetCore\.App\.Runtime|NET\.ILLink\.Tasks|DotNet\.ILCompiler)|runtime\.linux-[a-z0-9]+\.Microsoft\.DotNet\.ILCompiler)[A-Za-z0-9.-]*" "$log" | head -n 1 | sed "s/\.$//" || true)
    if [ -n "$pack" ]; then
      echo "publish.sh: cannot publish for $rid: the NuGet source does not serve $pack; build on a machine whose NuGet source serves the $rid runtime packs." >&2
    else
      echo "publish.sh: restore for $rid failed: $(grep -m1 -E 'error' "$log" || tail -n 1 "$log")" >&2
    fi
    exit 1
  fi

  rm -rf "$out"
  if ! dotnet publish "$project" -c Release -r "$rid" --self-contained true --no-restore "${flavor_props[@]}" \
      -o "$out" -nologo -clp:NoSummary >"$log" 2>&1; then
    grep -E "error|warning" "$log" | sed 's/^ *//' | sort -u >&2 || cat "$log" >&2
    echo "publish.sh: $flavor publish for $rid failed" >&2
    exit 1
  fi
  # NativeAOT compiled the libraries into the executable: their .pdb files describe nothing that ships.
  ! $aot || rm -f "$out"/*.pdb
  # Every IL/trim/AOT warning is listed so it can be judged; a clean build prints none.
  warnings=$(grep -oE "warning (IL[0-9]+|[A-Z]+[0-9]+)?:? .*" "$log" | sed 's/ \[[^]]*\]$//' | sort -u || true)
  if [ -n "$warnings" ]; then
    printf '%s\n' "$warnings" >&2
    echo "publish.sh: $rid $flavor: $(printf '%s\n' "$warnings" | wc -l) warning(s) above" >&2
  fi
  echo "published $rid ($flavor): $repo/$out ($(du -sh "$out" | cut -f1), usp-agent $(du -h "$out/usp-agent" | cut -f1))"
done
