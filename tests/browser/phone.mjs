// The browser phone in a real browser (tests/browser/t-web-phone.sh starts the server and
// the SIPp customers): Chromium's fake microphone plays $PHONE_WAV (1000 Hz). alice logs
// in with the browser phone, which connects (ICE-lite, DTLS-SRTP with the server) and
// shows Ready; she goes ready. The first customer rings the page: she answers, the page
// hears the customer's 440 Hz, she holds and resumes (the server's timeline says so),
// then hangs up from the page. On the second customer's call the page restarts ICE and
// the call goes on; the customer hangs up himself: the page shows the phone ready again.
import { launch, close, newPage, shoot, step, BASE, assert, apiLogin, api, until, signal, catalogues, failed } from './lib.mjs';

const T = 'acme';
const c = catalogues.en;
const browser = await launch(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--use-file-for-fake-audio-capture=' + process.env.PHONE_WAV, '--autoplay-policy=no-user-gesture-required']);
let page;

/* The strongest frequency the page receives, read a few times until it is near `hz`. */
async function hears(hz, what, on = page) {
  const want = [].concat(hz);
  let last = 0;
  await until(async () => {
    last = await on.evaluate(() => (window.centralaPhone ? window.centralaPhone.peakHz() : 0));
    return want.some((f) => Math.abs(last - f) < 40);
  }, `${what} (${hz} Hz; last peak ${last} Hz)`, 15000).catch((e) => { throw new Error(e.message + ` (last peak ${last} Hz)`); });
  step(`the page hears ${Math.round(last)} Hz: ${what}`);
}

/* Opens an events socket in the page with `token`, sends `msgs` in order and returns the
 * first phone.* or error message that comes back (or "none" after 5 s). */
function wsTry(token, msgs) {
  return page.evaluate(async ([tk, list]) => new Promise((resolve) => {
    const ws = new WebSocket('ws://' + location.host + '/api/v1/events?token=' + encodeURIComponent(tk));
    const done = (v) => { ws.close(); resolve(v); };
    setTimeout(() => done('none'), 5000);
    ws.onopen = () => list.forEach((m) => ws.send(JSON.stringify(m)));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === 'error') done('error:' + m.error.code);
      else if (m.type && m.type.startsWith('phone.')) done(m.type + ':' + ((m.data && (m.data.code || m.data.type)) || ''));
    };
  }), [token, msgs]);
}

/* What is refused, and how: bad SDP, a tenant with the phone turned off, a user who is
 * not an agent, no subscription; REST controls without a call. */
async function refusals(at) {
  const sub = { subscribe: ['agent.me'] };
  const plain = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\n';
  let r = await wsTry(at, [sub, { type: 'phone.offer', sdp: plain }]);
  assert(r === 'phone.error:invalid_sdp', 'a plain RTP offer is refused: ' + r);
  r = await wsTry(at, [sub, { type: 'phone.offer' }]);
  assert(r === 'error:invalid_field', 'an offer without sdp is refused: ' + r);
  r = await wsTry(at, [{ type: 'phone.offer', sdp: plain }]);
  assert(r === 'error:invalid_field', 'an offer before subscribing to agent.me is refused: ' + r);
  r = await wsTry(at, [sub, { type: 'phone.dial' }]);
  assert(r === 'error:invalid_field', 'an unknown phone message is refused: ' + r);
  const nt = await apiLogin(T, 'ann', 'ann-secret');
  r = await wsTry(nt, [sub, { type: 'phone.offer', sdp: plain }]);
  assert(r === 'error:forbidden', 'an admin who is no agent or supervisor gets no browser phone: ' + r);
  const ct = await apiLogin('beta', 'carol', 'carol-secret');
  const offer = await page.evaluate(async () => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio');
    const o = await pc.createOffer();
    pc.close();
    return o.sdp;
  });
  r = await wsTry(ct, [sub, { type: 'phone.offer', sdp: offer }]);
  assert(r === 'phone.error:disabled', "the tenant's switch turns the phone off: " + r);
  const e1 = await api('POST', '/agents/me/phone', at, { action: 'accept' }).catch((e) => e.message);
  assert(/404/.test(e1) && /no_call/.test(e1), 'accept without a call: ' + e1);
  const e2 = await api('POST', '/agents/me/phone', at, { action: 'dial' }).catch((e) => e.message);
  assert(/400/.test(e2), 'an unknown action: ' + e2);
  step('refusals: bad SDP, no sdp, no subscription, unknown message, an admin, tenant switch, REST without a call');
}

/* A page signed in as `user` with the browser phone ticked on the login form. */
async function phonePage(user, password) {
  const p = await newPage(browser, 'en');
  p.on('console', (m) => { if (m.type() === 'error') step('console: ' + m.text()); });
  await p.goto(BASE + '/');
  await p.locator('input[name=tenant]').fill(T);
  await p.locator('input[name=username]').fill(user);
  await p.locator('input[name=password]').fill(password);
  await p.getByLabel(c['login.browser_phone']).check();
  await p.keyboard.press('Enter');
  await p.getByTestId('connection').filter({ hasText: c['app.online'] }).waitFor();
  return p;
}

try {
  const at = await apiLogin(T, 'alice', 'alice-secret');
  page = await phonePage('alice', 'alice-secret');
  const status = page.getByTestId('phone-status');
  await status.filter({ hasText: c['phone.status.ready'] }).waitFor({ timeout: 20000 });
  step('browser phone connected');
  const metrics = await (await fetch(BASE + '/metrics')).text();
  assert(/centrala_browser_phones\{tenant="acme"\} 1\n/.test(metrics), 'one browser phone in /metrics');
  const checks = Number((/centrala_ice_checks_total (\d+)/.exec(metrics) || [])[1]);
  assert(checks > 0, 'ICE checks answered in /metrics: ' + checks);
  assert((await api('GET', '/agents/me', at)).browser_phone === true, 'the API says alice uses the browser phone');
  await refusals(at);
  await status.filter({ hasText: c['phone.status.ready'] }).waitFor();
  await page.getByRole('button', { name: c['agent.go_ready'], exact: true }).click();
  await page.getByTestId('agent-state').filter({ hasText: c['state.ready'] }).waitFor();
  signal('web.ready');

  // The first customer: answered in the page, held and resumed, hung up from the page.
  await status.filter({ hasText: c['phone.status.ringing'] }).waitFor({ timeout: 30000 });
  step('ringing');
  await page.getByTestId('phone-answer').click();
  await status.filter({ hasText: c['phone.status.talking'] }).waitFor();
  await hears(440, "the customer's tone");
  // The panel in every language (the overflow check with each photograph), English last.
  for (const lang of ['pl', 'es', 'ru', 'en']) {
    await page.locator('header select[name=language]').selectOption(lang);
    await page.getByRole('region', { name: catalogues[lang]['phone.title'] }).waitFor();
    await shoot(page, 'phone-talking', lang);
  }
  const mic = Number(await page.getByTestId('phone-mic-level').getAttribute('aria-valuenow'));
  assert(mic > 0, 'the microphone level meter moves (' + mic + ')');
  const ix = await until(async () => (await api('GET', '/agents/me', at)).interaction, 'the call on the API');
  step('on the call ' + JSON.stringify(ix));
  // A digit from the page's keypad (RTCDTMFSender, RFC 4733) reaches the server.
  await page.getByRole('region', { name: c['phone.title'] })
    .getByRole('button', { name: c['call.dtmf_digit'].replace('{digit}', '5') }).click();
  await page.getByTestId('phone-hold').click();
  await page.getByTestId('phone-hold').filter({ hasText: c['call.resume'] }).waitFor();
  await new Promise((r) => setTimeout(r, 1500));
  await page.getByTestId('phone-hold').click();
  await page.getByTestId('phone-hold').filter({ hasText: c['call.hold'] }).waitFor();
  await hears(440, "the customer's tone after the hold");
  await new Promise((r) => setTimeout(r, 2000)); // recording time for both tones
  await page.getByTestId('phone-hangup').click();
  await status.filter({ hasText: c['phone.status.ready'] }).waitFor();
  step('hung up from the page');

  // Ready again after the wrap-up (1 s), then the second customer, who hangs up.
  await until(async () => (await api('GET', '/agents/me', at)).state === 'wrap_up' ||
    (await api('GET', '/agents/me', at)).state === 'ready', 'wrap-up or ready');
  await api('POST', '/agents/me/wrapup/end', at).catch(() => {});
  await until(async () => (await api('GET', '/agents/me', at)).state === 'ready', 'alice ready again', 20000);
  signal('web.second');
  await status.filter({ hasText: c['phone.status.ringing'] }).waitFor({ timeout: 30000 });
  await page.getByTestId('phone-answer').click();
  await status.filter({ hasText: c['phone.status.talking'] }).waitFor();
  await hears(440, "the second customer's tone");
  // The supervisor listens from his own browser phone, then leaves; the call goes on.
  const bt = await apiLogin(T, 'bob', 'bob-secret');
  const sup = await phonePage('bob', 'bob-secret');
  const supStatus = sup.getByTestId('phone-status');
  await supStatus.filter({ hasText: c['phone.status.ready'] }).waitFor({ timeout: 20000 });
  const ix2 = (await api('GET', '/agents/me', at)).interaction;
  await api('POST', '/calls/' + ix2 + '/monitor', bt, { mode: 'listen' });
  await supStatus.filter({ hasText: c['phone.status.ringing'] }).waitFor();
  await sup.getByTestId('phone-answer').click();
  await supStatus.filter({ hasText: c['phone.status.talking'] }).waitFor();
  await hears([440, 1000], 'the supervisor listens to the call', sup);
  await sup.getByTestId('phone-hangup').click();
  await supStatus.filter({ hasText: c['phone.status.ready'] }).waitFor();
  await hears(440, "the customer's tone after the supervisor left");
  step('supervisor listened from his browser phone and left');
  // An ICE restart from the page keeps the call: new credentials, the same session.
  assert(await page.evaluate(() => window.centralaPhone.restartIce()), 'ICE restart offered');
  await until(() => page.evaluate(() => window.centralaPhone.pc.signalingState === 'stable' &&
    window.centralaPhone.pc.remoteDescription.sdp.includes('a=ice-lite')), 'the restart answered');
  await new Promise((r) => setTimeout(r, 1000));
  await hears(440, "the second customer's tone after an ICE restart");
  assert(await status.filter({ hasText: c['phone.status.talking'] }).count() === 1, 'still on the call');
  await status.filter({ hasText: c['phone.status.ready'] }).waitFor({ timeout: 30000 });
  step('the customer hung up: the phone is ready again');

  // The third customer: answered in the page, then sent to dave's SIP phone.
  await api('POST', '/agents/me/wrapup/end', at).catch(() => {});
  await until(async () => (await api('GET', '/agents/me', at)).state === 'ready', 'alice ready for the third', 20000);
  signal('web.third');
  await status.filter({ hasText: c['phone.status.ringing'] }).waitFor({ timeout: 30000 });
  await page.getByTestId('phone-answer').click();
  await status.filter({ hasText: c['phone.status.talking'] }).waitFor();
  const ix3 = await until(async () => (await api('GET', '/agents/me', at)).interaction, 'the third call');
  await api('POST', '/calls/' + ix3 + '/transfer', at, { user: 'dave' });
  await status.filter({ hasText: c['phone.status.ready'] }).waitFor();
  await until(async () => (await api('GET', '/calls', bt)).items.some((x) => x.interaction === ix3 && x.agent === 'dave' && x.state === 'talking'),
    'the customer bridged to dave');
  await api('POST', '/calls/' + ix3 + '/hangup', bt);
  step('transferred from the browser phone to a SIP phone');

  // Click-to-dial: the page answers by itself, the carrier answers and echoes alice.
  await api('POST', '/agents/me/wrapup/end', at).catch(() => {});
  await until(async () => (await api('GET', '/agents/me', at)).state === 'ready', 'alice ready to dial', 20000);
  await api('POST', '/calls', at, { number: '48221234567' });
  await status.filter({ hasText: c['phone.status.talking'] }).waitFor();
  await hears(1000, 'her own tone echoed by the carrier');
  await page.getByTestId('phone-hangup').click();
  await status.filter({ hasText: c['phone.status.ready'] }).waitFor();
  step('click-to-dial answered by the page, hung up from it');
} catch (e) {
  await failed(page, 'phone');
  console.error(e);
  process.exitCode = 1;
} finally {
  await close(browser);
}
