// Builds the web application into OUT (default ../build/web): one minified JavaScript
// bundle, one stylesheet, index.html and the service worker sw.js. Usage: node build.mjs [OUT]
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || resolve(here, '../build/web'));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: [resolve(here, 'src/main.jsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  entryNames: 'main',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(resolve(here, 'src/index.html'), resolve(out, 'index.html'));
// The service worker stays a file of its own at the root (its scope is the whole site).
await esbuild.build({ entryPoints: [resolve(here, 'src/sw.js')], minify: true, outfile: resolve(out, 'sw.js'), logLevel: 'warning' });
console.log('web: built ' + out);
