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
  return browser;
}

export async function close(browser) {
  await browser.close().catch(() => {});
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
 * taller than the box they are given, unless the box scrolls or ellipsises on purpose. */
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
    }
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
