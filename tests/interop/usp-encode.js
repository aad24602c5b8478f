#!/usr/bin/env node
// Encodes one USP Msg or Record with protobufjs and the usp-js schemas of the given USP version (see
// fetch-usp-schemas.sh): an encoder independent of the agent's code, for tests that need the bytes a
// third-party Controller would send.
//
//   node usp-encode.js 1.1|1.2|1.3|1.4 usp.Msg|usp_record.Record < object.json     prints the bytes in hex
//
// The object is protobufjs JSON (camelCase field names, enum names, bytes as base64).
'use strict';

const fs = require('fs');
const protobuf = require('protobufjs');
const { loadUsp } = require('./usp-schemas');

const [version, typeName] = process.argv.slice(2);
if (!/^1\.[1-4]$/.test(version || '') || !typeName) {
  process.stderr.write('usage: node usp-encode.js 1.1|1.2|1.3|1.4 usp.Msg|usp_record.Record < object.json\n');
  process.exit(2);
}

const type = loadUsp(version).lookupType(typeName);
const object = JSON.parse(fs.readFileSync(0, 'utf8'));

// fromObject drops keys it does not know: a misspelt field would go unnoticed, so every key is checked.
function unknownKey(t, value, where) {
  for (const [key, inner] of Object.entries(value)) {
    const field = t.fields[key];
    if (!field) return `${where}.${key} is not a field of ${t.fullName}`;
    const items = field.repeated ? inner : field.map ? Object.values(inner) : [inner];
    if (field.resolve().resolvedType instanceof protobuf.Type) {
      for (const item of items) {
        const found = unknownKey(field.resolvedType, item, `${where}.${key}`);
        if (found) return found;
      }
    }
  }
  return null;
}

const problem = unknownKey(type, object, typeName) || type.verify(type.fromObject(object));
if (problem) {
  process.stderr.write(`usp-encode.js: ${problem}\n`);
  process.exit(1);
}
process.stdout.write(Buffer.from(type.encode(type.fromObject(object)).finish()).toString('hex') + '\n');
