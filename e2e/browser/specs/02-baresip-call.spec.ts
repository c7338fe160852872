// A browser calls a G.711-only SIP phone: baresip registers as extension 1003 offering PCMU
// only and answers by itself; the server transcodes between the browser's Opus and PCMU.
// baresip's recording of what it decoded must hold alice's tone (and not its own), and alice's
// page must hear baresip's tone.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectTone } from '../helpers/audio';
import { Baresip, checkTone } from '../helpers/baresip';
import { ARTIFACTS } from '../helpers/env';
import { dial, expectCallOver, expectCallState, expectRegistered } from '../helpers/phone';
import { createExtension, ensureUser, login, reloadUntil, waitForCdr } from '../helpers/portal';
import { expect, test } from '../helpers/session';
import { TONES } from '../helpers/tone';

test('alice calls baresip on G.711 (PCMU only): each hears the other', async ({ people }) => {
  const env = people.env;
  const admin = await people.launch('admin');
  const a = admin.page;
  // baresip's config, log and recordings are kept with the other artifacts
  const dir = path.join(ARTIFACTS, 'baresip-1003');
  fs.rmSync(dir, { recursive: true, force: true });
  let phone: Baresip | null = null;

  try {
    let secret = '';
    await test.step('the admin creates extension 1003 for baresip (and alice if missing)', async () => {
      await login(a, env.adminUser, env.adminPassword);
      secret = await createExtension(a, '1003', 'Desk phone (G.711)');
      await ensureUser(a, 'alice', env.userPassword, '1001', 'Alice Anders');
    });

    await test.step('baresip registers as 1003 with PCMU only and auto-answer', async () => {
      phone = await Baresip.start({
        dir,
        number: '1003',
        secret,
        domain: env.domain,
        server: env.sipAddr,
        tone: TONES.baresip,
        rtpLow: 30000,
      });
      await phone.waitRegistered();
      await reloadUntil(a, '/admin/registrations', 'table#registrations tr[data-extension="1003"]', 'baresip registered');
      await people.shot(a, 'admin-registrations-baresip');
    });

    const alice = await people.launch('alice', TONES.alice);
    const al = alice.page;
    await test.step('alice logs in and registers', async () => {
      await login(al, 'alice', env.userPassword);
      await expectRegistered(al, 'alice');
    });

    let p!: Baresip;
    await test.step('alice calls 1003 and baresip answers', async () => {
      if (!phone) throw new Error('baresip did not start');
      p = phone;
      await dial(al, '1003');
      try {
        await expectCallState(al, 'alice', 'active', 15_000);
      } catch (e) {
        throw new Error(`${String(e)}\nbaresip's log:\n${p.tail()}`);
      }
    });

    await test.step('alice hears baresip (1800 Hz) through the transcoder', async () => {
      await expectTone(al, 'alice', TONES.baresip);
      await people.shot(al, 'phone-in-call-with-baresip');
      await reloadUntil(a, '/admin/calls', 'table#calls tr[data-call-id]', 'the call to baresip');
      await people.shot(a, 'admin-calls-baresip');
    });

    await test.step('baresip records 3 s of the call, then alice hangs up', async () => {
      await p.waitRecorded(3);
      await al.locator('#hangup-button').click();
      await expectCallOver(al, 'alice');
      await p.stop();
    });

    await test.step('baresip encoded PCMU and its recording holds alice’s 440 Hz, not its own tone', async () => {
      expect(p.encoder(), "baresip's audio encoder (its log: Set audio encoder)").toBe('PCMU');
      const rec = p.recording();
      expect(rec, `a *-dec.wav recording in ${dir}/rec`).not.toBeNull();
      const r = await checkTone(rec ?? '', TONES.alice, [TONES.baresip]);
      test.info().annotations.push({ type: 'baresip recording', description: r.line.replace(`${ARTIFACTS}/`, '') });
      expect(r.ok, `tone.py check: ${r.line}`).toBe(true);
    });

    await test.step('the call record: answered, 1001 -> 1003', async () => {
      const row = await waitForCdr(a, '1001', '1003');
      expect(row.disposition.toLowerCase(), 'td.disposition').toContain('answered');
      test.info().annotations.push({ type: 'cdr', description: `duration ${row.duration} s, codecs ${row.codecs}` });
      await people.shot(a, 'admin-cdrs-baresip');
    });

    await test.step('no page had an uncaught error or a console error', async () => {
      expect(people.problems, 'page errors and console errors').toEqual([]);
    });
  } finally {
    await (phone as Baresip | null)?.stop();
  }
});
