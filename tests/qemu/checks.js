#!/usr/bin/env node
// The host's half of tests/qemu: drives a booted guest through its command port (guest/guest.sh) and the
// agent in it through a forwarded UDP port with the independent Controller (tests/interop/usp-controller.js).
//
//   node checks.js --arch x64|arm64 --cmd-socket PATH --agent-port N --controller-port N --install deb|overlay --flavor r2r|aot
//   node checks.js --write-board DIR --arch x64|arm64 --controller-port N [--i2c-bus N]
//
// The first form prints one line per check ("ok - ..." / "not ok - ...") and the figures measured, and exits 0
// only when every check passed. The guest is told "bye" at the end whatever happened, and then powers off.
// The second writes the board's files into DIR: bme280.regs (the stub's registers, for the guest's
// usp-qemu-board.service) and, with --i2c-bus, the device maker's usp-agent.json and factory-defaults.txt.
'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const readline = require('readline');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const writeBoard = args['write-board'];
for (const required of writeBoard ? ['arch', 'controller-port'] : ['arch', 'cmd-socket', 'agent-port', 'controller-port', 'install', 'flavor']) {
  if (!args[required]) { console.error(`checks.js: --${required} is required`); process.exit(2); }
}
const emulatedArm = args.arch === 'arm64';
// Under TCG an arm64 guest runs several times slower than an x64 one: its waits are longer.
const slow = emulatedArm ? 4 : 1;
const agentId = `os::012345-qemu-${args.arch}`;
const controllerId = 'proto::qemu-controller';
const agentUri = `coap://127.0.0.1:${args['agent-port']}/e/${agentId}`;

let failures = 0;
const figures = {};
const ok = (name, pass, detail) => {
  if (!pass) failures++;
  console.log(`${pass ? 'ok' : 'not ok'} - ${args.arch}: ${name}${detail ? ` (${detail})` : ''}`);
  return pass;
};
const log = (text) => console.log(`# ${text}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- the guest's command port ---------------------------------------------------------------------------
class Guest {
  constructor(socket) {
    this.pending = new Map();
    this.next = 1;
    this.helloWaiter = null;
    this.hello = null;
    this.socket = socket;
    readline.createInterface({ input: socket }).on('line', (line) => this.onLine(line));
  }

  static async connect(socketPath, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise((resolve, reject) => {
          const s = net.connect(socketPath, () => resolve(s));
          s.once('error', reject);
        });
        return new Guest(socket);
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`cannot connect to ${socketPath}: ${e.message}`);
        await sleep(100);
      }
    }
  }

  onLine(line) {
    const [kind, id, status, encoded] = line.split(' ');
    if (kind === 'hello') { this.hello = line; if (this.helloWaiter) this.helloWaiter(line); return; }
    if (kind !== 'res') return;
    const waiter = this.pending.get(id);
    if (!waiter) return;
    this.pending.delete(id);
    waiter({ status: Number(status), out: Buffer.from(encoded || '', 'base64').toString('utf8').trim() });
  }

  waitHello(timeoutMs) {
    if (this.hello) return Promise.resolve(this.hello);
    return withTimeout(new Promise((r) => { this.helloWaiter = r; }), timeoutMs, 'the guest did not say hello');
  }

  run(command, timeoutMs = 120000 * slow, id = `c${this.next++}`) {
    const result = new Promise((r) => this.pending.set(id, r));
    this.socket.write(`${id} ${Buffer.from(command).toString('base64')}\n`);
    return withTimeout(result, timeoutMs, `guest command timed out: ${command}`);
  }
}

function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); })])
    .finally(() => clearTimeout(timer));
}

// --- the independent Controller ---------------------------------------------------------------------------
class Controller {
  constructor(from = controllerId, listenPort = args['controller-port']) {
    this.records = [];
    this.waiters = [];
    this.child = spawn(process.execPath, [path.join(__dirname, '../interop/usp-controller.js'),
      '--from', from, '--reply-host', '10.0.2.2', '--listen-port', String(listenPort), '--auto-notify-resp'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
    this.listening = new Promise((resolve, reject) => {
      this.onListening = resolve;
      this.child.once('exit', (code) => reject(new Error(`the Controller (usp-controller.js) exited with status ${code}`)));
    });
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      let event;
      try { event = JSON.parse(line); } catch { return; }
      if (event.event === 'listening') this.onListening(event.port);
      if (event.event === 'record' && event.msg) {
        this.records.push(event);
        this.waiters = this.waiters.filter((w) => !(w.match(event) && (w.resolve(event), true)));
      }
      if (event.event === 'send-failed') log(`controller: send ${event.id} failed: ${event.error}`);
    });
  }

  waitFor(match, timeoutMs, what) {
    const seen = this.records.find(match);
    if (seen) return Promise.resolve(seen);
    return withTimeout(new Promise((resolve) => this.waiters.push({ match, resolve })), timeoutMs, `no ${what} within ${timeoutMs} ms`);
  }

  async request(msg, timeoutMs = 30000 * slow) {
    this.child.stdin.write(JSON.stringify({ id: msg.header.msgId, usp: msg, agent: agentUri, to: agentId }) + '\n');
    const record = await this.waitFor((e) => e.msg.header && e.msg.header.msgId === msg.header.msgId, timeoutMs, `response to ${msg.header.msgId}`);
    return record.msg;
  }

  stop() { this.child.stdin.end(); setTimeout(() => this.child.kill(), 2000).unref(); }
}

let msgCounter = 0;
const msgId = (kind) => `qemu-${kind}-${++msgCounter}`;
const get = (...paths) => ({ header: { msgId: msgId('get'), msgType: 'GET' }, body: { request: { get: { paramPaths: paths } } } });
const add = (objPath, params) => ({ header: { msgId: msgId('add'), msgType: 'ADD' },
  body: { request: { add: { allowPartial: false, createObjs: [{ objPath, paramSettings: Object.entries(params).map(([param, value]) => ({ param, value, required: true })) }] } } } });

function getParams(resp) {
  const out = {};
  const results = resp.body && resp.body.response && resp.body.response.getResp ? resp.body.response.getResp.reqPathResults : [];
  for (const r of results || []) for (const rp of r.resolvedPathResults || []) for (const [k, v] of Object.entries(rp.resultParams || {})) out[rp.resolvedPath + k] = v;
  return out;
}

// --- the BME280 the guest's i2c-stub plays ----------------------------------------------------------------
// Calibration and readings of the worked example in Bosch's BMP280/BME280 datasheets (T = 25.08 °C).
const bme280 = {
  T: [27504, 26435, -1000], adcT: 519888,
  P: [36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000], adcP: 415148,
  H1: 75, H2: 362, H3: 0, H4: 324, H5: 50, H6: 30, adcH: 30000,
};
function bme280Registers(c) {
  const regs = { 0xd0: 0x60, 0xf3: 0x00 };
  const u16 = (reg, v) => { v &= 0xffff; regs[reg] = v & 0xff; regs[reg + 1] = v >> 8; };
  c.T.forEach((v, i) => u16(0x88 + 2 * i, v));
  c.P.forEach((v, i) => u16(0x8e + 2 * i, v));
  regs[0xa1] = c.H1;
  u16(0xe1, c.H2);
  regs[0xe3] = c.H3;
  regs[0xe4] = (c.H4 >> 4) & 0xff; regs[0xe5] = ((c.H5 & 0x0f) << 4) | (c.H4 & 0x0f); regs[0xe6] = (c.H5 >> 4) & 0xff;
  regs[0xe7] = c.H6 & 0xff;
  const adc20 = (reg, v) => { regs[reg] = (v >> 12) & 0xff; regs[reg + 1] = (v >> 4) & 0xff; regs[reg + 2] = (v & 0x0f) << 4; };
  adc20(0xf7, c.adcP);
  adc20(0xfa, c.adcT);
  regs[0xfd] = c.adcH >> 8; regs[0xfe] = c.adcH & 0xff;
  return Object.entries(regs).map(([r, v]) => `${Number(r).toString(16)}=${v.toString(16)}`).join(',');
}
// Datasheet section 4.2.3, the double-precision compensation formula for temperature.
function bme280Temperature(c) {
  const [t1, t2, t3] = c.T;
  const var1 = (c.adcT / 16384 - t1 / 1024) * t2;
  const var2 = (c.adcT / 131072 - t1 / 8192) * (c.adcT / 131072 - t1 / 8192) * t3;
  return (var1 + var2) / 5120;
}

// --- the board: what a device maker puts into /etc/usp-agent/ ------------------------------------------------
// The shipped usp-agent.json (deploy/) with the board's settings: its EndpointID, its factory defaults (the
// Controller at the host), the Linux HAL (the shipped default, named here as a board's file would) and its
// devices, exactly the guest's hardware: gpio-sim lines by name, the BME280 on i2c-stub.
function boardConfig(i2cBus) {
  const config = JSON.parse(fs.readFileSync(path.join(__dirname, '../../deploy/usp-agent.json'), 'utf8'));
  Object.assign(config.Agent, { EndpointId: agentId, FactoryDefaults: '/etc/usp-agent/factory-defaults.txt', Hal: 'linux' });
  config.Hal = { Devices: [
    { Name: 'relay', Type: 'gpio-output', Chip: 'usp-gpio', Line: 'relay', CapabilityType: 'Switch' },
    { Name: 'button', Type: 'gpio-input', Chip: 'usp-gpio', Line: 'button', Bias: 'none', CapabilityType: 'DoorOpen' },
    { Name: 'climate', Type: 'bme280', Bus: Number(i2cBus), Address: '0x76', PollInterval: 2 },
  ] };
  return JSON.stringify(config, null, 2) + '\n';
}

const set = (objPath, params) => ({ header: { msgId: msgId('set'), msgType: 'SET' },
  body: { request: { set: { allowPartial: false, updateObjs: [{ objPath, paramSettings: Object.entries(params).map(([param, value]) => ({ param, value, required: true })) }] } } } });

async function halChecks(guest, controller) {
  const caps = getParams(await controller.request(get('Device.IoTCapability.')));
  const row = (name) => Object.keys(caps).find((k) => k.endsWith('.Name') && caps[k] === name)?.replace(/Name$/, '');
  const relay = row('relay');
  const button = row('button');
  const temperature = row('climate-temperature');
  ok('IoTCapability rows for relay, button and climate-temperature', !!(relay && button && temperature), `${relay}, ${button}, ${temperature}`);
  if (!(relay && button && temperature)) return;

  // Temperature: the stub's registers through the driver equal the datasheet's formula.
  const expected = bme280Temperature(bme280);
  let value = '';
  for (let i = 0; i < 20 * slow; i++) {
    value = getParams(await controller.request(get(`${temperature}LevelSensor.Value`)))[`${temperature}LevelSensor.Value`] || '';
    if (value !== '' && value !== '0') break;
    await sleep(1000);
  }
  const decimals = (value.split('.')[1] || '').length;
  const sameAsFormula = value !== '' && Number(value) === Number(expected.toFixed(decimals));
  const why = sameAsFormula ? '' : `; agent's log: ${(await guest.run('journalctl -u usp-agent --no-pager -o cat | grep -iE "climate|i2c|bme" | tail -n 5')).out.replace(/\n/g, ' | ')}`;
  ok('Get of the BME280 temperature equals the datasheet formula for the stub\'s registers', sameAsFormula,
    `Value=${value}, formula ${expected.toFixed(4)} °C${why}`);

  // Relay: a Set drives the gpio-sim line, read back on the simulator's side.
  const lineValue = async (want) => {
    let v = '';
    for (let i = 0; i < 50 * slow; i++) { v = (await guest.run('./hardware.sh line relay value')).out; if (v === want) break; await sleep(200); }
    return v;
  };
  const setOn = await controller.request(set(`${relay}BinaryControl.`, { Value: 'true' }));
  const on = await lineValue('1');
  const setOff = await controller.request(set(`${relay}BinaryControl.`, { Value: 'false' }));
  const off = await lineValue('0');
  const relayDriven = !!(setOn.body.response && setOff.body.response) && on === '1' && off === '0';
  ok('Set of the relay\'s BinaryControl.Value drives the gpio-sim line', relayDriven,
    `line after true: ${on}, after false: ${off}${relayDriven ? '' : `; ${await gpioDiagnosis(guest)}`}`);

  // Button: toggling its pull in the guest gives a ValueChange Notify at the host.
  const buttonPath = `${button}BinarySensor.Value`;
  const sub = await controller.request(add('Device.LocalAgent.Subscription.', { ID: 'qemu-button', Enable: 'true',
    NotifType: 'ValueChange', ReferenceList: buttonPath }));
  ok('ValueChange subscription on the button added', !!(sub.body.response && sub.body.response.addResp));
  await guest.run('./hardware.sh line button pull pull-up');
  const change = await controller.waitFor((e) => { const n = e.msg.body && e.msg.body.request && e.msg.body.request.notify;
    return !!(n && n.valueChange && n.valueChange.paramPath === buttonPath && n.valueChange.paramValue === 'true'); }, 30000 * slow, 'ValueChange of the button')
    .catch(() => null);
  ok('pulling the button up in the guest gives a ValueChange Notify at the host', !!change,
    change ? JSON.stringify(change.msg.body.request.notify.valueChange) : `none; ${await gpioDiagnosis(guest)}`);
}

// What a failed GPIO check needs to be understood: the chips' owners and modes, the agent's log about its devices.
async function gpioDiagnosis(guest) {
  const chips = (await guest.run('ls -l /dev/gpiochip*')).out.replace(/\n/g, ' | ');
  const journal = (await guest.run('journalctl -u usp-agent --no-pager -o cat | grep -iE "gpio|relay|button|device|hal" | tail -n 8')).out.replace(/\n/g, ' | ');
  return `${chips}; agent's log: ${journal}`;
}

// The shipped factory defaults (deploy/) with the board's model name and its Controller: the test host, which the
// guest reaches at 10.0.2.2 (QEMU's user networking), with full access.
function factoryDefaults(controllerPort) {
  const shipped = fs.readFileSync(path.join(__dirname, '../../deploy/factory-defaults.txt'), 'utf8');
  const model = /^Device\.DeviceInfo\.ModelName .*$/m;
  if (!model.test(shipped) || /^Device\.LocalAgent\.Controller\.2\./m.test(shipped)) {
    throw new Error('deploy/factory-defaults.txt changed: update the board\'s factory defaults in tests/qemu/checks.js');
  }
  return shipped.replace(model, `Device.DeviceInfo.ModelName "QEMU ${args.arch} gateway"`) + `
# The board's Controller (tests/qemu): the test host.
Device.LocalAgent.Controller.2.Alias "qemu-host"
Device.LocalAgent.Controller.2.Enable "true"
Device.LocalAgent.Controller.2.EndpointID "${controllerId}"
Device.LocalAgent.Controller.2.AssignedRole "Device.LocalAgent.ControllerTrust.Role.1"
Device.LocalAgent.Controller.2.MTP.1.Enable "true"
Device.LocalAgent.Controller.2.MTP.1.Protocol "CoAP"
Device.LocalAgent.Controller.2.MTP.1.CoAP.Host "10.0.2.2"
Device.LocalAgent.Controller.2.MTP.1.CoAP.Port "${controllerPort}"
Device.LocalAgent.Controller.2.MTP.1.CoAP.Path "ctrl"
Device.LocalAgent.Controller.2.MTP.1.CoAP.EnableEncryption "false"
` + Array.from({ length: loadControllers }, (_, i) => `Device.LocalAgent.Controller.${3 + i}.Enable "true"
Device.LocalAgent.Controller.${3 + i}.EndpointID "${loadControllerId(i)}"
Device.LocalAgent.Controller.${3 + i}.AssignedRole "Device.LocalAgent.ControllerTrust.Role.1"
`).join('');
}

// Issue 11's memory figures in a real arm64/x64 kernel (qemu-user's RSS would be the emulator's): idle VmRSS and
// RssAnon, then VmHWM after 16 Controllers (rows of the board's factory defaults, each its own node process and
// UDP port) kept one Get Device.DeviceInfo. in flight each for 20 s. CPU under TCG means nothing and is not read.
const loadControllers = 16;
const loadControllerId = (i) => `proto::qemu-load-${i + 1}`;
const memoryOf = async (guest, pid) => (await guest.run(`grep -E '^(VmRSS|RssAnon|VmHWM)' /proc/${pid}/status`)).out.replace(/\s+/g, ' ').trim();

async function loadFigures(guest, pid) {
  figures.idleMemory = await memoryOf(guest, pid);
  const controllers = Array.from({ length: loadControllers }, (_, i) => new Controller(loadControllerId(i), 0));
  let answered = 0;
  let failed = 0;
  try {
    await Promise.all(controllers.map((c) => c.listening));
    const until = Date.now() + 20000;
    await Promise.all(controllers.map(async (c) => {
      while (Date.now() < until) {
        try {
          await c.request(get('Device.DeviceInfo.'));
          answered++;
        } catch {
          failed++;
        }
      }
    }));
  } finally {
    controllers.forEach((c) => c.stop());
  }
  figures.underLoad = `${answered} Gets answered in 20 s to ${loadControllers} Controllers, then ${await memoryOf(guest, pid)}`;
  ok(`${loadControllers} Controllers' Gets are all answered under load`, answered > 0 && failed === 0, `${answered} answered, ${failed} not`);
}

const writeFile = (file, text) => `mkdir -p ${path.dirname(file)} && echo ${Buffer.from(text).toString('base64')} | base64 -d > ${file}`;

const unitShow = async (guest, ...props) => {
  const r = await guest.run(`systemctl show usp-agent ${props.map((p) => `-p ${p}`).join(' ')}`);
  return Object.fromEntries(r.out.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
};

async function waitForUnit(guest, predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const show = await unitShow(guest, 'ActiveState', 'SubState', 'MainPID', 'NRestarts', 'Result');
    if (predicate(show)) return show;
    if (Date.now() > deadline) throw new Error(`${what}: unit still ${JSON.stringify(show)}`);
    await sleep(1000);
  }
}

const bootEvents = (controller) => controller.records.filter((e) => e.msg.body && e.msg.body.request && e.msg.body.request.notify
  && e.msg.body.request.notify.event && e.msg.body.request.notify.event.eventName === 'Boot!');

// How the agent gets onto the guest:
//   deb      the device maker's board files are put in /etc/usp-agent first, then the package is installed with
//            dpkg (--force-confold keeps the board's usp-agent.json over the package's conffile); its postinst
//            creates the user and groups, applies the udev rule and starts the service
//   overlay  nothing to do: the overlay and the board files were unpacked into the root before the first boot,
//            sysusers.d made the user at boot and the multi-user.target.wants link started the service
async function install(guest, bus) {
  if (args.install === 'deb') {
    await guest.run(writeFile('/etc/usp-agent/usp-agent.json', boardConfig(bus)));
    await guest.run(writeFile('/etc/usp-agent/factory-defaults.txt', factoryDefaults(args['controller-port'])));
    const dpkg = await guest.run('DEBIAN_FRONTEND=noninteractive dpkg --force-confold -i /run/payload/usp-agent_*.deb'
      + ' && dpkg-query -W -f=\'${Package} ${Version} ${Architecture} ${Status}\\n\' usp-agent', 300000 * slow);
    ok('dpkg -i installs the agent\'s package over the board\'s configuration', dpkg.status === 0 && /install ok installed/.test(dpkg.out),
      dpkg.out.split('\n').filter((l) => /usp-agent|error|warning/i.test(l)).join('; '));
  } else {
    const image = await guest.run('systemctl is-enabled usp-agent; getent passwd usp-agent | cut -d: -f1,6; getent group gpio i2c | cut -d: -f1');
    ok('the overlay in the image: unit enabled, user and groups made by systemd-sysusers at boot',
      image.out === 'enabled\nusp-agent:/var/lib/usp-agent\ngpio\ni2c', image.out.replace(/\n/g, '; '));
  }
}

async function main() {
  if (writeBoard) {
    fs.mkdirSync(writeBoard, { recursive: true });
    fs.writeFileSync(path.join(writeBoard, 'bme280.regs'), bme280Registers(bme280) + '\n');
    if (args['i2c-bus'] !== undefined) {
      fs.writeFileSync(path.join(writeBoard, 'usp-agent.json'), boardConfig(args['i2c-bus']));
      fs.writeFileSync(path.join(writeBoard, 'factory-defaults.txt'), factoryDefaults(args['controller-port']));
    }
    return;
  }
  const controller = new Controller();
  await controller.listening;
  const guest = await Guest.connect(args['cmd-socket'], 30000);
  const hello = await guest.waitHello(300000 * slow);
  const [, machine, uptime] = hello.split(' ');
  figures.bootToTestScript = `${Number(uptime).toFixed(1)} s guest uptime (${machine})`;
  log(`guest up: ${hello}`);

  try {
    // The board's hardware, made at boot by usp-qemu-board.service before the agent: gpio-sim lines by name, a
    // BME280 on i2c-stub.
    const board = await guest.run('systemctl is-active usp-qemu-board && ./hardware.sh info && ls -l /dev/gpiochip* /dev/i2c-*');
    ok('gpio-sim bank and i2c-stub BME280 made at boot (usp-qemu-board.service)', board.status === 0, board.out.replace(/\n/g, '; '));
    const bus = (board.out.match(/i2cbus=(\d+)/) || [])[1];
    if (args.install === 'overlay') ok('the stub is the board\'s i2c-0, as its image\'s usp-agent.json says', bus === '0', `i2cbus=${bus}`);
    const chipId = await guest.run(`i2cget -y ${bus} 0x76 0xd0`);
    ok('i2c-stub answers as a BME280 (chip id 0x60 at 0xD0)', chipId.out === '0x60', chipId.out);
    const find = await guest.run('gpiofind relay && gpiofind button');
    ok('gpio-sim lines are found by name (relay, button)', find.status === 0 && /gpiochip\d+ 3\n.*gpiochip\d+ 4/.test(find.out), find.out.replace(/\n/g, '; '));
    if (args.install === 'deb') {
      // Before the agent holds the lines: libgpiod's tools drive and read them.
      const set = await guest.run('gpioset -m signal $(gpiofind relay)=1 & for i in $(seq 1 100); do [ "$(./hardware.sh line relay value)" = 1 ] && break; sleep 0.1; done;'
        + ' ./hardware.sh line relay value; kill $!; wait');
      ok('gpioset on the relay line drives the simulated line', set.out === '1', set.out);
      await guest.run('./hardware.sh line button pull pull-up');
      const button = await guest.run('gpioget $(gpiofind button)');
      ok('the button line reads the pull the simulator sets', button.out === '1', button.out);
      await guest.run('./hardware.sh line button pull pull-down');
    }

    // Installation, and the service under systemd with the shipped unit.
    await install(guest, bus);
    // Up, or given up: failed, or restarted again and again (Restart=on-failure, RestartSec=2 never reaches the start limit).
    const up = await waitForUnit(guest, (u) => u.ActiveState === 'active' || u.ActiveState === 'failed' || Number(u.NRestarts) >= 3,
      180000 * slow, 'the agent\'s start').catch((e) => ({ ActiveState: e.message }));
    if (up.ActiveState !== 'active') {
      const journal = await guest.run('journalctl -u usp-agent --no-pager -n 40 -o short-monotonic');
      log(`the agent did not start (${JSON.stringify(up)}):\n# ${journal.out.replace(/\n/g, '\n# ')}`);
    }
    const started = await unitShow(guest, 'ActiveState', 'Type', 'StatusText', 'NotifyAccess', 'ExecMainStartTimestampMonotonic',
      'ActiveEnterTimestampMonotonic', 'MainPID', 'NRestarts', 'FragmentPath', 'DropInPaths', 'User', 'MemoryDenyWriteExecute', 'WatchdogUSec');
    const active = await guest.run('systemctl is-active usp-agent');
    ok('systemctl is-active usp-agent is active', up.ActiveState === 'active' && active.out === 'active', active.out);
    ok('the shipped unit reached READY through Type=notify', started.Type === 'notify' && started.ActiveState === 'active' && started.StatusText !== ''
      && /^\/(usr\/)?lib\/systemd\/system\/usp-agent\.service$/.test(started.FragmentPath) && started.DropInPaths === '',
    `${started.FragmentPath}, Type=${started.Type}, StatusText=${started.StatusText}, watchdog ${started.WatchdogUSec}`);
    figures.readyTime = `${((Number(started.ActiveEnterTimestampMonotonic) - Number(started.ExecMainStartTimestampMonotonic)) / 1e6).toFixed(2)} s from exec to READY=1`;
    // The unit's confinement in effect: its own user with the device groups, no new privileges, a seccomp filter;
    // a NativeAOT build's unit switches MemoryDenyWriteExecute on, a ReadyToRun build's cannot (by default the x64
    // guest runs the NativeAOT package, the arm64 guest the ReadyToRun overlay).
    const proc = await guest.run(`grep -E '^(Uid|Groups|NoNewPrivs|Seccomp):' /proc/${started.MainPID}/status; id -u usp-agent; getent group gpio i2c | cut -d: -f3`);
    const [uid, gpioGid, i2cGid] = proc.out.split('\n').slice(-3);
    const status = Object.fromEntries(proc.out.split('\n').slice(0, -3).map((l) => l.split(/:\s+/)));
    const groups = (status.Groups || '').trim().split(/\s+/);
    const mdwe = args.flavor === 'aot' ? 'yes' : 'no';
    ok('the agent runs confined by the shipped unit (user usp-agent with gpio and i2c, NoNewPrivs, seccomp, MemoryDenyWriteExecute as packaged)',
      (status.Uid || '').split(/\s+/)[0] === uid && groups.includes(gpioGid) && groups.includes(i2cGid) && status.NoNewPrivs === '1'
      && status.Seccomp === '2' && started.MemoryDenyWriteExecute === mdwe,
    `Uid ${status.Uid}, Groups ${status.Groups}, NoNewPrivs ${status.NoNewPrivs}, Seccomp ${status.Seccomp}, MemoryDenyWriteExecute=${started.MemoryDenyWriteExecute}`);

    const info = getParams(await controller.request(get('Device.DeviceInfo.')));
    ok('Get Device.DeviceInfo. from the host through the forwarded port', info['Device.DeviceInfo.ModelName'] === `QEMU ${args.arch} gateway`
      && !!info['Device.DeviceInfo.SoftwareVersion'], `ModelName=${info['Device.DeviceInfo.ModelName']}, SoftwareVersion=${info['Device.DeviceInfo.SoftwareVersion']}`);

    await halChecks(guest, controller);

    await loadFigures(guest, started.MainPID);

    // Boot! after a crash: kill -9, systemd restarts it, the agent reports why it booted.
    const sub = await controller.request(add('Device.LocalAgent.Subscription.', { ID: 'qemu-boot', Enable: 'true', NotifType: 'Event',
      ReferenceList: 'Device.Boot!', Persistent: 'true' }));
    ok('Boot! subscription added', !!(sub.body.response && sub.body.response.addResp), JSON.stringify(sub.body).slice(0, 200));
    const before = bootEvents(controller).length;
    await guest.run(`kill -9 ${started.MainPID}`);
    const afterKill = await waitForUnit(guest, (s) => s.ActiveState === 'active' && s.MainPID !== started.MainPID && s.MainPID !== '0', 90000 * slow, 'restart after kill -9');
    ok('kill -9: systemd restarts the agent', Number(afterKill.NRestarts) === Number(started.NRestarts) + 1, `NRestarts=${afterKill.NRestarts}, MainPID ${started.MainPID} -> ${afterKill.MainPID}`);
    const boot = await controller.waitFor(() => bootEvents(controller).length > before, 60000 * slow, 'Boot! after kill -9').then(() => bootEvents(controller).at(-1));
    const bootParams = boot.msg.body.request.notify.event.params || {};
    ok('kill -9: a Boot! arrives at the host with Cause LocalReboot', bootParams.Cause === 'LocalReboot', JSON.stringify(bootParams));

    // Watchdog: an agent that stops answering (SIGSTOP) is killed and restarted by systemd.
    const beforeStop = bootEvents(controller).length;
    await guest.run(`kill -STOP ${afterKill.MainPID}`);
    const afterWatchdog = await waitForUnit(guest, (s) => s.ActiveState === 'active' && s.MainPID !== afterKill.MainPID && s.MainPID !== '0', 150000 * slow, 'restart after SIGSTOP');
    const journal = await guest.run('journalctl -u usp-agent --no-pager -o cat | grep -i watchdog');
    ok('SIGSTOP: the watchdog restarts the agent', Number(afterWatchdog.NRestarts) === Number(started.NRestarts) + 2 && /[Ww]atchdog timeout/.test(journal.out),
      `NRestarts=${afterWatchdog.NRestarts}; ${journal.out.split('\n')[0]}`);
    await controller.waitFor(() => bootEvents(controller).length > beforeStop, 60000 * slow, 'Boot! after the watchdog restart');
    ok('SIGSTOP: a Boot! arrives after the watchdog restart', true);

    // Clean stop.
    const stop = await guest.run('systemctl stop usp-agent; systemctl show usp-agent -p Result -p ExecMainCode -p ExecMainStatus -p ActiveState', 60000 * slow);
    ok('systemctl stop stops the agent cleanly', /Result=success/.test(stop.out) && /ExecMainStatus=0/.test(stop.out) && /ActiveState=inactive/.test(stop.out),
      stop.out.replace(/\n/g, ', '));
  } catch (e) {
    ok(`checks ran to the end`, false, e.message);
    const journal = await guest.run('journalctl -u usp-agent --no-pager -n 60 -o short-monotonic').catch(() => ({ out: '' }));
    log(journal.out.replace(/\n/g, '\n# '));
  } finally {
    for (const [k, v] of Object.entries(figures)) log(`${args.arch} ${k}: ${v}`);
    controller.stop();
    await guest.run('true', 10000, 'bye').catch(() => {});
    guest.socket.end();
  }
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => { console.error(`checks.js: ${e.stack || e}`); process.exit(1); });
