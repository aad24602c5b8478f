#!/usr/bin/env bash
# Runs every test of Usp.Agent. Installs the test peers it needs (Debian packages, npm packages into
# tests/interop), restores and builds once, runs each test project, and ends with the summary line
#   N passed, N failed[, N skipped]
# computed from the TRX results. Exit status 0 means every test passed.
# USP_LONG_TESTS=1 runs the long variants of the robustness tests: 200 SIGKILL trials instead of 20, 1M fuzzed CoAP
# datagrams instead of 100k, 100k USP Records/Msgs and DTLS records instead of 10k, a 10 s ClientHello flood instead of
# 2 s, 20,000 distinct Controller ports instead of 4,000.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
work="$repo/tests/.work"
results="$work/results"
configuration=Release

say() { printf '[tests/run.sh] %s\n' "$*" >&2; }

# --- Debian packages the tests drive as independent peers -----------------------------------
# libcoap3-bin: coap-client-*/coap-server-* (CoAP interop); nodejs/npm: the node-coap + protobufjs
# Controller and encoder in tests/interop; openssl: s_client/s_server -dtls1_2 (DTLS interop); tshark: the
# capture showing HelloVerifyRequest first.
# avahi-daemon, avahi-utils, dbus, python3-zeroconf: the mDNS peers of the discovery tests, which start their own
# avahi-daemon and bus inside network namespaces (tests/Usp.Agent.Tests/Discovery).
# systemd, lintian, debootstrap, dpkg-dev, file, python3-seccomp: the deployment tests (tests/deploy/run.sh), with the arm64 C and C++
# runtime libraries that dpkg-shlibdeps reads for the arm64 package.
apt_packages=(libcoap3-bin python3-protobuf openssl tshark avahi-daemon avahi-utils dbus python3-zeroconf systemd lintian debootstrap dpkg-dev file python3-seccomp
  libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64)
# The published builds' end-to-end runs: NativeAOT (clang; lld and the arm64 cross toolchain for linux-arm64 on
# x64) and arm64 executables under qemu-user with Debian's arm64 loader and libraries.
if [ "${USP_TESTS_PUBLISHED:-1}" != 0 ]; then
  apt_packages+=(clang lld libc6-dev-arm64-cross libgcc-12-dev-arm64-cross binutils-aarch64-linux-gnu
    qemu-user-static libc6-arm64-cross libgcc-s1-arm64-cross libstdc++6-arm64-cross)
fi
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
# The QEMU system-VM tests (tests/qemu, as root only): the emulators, qemu-img, debootstrap and qemu-user for
# the guests' roots, what builds the out-of-tree kernel modules (make, gcc-12, the arm64 cross compiler), and
# the NativeAOT toolchain for the agent both guests run (when .ci/run has not published it).
qemu_vms=1
[ "$(id -u)" -eq 0 ] || qemu_vms=0
[ "${USP_SKIP_QEMU:-0}" = 1 ] && qemu_vms=0
if [ "$qemu_vms" = 1 ]; then
  apt_packages+=(qemu-system-x86 qemu-system-arm qemu-user-static qemu-utils debootstrap kmod cpio xz-utils
    e2fsprogs make gcc-12 gcc-aarch64-linux-gnu python3 clang lld binutils libc6-dev libc6-dev-arm64-cross
    libgcc-12-dev-arm64-cross binutils-aarch64-linux-gnu)
fi

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing Debian packages: ${missing[*]}"
  dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
  # tshark asks whether non-root users may capture: answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  # Installing avahi-daemon must not start a daemon on the host (it would answer on the host's UDP 5353 for the
  # rest of the run): without a policy-rc.d of the machine's own, one that refuses every start is in place meanwhile.
  policy=/usr/sbin/policy-rc.d
  own_policy=""
  if [ ! -e "$policy" ]; then
    own_policy=1
    printf '#!/bin/sh\n# tests/run.sh: no service starts while the test peers are installed\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
  fi
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  status=0
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  [ -z "$own_policy" ] || $sudo rm -f "$policy"
  [ "$status" -eq 0 ] || { say "apt-get install failed ($status)"; exit "$status"; }
fi

# --- npm packages for the independent Controller and CoAP peer --------------------------------
if [ ! -d tests/interop/node_modules ] || [ tests/interop/package.json -nt tests/interop/node_modules ]; then
  say "installing npm packages into tests/interop/node_modules"
  (cd tests/interop && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  touch tests/interop/node_modules
fi
# The USP schemas the tests compare against and encode with: usp-js's protobufjs descriptors (pinned, checked).
tests/interop/fetch-usp-schemas.sh

command -v dotnet >/dev/null 2>&1 || { say "the .NET SDK (dotnet) is not on PATH"; exit 2; }

# --- the VM tests' guest images build (or come from their cache) while the solution builds and tests ------
mkdir -p "$work"
qemu_image_pids=()
if [ "$qemu_vms" = 1 ]; then
  for arch in x64 arm64; do
    say "preparing the $arch guest image in the background (log: tests/.work/qemu-image-$arch.log)"
    tests/qemu/run.sh "$arch" --image-only >"$work/qemu-image-$arch.log" 2>&1 &
    qemu_image_pids+=($!)
  done
fi

# --- restore and build once -----------------------------------------------------------------------
say "restoring and building ($configuration)"
dotnet restore Usp.Agent.sln --verbosity quiet
dotnet build Usp.Agent.sln -c "$configuration" --no-restore --verbosity quiet -nologo -clp:ErrorsOnly

# --- run every test project -----------------------------------------------------------------------
rm -rf "$results"
mkdir -p "$results"
crashed=0
# Tests that measure the process's managed heap (trait Isolation=OwnProcess) run in a test process of their own after
# the rest of their project, so that no earlier test's leftovers are counted against them.
run_tests() { # PROJECT NAME [FILTER]
  say "running $2${3:+ ($3)}"
  if ! dotnet test "$1" -c "$configuration" --no-build --nologo ${3:+--filter "$3"} \
      --logger "trx;LogFileName=$2.trx" --logger "console;verbosity=normal" \
      --results-directory "$results" --blame-hang-timeout 10m; then
    # A failing test also lands here; a crash is told apart below by the missing or short TRX.
    [ -f "$results/$2.trx" ] || { say "$2 produced no results: its test host failed"; crashed=$((crashed + 1)); }
  fi
}
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  if grep -rqs --include='*.cs' 'Trait(DtlsMemoryCollection.Trait' "$(dirname "$project")"; then
    run_tests "$project" "$name" "Isolation!=OwnProcess"
    run_tests "$project" "$name.OwnProcess" "Isolation=OwnProcess"
  else
    run_tests "$project" "$name"
  fi
done

# --- the end-to-end tests again, against each published build ----------------------------------------
# linux-arm64 (ReadyToRun and NativeAOT, under qemu-aarch64-static on an x64 host) and linux-x64 NativeAOT, chosen
# by USP_AGENT_UNDER_TEST (tests/Shared/AgentUnderTest.cs). USP_TESTS_PUBLISHED=0 skips this part; with
# USP_AGENT_PUBLISHED=1 (.ci/run published all four first) an existing build in out/ is used as it is.
if [ "${USP_TESTS_PUBLISHED:-1}" != 0 ]; then
  for build in "linux-x64 --aot" "linux-arm64 --aot" "linux-arm64"; do
    read -r rid flavor <<<"$build"
    folder="out/$rid${flavor:+-aot}"
    label="$(basename "$folder")"
    started=$SECONDS
    if [ "${USP_AGENT_PUBLISHED:-0}" = 1 ] && [ -x "$folder/usp-agent" ]; then
      echo "using the published $folder/usp-agent" >"$work/publish-$label.log"
    elif say "publishing $label" && ! ./publish.sh $flavor "$rid" >"$work/publish-$label.log" 2>&1; then
      cat "$work/publish-$label.log" >&2
      say "publishing $label failed"
      crashed=$((crashed + 1))
      continue
    fi
    tail -n 1 "$work/publish-$label.log" >&2
    say "running the end-to-end tests against $folder/usp-agent (published in $((SECONDS - started)) s)"
    started=$SECONDS
    # Under qemu-user every agent start costs seconds, so the crash-consistency test (twenty kills and restarts)
    # would mostly measure the emulator; its subject, the database under SIGKILL, runs natively in the other runs. So
    # would the many-ports test (4,000 requests, and the VmRSS of qemu rather than of the agent).
    # The coaps variants need the target's libssl (System.Security.Cryptography loads the agent's certificate with it),
    # which an x64 host has not for arm64 ("No usable version of libssl was found"): under qemu-user they are left out
    # (DisplayName contains "coaps": CoapMtpEndToEndOverCoapsTests, "(transport: Coaps)", Over_coaps_...).
    filter="FullyQualifiedName~Usp.Agent.Tests.EndToEnd"
    [ "$rid" = linux-arm64 ] && [ "$(uname -m)" != aarch64 ] && filter="$filter&FullyQualifiedName!~CrashConsistencyTests&FullyQualifiedName!~ManyPortsTests&DisplayName!~Coaps"
    if ! USP_AGENT_UNDER_TEST="$folder/usp-agent" dotnet test tests/Usp.Agent.Tests/Usp.Agent.Tests.csproj -c "$configuration" \
        --no-build --nologo --filter "$filter" \
        --logger "trx;LogFileName=EndToEnd-$label.trx" --logger "console;verbosity=normal" \
        --results-directory "$results" --blame-hang-timeout 10m; then
      [ -f "$results/EndToEnd-$label.trx" ] || { say "EndToEnd-$label produced no results: its test host failed"; crashed=$((crashed + 1)); }
    fi
    say "end-to-end tests against $label took $((SECONDS - started)) s"
  done
fi

# --- QEMU system VMs: x64 and arm64 guests booting the agent under systemd ----------------------------------
vm_passed=0 vm_failed=0 vm_skipped=0
if [ "$qemu_vms" = 1 ]; then
  for pid in "${qemu_image_pids[@]}"; do wait "$pid" || true; done
  for arch in x64 arm64; do
    say "running tests/qemu/run.sh $arch"
    log="$results/qemu-$arch.log"
    status=0
    tests/qemu/run.sh "$arch" 2>&1 | tee "$log" || status=$?
    ok=$(grep -c '^ok - ' "$log" || true)
    not_ok=$(grep -c '^not ok - ' "$log" || true)
    # A run that fails before its checks (image build, boot) counts as one failure.
    [ "$status" -eq 0 ] || [ "$not_ok" -gt 0 ] || not_ok=1
    vm_passed=$((vm_passed + ok))
    vm_failed=$((vm_failed + not_ok))
  done
else
  say "skipping the QEMU VM tests (they need root; USP_SKIP_QEMU=1 skips them too)"
  vm_skipped=2
fi

# --- what deploy/ ships: unit, packages, overlays (needs root: chroot and mounts) --------------------
passed=0 failed=0 skipped=0
if [ "$(id -u)" -eq 0 ]; then
  say "running tests/deploy/run.sh"
  tests/deploy/run.sh "$results/deploy.counts" 2>&1 | tee "$results/deploy.log" || true
  if [ ! -f "$results/deploy.counts" ]; then
    say "tests/deploy/run.sh ended without results"
    crashed=$((crashed + 1))
  else
    passed=$((passed + $(sed -n 's/.*passed=\([0-9]*\).*/\1/p' "$results/deploy.counts")))
    failed=$((failed + $(sed -n 's/.*failed=\([0-9]*\).*/\1/p' "$results/deploy.counts")))
    skipped=$((skipped + $(sed -n 's/.*skipped=\([0-9]*\).*/\1/p' "$results/deploy.counts")))
  fi
else
  say "tests/deploy/run.sh skipped: it needs root (chroot, mount)"
  skipped=$((skipped + 1))
fi

# --- the load generator of bench/run.sh: a few requests over coap and coaps to the published agent ------------
smoke_agent=""
for candidate in out/linux-x64/usp-agent out/linux-x64-aot/usp-agent; do
  [ -n "$smoke_agent" ] || [ ! -x "$candidate" ] || smoke_agent=$candidate
done
if [ -n "$smoke_agent" ]; then
  say "running the load generator's smoke test (bench/Usp.Bench: load smoke against $smoke_agent)"
  if dotnet "bench/Usp.Bench/bin/$configuration/net10.0/Usp.Bench.dll" load smoke --build "x64=$smoke_agent" >"$results/bench-smoke.log" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    touch "$results/bench-smoke.failed"
    say "load generator smoke test failed:"
    cat "$results/bench-smoke.log" >&2
  fi
else
  say "load generator smoke test skipped: no published x64 agent in out/ (./publish.sh first)"
  skipped=$((skipped + 1))
fi

# --- summary from the TRX files ---------------------------------------------------------------------
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  count() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(count passed)))
  failed=$((failed + $(count failed) + $(count error) + $(count timeout) + $(count aborted)))
  skipped=$((skipped + $(count notExecuted)))
done
# The names of the failed tests, with the first line of each message, just above the summary: a CI log that keeps
# only its tail still says which test failed.
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  python3 - "$trx" >&2 <<'PY' || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
trx = sys.argv[1]
for result in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult", ns):
    if result.get("outcome") in ("Failed", "Error", "Timeout", "Aborted"):
        message = result.findtext("t:Output/t:ErrorInfo/t:Message", "", ns).strip().splitlines()
        first = message[0][:300] if message else ""
        print(f"[tests/run.sh] FAILED {result.get('testName')} ({trx.rsplit('/', 1)[-1]}): {first}")
PY
done
for log in "$results"/qemu-*.log; do
  [ -f "$log" ] || continue
  grep '^not ok - ' "$log" | sed "s|^|[tests/run.sh] FAILED $(basename "$log"): |" >&2 || true
done
[ ! -f "$results/deploy.log" ] || grep '^not ok - ' "$results/deploy.log" | sed 's|^|[tests/run.sh] FAILED tests/deploy: |' >&2 || true
[ ! -f "$results/bench-smoke.failed" ] || say "FAILED the load generator's smoke test (its log: $results/bench-smoke.log)"

failed=$((failed + crashed + vm_failed))
passed=$((passed + vm_passed))
skipped=$((skipped + vm_skipped))

summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
