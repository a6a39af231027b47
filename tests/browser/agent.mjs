// The agent desktop in a real browser against a real server and real SIPp peers
// (tests/browser/t-web-agent.sh starts them): alice logs in once in each language
// through the login form, then, in Polish, goes not ready with a reason, ready with
// Alt+R and not ready with Alt+N; a SIPp customer answers the IVR's question by DTMF and
// waits in the queue until she goes ready: the screen pop shows the caller's number, the
// contact, the IVR's answers, the path and the wait, with the chime and a browser
// notification (recorded by an init script), and she merges a duplicate of the contact
// from the card; she holds (Alt+H) and resumes (click) the call, mutes (Alt+M) and
// unmutes (click) it, sends two digits from the pad, pauses and resumes the recording,
// focuses the transfer target (Alt+T) and hangs up (Alt+X), all checked through the API
// and on the interaction's timeline; the wrap-up counts down; the disposition and notes
// are on the interaction; the customer's second call shows the first with them; the
// recording's timeline is all in words; the server restarts under the page.
import { launch, close, newPage, login, shoot, step, assert, apiLogin, api, until, signal, catalogues, failed, BASE } from './lib.mjs';

const T = 'acme';
const alice = { tenant: T, username: 'alice', password: 'alice-secret' };
const caller = process.env.CALLER;

/* Seconds of a duration as the page writes it (m:ss or h:mm:ss). */
const secondsOf = (s) => s.trim().split(':').reduce((a, x) => a * 60 + Number(x), 0);

/* Run in the page before its scripts: records the notifications shown and the tones
 * the chime starts, passing them on to the browser's own Notification and AudioContext. */
const ALERTS = () => {
  window.__alerts = { notifications: [], tones: 0 };
  const N = window.Notification;
  window.Notification = class extends N {
    constructor(title, o) {
      super(title, o);
      window.__alerts.notifications.push({ title, body: o && o.body });
    }
  };
  const A = window.AudioContext;
  window.AudioContext = class extends A {
    createOscillator() {
      const o = super.createOscillator();
      const start = o.start.bind(o);
      o.start = (...a) => { window.__alerts.tones++; return start(...a); };
      return o;
    }
  };
};
const browser = await launch();
let page;
try {
  const at = await apiLogin(T, 'alice', 'alice-secret');
  const bt = await apiLogin(T, 'bob', 'bob-secret');
  // An older duplicate of the caller's contact (the screen pop matches the newest one).
  const dup = await api('POST', '/contacts', at, { first_name: 'Lukasz', phones: [caller], emails: ['lukasz@example.pl'] });
  await new Promise((r) => setTimeout(r, 5));
  await api('POST', '/contacts', at, { first_name: 'Łukasz', last_name: 'Żółkiewski', phones: [caller], tags: ['gold'] });

  // Once in each language: the picker on the login page, the desktop in that language.
  for (const lang of ['es', 'ru', 'en', 'pl']) {
    const c = catalogues[lang];
    page = await newPage(browser, lang === 'en' ? 'pl' : 'en');
    if (lang === 'pl') {
      await page.context().grantPermissions(['notifications'], { origin: BASE });
      await page.context().addInitScript(ALERTS);
    }
    await page.goto('http://127.0.0.1:' + process.env.API_PORT + '/');
    await page.locator('select[name=language]').selectOption(lang);
    await page.getByRole('heading', { name: c['login.title'] }).waitFor();
    await shoot(page, 'login', lang);
    await login(page, { ...alice, lang });
    await page.getByRole('link', { name: c['nav.agent'] }).waitFor();
    await page.getByTestId('agent-state').waitFor();
    assert((await page.locator('html').getAttribute('lang')) === lang, 'document language ' + lang);
    step(`logged in in ${lang}`);
    if (lang !== 'pl') {
      await shoot(page, 'agent-idle', lang);
      await page.getByRole('button', { name: c['app.logout'], exact: true }).click();
      await page.locator('input[name=tenant]').waitFor();
      await page.context().close();
      continue;
    }

    // Polish: the whole shift of two calls.
    const state = page.getByTestId('agent-state');
    await page.getByRole('combobox', { name: c['agent.reason'] }).selectOption('lunch');
    await page.getByRole('button', { name: c['agent.go_not_ready'], exact: true }).click();
    await state.filter({ hasText: c['state.not_ready'] }).filter({ hasText: 'lunch' }).waitFor();
    await page.keyboard.press('Alt+KeyR');
    await state.filter({ hasText: c['state.ready'] }).waitFor();
    assert((await api('GET', '/agents/me', at)).state === 'ready', 'alice is ready on the server');
    step('ready through Alt+R');
    // Alt+N: not ready, with no reason.
    await page.keyboard.press('Alt+KeyN');
    await state.filter({ hasText: c['state.not_ready'] }).waitFor();
    await until(async () => (await api('GET', '/agents/me', at)).state === 'not_ready', 'not ready on the server');
    assert(!(await state.textContent()).includes('lunch'), 'Alt+N sets no reason');
    step('not ready through Alt+N');
    signal('web.ready');

    // The caller answers the IVR's question (the account number, by DTMF) and waits in
    // the queue while alice is not ready; she goes ready a few seconds later.
    const calls = async () => (await api('GET', '/calls', bt)).items;
    await until(async () => (await calls()).some((x) => x.state === 'queued'), 'the caller queued', 40000);
    await new Promise((r) => setTimeout(r, 3000));
    await page.keyboard.press('Alt+KeyR');

    const number = page.getByTestId('caller-number');
    await number.waitFor({ timeout: 30000 });
    assert((await number.textContent()) === caller, 'the screen pop shows the caller ' + caller);
    await page.getByTestId('contact-name').filter({ hasText: 'Łukasz Żółkiewski' }).waitFor();
    const ivr = await page.getByTestId('ivr-answers').textContent();
    assert(ivr.includes('account') && ivr.includes('4821'), 'the caller\'s IVR answer shown: ' + ivr);
    assert(ivr.includes('segment') && ivr.includes('gold') && ivr.includes('A-' + caller), 'IVR variables shown: ' + ivr);
    assert((await page.getByTestId('pop-queue').textContent()) === 'support', 'queue shown');
    const path = await page.getByTestId('ivr-path').textContent();
    assert(path.includes('main.account') && path.includes('main.q'), 'IVR path shown: ' + path);
    const waited = secondsOf(await page.getByTestId('pop-wait').textContent());
    assert(waited >= 3 && waited < 30, 'the wait in the queue shown: ' + waited + ' s');
    // The alert: the two-tone chime played through an AudioContext and a browser
    // notification with the caller's number.
    const alerts = await until(async () => {
      const a = await page.evaluate(() => window.__alerts);
      return a.notifications.length && a.tones >= 2 ? a : null;
    }, 'the chime and the notification');
    assert(alerts.notifications.some((n) => n.title === c['pop.title'] && n.body === caller),
      'a notification for the offer: ' + JSON.stringify(alerts.notifications));
    step(`screen pop: caller, contact, IVR answer, queue, ${waited} s wait; chime and notification`);
    // The card offers the duplicate; alice merges it into the caller's contact.
    const card = page.getByTestId('contact-card');
    const twin = card.locator(`li[data-duplicate="${dup.id}"]`);
    await twin.getByRole('button', { name: c['merge.merge_named'].replace('{name}', 'Lukasz') }).click();
    await twin.getByRole('button', { name: c['merge.confirm'], exact: true }).click();
    await twin.waitFor({ state: 'detached' });
    await card.getByRole('status').filter({ hasText: 'Lukasz' }).waitFor();
    await card.getByText('lukasz@example.pl').waitFor();
    await page.getByTestId('contact-name').filter({ hasText: 'Łukasz Żółkiewski' }).waitFor();
    const gone = await fetch(BASE + '/api/v1/contacts/' + dup.id, { headers: { Authorization: 'Bearer ' + at } });
    assert(gone.status === 404, 'the duplicate is merged away: ' + gone.status);
    step('screen pop: the duplicate contact merged from the card');

    await page.getByRole('heading', { name: c['call.title'] }).waitFor({ timeout: 20000 });
    const call = async () => (await calls()).find((x) => x.agent === 'alice');
    await until(call, 'the call on the server');
    await page.keyboard.press('Alt+KeyH');
    await page.getByTestId('held').waitFor();
    await until(async () => (await call()).held === true, 'held on the server');
    step('held with Alt+H');
    // The transfer directory (GET /api/v1/directory) gives an agent the users with
    // their presence and the queues.
    await page.locator('#call-directory option[value=bob]').waitFor({ state: 'attached' });
    await page.getByRole('combobox', { name: c['call.target_kind'] }).selectOption('queue');
    await page.locator('#call-directory option[value=support]').waitFor({ state: 'attached' });
    await page.getByRole('combobox', { name: c['call.target_kind'] }).selectOption('user');
    step('transfer directory: users and queues');
    await shoot(page, 'agent-call', lang);
    await page.getByRole('button', { name: c['call.resume'] }).click();
    await page.getByTestId('held').waitFor({ state: 'detached' });
    await until(async () => (await call()).held === false, 'resumed on the server');
    step('resumed by a click');
    // Mute: the server stops the agent's audio towards the SIPp caller (silence in its
    // place), says so in GET /calls, and puts it on the interaction's timeline.
    await page.keyboard.press('Alt+KeyM');
    await page.getByTestId('muted').waitFor();
    await until(async () => (await call()).muted === true, 'muted on the server');
    assert((await page.getByRole('button', { name: c['call.unmute'] }).getAttribute('aria-pressed')) === 'true', 'the mute button is pressed');
    step('muted with Alt+M');
    await page.getByRole('button', { name: c['call.unmute'] }).click();
    await page.getByTestId('muted').waitFor({ state: 'detached' });
    await until(async () => (await call()).muted === false, 'unmuted on the server');
    step('unmuted by a click');
    // The DTMF pad: two digits sent to the caller (on the interaction's timeline).
    await page.getByRole('button', { name: c['call.dtmf_digit'].replace('{digit}', '7') }).click();
    await page.getByRole('button', { name: c['call.dtmf_digit'].replace('{digit}', '#') }).click();
    // Recording paused and resumed: the badge, then the button back.
    await page.getByRole('button', { name: c['call.recording_pause'] }).click();
    await page.getByText(c['call.recording_paused'], { exact: true }).waitFor();
    await page.getByRole('button', { name: c['call.recording_resume'] }).click();
    await page.getByText(c['call.recording_paused'], { exact: true }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: c['call.recording_pause'] }).waitFor();
    assert(!(await page.locator('.controls [role=alert]').count()), 'no error from the pad or the recording');
    step('DTMF pad and recording pause/resume');
    // Alt+T: to the transfer's target field.
    await page.keyboard.press('Alt+KeyT');
    assert(await page.getByRole('combobox', { name: c['call.target'] }).evaluate((el) => el === document.activeElement),
      'Alt+T focuses the transfer target');
    step('Alt+T focuses the transfer target');
    const ix = (await call()).interaction;

    // Alt+X hangs up; the wrap-up counts the queue's 30 s down.
    await page.keyboard.press('Alt+KeyX');
    const wrap = page.getByRole('form', { name: c['wrap.title'] });
    await wrap.waitFor();
    const [pre, post] = c['wrap.left'].split('{time}');
    const left = async () => {
      const s = await page.getByTestId('wrap-time').textContent();
      assert(s.startsWith(pre) && s.endsWith(post), 'the wrap-up countdown: ' + s);
      return secondsOf(s.slice(pre.length, s.length - post.length));
    };
    const first = await left();
    assert(first > 20 && first <= 30, 'the wrap-up time left at the start: ' + first);
    const later = await until(async () => { const x = await left(); return x <= first - 2 ? x : null; }, 'the countdown');
    step(`wrap-up countdown ${first} s → ${later} s`);
    await wrap.locator('select[name=disposition]').selectOption('sale');
    await wrap.locator('textarea[name=notes]').fill('Chce pakiet premium — zadzwonić w piątek');
    await shoot(page, 'agent-wrapup', lang);
    await wrap.getByRole('button', { name: c['wrap.done'] }).click();
    await wrap.waitFor({ state: 'detached' });
    const stored = await until(async () => {
      const i = await api('GET', '/interactions/' + ix, bt);
      return i.ended && i.disposition === 'sale' && i.notes ? i : null;
    }, 'the disposition on the interaction');
    assert(stored.notes === 'Chce pakiet premium — zadzwonić w piątek', 'notes stored: ' + stored.notes);
    assert(stored.hold_s > 0, 'hold time recorded: ' + stored.hold_s);
    const events = stored.timeline.map((e) => e.event);
    const pos = (name) => events.indexOf(name);
    assert(pos('held') >= 0 && pos('unheld') > pos('held') && pos('muted') > pos('unheld') && pos('unmuted') > pos('muted'),
      'the timeline holds hold, resume, mute and unmute in order: ' + events.join(' '));
    const dtmf = stored.timeline.filter((e) => e.event === 'dtmf_sent').map((e) => e.digits).join('');
    assert(dtmf === '7#', 'the pad\'s digits on the timeline: ' + dtmf);
    // They reached the SIPp caller: its RTP echo brings them back as digits of the call
    // (none came before: the IVR's were taken by the flow).
    const back = stored.timeline.slice(pos('dtmf_sent')).filter((e) => e.event === 'digit').length;
    assert(back >= 2 && pos('digit') > pos('dtmf_sent'), 'the digits came back from the SIPp caller: ' + back);
    assert(pos('recording_paused') > pos('unmuted') && pos('recording_resumed') > pos('recording_paused'),
      'the timeline holds the recording paused and resumed: ' + events.join(' '));
    step(`interaction ${ix}: disposition ${stored.disposition}, notes, ${stored.hold_s} s on hold, digits ${dtmf} (echoed back ${back} times)`);
    await page.getByTestId('handled').filter({ hasText: '1' }).waitFor();

    // The second call from the same customer: the screen pop lists the last call with
    // its disposition and notes.
    signal('web.call2');
    await page.getByTestId('caller-number').waitFor({ timeout: 40000 });
    const last = page.getByTestId('contact-card').locator('table.history tbody tr')
      .filter({ hasText: 'sale' }).filter({ hasText: 'Chce pakiet premium — zadzwonić w piątek' });
    await last.waitFor();
    assert((await last.textContent()).includes('support'), 'the last call\'s queue');
    step('second call: the last interaction with its disposition and notes');
    await page.getByRole('heading', { name: c['call.title'] }).waitFor({ timeout: 20000 });
    await page.keyboard.press('Alt+KeyX');
    await wrap.waitFor();
    await wrap.locator('select[name=disposition]').selectOption('no_sale');
    await wrap.getByRole('button', { name: c['wrap.done'] }).click();
    await wrap.waitFor({ state: 'detached' });
    await page.getByTestId('handled').filter({ hasText: '2' }).waitFor();

    // The first call's timeline beside its recording, in words.
    await page.getByRole('link', { name: c['nav.recordings'] }).click();
    const row = page.locator(`tr[data-interaction="${ix}"]`);
    await row.getByRole('button', { name: c['rec.play'] }).click({ noWaitAfter: true });
    const tl = page.locator('ol.timeline');
    for (const k of ['tl.ivr', 'tl.queued', 'tl.held', 'tl.unheld', 'tl.muted', 'tl.unmuted', 'tl.dtmf_sent', 'tl.recording_paused', 'tl.recording_resumed'])
      await tl.getByText(c[k], { exact: true }).first().waitFor();
    const words = await tl.locator('li > span').allTextContents();
    assert(words.length === stored.timeline.length, `every timeline entry shown: ${words.length} of ${stored.timeline.length}`);
    const raw = words.filter((w) => /^[a-z_]+$/.test(w));
    assert(!raw.length, 'timeline entries in words, not the server\'s names: ' + raw.join(' '));
    step('the timeline beside the recording, every entry in words');
    await page.getByRole('link', { name: c['nav.agent'] }).click();
    await page.getByTestId('agent-state').waitFor();

    // The server goes away: the page says it is offline; it comes back (having
    // forgotten its sessions): the page asks for the login again, and is live after it.
    signal('web.restart');
    await page.getByTestId('connection').filter({ hasText: c['app.offline'] }).waitFor();
    step('offline shown while the server is down');
    await page.locator('input[name=tenant]').waitFor({ timeout: 40000 });
    await login(page, { ...alice, lang });
    await page.getByTestId('agent-state').waitFor();
    step('back: login again, live');
    await page.context().close();
  }
  console.log('agent desktop: ok');
} catch (err) {
  await failed(page, 'agent');
  throw err;
} finally {
  await close(browser);
}
