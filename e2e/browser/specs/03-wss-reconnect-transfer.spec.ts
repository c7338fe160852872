// Three softphone features against the real server:
//  - over HTTPS (the server's self-signed certificate) the phone registers over wss://…/sip,
//    the admin sees the binding with transport wss, and a call from it to a browser on plain
//    ws:// carries audio both ways;
//  - when the WebSocket drops (the browser goes offline and its TCP connections are aborted:
//    helpers/network.ts says why both) the badge says disconnected, and the phone reconnects
//    and registers again by itself once the network is back, without a reload; a call works;
//  - blind transfer: alice calls bob, bob transfers her to baresip (extension 1004,
//    auto-answer) with #transfer-number + #transfer-button; alice then hears baresip's tone,
//    baresip hears hers, and bob's call is over.
// Each person has their own Chromium (their own fake microphone tone) and a name of their own
// in this file, so that the SIP logs and failure screenshots of the three tests do not clash.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectTone } from '../helpers/audio';
import { Baresip, checkTone } from '../helpers/baresip';
import { ARTIFACTS } from '../helpers/env';
import { abortConnectionsTo, portOf } from '../helpers/network';
import {
  dial,
  expectCallOver,
  expectCallState,
  expectIncoming,
  expectRegState,
  expectRegistered,
  recordRegStates,
  regStates,
} from '../helpers/phone';
import { ensureUser, freshSecret, login, registrations, reloadUntil, waitForCdr } from '../helpers/portal';
import { expect, test, type People, type Person } from '../helpers/session';
import { TONES } from '../helpers/tone';

/** Slow machines (two cores, a CI build beside us): generous waits, never fixed sleeps. */
const SLOW = 30_000;

/** The admin logged in, with alice (1001) and bob (1002) there, so each test runs alone too. */
async function adminWithUsers(people: People): Promise<Person> {
  const env = people.env;
  const admin = await people.launch('admin');
  await login(admin.page, env.adminUser, env.adminPassword);
  await ensureUser(admin.page, 'alice', env.userPassword, '1001', 'Alice Anders');
  await ensureUser(admin.page, 'bob', env.userPassword, '1002', 'Bob Berger');
  return admin;
}

interface Socket {
  url: string;
  closed: boolean;
}

/** The WebSockets PERSON's page opens from now on, and whether each has closed. */
function socketsOf(person: Person): Socket[] {
  const list: Socket[] = [];
  person.page.on('websocket', (ws) => {
    const s = { url: ws.url(), closed: false };
    list.push(s);
    ws.on('close', () => {
      s.closed = true;
    });
  });
  return list;
}

/** CALLER dials NUMBER, CALLEE answers from the banner; both become active and each hears the
 *  other's tone. */
async function callAndAnswer(
  caller: Person,
  callerTone: number,
  callee: Person,
  calleeTone: number,
  number: string,
  from: RegExp,
): Promise<void> {
  await dial(caller.page, number);
  await expectIncoming(callee.page, callee.name, from);
  await callee.page.locator('#answer-button').click();
  await Promise.all([
    expectCallState(caller.page, caller.name, 'active', SLOW),
    expectCallState(callee.page, callee.name, 'active', SLOW),
  ]);
  await Promise.all([
    expectTone(callee.page, callee.name, callerTone, SLOW),
    expectTone(caller.page, caller.name, calleeTone, SLOW),
  ]);
}

test('over HTTPS the phone registers over wss:// and calls a browser on ws://', async ({ people }) => {
  const env = people.env;
  const admin = await adminWithUsers(people);
  const a = admin.page;
  const alice = await people.launch('alice-wss', TONES.alice, { baseUrl: env.httpsUrl, ignoreHTTPSErrors: true });
  const bob = await people.launch('bob-ws', TONES.bob);
  const al = alice.page;
  const aliceSockets = socketsOf(alice);

  await test.step('alice opens the portal over HTTPS and logs in', async () => {
    await al.goto('/');
    await expect(al, 'the HTTPS portal sends a visitor to /login').toHaveURL((u) => u.origin === env.httpsUrl && u.pathname === '/login');
    await people.shot(al, 'https-login');
    await login(al, 'alice', env.userPassword);
    const cookies = await alice.context.cookies(env.httpsUrl);
    const session = cookies.find((c) => c.name === '__Host-sb_session');
    expect(session, `the session cookie over HTTPS is __Host-sb_session (got ${cookies.map((c) => c.name).join(', ') || 'none'})`).toBeTruthy();
    expect(session?.secure, '__Host-sb_session is Secure').toBe(true);
    expect(session?.httpOnly, '__Host-sb_session is HttpOnly').toBe(true);
  });

  await test.step('alice registers over wss://…/sip, bob over ws://', async () => {
    await login(bob.page, 'bob', env.userPassword);
    await Promise.all([expectRegistered(al, 'alice (https)'), expectRegistered(bob.page, 'bob')]);
    const wss = `${env.httpsUrl.replace(/^https:/, 'wss:')}/sip`;
    const urls = aliceSockets.map((s) => s.url);
    expect(urls, `alice's page opened ${wss}`).toContain(wss);
    expect(urls.filter((u) => !u.startsWith('wss:')), "alice's page opened no plain ws:// socket").toEqual([]);
    await people.shot(al, 'https-phone-registered-wss');
  });

  await test.step('the admin sees 1001 registered with transport wss', async () => {
    await expect
      .poll(async () => (await registrations(a)).filter((r) => r.extension === '1001').map((r) => r.transport.toLowerCase()), {
        message: 'GET /api/registrations lists a wss binding of 1001',
        timeout: SLOW,
      })
      .toContain('wss');
    await reloadUntil(a, '/admin/registrations', 'table#registrations tr[data-extension="1001"]', 'alice registered');
    await expect(
      a.locator('table#registrations tr[data-extension="1001"]').filter({ hasText: /\bWSS\b/ }),
      '/admin/registrations shows 1001 over WSS',
    ).not.toHaveCount(0);
    await people.shot(a, 'https-admin-registrations-wss');
  });

  await test.step('alice (wss) calls bob (ws): each hears the other', async () => {
    await callAndAnswer(alice, TONES.alice, bob, TONES.bob, '1002', /1001|Alice/);
    await people.shot(al, 'https-in-call-alice');
  });

  await test.step('alice hangs up', async () => {
    await al.locator('#hangup-button').click();
    await Promise.all([expectCallOver(al, 'alice'), expectCallOver(bob.page, 'bob')]);
  });

  await test.step('no page had an uncaught error or a console error', async () => {
    expect(people.problems, 'page errors and console errors').toEqual([]);
  });
});

test('the phone reconnects and registers again by itself after its WebSocket drops', async ({ people }) => {
  const env = people.env;
  await adminWithUsers(people);
  // alice on the HTTPS listener, bob and the admin on plain HTTP: dropping every connection to
  // the HTTPS port drops alice's alone.
  const alice = await people.launch('alice-reconnect', TONES.alice, { baseUrl: env.httpsUrl, ignoreHTTPSErrors: true });
  const bob = await people.launch('bob-reconnect', TONES.bob);
  const al = alice.page;
  const aliceSockets = socketsOf(alice);
  const httpsPort = portOf(env.httpsUrl);

  await test.step('alice (wss) and bob (ws) log in and register', async () => {
    await Promise.all([login(al, 'alice', env.userPassword), login(bob.page, 'bob', env.userPassword)]);
    await Promise.all([expectRegistered(al, 'alice'), expectRegistered(bob.page, 'bob')]);
    expect(aliceSockets.map((s) => s.url), 'alice opened one WebSocket').toHaveLength(1);
    await recordRegStates(al);
  });

  await test.step("alice's connection drops while her browser is offline: the badge says disconnected", async () => {
    // Offline first, so that the phone's reconnection attempts fail until the network is back
    // and `disconnected` stays on the badge; offline alone leaves the open socket alone.
    await alice.context.setOffline(true);
    const aborted = await abortConnectionsTo(httpsPort);
    test.info().annotations.push({ type: 'aborted', description: aborted.join(', ') });
    expect(aborted.length, `ss -K aborted alice's connections to port ${httpsPort}`).toBeGreaterThanOrEqual(1);
    await expect
      .poll(() => aliceSockets.every((s) => s.closed), { message: "alice's WebSocket closes", timeout: SLOW })
      .toBe(true);
    await expectRegState(al, 'alice (connection dropped)', 'disconnected', SLOW);
    await people.shot(al, 'reconnect-disconnected');
  });

  await test.step('back online: the phone reconnects and registers again without a reload', async () => {
    await alice.context.setOffline(false);
    await expectRegState(al, 'alice (back online)', 'registered', SLOW);
    const open = aliceSockets.filter((s) => !s.closed);
    expect(open.map((s) => s.url), 'alice has one new open WebSocket, to wss://…/sip').toEqual([
      `${env.httpsUrl.replace(/^https:/, 'wss:')}/sip`,
    ]);
    const states = await regStates(al);
    test.info().annotations.push({ type: 'reg states', description: states.join(' → ') });
    const down = states.indexOf('disconnected');
    expect(down, `#reg-status went to disconnected (states seen: ${states.join(' → ')})`).toBeGreaterThan(0);
    expect(states.slice(down), 'then back to registered').toContain('registered');
    await people.shot(al, 'reconnect-registered-again');
  });

  await test.step('a call after the reconnect: alice calls bob, each hears the other', async () => {
    await callAndAnswer(alice, TONES.alice, bob, TONES.bob, '1002', /1001|Alice/);
    await people.shot(al, 'reconnect-in-call-alice');
    await al.locator('#hangup-button').click();
    await Promise.all([expectCallOver(al, 'alice'), expectCallOver(bob.page, 'bob')]);
  });

  await test.step('no page had an uncaught error or a console error (but the offline socket)', async () => {
    // While offline Chromium itself logs the failed reconnection attempts.
    const offline = /WebSocket connection to .* failed/;
    expect(people.problems.filter((p) => !offline.test(p)), 'page errors and console errors').toEqual([]);
  });
});

test('bob transfers alice blindly to baresip: she hears it, his call ends', async ({ people }) => {
  const env = people.env;
  const admin = await adminWithUsers(people);
  const a = admin.page;
  const dir = path.join(ARTIFACTS, 'baresip-1004');
  fs.rmSync(dir, { recursive: true, force: true });
  let phone: Baresip | null = null;

  try {
    await test.step('baresip registers as 1004 with auto-answer', async () => {
      const secret = await freshSecret(a, '1004', 'Transfer target (baresip)');
      phone = await Baresip.start({
        dir,
        number: '1004',
        secret,
        domain: env.domain,
        server: env.sipAddr,
        tone: TONES.baresip,
        rtpLow: 30400,
      });
      await phone.waitRegistered(SLOW);
      await reloadUntil(a, '/admin/registrations', 'table#registrations tr[data-extension="1004"]', 'baresip registered', SLOW);
    });
    const p = phone as unknown as Baresip;

    const alice = await people.launch('alice-transfer', TONES.alice);
    const bob = await people.launch('bob-transfer', TONES.bob);
    const al = alice.page;
    const bo = bob.page;

    await test.step('alice calls bob, bob answers: audio both ways', async () => {
      await Promise.all([login(al, 'alice', env.userPassword), login(bo, 'bob', env.userPassword)]);
      await Promise.all([expectRegistered(al, 'alice'), expectRegistered(bo, 'bob')]);
      await callAndAnswer(alice, TONES.alice, bob, TONES.bob, '1002', /1001|Alice/);
    });

    await test.step('bob transfers the call to 1004', async () => {
      await expect(bo.locator('#transfer-number'), "bob's #transfer-number during the call").toBeEnabled();
      await bo.locator('#transfer-number').fill('1004');
      await people.shot(bo, 'transfer-bob-before');
      await bo.locator('#transfer-button').click();
    });

    await test.step("bob's call ends; alice stays in a call and hears baresip (1800 Hz)", async () => {
      try {
        await expectTone(al, 'alice (transferred)', TONES.baresip, SLOW);
      } catch (e) {
        throw new Error(`${String(e)}\nbaresip's log:\n${p.tail()}`);
      }
      await expectCallOver(bo, 'bob (transferor)');
      await expectCallState(al, 'alice', 'active');
      await people.shot(al, 'transfer-alice-with-baresip');
      await people.shot(bo, 'transfer-bob-after');
    });

    await test.step("baresip records 2 s of alice's 440 Hz, then alice hangs up", async () => {
      await p.waitRecorded(2, SLOW);
      await al.locator('#hangup-button').click();
      await expectCallOver(al, 'alice');
      await p.stop();
      const rec = p.recording();
      expect(rec, `a *-dec.wav recording in ${dir}/rec`).not.toBeNull();
      const r = await checkTone(rec ?? '', TONES.alice, [TONES.bob, TONES.baresip]);
      test.info().annotations.push({ type: 'baresip recording', description: r.line.replace(`${ARTIFACTS}/`, '') });
      expect(r.ok, `tone.py check: ${r.line}`).toBe(true);
    });

    await test.step('the call record names 1004 as the callee, answered', async () => {
      const row = await waitForCdr(a, '1001', '1004', SLOW);
      expect(row.dialed, 'td.dialed: what alice dialed').toBe('1002');
      expect(row.disposition.toLowerCase(), 'td.disposition').toContain('answered');
      test.info().annotations.push({ type: 'cdr', description: `duration ${row.duration} s, codecs ${row.codecs}` });
      await people.shot(a, 'transfer-admin-cdrs');
    });

    await test.step('no page had an uncaught error or a console error', async () => {
      expect(people.problems, 'page errors and console errors').toEqual([]);
    });
  } finally {
    await (phone as Baresip | null)?.stop();
  }
});
