// Builds the web application into OUT (default ../build/web): one minified JavaScript
// bundle, one stylesheet, index.html and the service worker sw.js; and the public web
// callback page (callback.html, callback.js) and the web chat (chat.js, the script a
// company's site includes; chat.html and chatpage.js, the chat itself, in an iframe) that
// companies embed in their own sites; and a gzip-compressed copy of each text file.
// Usage: node build.mjs [OUT]
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || resolve(here, '../build/web'));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: {
    main: resolve(here, 'src/main.jsx'),
    callback: resolve(here, 'src/callback.jsx'),
    chatpage: resolve(here, 'src/chat.jsx'),
  },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  entryNames: '[name]',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(resolve(here, 'src/index.html'), resolve(out, 'index.html'));
copyFileSync(resolve(here, 'src/callback.html'), resolve(out, 'callback.html'));
copyFileSync(resolve(here, 'src/chat.html'), resolve(out, 'chat.html'));
// The embeddable script is a classic script (it reads document.currentScript).
await esbuild.build({ entryPoints: [resolve(here, 'src/chat-embed.js')], minify: true, format: 'iife', target: ['es2020'], outfile: resolve(out, 'chat.js'), logLevel: 'warning' });
// The service worker stays a file of its own at the root (its scope is the whole site).
await esbuild.build({ entryPoints: [resolve(here, 'src/sw.js')], minify: true, outfile: resolve(out, 'sw.js'), logLevel: 'warning' });
// Each text file also gzip-compressed beside it (FILE.gz, at the highest level): the
// server sends that to a browser that accepts gzip (src/api/server.c), so what the page
// receives is compressed without the server compressing anything.
for (const f of readdirSync(out)) {
  if (!/\.(html|js|css|json|svg)$/.test(f)) continue;
  writeFileSync(resolve(out, f + '.gz'), gzipSync(readFileSync(resolve(out, f)), { level: 9 }));
}
console.log('web: built ' + out);
