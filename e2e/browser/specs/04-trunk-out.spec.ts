// A browser calls out through a SIP trunk. The provider is sipp on 127.0.0.9 (UDP, known by
// its address, PCMU only); the admin adds its trunk on the Trunks page and a route
// `_1NXXNXXXXXX` that prepends +. alice (440 Hz microphone) dials 12125550199: the provider
// gets INVITE sip:+12125550199@…, answers with PCMU and plays a 1250 Hz tone from a pcap made
// by e2e/pcmu.py. alice's page must hear 1250 Hz (PCMU transcoded to Opus); the RTP the server
// sends the provider, captured on lo with tcpdump, must be PCMU (PT 0) whose decoded audio
// holds alice's 440 Hz and not the provider's own tone (Opus transcoded to PCMU). alice hangs
// up, the provider gets the BYE (sipp exits 0), and the call record shows opus ↔ PCMU.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectTone } from '../helpers/audio';
import { ARTIFACTS } from '../helpers/env';
import { dial, expectCallOver, expectCallState, expectRegistered } from '../helpers/phone';
import { addIpTrunk, addRoute, ensureUser, login, reloadUntil, waitForCdr } from '../helpers/portal';
import { RtpCapture, SippProvider } from '../helpers/provider';
import { expect, test } from '../helpers/session';
import { TONES } from '../helpers/tone';

/** The provider's address: not 127.0.0.1, where the phones and the server are. */
const PROVIDER_IP = '127.0.0.9';
const TRUNK = 'sippco';
const OUTSIDE = '12125550199';
// Not an access code like _9X. with strip 1: the class of service is judged on the digits as
// dialed, and 9 1 212 555 0199 reads as an international number.
const PATTERN = '_1NXXNXXXXXX';

test('alice calls out through a sipp trunk: PCMU to the provider, tones both ways', async ({ people }) => {
  const env = people.env;
  const dir = path.join(ARTIFACTS, 'trunk-provider');
  fs.rmSync(dir, { recursive: true, force: true });
  let provider: SippProvider | null = null;
  let capture: RtpCapture | null = null;

  try {
    const admin = await people.launch('admin');
    const a = admin.page;
    await test.step('the admin logs in (alice and 1001 there)', async () => {
      await login(a, env.adminUser, env.adminPassword);
      await ensureUser(a, 'alice', env.userPassword, '1001', 'Alice Anders');
    });

    let p!: SippProvider;
    let c!: RtpCapture;
    await test.step(`the provider starts: sipp on ${PROVIDER_IP}, its RTP captured`, async () => {
      provider = await SippProvider.start({
        dir,
        ip: PROVIDER_IP,
        scenario: 'trunk-uas-pcmu-tone.xml',
        tone: TONES.provider,
        seconds: 60,
      });
      p = provider;
      capture = await RtpCapture.start(dir, PROVIDER_IP, p.mediaPort);
      c = capture;
    });

    await test.step('the admin adds the trunk on the Trunks page: IP-authenticated, UDP, PCMU', async () => {
      await addIpTrunk(a, { name: TRUNK, host: PROVIDER_IP, port: p.sipPort, codecs: 'PCMU' }, () => people.shot(a, 'admin-trunk-form'));
      await people.shot(a, 'admin-trunks');
    });

    await test.step(`the admin adds the route ${PATTERN} through it, prepending +`, async () => {
      await addRoute(a, PATTERN, TRUNK, '+');
      await people.shot(a, 'admin-routes');
    });

    const alice = await people.launch('alice', TONES.alice);
    const al = alice.page;
    await test.step('alice logs in and registers', async () => {
      await login(al, 'alice', env.userPassword);
      await expectRegistered(al, 'alice');
    });

    await test.step(`alice dials ${OUTSIDE} and the provider answers`, async () => {
      await dial(al, OUTSIDE);
      try {
        await expectCallState(al, 'alice', 'active', 20_000);
      } catch (e) {
        throw new Error(`${String(e)}\n${p.output()}`);
      }
      const invite = /^INVITE (\S+) SIP\/2\.0/m.exec(p.messages())?.[1] ?? '(none)';
      expect(invite, 'the provider got the number with the + prepended').toMatch(new RegExp(`^sip:\\+${OUTSIDE}@`));
      test.info().annotations.push({ type: 'provider INVITE', description: invite });
    });

    await test.step(`alice hears the provider's ${TONES.provider} Hz (PCMU → Opus)`, async () => {
      await expectTone(al, 'alice', TONES.provider, 15_000);
      await people.shot(al, 'phone-in-call-trunk');
      await reloadUntil(a, '/admin/calls', 'table#calls tr[data-call-id]', 'the call out');
      await people.shot(a, 'admin-calls-trunk');
    });

    await test.step('3 s of RTP to the provider are captured, then alice hangs up', async () => {
      await c.waitSeconds(3);
      await al.locator('#hangup-button').click();
      await expectCallOver(al, 'alice');
    });

    await test.step('the provider got the BYE and answered it (sipp exits 0)', async () => {
      const status = await p.waitExit(15_000);
      expect(status, `sipp's exit status (null: still waiting for the BYE)\n${p.output()}`).toBe(0);
      expect(p.messages(), 'sipp received a BYE').toMatch(/^BYE sip:/m);
    });

    await test.step(`the RTP to the provider is PCMU carrying alice's ${TONES.alice} Hz (Opus → PCMU)`, async () => {
      await c.stop();
      const d = await c.decode(TONES.alice, [TONES.provider]);
      test.info().annotations.push({ type: 'capture', description: d.line.replace(`${ARTIFACTS}/`, '') });
      test.info().annotations.push({ type: 'tone check', description: d.toneLine.replace(`${ARTIFACTS}/`, '') });
      expect(d.packets, `PCMU packets (PT 0) to the provider: ${d.line}`).toBeGreaterThanOrEqual(150);
      expect(Math.abs(d.dominantHz - TONES.alice), `the dominant frequency: ${d.line}`).toBeLessThanOrEqual(10);
      expect(d.toneOk, `tone.py check: ${d.toneLine}`).toBe(true);
    });

    await test.step('the call record: answered, 1001 -> the outside number, opus ↔ PCMU', async () => {
      const row = await waitForCdr(a, '1001', OUTSIDE);
      expect(row.disposition.toLowerCase(), 'td.disposition').toContain('answered');
      expect(row.codecs, 'td.codecs: the browser leg, then the trunk leg').toMatch(/^opus(\/48000)? ↔ PCMU(\/8000)?$/i);
      test.info().annotations.push({ type: 'cdr', description: `duration ${row.duration} s, codecs ${row.codecs}` });
      await people.shot(a, 'admin-cdrs-trunk');
    });

    await test.step('no page had an uncaught error or a console error', async () => {
      expect(people.problems, 'page errors and console errors').toEqual([]);
    });
  } finally {
    await (capture as RtpCapture | null)?.stop();
    await (provider as SippProvider | null)?.stop();
  }
});
