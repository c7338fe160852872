#!/usr/bin/env node
// Reads Playwright's JSON report and prints one line a test ("ok    spec › title (4.2s)" or
// "FAIL  spec › title (4.2s)" followed by its error and the step it failed in), then writes
// "PASSED FAILED SKIPPED" to COUNTS for run.sh, which prints the final "N passed, N failed".
//
//   node summary.mjs artifacts/results.json COUNTS
// A missing or unreadable report (Playwright could not even start) counts as one failure,
// and so does every error Playwright reports outside a test (a spec that does not compile).
import * as fs from 'node:fs';

const [reportPath, countsPath] = process.argv.slice(2);
if (!reportPath || !countsPath) {
  console.error('usage: summary.mjs REPORT.json COUNTS');
  process.exit(2);
}

const plain = (s) => String(s ?? '').replace(/\x1b\[[0-9;]*m/g, '');
const indent = (text, max = 30) => {
  const lines = plain(text).split('\n').filter((l) => l.trim() !== '');
  const shown = lines.slice(0, max).map((l) => `    | ${l}`);
  if (lines.length > max) shown.push(`    | ... (${lines.length - max} more lines in ${reportPath})`);
  return shown.join('\n');
};

let passed = 0;
let failed = 0;
let skipped = 0;

/** The innermost step that failed, as "outer > inner". */
function failedStep(steps, trail = []) {
  for (const s of steps ?? []) {
    if (s.error) return failedStep(s.steps, [...trail, s.title]) ?? [...trail, s.title].join(' > ');
  }
  return null;
}

function walk(suite, file) {
  for (const spec of suite.specs ?? []) {
    for (const t of spec.tests ?? []) {
      const results = t.results ?? [];
      const last = results[results.length - 1];
      const secs = last ? (last.duration / 1000).toFixed(1) : '0.0';
      const name = `${file} › ${spec.title}`;
      if (t.status === 'skipped') {
        skipped += 1;
        console.log(`skip  ${name}`);
      } else if (t.status === 'expected' || t.status === 'flaky') {
        passed += 1;
        const notes = (t.annotations ?? []).map((a) => `${a.type}: ${a.description}`).join('; ');
        console.log(`ok    ${name} (${secs}s${notes ? `; ${notes}` : ''})`);
      } else {
        failed += 1;
        console.log(`FAIL  ${name} (${secs}s, ${last?.status ?? 'no result'})`);
        const step = last ? failedStep(last.steps) : null;
        if (step) console.log(`    step: ${step}`);
        for (const e of last?.errors ?? []) console.log(indent(e.message ?? e.value ?? JSON.stringify(e)));
      }
    }
  }
  for (const s of suite.suites ?? []) walk(s, file);
}

let report = null;
try {
  report = JSON.parse(fs.readFileSync(reportPath, 'utf8'));
} catch (e) {
  console.log(`FAIL  playwright: no readable report at ${reportPath} (${e.message})`);
  failed += 1;
}
if (report) {
  for (const s of report.suites ?? []) walk(s, s.file ?? s.title);
  for (const e of report.errors ?? []) {
    failed += 1;
    console.log('FAIL  playwright: an error outside the tests');
    console.log(indent(e.message ?? JSON.stringify(e)));
  }
}
fs.writeFileSync(countsPath, `${passed} ${failed} ${skipped}\n`);
