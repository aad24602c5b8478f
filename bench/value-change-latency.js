#!/usr/bin/env node
// Value-change notification latency of the published agent, measured by an independent Controller (npm `coap` +
// `protobufjs` with the reference schemas, the packages of tests/interop/): it subscribes to ValueChange on
// Device.DeviceInfo.FriendlyName, then Sets it N times, one at a time, and times
//   Set POSTed -> SetResp Record received, and Set POSTed -> ValueChange Notify Record received.
// The Notify is event-driven (sent when the Set commits), so the two should be close.
//
//   node bench/value-change-latency.js [--agent out/linux-x64/usp-agent] [--sets 200]
// Prints figures; asserts nothing.
'use strict';

const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawn } = require('child_process');
const repo = path.resolve(__dirname, '..');
const modules = path.join(repo, 'tests', 'interop', 'node_modules');
const coap = require(path.join(modules, 'coap'));

const AGENT_ID = 'proto::vc-bench-agent';
const CONTROLLER_ID = 'proto::vc-bench-ctrl';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

function freePort() {
  return new Promise((resolve) => {
    const s = require('dgram').createSocket('udp4');
    s.bind(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function main() {
  const root = require(path.join(repo, 'tests', 'interop', 'usp-schemas.js')).loadUsp('1.4');
  const Msg = root.lookupType('usp.Msg');
  const Record = root.lookupType('usp_record.Record');
  const agentPath = path.resolve(arg('--agent', path.join(repo, 'out', 'linux-x64', 'usp-agent')));
  const sets = Number(arg('--sets', 200));

  // Our CoAP server: the agent POSTs responses (to reply-to) and Notifies (to the Controller's MTP) here.
  const waiters = [];
  const server = coap.createServer({ type: 'udp4' });
  server.on('request', (req, res) => {
    res.code = '2.04';
    res.end();
    const at = process.hrtime.bigint();
    let msg;
    try { msg = Msg.toObject(Msg.decode(Record.decode(req.payload).noSessionContext.payload), { enums: String }); } catch (e) { return; }
    for (let i = 0; i < waiters.length; i++) {
      if (waiters[i].match(msg)) { const w = waiters.splice(i, 1)[0]; w.resolve(at); return; }
    }
  });
  const ctrlPort = await new Promise((r) => server.listen(0, '127.0.0.1', () => r(server._sock.address().port)));
  const wait = (match, ms = 10000) => new Promise((resolve, reject) => {
    const w = { match, resolve };
    waiters.push(w);
    setTimeout(() => { const i = waiters.indexOf(w); if (i >= 0) { waiters.splice(i, 1); reject(new Error('timed out')); } }, ms);
  });

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'usp-vc-'));
  const defaults = path.join(work, 'factory-defaults.txt');
  fs.writeFileSync(defaults, [
    'Device.LocalAgent.MTP.1.Enable "true"', 'Device.LocalAgent.MTP.1.Protocol "CoAP"',
    'Device.LocalAgent.MTP.1.CoAP.Path "/e/${EndpointID}"', 'Device.LocalAgent.MTP.1.CoAP.EnableEncryption "false"',
    'Device.LocalAgent.ControllerTrust.Role.1.Enable "true"',
    'Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Enable "true"',
    'Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Targets "Device."',
    'Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Param "rw-n"',
    'Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Obj "rw-n"',
    'Device.LocalAgent.ControllerTrust.Role.1.Permission.1.InstantiatedObj "rw-n"',
    'Device.LocalAgent.ControllerTrust.Role.1.Permission.1.CommandEvent "r-xn"',
    'Device.LocalAgent.Controller.1.Enable "true"',
    `Device.LocalAgent.Controller.1.EndpointID "${CONTROLLER_ID}"`,
    'Device.LocalAgent.Controller.1.AssignedRole "Device.LocalAgent.ControllerTrust.Role.1"',
    'Device.LocalAgent.Controller.1.OnBoardingComplete "true"',
    'Device.LocalAgent.Controller.1.MTP.1.Enable "true"', 'Device.LocalAgent.Controller.1.MTP.1.Protocol "CoAP"',
    'Device.LocalAgent.Controller.1.MTP.1.CoAP.Host "127.0.0.1"',
    `Device.LocalAgent.Controller.1.MTP.1.CoAP.Port "${ctrlPort}"`,
    'Device.LocalAgent.Controller.1.MTP.1.CoAP.Path "ctrl"', 'Device.LocalAgent.Controller.1.MTP.1.CoAP.EnableEncryption "false"', ''].join('\n'));
  const agentPort = await freePort();
  const agent = spawn(agentPath, ['run', '--data-dir', path.join(work, 'var'), '--factory-defaults', defaults, '--coap-port', String(agentPort),
    '--bind', '127.0.0.1', '--no-mdns', '--endpoint-id', AGENT_ID, '--log-level', 'warning'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    agent.stdout.on('data', (d) => { out += d; if (/^usp-agent ready/m.test(out)) resolve(); });
    agent.on('exit', (code) => reject(new Error(`agent exited ${code}: ${out}`)));
  });

  let seq = 0;
  const send = (body, type) => {
    const id = `vc-${++seq}`;
    const payload = Msg.encode(Msg.fromObject({ header: { msgId: id, msgType: type }, body })).finish();
    const record = Record.encode(Record.fromObject({ version: '1.4', toId: AGENT_ID, fromId: CONTROLLER_ID, noSessionContext: { payload } })).finish();
    const req = coap.request({ hostname: '127.0.0.1', port: agentPort, pathname: `/e/${AGENT_ID}`, method: 'POST',
      query: `reply-to=coap://127.0.0.1:${ctrlPort}/ctrl`, confirmable: true });
    req.setOption('Content-Format', 'application/octet-stream');
    req.on('response', (res) => res.resume());
    req.end(Buffer.from(record));
    return id;
  };

  const addId = send({ request: { add: { createObjs: [{ objPath: 'Device.LocalAgent.Subscription.', paramSettings: [
    { param: 'ID', value: 'vc-bench' }, { param: 'Enable', value: 'true' }, { param: 'NotifType', value: 'ValueChange' },
    { param: 'ReferenceList', value: 'Device.DeviceInfo.FriendlyName' }, { param: 'NotifRetry', value: 'false' }] }] } } }, 'ADD');
  await wait((m) => m.header.msgId === addId);

  const toResp = [];
  const toNotify = [];
  for (let i = 0; i < sets; i++) {
    const value = `name-${i}`;
    const notified = wait((m) => m.body.request && m.body.request.notify && m.body.request.notify.valueChange &&
      m.body.request.notify.valueChange.paramValue === value);
    const start = process.hrtime.bigint();
    const id = send({ request: { set: { updateObjs: [{ objPath: 'Device.DeviceInfo.', paramSettings: [{ param: 'FriendlyName', value }] }] } } }, 'SET');
    const responded = wait((m) => m.header.msgId === id);
    const [respAt, notifyAt] = await Promise.all([responded, notified]);
    toResp.push(Number(respAt - start) / 1e6);
    toNotify.push(Number(notifyAt - start) / 1e6);
  }
  const exited = new Promise((r) => agent.on('exit', r));
  agent.kill('SIGTERM');
  await exited;
  server.close();
  fs.rmSync(work, { recursive: true, force: true });

  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const p = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(2);
    return `p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${s[s.length - 1].toFixed(2)} ms`;
  };
  console.log(`agent: ${agentPath}; ${sets} Sets of Device.DeviceInfo.FriendlyName, one at a time, ValueChange subscription`);
  console.log(`Set POSTed -> SetResp received:           ${stats(toResp)}`);
  console.log(`Set POSTed -> ValueChange Notify received: ${stats(toNotify)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
