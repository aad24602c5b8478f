#!/usr/bin/env bash
# Fetches the Broadband Forum USP schemas the tests compare against and encode with: the protobufjs JSON
# descriptors of USP 1.1-1.4 (usp-msg, usp-record) shipped by the npm package usp-js (BSD-3-Clause, by a USP
# implementer), pinned by version and sha512. Only the package's tarball is fetched (`npm pack`: none of its
# dependencies, which the tests do not use); the descriptors are written as plain JSON files to
#   tests/interop/usp-schemas/usp-{msg,record}-1-{1,2,3,4}.json
# where tests/interop/usp-controller.js, tests/interop/usp-encode.js and tests/Usp.Proto.Tests read them.
set -euo pipefail

version=0.5.1
integrity=sha512-s3vcqVf6bzeSS9k3CZFpEGiiH8Joh2oveAgEBZEFA3naoWpMP71EwHfe3iXroCnS7xx1/Vxl324QUQoPABQmLg==

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dest="$here/usp-schemas"
stamp="$dest/usp-js-$version"
[ -f "$stamp" ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "usp-js@$version" --loglevel=error >/dev/null)
tarball="$work/usp-js-$version.tgz"
actual=$(node -e 'const c = require("crypto"); process.stdout.write("sha512-" + c.createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tarball")
if [ "$actual" != "$integrity" ]; then
  echo "fetch-usp-schemas.sh: usp-js $version does not match its pinned sha512 ($actual)" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work" package/LICENSE package/node/specs

rm -rf "$dest"
mkdir -p "$dest"
for spec in "$work"/package/node/specs/usp-*-1-*.js; do
  name=$(basename "$spec" .js)
  node -e 'process.stdout.write(JSON.stringify(require(process.argv[1]).default, null, 1) + "\n")' "$spec" >"$dest/$name.json"
done
cp "$work/package/LICENSE" "$dest/LICENSE.usp-js"
echo "usp-js $version ($integrity)" >"$stamp"
