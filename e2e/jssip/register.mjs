#!/usr/bin/env node
// Interop with JsSIP, the browser SIP stack of the softphone, running in Node over ws://.
//
//   node register.mjs --url ws://127.0.0.1:8080/sip --user 3001 --password pw-3001 \
//        --domain switchboard.test
//
// Options fall back to the environment: JSSIP_URL, JSSIP_USER, JSSIP_PASSWORD, JSSIP_DOMAIN,
// JSSIP_WRONG_PASSWORD (default: the password with "-wrong" appended). JSSIP_TRACE=1 prints
// every SIP message; JSSIP_DEBUG=1 turns on JsSIP's own logs.
//
// Three steps, one line each ("ok    STEP (0.12s): ..." or "FAIL  STEP (0.12s): ..."), which
// e2e/interop.sh reads as separate checks:
//   register        a UA with the right password gets `registered` (the 200's Contact and
//                   Expires are printed)
//   wrong-password  a second UA for the same extension with a wrong password answers the
//                   challenge and gets `registrationFailed` (Rejected / Authentication Error),
//                   never `registered`
//   unregister      the first UA unregisters: `unregistered` on a 200 that lists no binding
//                   (neither its own nor one left by the wrong password)
// Exit status 0 when all three pass, 1 otherwise, 2 on bad usage. Hard timeout: 15 s.
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import JsSIP from 'jssip';

// Node 20 has no global WebSocket, and JsSIP.WebSocketInterface calls `new WebSocket(url,
// 'sip')` on the global when it connects. The `ws` package has the browser's API (onopen,
// onmessage with string data for text frames, binaryType 'arraybuffer', readyState): use it
// on every Node version so that runs are alike.
globalThis.WebSocket = WebSocket;

const STEPS = ['register', 'wrong-password', 'unregister'];
const TIMEOUT_MS = 15_000;

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.JSSIP_URL },
    user: { type: 'string', default: process.env.JSSIP_USER },
    password: { type: 'string', default: process.env.JSSIP_PASSWORD },
    domain: { type: 'string', default: process.env.JSSIP_DOMAIN },
    'wrong-password': { type: 'string', default: process.env.JSSIP_WRONG_PASSWORD },
    trace: { type: 'boolean', default: process.env.JSSIP_TRACE === '1' },
  },
});
for (const key of ['url', 'user', 'password', 'domain']) {
  if (!opts[key]) {
    console.error(`jssip: --${key} (or JSSIP_${key.toUpperCase()}) is required`);
    process.exit(2);
  }
}
const wrongPassword = opts['wrong-password'] || `${opts.password}-wrong`;
if (process.env.JSSIP_DEBUG === '1') JsSIP.debug.enable('JsSIP:*');
else JsSIP.debug.disable();

// Every SIP message sent and received, by UA label: printed when a step fails.
const trace = [];
class TracingSocket extends JsSIP.WebSocketInterface {
  constructor(url, label) {
    super(url);
    this.label = label;
  }
  send(message) {
    record(this.label, '>>>', message);
    return super.send(message);
  }
  _onMessage(event) {
    const data = typeof event.data === 'string' ? event.data : Buffer.from(event.data).toString();
    record(this.label, '<<<', data);
    super._onMessage(event);
  }
}
function record(label, dir, text) {
  trace.push({ label, dir, text });
  if (opts.trace) console.log(indent(`${label} ${dir}\n${text.trimEnd()}`, '    | '));
}
const indent = (text, prefix) => text.split(/\r?\n/).map((l) => prefix + l).join('\n');

function newUA(label, password) {
  return new JsSIP.UA({
    sockets: [new TracingSocket(opts.url, label)],
    uri: `sip:${opts.user}@${opts.domain}`,
    password,
    register: true,
    register_expires: 300,
    session_timers: false,
    // A broken connection fails the step (see `waitFor`) instead of reconnecting until the
    // hard timeout.
    connection_recovery_min_interval: 30,
    connection_recovery_max_interval: 30,
  });
}

// Resolves with the first of `events` the UA emits; a WebSocket that closes first rejects.
function waitFor(ua, events) {
  return new Promise((resolve, reject) => {
    const handlers = {};
    const off = () => {
      for (const [name, fn] of Object.entries(handlers)) ua.removeListener(name, fn);
    };
    for (const name of events) {
      handlers[name] = (data) => { off(); resolve({ event: name, data }); };
    }
    handlers.disconnected = (data) => {
      off();
      const why = [data?.code, data?.reason].filter(Boolean).join(' ') || 'no close code';
      reject(new Error(`WebSocket to ${opts.url} closed or failed to connect (${why})`));
    };
    for (const [name, fn] of Object.entries(handlers)) ua.on(name, fn);
  });
}

const status = (response) => (response ? `${response.status_code} ${response.reason_phrase}` : 'no response');
const headers = (response, name) => (response ? response.getHeaders(name) : []);
const sentWithAuthorization = (label) =>
  trace.some((m) => m.label === label && m.dir === '>>>' && /^(authorization|proxy-authorization)\s*:/im.test(m.text));

// JsSIP 3.13 keeps only the LAST WWW-Authenticate header of a 401 (its parser stores each one
// over the previous: IncomingMessage.setHeader) and computes only MD5 (DigestAuthentication
// gives up on any other algorithm). Explain a failure that comes from the server's order.
function challengeNote(response) {
  const kept = headers(response, 'www-authenticate');
  if (!kept.length) return '';
  const algorithm = /algorithm\s*=\s*"?([\w-]+)/i.exec(kept[kept.length - 1])?.[1] ?? 'MD5';
  if (/^MD5$/i.test(algorithm)) return '';
  return `; the last WWW-Authenticate, the only one JsSIP 3.13 reads, says algorithm=${algorithm}`
    + ' and JsSIP computes only MD5, so it sent no credentials: the server must list MD5 last'
    + ' (registrar.digest_sha256_first = true, the default)';
}

const results = new Map();
let current = STEPS[0];
let stepStarted = performance.now();
function begin(step) {
  current = step;
  stepStarted = performance.now();
}
const took = () => `(${((performance.now() - stepStarted) / 1000).toFixed(2)}s)`;
function pass(step, detail) {
  if (finished) return;
  results.set(step, true);
  console.log(`ok    ${step} ${took()}: ${detail}`);
}
function fail(step, detail) {
  if (finished) return;
  results.set(step, false);
  console.log(`FAIL  ${step} ${took()}: ${detail}`);
}

let finished = false;
function finish() {
  if (finished) return;
  clearTimeout(timer);
  for (const step of STEPS.filter((s) => !results.has(s))) {
    stepStarted = performance.now();
    fail(step, `not run (${current} did not pass)`);
  }
  finished = true;
  const ok = STEPS.every((s) => results.get(s));
  if (!ok && !opts.trace) {
    console.log('  SIP messages of this run:');
    for (const m of trace) {
      console.log(indent(`${m.label} ${m.dir}\n${m.text.trimEnd()}`, '    | '));
    }
  }
  // Let stop() put its last frames on the wire; the process does not wait for anything else.
  setTimeout(() => process.exit(ok ? 0 : 1), 100);
}

const timer = setTimeout(() => {
  fail(current, `timed out after ${TIMEOUT_MS / 1000} s`);
  finish();
}, TIMEOUT_MS);

async function main() {
  console.log(`jssip: JsSIP ${JsSIP.version} (Node ${process.version}) registers sip:${opts.user}@${opts.domain} over ${opts.url}`);

  // 1. register with the right password.
  begin('register');
  const good = newUA('good', opts.password);
  const registered = waitFor(good, ['registered', 'registrationFailed']);
  good.start();
  let r = await registered;
  if (r.event !== 'registered') {
    const res = r.data.response;
    fail('register', `registrationFailed (${status(res)}, cause ${r.data.cause})${challengeNote(res)}`);
    good.stop();
    return;
  }
  {
    const res = r.data.response;
    const contacts = headers(res, 'contact');
    const expires = headers(res, 'expires');
    const ours = good.contact.uri.user;
    if (!contacts.some((c) => c.includes(ours))) {
      fail('register', `registered, but the 200 lists no Contact with user ${ours}: ${contacts.join(' | ')}`);
      good.stop();
      return;
    }
    pass('register', `${status(res)}; Contact: ${contacts.join(', ')}${expires.length ? `; Expires: ${expires.join(', ')}` : ''}`);
  }

  // 2. the same extension with a wrong password: challenged, answers, refused.
  begin('wrong-password');
  const bad = newUA('bad', wrongPassword);
  let badRegistered = false;
  bad.on('registered', () => { badRegistered = true; });
  const refused = waitFor(bad, ['registered', 'registrationFailed']);
  bad.start();
  try {
    r = await refused;
    const res = r.data?.response;
    const causes = [JsSIP.C.causes.REJECTED, JsSIP.C.causes.AUTHENTICATION_ERROR];
    if (r.event === 'registered' || badRegistered) {
      fail('wrong-password', `registered with a wrong password (${status(res)})`);
    } else if (!causes.includes(r.data.cause)) {
      fail('wrong-password', `registrationFailed with cause ${r.data.cause} (${status(res)}), expected ${causes.join(' or ')}`);
    } else if (!sentWithAuthorization('bad')) {
      fail('wrong-password', `registrationFailed (${status(res)}, ${r.data.cause}) without JsSIP ever answering the challenge, which proves nothing${challengeNote(res)}`);
    } else {
      pass('wrong-password', `registrationFailed after answering the challenge: ${status(res)}, cause ${r.data.cause}`);
    }
  } finally {
    bad.stop();
  }

  // 3. unregister the first UA: the 200 must list no binding left for the extension.
  begin('unregister');
  const unregistered = waitFor(good, ['unregistered']);
  good.unregister();
  r = await unregistered;
  {
    const res = r.data?.response;
    const contacts = headers(res, 'contact');
    if (r.data?.cause || !res || res.status_code !== 200) {
      fail('unregister', `unregistered with ${status(res)}, cause ${r.data?.cause ?? 'none'}`);
    } else if (contacts.length) {
      fail('unregister', `200 still lists bindings: ${contacts.join(', ')}`);
    } else {
      pass('unregister', `${status(res)}, no binding left`);
    }
  }
  good.stop();
}

main()
  .catch((err) => fail(current, err.message))
  .finally(finish);
