// The browser phone and the agent's state in a real browser (tests/browser/t-web-phone-
// state.sh starts the server and the SIPp customers). alice and ben are agents with the
// browser phone (Chromium's fake devices, the microphone playing $PHONE_WAV); bob
// watches the wallboard. alice picks a microphone and a speaker: the phone uses them and
// they are still chosen after a reload. The first customer rings alice, she rejects him
// in the page: she stays ready and the customer, back in the queue, goes to ben, who
// answers. The second rings alice, who lets the queue's ring timeout pass: the offer is
// withdrawn, her second miss in a row makes her not ready with reason no_answer (the
// wallboard says so) and ben takes the customer after the first. A third customer's
// phone sends no audio: the page warns about it on the call. Then her page closes:
// she goes not ready with reason phone_lost (on the wallboard) and is ready again when
// her phone is back; the same when her browser goes offline and online again, and when
// her page's media ends while its socket stays (the page makes a new phone by itself).
import { launch, close, newPage, step, BASE, assert, apiLogin, api, until, signal, catalogues, failed } from './lib.mjs';

const T = 'acme';
const c = catalogues.en;
const browser = await launch(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--use-file-for-fake-audio-capture=' + process.env.PHONE_WAV, '--autoplay-policy=no-user-gesture-required']);
let page;

/* The strongest frequency a page receives, read until it is near hz. */
async function hears(p, hz, what) {
  let last = 0;
  await until(async () => {
    last = await p.evaluate(() => (window.centralaPhone ? window.centralaPhone.peakHz() : 0));
    return Math.abs(last - hz) < 40;
  }, `${what} (${hz} Hz)`, 15000).catch((e) => { throw new Error(e.message + ` (last peak ${last} Hz)`); });
  step(`${what}: ${Math.round(last)} Hz`);
}

/* Signs in with the browser phone on a new page (of the context ctx when given: its
 * browser keeps the chosen devices) and waits for it. */
async function phonePage(user, password, ctx) {
  const p = ctx ? await ctx.newPage() : await newPage(browser, 'en');
  p.setDefaultTimeout(15000);
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

const agent = async (tk, user) => (await api('GET', '/agents', tk)).items.find((a) => a.username === user);

async function stateIs(tk, user, state, reason, what) {
  await until(async () => {
    const a = await agent(tk, user);
    return a && a.state === state && (reason === undefined || a.reason === reason);
  }, what, 40000);
  step(what);
}

/* The wallboard row of `user` shows `text` as the reason (or none). */
async function wallboardReason(wb, user, text) {
  const cell = wb.locator(`tr[data-agent="${user}"]`).getByTestId('agent-reason');
  await until(async () => (await cell.innerText()).trim() === text, `the wallboard's reason for ${user}: "${text}"`, 20000);
  step(`wallboard: ${user} "${text}"`);
}

/* What the page's phone uses: the microphone track's device and the speaker's sink. */
const inUse = (p) => p.evaluate(() => ({
  mic: window.centralaPhone.stream.getAudioTracks()[0].getSettings().deviceId,
  sink: window.centralaPhone.audio.sinkId,
}));

try {
  const bt = await apiLogin(T, 'bob', 'bob-secret');
  const wb = await newPage(browser, 'en');
  await wb.goto(BASE + '/');
  await wb.locator('input[name=tenant]').fill(T);
  await wb.locator('input[name=username]').fill('bob');
  await wb.locator('input[name=password]').fill('bob-secret');
  await wb.keyboard.press('Enter');
  await wb.getByRole('link', { name: c['nav.wallboard'] }).click();
  await wb.locator('tr[data-agent="alice"]').waitFor();

  page = await phonePage('alice', 'alice-secret');
  const ben = await phonePage('ben', 'ben-secret');
  const at = await apiLogin(T, 'alice', 'alice-secret');
  const nt = await apiLogin(T, 'ben', 'ben-secret');

  // Devices: Chromium's fake ones. A microphone and a speaker other than the default are
  // chosen in the panel, used at once, and used again after a reload.
  const devs = await page.evaluate(async () => (await navigator.mediaDevices.enumerateDevices())
    .map((d) => ({ kind: d.kind, id: d.deviceId, label: d.label })));
  step('devices: ' + JSON.stringify(devs));
  const pick = (kind) => devs.filter((d) => d.kind === kind && d.id && d.id !== 'default' && d.id !== 'communications').pop();
  const mic = pick('audioinput');
  const spk = pick('audiooutput');
  assert(mic && spk, 'a fake microphone and speaker besides the default');
  const panel = page.getByRole('region', { name: c['phone.title'] });
  await panel.locator('select[name=phone-mic]').selectOption(mic.id);
  await panel.locator('select[name=phone-speaker]').selectOption(spk.id);
  await until(async () => { const u = await inUse(page); return u.mic === mic.id && u.sink === spk.id; }, 'the chosen devices in use');
  await page.reload();
  await page.getByTestId('phone-status').filter({ hasText: c['phone.status.ready'] }).waitFor({ timeout: 20000 });
  const used = await inUse(page);
  assert(used.mic === mic.id && used.sink === spk.id, 'the chosen devices in use after a reload: ' + JSON.stringify(used));
  assert(await panel.locator('select[name=phone-mic]').inputValue() === mic.id, 'the microphone still chosen in the panel');
  assert(await panel.locator('select[name=phone-speaker]').inputValue() === spk.id, 'the speaker still chosen in the panel');
  step(`devices chosen, used and kept: ${mic.label} / ${spk.label}`);

  // The first customer: alice rejects him in the page; he goes to ben.
  await api('PUT', '/agents/me/state', at, { state: 'ready' });
  await stateIs(bt, 'alice', 'ready', undefined, 'alice ready');
  signal('web.first');
  const status = page.getByTestId('phone-status');
  await status.filter({ hasText: c['phone.status.ringing'] }).waitFor({ timeout: 30000 });
  await page.getByTestId('phone-reject').click();
  await status.filter({ hasText: c['phone.status.ready'] }).waitFor();
  const ix1 = await until(async () => (await api('GET', '/calls', bt)).items.find((x) => x.state === 'queued'), 'the first customer back in the queue');
  await stateIs(bt, 'alice', 'ready', undefined, 'alice rejected the offer and is still ready');
  await api('PUT', '/agents/me/state', nt, { state: 'ready' });
  const bstatus = ben.getByTestId('phone-status');
  await bstatus.filter({ hasText: c['phone.status.ringing'] }).waitFor({ timeout: 20000 });
  await ben.getByTestId('phone-answer').click();
  await bstatus.filter({ hasText: c['phone.status.talking'] }).waitFor();
  await hears(ben, 440, 'ben hears the first customer');
  step('rejected by alice, answered by ben: ' + ix1.interaction);

  // The second customer: alice lets it ring out; her second miss makes her not ready.
  signal('web.second');
  await status.filter({ hasText: c['phone.status.ringing'] }).waitFor({ timeout: 30000 });
  const rang = Date.now();
  await status.filter({ hasText: c['phone.status.ready'] }).waitFor({ timeout: 15000 });
  const secs = (Date.now() - rang) / 1000;
  assert(secs > 3, 'the offer was withdrawn by the ring timeout (5 s), after ' + secs + ' s');
  await stateIs(bt, 'alice', 'not_ready', 'no_answer', 'alice not ready (no_answer) after two misses');
  await wallboardReason(wb, 'alice', c['reason.no_answer']);
  await until(async () => (await api('GET', '/calls', bt)).items.find((x) => x.interaction !== ix1.interaction && x.state === 'queued'), 'the second customer back in the queue');
  step('the second customer waits in the queue');
  // ben ends the first call; after his wrap-up the second customer rings him.
  await ben.getByTestId('phone-hangup').click();
  await api('POST', '/agents/me/wrapup/end', nt).catch(() => {});
  await bstatus.filter({ hasText: c['phone.status.ringing'] }).waitFor({ timeout: 20000 });
  await ben.getByTestId('phone-answer').click();
  await bstatus.filter({ hasText: c['phone.status.talking'] }).waitFor();
  await hears(ben, 440, 'ben hears the second customer');
  await ben.getByTestId('phone-hangup').click();
  await bstatus.filter({ hasText: c['phone.status.ready'] }).waitFor();
  step('the second customer taken by ben after the ring timeout');

  // A customer whose phone sends no audio: the page warns after 5 s without RTP.
  await api('PUT', '/agents/me/state', nt, { state: 'not_ready' });
  await api('PUT', '/agents/me/state', at, { state: 'ready' });
  await stateIs(bt, 'alice', 'ready', undefined, 'alice ready for the silent customer');
  signal('web.third');
  await status.filter({ hasText: c['phone.status.ringing'] }).waitFor({ timeout: 30000 });
  await page.getByTestId('phone-answer').click();
  await status.filter({ hasText: c['phone.status.talking'] }).waitFor();
  const talking = Date.now();
  await page.getByTestId('phone-no-audio').waitFor({ timeout: 15000 });
  const after = (Date.now() - talking) / 1000;
  assert(after >= 4, 'the warning comes after 5 s without audio, not at once: ' + after + ' s');
  step(`no audio on the call: the page warns after ${after.toFixed(1)} s`);
  await page.getByTestId('phone-hangup').click();
  await status.filter({ hasText: c['phone.status.ready'] }).waitFor();
  assert(await page.getByTestId('phone-no-audio').count() === 0, 'the warning goes with the call');
  await api('POST', '/agents/me/wrapup/end', at).catch(() => {});

  // The phone goes with the page: not ready (phone_lost) while it is closed.
  await api('PUT', '/agents/me/state', at, { state: 'ready' });
  await stateIs(bt, 'alice', 'ready', undefined, 'alice ready again');
  await wallboardReason(wb, 'alice', '');
  const ctx = page.context();
  await page.close();
  await stateIs(bt, 'alice', 'not_ready', 'phone_lost', 'the page closed: alice not ready (phone_lost)');
  await wallboardReason(wb, 'alice', c['reason.phone_lost']);
  page = await phonePage('alice', 'alice-secret', ctx);
  const again = await inUse(page);
  assert(again.mic === mic.id && again.sink === spk.id, 'the chosen devices in use after signing in again: ' + JSON.stringify(again));
  await stateIs(bt, 'alice', 'ready', undefined, 'her phone is back: alice ready');
  await wallboardReason(wb, 'alice', '');
  // A lost network: the browser says it is offline.
  await ctx.setOffline(true);
  await stateIs(bt, 'alice', 'not_ready', 'phone_lost', 'offline: alice not ready (phone_lost)');
  await wallboardReason(wb, 'alice', c['reason.phone_lost']);
  await ctx.setOffline(false);
  await page.getByTestId('phone-status').filter({ hasText: c['phone.status.ready'] }).waitFor({ timeout: 20000 });
  await stateIs(bt, 'alice', 'ready', undefined, 'online again: alice ready');
  // The phone's media ends with the socket still up (the page's connection closes: its
  // DTLS close_notify ends the phone on the server, dtls_failed): she is not ready, and
  // the page, told phone.closed, makes a new phone by itself, which makes her ready.
  await page.evaluate(() => window.centralaPhone.pc.close());
  await stateIs(bt, 'alice', 'not_ready', 'phone_lost', 'media ended: alice not ready (phone_lost)');
  await stateIs(bt, 'alice', 'ready', undefined, 'the page made a new phone: alice ready');
  await page.getByTestId('phone-status').filter({ hasText: c['phone.status.ready'] }).waitFor({ timeout: 20000 });
  // A state she chose herself is hers: the phone's return does not change it.
  await api('PUT', '/agents/me/state', at, { state: 'not_ready' });
  await stateIs(bt, 'alice', 'not_ready', undefined, 'alice not ready by her own choice');
  await page.reload();
  await page.getByTestId('phone-status').filter({ hasText: c['phone.status.ready'] }).waitFor({ timeout: 20000 });
  await new Promise((r) => setTimeout(r, 1000));
  const a = await agent(bt, 'alice');
  assert(a.state === 'not_ready' && !a.reason, 'her own not ready kept: ' + JSON.stringify(a));
  step('a not ready of her own survives the phone coming back');
} catch (e) {
  await failed(page, 'phone-state');
  console.error(e);
  process.exitCode = 1;
} finally {
  await close(browser);
}
