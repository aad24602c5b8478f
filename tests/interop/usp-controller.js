#!/usr/bin/env node
// An independent USP Controller for the end-to-end tests: CoAP from the npm `coap` package, protobuf
// from `protobufjs` loaded with the Broadband Forum USP 1.4 schemas as usp-js ships them (usp-schemas/, fetched by
// fetch-usp-schemas.sh). Nothing here uses the agent's own code.
//
//   node usp-controller.js --from proto::ctrl [--schema-dir DIR] [--reply-form uri|seed]
//                          [--listen-port N] [--auto-notify-resp] [--reply-host HOST] [--reply-to URI]
//                          [--timing JSON]
//
// It listens for Records POSTed to coap://127.0.0.1:<port>/ctrl and talks JSON lines (--reply-host puts
// another host in the reply-to it sends, e.g. 10.0.2.2, the address a QEMU guest reaches the host's
// loopback by):
//   stdout  {"event":"listening","port":N,"replyTo":"..."}
//           {"event":"record","from":..,"to":..,"version":..,"msg":{...},"coap":{"contentFormat":..,"query":[..]}}
//           {"event":"bad-record","error":"...","coap":{...}}
//           {"event":"sent","id":..,"code":"2.04","payload":"..."}      (CoAP response to our POST)
//           {"event":"send-failed","id":..,"error":"..."}
//   stdin   {"id":..,"usp":{ Msg as protobufjs JSON },"agent":"coap://HOST:PORT/PATH","to":"EndpointID"}
//           {"id":..,"coap":{"agent":"coap://HOST:PORT/PATH","method":"POST","query":["reply-to=..."],
//                            "contentFormat":42|null,"payloadHex":"..."}}   (raw CoAP, for negative tests)
//           {"id":..,"record":{"agent":..., Record fields as JSON, "payloadMsg":{Msg}}}   (custom Record)
'use strict';

const path = require('path');
const readline = require('readline');
const coap = require('coap');
const { loadUsp } = require('./usp-schemas');

function parseArgs(argv) {
  const args = { from: 'proto::usp-controller', replyForm: 'uri', listenPort: 0, autoNotifyResp: false, replyHost: '127.0.0.1',
    schemaDir: path.join(__dirname, 'usp-schemas') };
  for (let i = 0; i < argv.length; i++) {
    const next = () => argv[++i];
    switch (argv[i]) {
      case '--from': args.from = next(); break;
      case '--schema-dir': args.schemaDir = next(); break;
      case '--reply-form': args.replyForm = next(); break;
      case '--listen-port': args.listenPort = Number(next()); break;
      case '--auto-notify-resp': args.autoNotifyResp = true; break;
      case '--reply-host': args.replyHost = next(); break;
      case '--reply-to': args.replyTo = next(); break; // the whole reply-to, e.g. a relay's in front of us
      case '--timing': args.timing = JSON.parse(next()); break; // node-coap's transmission parameters (RFC 7252 4.8)
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
if (args.timing) coap.updateTiming(args.timing);
const root = loadUsp('1.4', args.schemaDir);
const Msg = root.lookupType('usp.Msg');
const Record = root.lookupType('usp_record.Record');
const toJson = { longs: String, enums: String, bytes: String, defaults: false, oneofs: false };

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const ourPath = 'ctrl';
let replyTo = '';
let lastAgentTarget = null;
let pending = 0;
let stdinClosed = false;
const exitWhenIdle = () => { if (stdinClosed && pending === 0) { server.close(); process.exit(0); } };

function encodeRecord(to, msgObject, extra) {
  const payload = Msg.encode(Msg.fromObject(msgObject)).finish();
  const record = Object.assign({ version: '1.4', toId: to, fromId: args.from, noSessionContext: { payload } }, extra || {});
  return Buffer.from(Record.encode(Record.fromObject(record)).finish());
}

function target(uri) {
  const u = new URL(uri);
  return { hostname: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 5683), pathname: decodeURIComponent(u.pathname) };
}

function post(id, agentUri, opts) {
  const t = target(agentUri);
  const req = coap.request({
    hostname: t.hostname, port: t.port, pathname: t.pathname, method: opts.method || 'POST',
    query: (opts.query || []).join('&'), confirmable: true,
  });
  if (opts.contentFormat !== null && opts.contentFormat !== undefined) {
    req.setOption('Content-Format', encodeUint(opts.contentFormat));
  }
  pending++;
  let done = false;
  const finish = (obj) => { if (done) return; done = true; emit(obj); pending--; exitWhenIdle(); };
  req.on('response', (res) => {
    finish({ event: 'sent', id, code: res.code, payload: res.payload.toString('utf8') });
    res.resume();
  });
  req.on('error', (err) => finish({ event: 'send-failed', id, error: String(err && err.message || err) }));
  req.on('timeout', (err) => finish({ event: 'send-failed', id, error: `timeout: ${err && err.message}` }));
  req.end(opts.payload && opts.payload.length ? opts.payload : undefined);
}

function encodeUint(n) {
  if (n === 0) return Buffer.alloc(0);
  const bytes = [];
  while (n > 0) { bytes.unshift(n & 0xff); n = Math.floor(n / 256); }
  return Buffer.from(bytes);
}

function replyToQuery() {
  return `reply-to=${args.replyForm === 'seed' ? replyTo.replace(/^coap:\/\//, '') : replyTo}`;
}

function handleCommand(line) {
  if (!line.trim()) return;
  let cmd;
  try { cmd = JSON.parse(line); } catch (e) { emit({ event: 'error', error: `bad command: ${e.message}` }); return; }
  try {
    if (cmd.usp) {
      lastAgentTarget = cmd.agent;
      const payload = encodeRecord(cmd.to, cmd.usp);
      post(cmd.id, cmd.agent, { contentFormat: 42, query: [replyToQuery()], payload });
    } else if (cmd.record) {
      const r = Object.assign({}, cmd.record);
      const agent = r.agent; delete r.agent;
      const msgObject = r.payloadMsg; delete r.payloadMsg;
      const payload = msgObject ? Msg.encode(Msg.fromObject(msgObject)).finish() : Buffer.alloc(0);
      const record = Object.assign({ version: '1.4', fromId: args.from, noSessionContext: { payload } }, r);
      post(cmd.id, agent, { contentFormat: 42, query: [replyToQuery()], payload: Buffer.from(Record.encode(Record.fromObject(record)).finish()) });
    } else if (cmd.coap) {
      const c = cmd.coap;
      post(cmd.id, c.agent, { method: c.method, query: c.query || [], contentFormat: c.contentFormat,
        payload: c.payloadHex ? Buffer.from(c.payloadHex, 'hex') : null });
    } else {
      emit({ event: 'error', id: cmd.id, error: 'command needs usp, record or coap' });
    }
  } catch (e) {
    emit({ event: 'error', id: cmd.id, error: String(e.message || e) });
  }
}

const server = coap.createServer({ type: 'udp4' });
server.on('request', (req, res) => {
  const info = { mid: req._packet ? req._packet.messageId : null, contentFormat: req.headers['Content-Format'] || null, query: req.url.split('?')[1] ? req.url.split('?')[1].split('&').map(decodeURIComponent) : [], method: req.method, path: req.url.split('?')[0] };
  if (req.method !== 'POST') { res.code = '4.05'; res.end(); return; }
  let record;
  let msg;
  try {
    record = Record.decode(req.payload);
    msg = record.noSessionContext ? Msg.decode(record.noSessionContext.payload) : null;
  } catch (e) {
    res.code = '4.00';
    res.end('undecodable USP Record');
    emit({ event: 'bad-record', error: String(e.message || e), coap: info });
    return;
  }
  res.code = '2.04';
  res.end();
  const msgJson = msg ? Msg.toObject(msg, toJson) : null;
  emit({ event: 'record', from: record.fromId, to: record.toId, version: record.version, msg: msgJson, bytes: req.payload.length, coap: info });
  if (args.autoNotifyResp && msgJson && msgJson.body && msgJson.body.request && msgJson.body.request.notify) {
    const notify = msgJson.body.request.notify;
    if (notify.sendResp && lastAgentTarget) {
      const resp = { header: { msgId: msgJson.header.msgId, msgType: 'NOTIFY_RESP' },
        body: { response: { notifyResp: { subscriptionId: notify.subscriptionId || '' } } } };
      post(`notify-resp:${msgJson.header.msgId}`, lastAgentTarget, { contentFormat: 42, query: [replyToQuery()], payload: encodeRecord(record.fromId, resp) });
    }
  }
});

server.listen(args.listenPort, '127.0.0.1', () => {
  const port = server._sock.address().port;
  replyTo = args.replyTo || `coap://${args.replyHost}:${port}/${ourPath}`;
  emit({ event: 'listening', port, replyTo });
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', handleCommand);
  rl.on('close', () => { stdinClosed = true; exitWhenIdle(); });
});
