'use strict';
// An independent CoAP peer (node-coap) that the xUnit interop tests drive.
//
//   node coap-peer.js client <host> <port> <block1-szx> <body-bytes>
//       GET /.well-known/core?rt=bbf.usp.*, then POST a pseudo-random body to /e/agent with
//       Content-Format 42 in Block1 blocks of 2^(4+szx) bytes; prints one JSON line with the results.
//   node coap-peer.js server <port> <body-bytes>
//       Listens on 127.0.0.1:<port> (the test picks a free one and probes until it answers). POST /upload (Block1 reassembled by
//       node-coap) stores the body; GET /upload returns its SHA-256 hex; GET /big returns <body-bytes>
//       bytes (byte i = (i * 7) % 251) in Block2 blocks. The test kills it; it exits by itself after 60 s.
const coap = require('coap');
const crypto = require('crypto');

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
const fail = (message) => {
  process.stdout.write(JSON.stringify({ error: String(message) }) + '\n');
  process.exit(1);
};
setTimeout(() => fail('timed out'), 60000).unref();

function request(options, payload) {
  return new Promise((resolve, reject) => {
    const req = coap.request(options);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ code: res.code, payload: Buffer.concat(chunks) }));
      if (res.payload && res.payload.length && !res.readable) {
        resolve({ code: res.code, payload: res.payload });
      }
    });
    req.on('error', reject);
    req.on('timeout', () => reject(new Error('request timeout')));
    if (options.block1 !== undefined) {
      req.setOption('Block1', Buffer.from([options.block1]));
    }
    if (options.contentFormat !== undefined) {
      req.setOption('Content-Format', options.contentFormat);
    }
    req.end(payload);
  });
}

async function runClient(host, port, szx, size) {
  const agent = new coap.Agent({ type: host.includes(':') ? 'udp6' : 'udp4' });
  const wellKnown = await request({ hostname: host, port, pathname: '/.well-known/core', query: 'rt=bbf.usp.*', method: 'GET', agent });
  const body = crypto.randomBytes(size);
  const post = await request({ hostname: host, port, pathname: '/e/agent', method: 'POST', agent,
    block1: szx, contentFormat: 'application/octet-stream' }, body);
  process.stdout.write(JSON.stringify({
    wellKnownCode: wellKnown.code,
    wellKnown: wellKnown.payload.toString('utf8'),
    postCode: post.code,
    postReply: post.payload.toString('utf8'),
    sentSha256: sha256(body),
  }) + '\n');
  agent.close();
  process.exit(0);
}

function runServer(port, size) {
  const big = Buffer.alloc(size);
  for (let i = 0; i < size; i++) big[i] = (i * 7) % 251;
  let uploaded = null;
  const server = coap.createServer({ type: 'udp4' });
  server.on('request', (req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/upload' && req.method === 'POST') {
      uploaded = req.payload;
      res.code = '2.04';
      return res.end();
    }
    if (path === '/upload' && req.method === 'GET') {
      res.code = '2.05';
      return res.end(uploaded ? `${uploaded.length} ${sha256(uploaded)}` : 'none');
    }
    if (path === '/big' && req.method === 'GET') {
      res.code = '2.05';
      res.setOption('Content-Format', 'application/octet-stream');
      return res.end(big);
    }
    res.code = '4.04';
    res.end();
  });
  // Nothing is written to stdout here: the test reads no output from the long-running server.
  server.listen(port, '127.0.0.1');
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'client') {
  runClient(args[0], Number(args[1]), Number(args[2]), Number(args[3])).catch(fail);
} else if (mode === 'server') {
  runServer(Number(args[0]), Number(args[1]));
} else {
  fail('usage: coap-peer.js client <host> <port> <szx> <bytes> | server <port> <bytes>');
}
