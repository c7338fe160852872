#!/usr/bin/env node
// Bundles the softphone (src/main.ts and JsSIP) into ../static/softphone.js, the only script
// the portal's pages load (CSP script-src 'self': one external file, no inline code).
//
//   npm run build            minified, with a linked source map
//   npm run build -- --dev   readable output, for stepping through in the browser
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const dev = process.argv.includes('--dev');

try {
  const result = await build({
    entryPoints: [here('./src/main.ts')],
    outfile: here('../static/softphone.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: !dev,
    sourcemap: 'linked',
    // The map carries the sources: the portal serves static/ only, not web/src, and a browser
    // fetches the map only when its developer tools are open.
    sourcesContent: true,
    // JsSIP and its dependencies are MIT: their notices stay in the one file we ship.
    legalComments: 'eof',
    logLevel: 'info',
  });
  if (result.errors.length > 0) process.exit(1);
} catch {
  // esbuild has already printed the errors (logLevel 'info').
  process.exit(1);
}
