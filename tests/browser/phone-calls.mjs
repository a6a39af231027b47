// Calls beyond one customer and one agent on the browser phone, in a real browser
// (tests/browser/t-web-phone-calls.sh starts the server and the SIPp customers, each of
// whom echoes what he hears, so what a page hears back tells what the customer heard).
// Two Chromiums: alice's fake microphone plays 1000 Hz, ben's and supervisor bob's
// 700 Hz. (1) alice consults ben from her desktop's call controls (the customer on
// hold), they hear each other, she completes the transfer: ben has the customer, who
// hears him. (2) alice brings ben into a three-way conference: each hears the others.
// (3) bob whispers to alice from his browser phone: she hears him, the customer does
// not; then he barges in and the customer hears him too.
import { launch, close, newPage, step, BASE, assert, apiLogin, api, until, signal, catalogues, failed } from './lib.mjs';

const T = 'acme';
const c = catalogues.en;
const args = (wav) => ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--use-file-for-fake-audio-capture=' + wav, '--autoplay-policy=no-user-gesture-required'];
const browserA = await launch(args(process.env.PHONE_WAV_A));
const browserB = await launch(args(process.env.PHONE_WAV_B));
let page;

/* The level (dB) of the page's received audio at hz, and of its strongest frequency. */
const levels = (p, hz) => p.evaluate((f) => {
  const ph = window.centralaPhone;
  const r = ph && ph.remote;
  if (!r || !ph.ctx) return { at: -200, peak: -200 };
  r.an.smoothingTimeConstant = 0; // what is received now, not a decaying average
  r.an.getFloatFrequencyData(r.freq);
  const bin = Math.round((f * r.an.fftSize) / ph.ctx.sampleRate);
  let at = -200;
  for (let i = bin - 2; i <= bin + 2; i++) at = Math.max(at, r.freq[i]);
  let peak = -200;
  for (let i = 1; i < r.freq.length; i++) peak = Math.max(peak, r.freq[i]);
  return { at, peak };
}, hz);

/* Heard: hz is a tone of what the page receives, within 20 dB of the strongest. */
async function hears(p, who, hz, what) {
  let l = { at: -200, peak: -200 };
  await until(async () => { l = await levels(p, hz); return l.at > -80 && l.at > l.peak - 20; },
    `${who} hears ${what} (${hz} Hz)`, 15000)
    .catch((e) => { throw new Error(e.message + ` (${l.at.toFixed(1)} dB, strongest ${l.peak.toFixed(1)} dB)`); });
  step(`${who} hears ${what}: ${hz} Hz at ${l.at.toFixed(0)} dB (strongest ${l.peak.toFixed(0)} dB)`);
}

/* Not heard: once hz has fallen 30 dB under the strongest frequency received (within
 * 6 s: the change, the customer's echo and the page's own jitter buffer take their time
 * on a loaded machine), it stays there for 3 s; the strongest is itself a tone (the page
 * hears the call). */
async function doesNotHear(p, who, hz, what) {
  let worst = -200, l;
  for (let i = 0; i < 30; i++) {
    l = await levels(p, hz);
    if (l.peak > -80 && l.at - l.peak < -30)
      break;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (let i = 0; i < 15; i++) {
    l = await levels(p, hz);
    assert(l.peak > -80, `${who} hears the call while checking for ${what} (strongest ${l.peak.toFixed(1)} dB)`);
    worst = Math.max(worst, l.at - l.peak);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert(worst < -30, `${who} must not hear ${what} (${hz} Hz ${worst.toFixed(1)} dB from the strongest)`);
  step(`${who} does not hear ${what} (${hz} Hz at most ${worst.toFixed(0)} dB from the strongest)`);
}

async function phonePage(browser, user, password) {
  const p = await newPage(browser, 'en');
  p.on('console', (m) => { if (m.type() === 'error') step(user + ' console: ' + m.text()); });
  await p.goto(BASE + '/');
  await p.locator('input[name=tenant]').fill(T);
  await p.locator('input[name=username]').fill(user);
  await p.locator('input[name=password]').fill(password);
  await p.getByLabel(c['login.browser_phone']).check();
  await p.keyboard.press('Enter');
  await p.getByTestId('phone-status').filter({ hasText: c['phone.status.ready'] }).waitFor({ timeout: 20000 });
  return p;
}

const status = (p, s) => p.getByTestId('phone-status').filter({ hasText: c['phone.status.' + s] });

async function answer(p, timeout = 30000) {
  await status(p, 'ringing').waitFor({ timeout });
  await p.getByTestId('phone-answer').click();
  await status(p, 'talking').waitFor();
}

async function readyAgain(tk, who) {
  await api('POST', '/agents/me/wrapup/end', tk).catch(() => {});
  await until(async () => (await api('GET', '/agents/me', tk)).state === 'ready', who + ' ready', 20000);
}

/* The desktop's call controls: a user as the target, then a button. */
async function controls(p, target, button) {
  const box = p.getByRole('region', { name: c['call.title'] });
  await box.getByLabel(c['call.target'], { exact: true }).fill(target);
  await box.getByRole('button', { name: c[button], exact: true }).click();
}

try {
  page = await phonePage(browserA, 'alice', 'alice-secret');
  const ben = await phonePage(browserB, 'ben', 'ben-secret');
  const bob = await phonePage(browserB, 'bob', 'bob-secret');
  const at = await apiLogin(T, 'alice', 'alice-secret');
  const nt = await apiLogin(T, 'ben', 'ben-secret');
  const bt = await apiLogin(T, 'bob', 'bob-secret');
  await api('PUT', '/agents/me/state', at, { state: 'ready' });
  await api('PUT', '/agents/me/state', nt, { state: 'not_ready' });

  // (1) A consultation and an attended transfer from alice's desktop to ben.
  signal('web.c1');
  await answer(page);
  await hears(page, 'alice', 1000, 'herself through the customer');
  await controls(page, 'ben', 'call.attended');
  await answer(ben, 15000);
  await hears(ben, 'ben', 1000, 'alice consulting him');
  await hears(page, 'alice', 700, 'ben');
  await page.getByRole('region', { name: c['call.title'] }).getByRole('button', { name: c['call.complete'] }).click();
  await status(page, 'ready').waitFor();
  await hears(ben, 'ben', 700, 'himself through the customer (the customer hears him)');
  await doesNotHear(ben, 'ben', 1000, 'alice, who left');
  await ben.getByTestId('phone-hangup').click();
  await status(ben, 'ready').waitFor();
  step('consulted and transferred from the browser phone to a browser phone');

  // (2) A three-way conference: the customer, alice and ben.
  await readyAgain(at, 'alice');
  signal('web.c2');
  await answer(page);
  await hears(page, 'alice', 1000, 'herself through the customer');
  await controls(page, 'ben', 'call.conference');
  await answer(ben, 15000);
  await hears(ben, 'ben', 1000, 'alice in the conference');
  await hears(page, 'alice', 700, 'ben in the conference');
  await hears(ben, 'ben', 700, 'himself through the customer (the customer hears him)');
  const ix2 = (await api('GET', '/agents/me', at)).interaction;
  assert((await api('GET', '/calls', bt)).items.some((x) => x.interaction === ix2 && x.third_party === 'conference'), 'a conference on the API');
  await ben.getByTestId('phone-hangup').click();
  await status(ben, 'ready').waitFor();
  await doesNotHear(page, 'alice', 700, 'ben, who left the conference');
  await page.getByTestId('phone-hangup').click();
  await status(page, 'ready').waitFor();
  step('three-way conference from the browser phone');

  // (3) bob whispers to alice, then barges in.
  await readyAgain(at, 'alice');
  signal('web.c3');
  await answer(page);
  await hears(page, 'alice', 1000, 'herself through the customer');
  const ix3 = await until(async () => (await api('GET', '/agents/me', at)).interaction, 'the third call');
  await api('POST', '/calls/' + ix3 + '/monitor', bt, { mode: 'whisper' });
  await answer(bob, 15000);
  await hears(bob, 'bob', 1000, 'the call he whispers into');
  await hears(page, 'alice', 700, 'bob whispering');
  await doesNotHear(bob, 'bob', 700, 'himself through the customer (the customer must not hear a whisper)');
  await api('POST', '/calls/' + ix3 + '/monitor', bt, { mode: 'barge' });
  await hears(bob, 'bob', 700, 'himself through the customer (barge: the customer hears him)');
  await hears(page, 'alice', 700, 'bob barging in');
  await bob.getByTestId('phone-hangup').click();
  await status(bob, 'ready').waitFor();
  await page.getByTestId('phone-hangup').click();
  await status(page, 'ready').waitFor();
  step('whisper and barge on a browser phone\'s call');
} catch (e) {
  await failed(page, 'phone-calls');
  console.error(e);
  process.exitCode = 1;
} finally {
  await close(browserA);
  await close(browserB);
}
