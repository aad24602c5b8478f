#!/usr/bin/env node
// Load generator for the USP CoAP MTP, independent of the agent's code: npm `coap` + `protobufjs` with the
// Broadband Forum reference schemas (the packages of tests/interop/). It starts the published agent, measures
// exec → "usp-agent ready" and idle memory, then drives it with C Controllers spread over W node processes (one
// node process tops out near 7,500 req/s). Each Controller has its own UDP sockets and from_id and keeps one
// Get Device.DeviceInfo. in flight: latency is POST sent → GetResp Record received at its reply-to.
//
//   node bench/coap-load.js [--agent out/linux-x64/usp-agent] [--controllers 16] [--workers 4]
//                           [--warmup 3] [--seconds 10] [--rate R]
// --rate paces the load: R round trips per second in all, each Controller starting its next request no earlier
// than C/R seconds after its previous one started (still one in flight); without it each Controller sends the
// next request as soon as the answer arrives (saturated). Prints figures; asserts nothing.
'use strict';

const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawn, fork } = require('child_process');
const repo = path.resolve(__dirname, '..');
const modules = path.join(repo, 'tests', 'interop', 'node_modules');
const coap = require(path.join(modules, 'coap'));

const AGENT_ID = 'proto::bench-agent';

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

function schemas() {
  const root = require(path.join(repo, 'tests', 'interop', 'usp-schemas.js')).loadUsp('1.4');
  return { Msg: root.lookupType('usp.Msg'), Record: root.lookupType('usp_record.Record') };
}

// ---- worker: some Controllers, each one request in flight -------------------------------------------------
function worker() {
  const { Msg, Record } = schemas();
  const { agentPort, first, count, intervalMs } = JSON.parse(process.argv[3]);
  let measuring = false;
  let stopping = false;
  const latencies = [];
  let errors = 0;
  let completed = 0;
  const controllers = [];

  for (let c = first; c < first + count; c++) {
    const from = `proto::bench-ctrl-${c}`;
    const server = coap.createServer({ type: 'udp4' });
    const agent = new coap.Agent({ type: 'udp4' });
    const state = { from, server, agent, seq: 0, pending: null, timer: null, replyTo: '', nextAt: 0 };
    server.on('request', (req, res) => {
      res.code = '2.04';
      res.end();
      let msg;
      try {
        msg = Msg.decode(Record.decode(req.payload).noSessionContext.payload);
      } catch (e) { errors++; return; }
      if (state.pending && msg.header.msgId === state.pending.id) {
        const elapsed = Number(process.hrtime.bigint() - state.pending.start) / 1e6;
        clearTimeout(state.timer);
        state.pending = null;
        if (measuring) { latencies.push(elapsed); completed++; }
        schedule(state);
      }
    });
    controllers.push(state);
  }

  function schedule(state) {
    const wait = intervalMs > 0 ? state.nextAt - performance.now() : 0;
    if (wait > 0) setTimeout(() => next(state), wait); else next(state);
  }

  function next(state) {
    if (stopping) return;
    const now = performance.now();
    state.nextAt = Math.max(now, state.nextAt + intervalMs);
    const id = `${state.from}-${++state.seq}`;
    const msg = Msg.fromObject({ header: { msgId: id, msgType: 'GET' }, body: { request: { get: { paramPaths: ['Device.DeviceInfo.'] } } } });
    const record = Record.encode(Record.fromObject({ version: '1.4', toId: AGENT_ID, fromId: state.from,
      noSessionContext: { payload: Msg.encode(msg).finish() } })).finish();
    state.pending = { id, start: process.hrtime.bigint() };
    const req = coap.request({ hostname: '127.0.0.1', port: agentPort, pathname: `/e/${AGENT_ID}`, method: 'POST',
      query: `reply-to=${state.replyTo}`, confirmable: true, agent: state.agent });
    req.setOption('Content-Format', 'application/octet-stream');
    req.on('response', (res) => { if (res.code !== '2.04') { if (measuring) { errors++; console.error(`${state.from}: CoAP ${res.code}`); } } res.resume(); });
    req.on('error', (e) => { if (measuring) { errors++; console.error(`${state.from}: ${e.message}`); } });
    req.on('timeout', () => { if (measuring) { errors++; console.error(`${state.from}: request timed out`); } });
    req.end(Buffer.from(record));
    state.timer = setTimeout(() => {
      if (measuring) { errors++; console.error(`${state.from}: no answer to ${id} within 5 s`); }
      state.pending = null;
      next(state);
    }, 5000);
  }

  let listening = 0;
  for (const state of controllers) {
    state.server.listen(0, '127.0.0.1', () => {
      state.replyTo = `coap://127.0.0.1:${state.server._sock.address().port}/ctrl`;
      if (++listening === controllers.length) process.send({ event: 'ready' });
    });
  }

  process.on('message', (m) => {
    if (m.cmd === 'start') controllers.forEach((state, i) => setTimeout(() => next(state), intervalMs * i / controllers.length));
    if (m.cmd === 'measure') { measuring = true; latencies.length = 0; errors = 0; completed = 0; }
    if (m.cmd === 'stop') {
      measuring = false;
      stopping = true;
      process.send({ event: 'result', latencies, errors, completed });
      setTimeout(() => process.exit(0), 200);
    }
  });
}

// ---- orchestrator ------------------------------------------------------------------------------------------
function cpuTicks(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15)
}

function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number((status.match(new RegExp(`^${key}:\\s+(\\d+)`, 'm')) || [0, 0])[1]);
  return { vmRss: kb('VmRSS'), rssAnon: kb('RssAnon'), rssFile: kb('RssFile') };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = require('dgram').createSocket('udp4');
    s.bind(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function main() {
  const agentPath = path.resolve(arg('--agent', path.join(repo, 'out', 'linux-x64', 'usp-agent')));
  const controllers = Number(arg('--controllers', 16));
  const workers = Math.min(Number(arg('--workers', 4)), controllers);
  const warmup = Number(arg('--warmup', 3));
  const seconds = Number(arg('--seconds', 10));
  const rate = Number(arg('--rate', 0));
  const intervalMs = rate > 0 ? controllers * 1000 / rate : 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'usp-bench-'));
  const defaults = path.join(dir, 'factory-defaults.txt');
  fs.writeFileSync(defaults, [
    'Device.DeviceInfo.Manufacturer "Usp.Agent"',
    'Device.LocalAgent.MTP.1.Enable "true"', 'Device.LocalAgent.MTP.1.Protocol "CoAP"',
    'Device.LocalAgent.MTP.1.CoAP.Path "/e/${EndpointID}"', 'Device.LocalAgent.MTP.1.CoAP.EnableEncryption "false"',
    'Device.LocalAgent.ControllerTrust.Role.1.Enable "true"',
    'Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Enable "true"',
    'Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Targets "Device."',
    'Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Param "r---"',
    'Device.LocalAgent.ControllerTrust.Role.1.Permission.1.Obj "r---"',
    'Device.LocalAgent.ControllerTrust.Role.1.Permission.1.InstantiatedObj "r---"',
    'Device.LocalAgent.ControllerTrust.Role.1.Permission.1.CommandEvent "r---"',
    'Device.LocalAgent.ControllerTrust.UntrustedRole "Device.LocalAgent.ControllerTrust.Role.1"', ''].join('\n'));
  const port = await freePort();

  const started = process.hrtime.bigint();
  const agent = spawn(agentPath, ['run', '--data-dir', path.join(dir, 'var'), '--factory-defaults', defaults, '--coap-port', String(port),
    '--bind', '127.0.0.1', '--no-mdns', '--endpoint-id', AGENT_ID, '--log-level', 'warning'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const readyMs = await new Promise((resolve, reject) => {
    let out = '';
    agent.stdout.on('data', (d) => {
      out += d;
      if (/^usp-agent ready/m.test(out)) resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
    agent.on('exit', (code) => reject(new Error(`agent exited ${code}: ${out}`)));
  });
  await sleep(2000);
  const idle = memory(agent.pid);

  const children = [];
  const per = Math.ceil(controllers / workers);
  for (let w = 0, first = 0; w < workers; w++, first += per) {
    const count = Math.min(per, controllers - first);
    const child = fork(__filename, ['--worker', JSON.stringify({ agentPort: port, first, count, intervalMs })]);
    children.push(child);
  }
  await Promise.all(children.map((c) => new Promise((r) => c.on('message', (m) => m.event === 'ready' && r()))));
  children.forEach((c) => c.send({ cmd: 'start' }));
  await sleep(warmup * 1000);
  children.forEach((c) => c.send({ cmd: 'measure' }));
  const cpuStart = cpuTicks(agent.pid);
  const t0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const results = Promise.all(children.map((c) => new Promise((r) => c.on('message', (m) => m.event === 'result' && r(m)))));
  children.forEach((c) => c.send({ cmd: 'stop' }));
  const cpuEnd = cpuTicks(agent.pid);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const all = await results;
  const loaded = memory(agent.pid);
  agent.kill('SIGTERM');

  const latencies = all.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const errors = all.reduce((n, r) => n + r.errors, 0);
  const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN;
  const ticksPerSecond = 100; // USER_HZ on Linux
  const cpuSeconds = (cpuEnd - cpuStart) / ticksPerSecond;
  const f = (x) => x.toFixed(2);
  console.log(`agent: ${agentPath}`);
  console.log(`exec -> ready: ${f(readyMs)} ms`);
  console.log(`idle after 2 s: VmRSS ${f(idle.vmRss / 1024)} MB, RssAnon ${f(idle.rssAnon / 1024)} MB, RssFile ${f(idle.rssFile / 1024)} MB`);
  console.log(`load: ${controllers} Controllers over ${workers} node processes, one Get Device.DeviceInfo. in flight each, ${rate > 0 ? `paced at ${rate}/s in all` : 'saturated'}, ${seconds} s measured after ${warmup} s warm-up`);
  console.log(`round trips: ${latencies.length} (${f(latencies.length / elapsed)}/s), errors: ${errors}`);
  console.log(`latency: p50 ${f(pct(0.5))} ms, p99 ${f(pct(0.99))} ms, max ${f(latencies[latencies.length - 1] || NaN)} ms`);
  console.log(`agent CPU: ${f(cpuSeconds)} s (utime+stime) = ${f(cpuSeconds * 1e6 / Math.max(1, latencies.length))} us per round trip, ${f(cpuSeconds * 1e9 / Math.max(1, latencies.length) / 1e3)} ms per 1,000`);
  console.log(`under load: VmRSS ${f(loaded.vmRss / 1024)} MB, RssAnon ${f(loaded.rssAnon / 1024)} MB`);
  fs.rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === '--worker') worker(); else main().catch((e) => { console.error(e); process.exit(1); });
