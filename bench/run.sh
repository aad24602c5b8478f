#!/usr/bin/env bash
# One command for the agent's figures: publishes the x64 builds (trimmed ReadyToRun and NativeAOT) when they are
# missing, drives each published usp-agent with the load generator (bench/Usp.Bench, `load suite`) and writes
# bench/results/latest.md (tables), latest.json and SVG plots. Prints figures; asserts nothing. About 6 minutes
# on an idle 2-core machine.
#
#   bench/run.sh [--publish] [--arm64] [--long] [--readme] [-- EXTRA LOAD-SUITE OPTIONS]
#
#   --publish   publish the builds again even when out/ has them (after changing the agent)
#   --arm64     also the two linux-arm64 builds under qemu-user (footprint and the 16-Controller Gets only; indicative)
#   --long      also idle memory after 10 minutes (adds 10 minutes per build)
#   --readme    write the builds table into README.md between its bench/run.sh markers
# Extra options go to the load generator, e.g. `-- --controllers 1,16 --transports coap --seconds 8`.
# The machine may be shared: every figure is labelled with the 1-minute load average of its moment.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
say() { printf '[bench/run.sh] %s\n' "$*" >&2; }
invocation="bench/run.sh${*:+ $*}"

publish=false arm64=false long=false readme=false extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --publish) publish=true ;;
    --arm64) arm64=true ;;
    --long) long=true ;;
    --readme) readme=true ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say "load average: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"

# NativeAOT needs clang (and, for arm64 on x64, the cross toolchain); arm64 builds run under qemu-user.
packages=(clang)
$arm64 && packages+=(lld libc6-dev-arm64-cross libgcc-12-dev-arm64-cross binutils-aarch64-linux-gnu qemu-user-static
  libc6-arm64-cross libgcc-s1-arm64-cross libstdc++6-arm64-cross)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

builds=("x64-r2r=out/linux-x64/usp-agent" "x64-aot=out/linux-x64-aot/usp-agent")
$arm64 && builds+=("arm64-r2r=out/linux-arm64/usp-agent" "arm64-aot=out/linux-arm64-aot/usp-agent")
for b in "${builds[@]}"; do
  name=${b%%=*} binary=${b#*=}
  if $publish || [ ! -x "$binary" ]; then
    rid=linux-${name%%-*}
    say "publishing $name"
    case "$name" in
      *-aot) ./publish.sh --aot "$rid" ;;
      *) ./publish.sh "$rid" ;;
    esac
  fi
done

say "building the load generator (bench/Usp.Bench, Release)"
dotnet build bench/Usp.Bench -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null

args=(load suite --out bench/results --command "$invocation")
for b in "${builds[@]}"; do args+=(--build "$b"); done
$long && args+=(--long-idle-minutes 10)
$readme && args+=(--readme README.md)
dotnet bench/Usp.Bench/bin/Release/net10.0/Usp.Bench.dll "${args[@]}" "${extra[@]}"
