// Shared helpers of the browser tests: Debian's Chromium driven by playwright-core (from
// web/'s lockfile), headless, with a fresh profile per run; login through the form;
// screenshots written as artifacts; and the check that flags text overflowing its box.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOP = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(TOP, 'web', 'package.json'));
export const { chromium } = require('playwright-core');
export const catalogues = Object.fromEntries(['en', 'pl', 'es', 'ru'].map((l) =>
  [l, require(join(TOP, 'web', 'src', 'i18n', l + '.json'))]));

export const BASE = 'http://127.0.0.1:' + process.env.API_PORT;
export const SHOTS = process.env.WEB_SHOTS || join(TOP, 'build', 'web-screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export function step(msg) {
  process.stderr.write('  ' + msg + '\n');
}

export function assert(cond, msg) {
  if (!cond) throw new Error('assertion failed: ' + msg);
}

/* Chromium with a fresh profile: Playwright gives every launch its own new
 * --user-data-dir (a temporary folder it removes at close). */
export async function launch(extra = []) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extra],
  });
  // Every context of this browser is watched for requests that leave the machine.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (opts) => guardOffsite(await newContext(opts));
  browser.newPage = async (opts) => (await browser.newContext(opts)).newPage();
  return browser;
}

/* The application works with no internet: no CDN, no external fonts, nothing but the
 * server it came from. Every request and WebSocket of every page (and service worker)
 * is checked; close() fails the test when one went to an address that is not loopback. */
export const offsite = [];
const LOCAL = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;
export function isLocalUrl(url) {
  let u;
  try { u = new URL(url); } catch { return false; }
  if (!/^(https?|wss?):$/.test(u.protocol)) return /^(data|blob|about|chrome-error):$/.test(u.protocol);
  return LOCAL.test(u.hostname);
}
function guardOffsite(ctx) {
  const check = (url) => {
    if (isLocalUrl(url)) return;
    offsite.push(url);
    step('request to a non-loopback address: ' + url);
  };
  ctx.on('request', (r) => check(r.url()));
  const watch = (p) => p.on('websocket', (ws) => check(ws.url()));
  ctx.on('page', watch);
  ctx.pages().forEach(watch);
  return ctx;
}

export async function close(browser) {
  await browser.close().catch(() => {});
  if (offsite.length) throw new Error('requests left the machine (no CDN or external fonts allowed):\n  ' + [...new Set(offsite)].join('\n  '));
}

/* The REST requests (/api/...) the page makes while nobody does anything for `ms`: live
 * data comes from the events WebSocket only, so a page at rest makes none. */
export async function restWhileIdle(page, ms = 4000) {
  const seen = [];
  const on = (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/') && r.resourceType() !== 'websocket') seen.push(r.method() + ' ' + u.pathname + u.search);
  };
  page.context().on('request', on);
  await page.waitForTimeout(ms);
  page.context().off('request', on);
  return seen;
}

/* Event-to-DOM latency: watches the page (a MutationObserver installed before `act`
 * runs) for the first element matching `selector` whose text matches `pattern`, runs
 * `act`, which makes the server emit the event and returns the event's time (ms, the
 * server's clock: the same machine's), and answers how long after the event the page
 * showed it (ms), or throws when it did not within 10 s. */
export async function eventToDom(page, selector, pattern, act) {
  await page.evaluate(({ selector, pattern }) => {
    const re = new RegExp(pattern);
    window.__domSeen = new Promise((resolve) => {
      const check = () => {
        for (const el of document.querySelectorAll(selector)) {
          if (re.test(el.textContent)) { obs.disconnect(); resolve(Date.now()); return; }
        }
      };
      const obs = new MutationObserver(check);
      obs.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      setTimeout(() => { obs.disconnect(); resolve(null); }, 10000);
    });
  }, { selector, pattern: pattern.source || String(pattern) });
  const at = await act();
  const seen = await page.evaluate(() => window.__domSeen);
  if (seen === null) throw new Error(`no ${selector} matching ${pattern} within 10 s of the event`);
  return seen - at;
}

/* Whether the canvas of `locator` has something drawn on it (pixels not transparent). */
export async function drawnPixels(locator) {
  return locator.evaluate((cv) => {
    const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    return n;
  });
}

/* A page at 1366x768 in a fresh context whose browser language is `lang`. */
export async function newPage(browser, lang = 'en') {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: lang, acceptDownloads: true });
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => step('page error: ' + e.message));
  return page;
}

/* Opens the login page, picks `lang` in the picker, types the credentials and submits. */
export async function login(page, { tenant, username, password, lang }) {
  await page.goto(BASE + '/');
  await page.locator('input[name=tenant]').waitFor();
  if (lang) await page.locator('select[name=language]').selectOption(lang);
  await page.locator('input[name=tenant]').fill(tenant);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.keyboard.press('Enter');
  await page.locator('header.top').waitFor();
  await page.getByTestId('connection').filter({ hasText: catalogues[lang || 'en']['app.online'] }).waitFor();
}

/* Text that overflows its box: elements with text of their own whose content is wider or
 * taller than the box they are given, unless the box scrolls or ellipsises on purpose;
 * and a page wider than the window (a sideways scroll bar). */
export async function overflowing(page) {
  return page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
      if (!el.offsetParent && el.tagName !== 'BODY') continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const cs = getComputedStyle(el);
      if (/(auto|scroll)/.test(cs.overflow + cs.overflowX + cs.overflowY) || cs.textOverflow === 'ellipsis') continue;
      if (el.scrollWidth > el.clientWidth + 1 && cs.display !== 'inline' && el.clientWidth > 1)
        out.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 40)}" ${el.scrollWidth}>${el.clientWidth}`);
      // Taller than its box too (a fixed height the words do not fit in).
      else if (el.scrollHeight > el.clientHeight + 1 && cs.display !== 'inline' && el.clientHeight > 1)
        out.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 40)}" height ${el.scrollHeight}>${el.clientHeight}`);
    }
    // The page itself never scrolls sideways at the size it is shown (1366x768).
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth + 1) out.push(`the page scrolls sideways: ${doc.scrollWidth}>${doc.clientWidth}`);
    return out;
  });
}

/* Writes a screenshot NAME-LANG.png into the artifacts folder and fails on text that
 * overflows its box. */
export async function shoot(page, name, lang) {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}-${lang}.png`);
  await page.screenshot({ path: file });
  const bad = await overflowing(page);
  if (bad.length) {
    writeFileSync(join(SHOTS, `${name}-${lang}.overflow.txt`), bad.join('\n') + '\n');
    throw new Error(`text overflows its box on ${name} (${lang}):\n  ` + bad.join('\n  '));
  }
  return file;
}

/* The REST API, for set-up and for checking what the browser did. */
export async function api(method, path, token, body) {
  const r = await fetch(BASE + '/api/v1' + path, {
    method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export async function apiLogin(tenant, username, password) {
  return (await api('POST', '/login', null, { tenant, username, password })).token;
}

/* Waits (bounded) until f() returns a truthy value. */
export async function until(f, what, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/* Creates a file the shell script waits for (a step of the browser is done). */
export const signal = (name) => writeFileSync(join(process.env.TEST_WORK || tmpdir(), name), '');

/* After a failure: a screenshot of the page and its text, to see what the user saw. */
export async function failed(page, name) {
  if (!page || page.isClosed()) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `failed-${name}.png`) }).catch(() => {});
  const text = await page.locator('body').innerText().catch(() => '');
  step(`page at the failure (screenshot ${join(SHOTS, `failed-${name}.png`)}):\n` + text.slice(0, 3000));
}
