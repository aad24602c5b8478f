'use strict';
// The USP schemas of usp-js (fetched into usp-schemas/ by fetch-usp-schemas.sh) as a protobufjs Root:
// loadUsp('1.4') has usp.Msg and usp_record.Record of USP 1.4, with protobufjs's camelCase field names.
const fs = require('fs');
const path = require('path');
const protobuf = require('protobufjs');

function loadUsp(version, dir) {
  const schemaDir = dir || path.join(__dirname, 'usp-schemas');
  const root = new protobuf.Root();
  for (const kind of ['msg', 'record']) {
    const file = path.join(schemaDir, `usp-${kind}-${version.replace('.', '-')}.json`);
    if (!fs.existsSync(file)) {
      throw new Error(`${file} is missing: run tests/run.sh (or tests/interop/fetch-usp-schemas.sh)`);
    }
    root.addJSON(JSON.parse(fs.readFileSync(file, 'utf8')).nested);
  }
  return root.resolveAll();
}

module.exports = { loadUsp };
