#!/usr/bin/env bash
# Publishes usp-agent as a trimmed, ReadyToRun, self-contained single file for each RID given
# (default linux-x64; also linux-arm64 and linux-arm) into out/<rid>/.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$repo"
project=agent/Usp.Agent.csproj

[ $# -gt 0 ] || set -- linux-x64

for rid in "$@"; do
  case "$rid" in
    linux-x64|linux-arm64|linux-arm) ;;
    *) echo "publish.sh: unsupported RID '$rid' (use linux-x64, linux-arm64 or linux-arm)" >&2; exit 2 ;;
  esac

  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  # Restore first, on its own, so that a runtime pack the NuGet source does not serve is reported in
  # one line instead of a wall of MSBuild errors.
  if ! dotnet restore "$project" -r "$rid" -p:PublishReadyToRun=true -p:SelfContained=true >"$log" 2>&1; then
    pack=$(grep -oE "Microsoft\.(NETCore\.App\.(Runtime|Crossgen2)|AspNetCore\.App\.Runtime|NET\.ILLink\.Tasks)[A-Za-z0-9.-]*" "$log" | head -n 1 | sed "s/\.$//" || true)
    if [ -n "$pack" ]; then
      echo "publish.sh: cannot publish for $rid: the NuGet source does not serve $pack; build on a machine whose NuGet source serves the $rid runtime packs." >&2
    else
      echo "publish.sh: restore for $rid failed: $(grep -m1 -E 'error' "$log" || tail -n 1 "$log")" >&2
    fi
    exit 1
  fi

  out="out/$rid"
  rm -rf "$out"
  if ! dotnet publish "$project" -c Release -r "$rid" --self-contained true --no-restore \
      -p:PublishSingleFile=true -o "$out" -nologo -clp:NoSummary >"$log" 2>&1; then
    grep -E "error|warning" "$log" | sort -u >&2 || cat "$log" >&2
    echo "publish.sh: publish for $rid failed" >&2
    exit 1
  fi
  # Trim analysis warnings, if any, are listed so they can be judged (README says which are known safe).
  grep -E "warning IL[0-9]+" "$log" | sed 's/^ *//' | sort -u >&2 || true
  echo "published $rid: $repo/$out ($(du -sh "$out" | cut -f1), usp-agent $(du -h "$out/usp-agent" | cut -f1))"
done
