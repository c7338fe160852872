// Playwright for the browser end-to-end calls. Run through run.sh, which starts the server in
// a network namespace with only loopback and passes its addresses in SB_* variables
// (helpers/env.ts). The tests launch their own Chromium processes (one per fake microphone),
// so no `projects`/`use.browserName`: nothing here downloads or starts a browser.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './specs',
  // One server, shared extensions and users: the specs run one after another, never twice.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  // A call test waits for registrations, tones, hold/resume, DTMF and a call record.
  timeout: 180_000,
  expect: { timeout: 10_000 },
  // run.sh reads the JSON report for its per-test lines and the "N passed, N failed" line.
  reporter: [['list'], ['json', { outputFile: 'artifacts/results.json' }]],
  // Per-test output, screenshots (artifacts/screenshots/), baresip's files; Playwright empties
  // it at the start of a run, and run.sh adds the server log at the end.
  outputDir: 'artifacts',
  use: {
    actionTimeout: 15_000,
    navigationTimeout: 15_000,
  },
});
