// Two browsers call each other through the server: the admin sets them up in the portal,
// alice (440 Hz microphone) calls bob (1000 Hz), bob answers from the banner, each hears the
// other's tone, hold and resume, DTMF from alice to bob, alice hangs up, and the call record
// on the admin page has the duration measured here. Screenshots of every page on the way.
import { expectNoTone, expectTone } from '../helpers/audio';
import { expectCallOver, expectCallState, expectIncoming, expectRegistered, dial, pressKey } from '../helpers/phone';
import { createExtension, createUser, login, reloadUntil, userId, waitForCdr } from '../helpers/portal';
import { expect, test } from '../helpers/session';
import { TONES } from '../helpers/tone';

test('alice calls bob: audio both ways, hold, DTMF, call record', async ({ people }) => {
  const env = people.env;
  const admin = await people.launch('admin');
  const a = admin.page;

  await test.step('the admin logs in', async () => {
    await a.goto('/');
    await expect(a, 'the portal sends a visitor to /login').toHaveURL(/\/login/);
    await expect(a.locator('form#login-form')).toBeVisible();
    await people.shot(a, 'login');
    await login(a, env.adminUser, env.adminPassword);
    await people.shot(a, 'phone-admin-without-extension');
  });

  await test.step('the admin creates extensions 1001 and 1002', async () => {
    await a.goto('/admin/extensions');
    await people.shot(a, 'admin-extensions-empty');
    const secret = await createExtension(a, '1001', 'Alice Anders');
    expect(secret.length, 'a generated SIP secret of some length').toBeGreaterThanOrEqual(12);
    await people.shot(a, 'admin-extension-secret-once');
    await createExtension(a, '1002', 'Bob Berger');
    await a.goto('/admin/extensions');
    await expect(a.locator('table#extensions tr[data-number="1001"]')).toBeVisible();
    await expect(a.locator('table#extensions tr[data-number="1002"]')).toBeVisible();
    await people.shot(a, 'admin-extensions');
    await a.goto('/admin/extensions/1001');
    await expect(a.locator('form#extension-edit')).toBeVisible();
    await expect(a.locator('form#extension-edit #ext-name')).toHaveValue('Alice Anders');
    await people.shot(a, 'admin-extension-edit');
  });

  await test.step('the admin creates users alice and bob', async () => {
    await createUser(a, 'alice', env.userPassword, '1001');
    await createUser(a, 'bob', env.userPassword, '1002');
    await people.shot(a, 'admin-users');
    await a.goto(`/admin/users/${await userId(a, 'alice')}`);
    await expect(a.locator('body')).toContainText('alice');
    await people.shot(a, 'admin-user-edit');
  });

  const alice = await people.launch('alice', TONES.alice);
  const bob = await people.launch('bob', TONES.bob);
  const al = alice.page;
  const bo = bob.page;

  await test.step('alice and bob log in from their own browsers and register', async () => {
    await Promise.all([login(al, 'alice', env.userPassword), login(bo, 'bob', env.userPassword)]);
    await Promise.all([expectRegistered(al, 'alice'), expectRegistered(bo, 'bob')]);
    await expectCallState(al, 'alice', 'idle');
    await people.shot(al, 'phone-idle-alice');
  });

  await test.step('the admin sees both registrations', async () => {
    await reloadUntil(a, '/admin/registrations', 'table#registrations tr[data-extension="1002"]', 'bob registered');
    await expect(a.locator('table#registrations tr[data-extension="1001"]')).not.toHaveCount(0);
    await people.shot(a, 'admin-registrations');
  });

  let answeredAt = 0;
  let dialedAt = 0;
  await test.step('alice calls 1002 and bob answers from the banner', async () => {
    dialedAt = Date.now();
    await dial(al, '1002');
    await expect(al.locator('#call-state'), "alice's #call-state while it rings").toHaveAttribute(
      'data-state',
      /^(calling|ringing)$/,
    );
    await expectIncoming(bo, 'bob', /1001|Alice/);
    await expectCallState(bo, 'bob', 'incoming');
    await people.shot(bo, 'phone-ringing-bob');
    await people.shot(al, 'phone-calling-alice');
    await bo.locator('#answer-button').click();
    answeredAt = Date.now();
    await Promise.all([expectCallState(al, 'alice', 'active'), expectCallState(bo, 'bob', 'active')]);
    await expect(bo.locator('#incoming-banner'), "bob's banner goes away once answered").toBeHidden();
    await expect(al.locator('#call-peer')).toContainText(/1002|Bob/);
    await expect(al.locator('#call-timer')).toHaveText(/^\s*\d+:\d\d\s*$/);
  });

  await test.step('each side hears the other: bob 440 Hz, alice 1000 Hz', async () => {
    await Promise.all([expectTone(bo, 'bob', TONES.alice), expectTone(al, 'alice', TONES.bob)]);
    await people.shot(al, 'phone-in-call-alice');
    await people.shot(bo, 'phone-in-call-bob');
  });

  await test.step('the admin sees the call on /admin/calls', async () => {
    await reloadUntil(a, '/admin/calls', 'table#calls tr[data-call-id]', 'the live call');
    await expect(a.locator('table#calls tr[data-call-id] form.hangup')).not.toHaveCount(0);
    await expect(a.locator('table#calls tr[data-call-id]').first()).toContainText('1001');
    await people.shot(a, 'admin-calls-during-call');
  });

  await test.step('alice holds: the tones stop both ways', async () => {
    await al.locator('#hold-button').click();
    await expect(al.locator('#hold-button')).toHaveAttribute('aria-pressed', 'true');
    await expectCallState(al, 'alice', 'held');
    await Promise.all([expectNoTone(al, 'alice (on hold)', TONES.bob), expectNoTone(bo, 'bob (held)', TONES.alice)]);
    await people.shot(al, 'phone-on-hold-alice');
  });

  await test.step('alice resumes: audio both ways again', async () => {
    await al.locator('#hold-button').click();
    await expect(al.locator('#hold-button')).toHaveAttribute('aria-pressed', 'false');
    await expectCallState(al, 'alice', 'active');
    await Promise.all([expectTone(bo, 'bob', TONES.alice), expectTone(al, 'alice', TONES.bob)]);
  });

  await test.step('alice sends DTMF 5 and # and bob sees "5#"', async () => {
    const received = bo.locator('#dtmf-received');
    await pressKey(al, '5');
    // as a person types: the second key after the first has arrived
    await expect(received, "bob's #dtmf-received after alice pressed 5").toContainText('5');
    await pressKey(al, '#');
    await expect(received, "bob's #dtmf-received after alice pressed 5 and #").toHaveText(/^\s*5#\s*$/);
    await people.shot(bo, 'phone-dtmf-received-bob');
  });

  let hungUpAt = 0;
  await test.step('alice hangs up', async () => {
    hungUpAt = Date.now();
    await al.locator('#hangup-button').click();
    await Promise.all([expectCallOver(al, 'alice'), expectCallOver(bo, 'bob')]);
  });
  // The record's duration runs from the INVITE to the end, its billable time from the answer.
  const measured = (hungUpAt - answeredAt) / 1000;
  const whole = (hungUpAt - dialedAt) / 1000;
  test.info().annotations.push({
    type: 'call time',
    description: `${whole.toFixed(1)} s from dialing and ${measured.toFixed(1)} s from answer to hang-up`,
  });

  await test.step('the call record shows the call answered with its duration', async () => {
    const row = await waitForCdr(a, '1001', '1002');
    await people.shot(a, 'admin-cdrs');
    expect(row.dialed).toBe('1002');
    expect(row.disposition.toLowerCase(), 'td.disposition').toContain('answered');
    expect(row.duration, 'td.duration is whole seconds, digits only').toMatch(/^\d+$/);
    const duration = Number(row.duration);
    expect(
      Math.abs(duration - whole),
      `td.duration ${duration} s vs ${whole.toFixed(1)} s measured from dialing to hang-up`,
    ).toBeLessThanOrEqual(2);
    expect(row.billable, 'td.billable is whole seconds').toMatch(/^\d+$/);
    expect(
      Math.abs(Number(row.billable) - measured),
      `td.billable ${row.billable} s vs ${measured.toFixed(1)} s measured`,
    ).toBeLessThanOrEqual(2);
    test.info().annotations.push({ type: 'cdr', description: `duration ${row.duration} s, billable ${row.billable} s, codecs ${row.codecs}` });
  });

  await test.step('the call records filter by number and export the same as CSV', async () => {
    await a.locator('form#cdr-filter #cdr-number').fill('1002');
    await a.locator('form#cdr-filter #cdr-number').press('Enter');
    await expect(a).toHaveURL(/number=1002/);
    await expect(a.locator('table#cdrs tr.cdr td.callee').first()).toHaveText(/^\s*1002\s*$/);
    const href = await a.locator('a#cdr-csv').getAttribute('href');
    expect(href, 'a#cdr-csv has an href').toBeTruthy();
    const csv = await a.request.get(href ?? '');
    expect(csv.status(), `GET ${href}`).toBe(200);
    expect(csv.headers()['content-type'] ?? '').toContain('text/csv');
    const lines = (await csv.text()).trim().split(/\r?\n/);
    expect(lines.length, 'CSV: a header row and the call').toBeGreaterThanOrEqual(2);
    expect(lines.slice(1).some((l) => l.includes('1001') && l.includes('1002')), 'a CSV line of the call 1001 -> 1002').toBe(true);
  });

  await test.step('the other pages: recent calls, dial plan, status, account', async () => {
    await al.reload();
    await expect(al.locator('ul#recent-calls > li.recent-call').first(), "alice's recent calls list the call").toContainText('1002');
    await people.shot(al, 'phone-recent-calls-alice');
    await a.goto('/admin/dialplan');
    await expect(a.locator('table#dialplan')).toBeVisible();
    await expect(a.locator('form#rule-add')).toBeVisible();
    await people.shot(a, 'admin-dialplan');
    await a.goto('/admin/status');
    await expect(a).toHaveURL(/\/admin\/status$/);
    await people.shot(a, 'admin-status');
    await a.goto('/account');
    await expect(a.locator('#current-password')).toBeVisible();
    await people.shot(a, 'account-admin');
    await al.goto('/account');
    await expect(al.locator('#new-password')).toBeVisible();
    await people.shot(al, 'account-alice');
  });

  await test.step('no page had an uncaught error or a console error', async () => {
    expect(people.problems, 'page errors and console errors').toEqual([]);
  });
});
