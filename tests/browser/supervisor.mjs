// The supervisor's wallboard and the admin console in a real browser
// (tests/browser/t-web-supervisor.sh starts the server and SIPp): bob opens the
// wallboard; two SIPp customers queue (alice is not ready) and the support tile's
// waiting count rises to 2; alice goes ready, answers both, and it falls back to 0; the
// agent grid shows alice. Then, in the admin console, bob routes a new number 555 to the
// queue sales by filling in the form; the next SIPp call to 555 waits in sales (the shell
// checks the server's log). bob makes an IVR flow in the editor (an error shown at its
// node, then published, a draft, a version published from the list) and a calendar,
// makes, changes and removes a trunk, adds, renames and
// removes a reason code and a disposition in the console (the file's stay untouchable), and merges the first
// caller's contact into a duplicate of it from the contacts screen (the call moves with
// it). Last, every main screen in every language is opened and photographed, and fails
// on text overflowing its box.
import { launch, close, newPage, login, shoot, step, assert, signal, until, apiLogin, api, catalogues, failed, BASE } from './lib.mjs';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const T = 'acme';
const browser = await launch();
let page;
const waitFile = (name, ms = 60000) => until(async () => existsSync(join(process.env.TEST_WORK, name)), name, ms);
try {
  page = await newPage(browser, 'en');
  const c = catalogues.en;
  // The page's events socket passes through here (to the real server), so that the test
  // can cut it like a network would, and see how the page comes back.
  const sockets = [], urls = [];
  let cut = false;
  await page.routeWebSocket(/\/api\/v1\/events/, (ws) => {
    urls.push(ws.url());
    if (cut) return ws.close();
    ws.connectToServer();
    sockets.push(ws);
  });
  // The first caller's contact (SIPp calls from 221234561), so that its call is the
  // contact's, for the merge below.
  const bt0 = await apiLogin(T, 'bob', 'bob-secret');
  const first = await api('POST', '/contacts', bt0, { first_name: 'Marta', phones: ['221 234 561'] });
  await login(page, { tenant: T, username: 'bob', password: 'bob-secret', lang: 'en' });
  await page.getByRole('link', { name: c['nav.wallboard'] }).click();
  const tile = page.locator('article.tile[data-queue=support]');
  const waiting = tile.getByTestId('waiting');
  await waiting.filter({ hasText: /^0$/ }).waitFor();
  // Thresholds set by the supervisor: amber from 1 waiting, red from 2.
  await page.getByText(c['wb.thresholds']).click();
  await page.getByLabel(c['wb.limit.waiting_warn']).fill('1');
  await page.getByLabel(c['wb.limit.waiting_warn']).press('Tab');
  await page.getByLabel(c['wb.limit.waiting_alert']).fill('2');
  await page.getByLabel(c['wb.limit.waiting_alert']).press('Tab');
  await page.getByText(c['wb.thresholds']).click();
  assert(/\bok\b/.test(await tile.getAttribute('class')), 'support is green with nobody waiting');
  signal('wb.ready');
  await waiting.filter({ hasText: /^2$/ }).waitFor({ timeout: 40000 });
  await until(async () => /\balert\b/.test(await tile.getAttribute('class')), 'support red at 2 waiting');
  step('wallboard: 2 waiting in support, the tile red by the thresholds set');
  await page.getByRole('button', { name: c['wb.fullscreen'] }).click();
  await until(() => page.evaluate(() => document.fullscreenElement && document.fullscreenElement.classList.contains('wall')), 'full screen');
  await page.getByRole('button', { name: c['wb.fullscreen'] }).click();
  await until(() => page.evaluate(() => !document.fullscreenElement), 'out of full screen');
  step('wallboard: full screen and back');
  await shoot(page, 'wallboard-busy', 'en');
  signal('wb.rose');
  await waiting.filter({ hasText: /^0$/ }).waitFor({ timeout: 40000 });
  step('wallboard: back to 0 waiting');
  await page.locator('tr[data-agent=alice]').waitFor();

  // The socket is cut; while the page is off line alice goes not ready for lunch; when
  // the network is back the page reconnects with ?since= and replays what it missed.
  const bt = await apiLogin(T, 'bob', 'bob-secret');
  cut = true;
  sockets.forEach((ws) => ws.close());
  await page.getByTestId('connection').filter({ hasText: c['app.offline'] }).waitFor();
  await api('PUT', '/agents/alice/state', bt, { state: 'not_ready', reason: 'lunch' });
  const n0 = urls.length;
  await until(async () => urls.length > n0, 'a reconnection attempt');
  cut = false;
  await page.getByTestId('connection').filter({ hasText: c['app.online'] }).waitFor({ timeout: 20000 });
  assert(/[?&]since=\d+/.test(urls[urls.length - 1]), 'the page reconnected with since=: ' + urls[urls.length - 1]);
  await page.locator('tr[data-agent=alice]').filter({ hasText: c['state.not_ready'] }).filter({ hasText: 'lunch' }).waitFor();
  step('events: cut, missed a state change, reconnected with since= and replayed it');

  await page.getByRole('link', { name: c['nav.admin'] }).click();
  // A queue made in the console, when the server's API makes queues (POST
  // /api/v1/queues); the number then routes to it, else to the file's queue sales.
  let target = 'sales';
  const probe = await fetch(BASE + '/api/v1/queues', { method: 'POST', headers: { Authorization: 'Bearer ' + bt }, body: '{' });
  if (probe.status !== 404 && probe.status !== 405) {
    await page.getByRole('tab', { name: c['admin.queues'] }).click();
    const qf = page.getByRole('form', { name: c['admin.queue_form'] });
    await qf.getByLabel(c['admin.id'], { exact: true }).fill('vip');
    await qf.getByLabel(c['admin.strategy'], { exact: true }).selectOption('longest-idle');
    await qf.getByLabel(c['admin.wrap_up'], { exact: true }).fill('5s');
    await qf.getByLabel(c['admin.announce_every'], { exact: true }).fill('30s');
    await qf.getByLabel(c['admin.announce_ewt'], { exact: true }).uncheck();
    await qf.getByRole('button', { name: c['admin.save'] }).click();
    await page.locator('tr[data-queue=vip]').waitFor();
    const vip = (await api('GET', '/queues', bt)).items.find((q) => q.id === 'vip');
    assert(vip.config.announce && vip.config.announce.every === '30s' && vip.config.announce.position === true && vip.config.announce.ewt === false,
      'vip announces the position every 30 s: ' + JSON.stringify(vip.config));
    target = 'vip';
    step('admin: queue vip made in the console');
    await page.getByRole('tab', { name: c['admin.numbers'] }).click();
  } else step('admin: this server makes no queues through its API (POST /api/v1/queues is ' + probe.status + '): the number goes to sales');
  writeFileSync(join(process.env.TEST_WORK, 'queue.txt'), target);
  await page.locator('tr[data-number="200"]').waitFor();
  const form = page.getByRole('form', { name: c['admin.number_form'] });
  await form.getByLabel(c['admin.number'], { exact: true }).fill('555');
  await form.getByLabel(c['admin.routes_to'], { exact: true }).selectOption('queue');
  await form.getByLabel(c['admin.target'], { exact: true }).fill(target);
  await form.getByRole('button', { name: c['admin.save'] }).click();
  await page.locator('tr[data-number="555"]').filter({ hasText: target }).waitFor();
  const n = (await api('GET', '/numbers', bt)).items.find((x) => x.number === '555');
  assert(n && n.queue === target && n.source === 'api', 'number 555 stored: ' + JSON.stringify(n));
  step('admin: number 555 routes to ' + target);
  signal('admin.done');

  // Reason codes and dispositions: add, rename (Enter in the field), remove; the file's
  // codes have no buttons.
  for (const [tab, path, file, code, renamed] of [['reasons', '/reason-codes', 'lunch', 'training', 'coaching'],
    ['dispositions', '/dispositions', 'no_sale', 'callback', 'call_back']]) {
    const codes = async () => (await api('GET', path, bt)).items.map((x) => x.code + ':' + x.source).join(' ');
    await page.getByRole('tab', { name: c['admin.' + tab] }).click();
    await page.locator(`tr[data-code=${file}]`).waitFor();
    assert(await page.locator(`tr[data-code=${file}] button`).count() === 0, 'the file\'s ' + file + ' cannot be changed here');
    const add = page.getByRole('form', { name: c['admin.' + tab + '_form'] });
    await add.getByLabel(c['admin.code'], { exact: true }).fill(code);
    await add.getByLabel(c['admin.code'], { exact: true }).press('Enter');
    await page.locator(`tr[data-code=${code}]`).filter({ hasText: c['admin.source.api'] }).waitFor();
    assert((await codes()).includes(code + ':api'), tab + ': ' + code + ' on the server: ' + await codes());
    await page.getByRole('button', { name: c['admin.rename_named'].replace('{name}', code) }).click();
    const field = page.getByRole('textbox', { name: c['admin.new_name'] });
    await field.fill(renamed);
    await field.press('Enter');
    await page.locator(`tr[data-code=${renamed}]`).waitFor();
    await page.locator(`tr[data-code=${code}]`).waitFor({ state: 'detached' });
    const after = await codes();
    assert(after.includes(renamed + ':api') && !after.includes(code + ':'), tab + ': renamed on the server: ' + after);
    await page.getByRole('button', { name: c['admin.delete_named'].replace('{name}', renamed) }).click();
    await page.locator(`tr[data-code=${renamed}]`).waitFor({ state: 'detached' });
    assert(!(await codes()).includes(renamed), tab + ': removed on the server: ' + await codes());
    step(`admin: ${tab}: ${code} added, renamed ${renamed}, removed; ${file} (the file's) untouched`);
  }

  // An IVR flow made in the editor: the validator's error is shown at its node in the
  // graph; fixed, it is published (version 1); a draft (version 2) is published from the
  // versions list. A calendar made and removed.
  await page.getByRole('tab', { name: c['admin.flows'] }).click();
  const nf = page.getByRole('form', { name: c['flows.new'] });
  await nf.getByLabel(c['admin.name'], { exact: true }).fill('vipflow');
  await nf.getByRole('button', { name: c['flows.new'] }).click();
  const body = page.getByLabel(c['flows.body']);
  const flow = (to) => JSON.stringify({ start: 'menu', nodes: { menu: { type: 'menu', prompt: { tts: 'Jeden' }, options: { 1: to } }, q: { type: 'queue', queue: 'sales' } } });
  await body.fill(flow('nowhere'));
  await page.getByRole('button', { name: c['flows.publish'], exact: true }).click();
  await page.locator('li[data-node=menu]').getByTestId('node-error').filter({ hasText: 'nowhere' }).waitFor();
  step('flows: the validator\'s error shown at node menu');
  await body.fill(flow('q'));
  await page.getByRole('button', { name: c['flows.publish'], exact: true }).click();
  await page.getByRole('status').filter({ hasText: c['flows.published'] }).waitFor();
  await page.locator('li[data-node=menu]').getByRole('link', { name: 'q' }).waitFor();
  let fl = await api('GET', '/flows/vipflow', bt);
  assert(fl.version === 1 && fl.flow.nodes.menu.options['1'] === 'q', 'flow published: ' + JSON.stringify(fl));
  await body.fill(flow('menu'));
  await page.getByRole('button', { name: c['flows.draft'], exact: true }).click();
  await page.getByRole('status').filter({ hasText: c['flows.drafted'] }).waitFor();
  fl = await api('GET', '/flows/vipflow', bt);
  assert(fl.version === 1 && fl.latest === 2, 'a draft is not live: ' + JSON.stringify(fl));
  await page.getByRole('button', { name: c['flows.publish_version'].replace('{version}', '2') }).click();
  await page.locator('tr[data-version="2"]').filter({ hasText: c['flows.live'] }).waitFor();
  assert((await api('GET', '/flows/vipflow', bt)).version === 2, 'version 2 published from the list');
  step('flows: vipflow published (1), drafted (2), version 2 published from the list');
  await page.getByRole('tab', { name: c['admin.calendars'] }).click();
  const cf = page.getByRole('form', { name: c['cal.form'] });
  await cf.getByLabel(c['admin.id'], { exact: true }).fill('hours');
  await cf.getByLabel(c['cal.timezone'], { exact: true }).fill('Europe/Warsaw');
  await cf.getByLabel(c['cal.weekly'], { exact: true }).fill('mon-fri 08:00-18:00\nsat 10:00-14:00');
  await cf.getByLabel(c['cal.holidays'], { exact: true }).fill('2026-12-25');
  await cf.getByRole('button', { name: c['admin.save'] }).click();
  await page.locator('tr[data-calendar=hours]').waitFor();
  const cal = await api('GET', '/calendars/hours', bt);
  assert(cal.calendar.weekly['mon-fri'] === '08:00-18:00' && cal.calendar.weekly.sat === '10:00-14:00', 'calendar stored: ' + JSON.stringify(cal));
  await page.getByRole('button', { name: c['admin.delete_named'].replace('{name}', 'hours') }).click();
  await page.locator('tr[data-calendar=hours]').waitFor({ state: 'detached' });
  step('calendars: hours made and removed');

  // Trunks: made with a password (never shown back), changed without one (kept), removed.
  await page.getByRole('tab', { name: c['admin.trunks'] }).click();
  const tf = page.getByRole('form', { name: c['admin.trunk_form'] });
  await tf.getByLabel(c['admin.id'], { exact: true }).fill('carrier2');
  await tf.getByLabel(c['admin.trunk_uri'], { exact: true }).fill('sip:127.0.0.1:5999');
  await tf.getByLabel(c['admin.trunk_username'], { exact: true }).fill('acme');
  await tf.getByLabel(c['login.password'], { exact: true }).fill('trunk-secret-1');
  await tf.getByLabel(c['admin.srtp'], { exact: true }).selectOption('optional');
  await tf.getByRole('button', { name: c['admin.save'] }).click();
  await page.locator('tr[data-trunk=carrier2]').filter({ hasText: c['admin.source.api'] }).waitFor();
  const trunk = async () => (await api('GET', '/trunks', bt)).items.find((x) => x.id === 'carrier2');
  let tr = await trunk();
  assert(tr && tr.uri === 'sip:127.0.0.1:5999' && tr.password_set === true && tr.srtp === 'optional' && !('password' in tr), 'trunk made: ' + JSON.stringify(tr));
  await page.getByRole('button', { name: c['admin.edit_named'].replace('{name}', 'carrier2') }).click();
  await tf.getByLabel(c['admin.trunk_uri'], { exact: true }).fill('sip:127.0.0.1:5998');
  await tf.getByRole('button', { name: c['admin.save'] }).click();
  await page.locator('tr[data-trunk=carrier2]').filter({ hasText: '5998' }).waitFor();
  tr = await trunk();
  assert(tr.uri === 'sip:127.0.0.1:5998' && tr.password_set === true && tr.username === 'acme', 'trunk changed, password kept: ' + JSON.stringify(tr));
  await page.getByRole('button', { name: c['admin.delete_named'].replace('{name}', 'carrier2') }).click();
  await page.locator('tr[data-trunk=carrier2]').waitFor({ state: 'detached' });
  assert(!(await trunk()), 'trunk removed on the server');
  step('admin: trunk carrier2 made, changed (password kept), removed');

  // Merging: a duplicate of the first caller's contact, opened in the contacts screen,
  // offers the original (same number); merging moves the call and removes the original.
  await waitFile('call555.done');
  const dup = await api('POST', '/contacts', bt, { first_name: 'Marta', last_name: 'Kowalska', phones: ['+48221234561'], emails: ['marta@example.pl'] });
  const before = await api('GET', '/contacts/' + first.id + '?history=10', bt);
  assert(before.interactions.length === 1, 'the first caller\'s call is its contact\'s: ' + JSON.stringify(before.interactions));
  await page.getByRole('link', { name: c['nav.contacts'] }).click();
  await page.getByRole('combobox', { name: c['contacts.by'] }).selectOption('phone');
  await page.getByRole('search').getByRole('searchbox', { name: c['contacts.search'] }).fill('221 234 561');
  await page.getByRole('search').getByRole('button', { name: c['contacts.search'] }).click();
  await page.locator('.results li button', { hasText: 'Marta Kowalska' }).click();
  await page.getByRole('heading', { name: 'Marta Kowalska' }).waitFor();
  const offer = page.locator(`li[data-duplicate="${first.id}"]`);
  await offer.getByRole('button', { name: c['merge.merge_named'].replace('{name}', 'Marta') }).click();
  await offer.getByRole('group').getByRole('button', { name: c['merge.confirm'], exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Marta' }).filter({ hasText: '1' }).waitFor();
  await offer.waitFor({ state: 'detached' });
  await shoot(page, 'contacts-merged', 'en');
  const kept = await api('GET', '/contacts/' + dup.id + '?history=10', bt);
  assert(kept.interactions.length === 1 && kept.interactions[0].id === before.interactions[0].id, 'the call moved: ' + JSON.stringify(kept.interactions));
  assert(kept.last_name === 'Kowalska' && kept.emails.includes('marta@example.pl'), 'kept contact: ' + JSON.stringify(kept));
  const gone = await fetch(BASE + '/api/v1/contacts/' + first.id, { headers: { Authorization: 'Bearer ' + bt } });
  assert(gone.status === 404, 'the duplicate is removed: ' + gone.status);
  await page.locator('table.history tbody tr').first().waitFor();
  step('contacts: the first caller\'s contact merged into its duplicate, its call moved');

  // Every main screen in every language, picked with the header's picker.
  for (const lang of ['pl', 'es', 'ru', 'en']) {
    const k = catalogues[lang];
    await page.locator('header select[name=language]').selectOption(lang);
    await page.getByRole('link', { name: k['nav.agent'] }).click();
    await page.getByTestId('agent-state').waitFor();
    await shoot(page, 'agent', lang);
    await page.getByRole('link', { name: k['nav.contacts'] }).click();
    await page.getByRole('search').getByRole('button', { name: k['contacts.search'] }).click();
    await page.locator('.results li').first().waitFor();
    await page.locator('.results li button').first().click();
    await page.getByRole('heading', { name: k['contact.history'] }).waitFor();
    await shoot(page, 'contacts', lang);
    await page.getByRole('link', { name: k['nav.wallboard'] }).click();
    await page.locator('article.tile').first().waitFor();
    await page.locator('tr[data-agent=alice]').waitFor();
    await shoot(page, 'wallboard', lang);
    await page.getByRole('link', { name: k['nav.reports'] }).click();
    await page.getByRole('button', { name: k['rep.run'] }).click();
    await page.getByTestId('interval-report').locator('tbody tr').first().waitFor();
    await shoot(page, 'reports', lang);
    if (lang === 'en') {
      // The CSVs, for the shell to compare with figures computed from the export.
      const csv = async (name) => {
        const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: k['rep.csv'] }).click()]);
        await dl.saveAs(join(process.env.TEST_WORK, name));
      };
      await csv('interval.csv');
      for (const kind of ['agent', 'disposition']) {
        await page.getByRole('combobox', { name: k['rep.kind'], exact: true }).selectOption(kind);
        await page.getByRole('button', { name: k['rep.run'] }).click();
        await page.locator('table.report tbody tr').first().waitFor();
        await csv(kind + '.csv');
      }
      await page.getByRole('combobox', { name: k['rep.kind'], exact: true }).selectOption('interval');
    }
    await page.getByRole('link', { name: k['nav.recordings'] }).click();
    await page.locator('table tbody tr').first().waitFor();
    await page.getByRole('button', { name: k['rec.play'] }).first().click();
    await page.locator('audio').waitFor();
    if (lang === 'pl') {
      // Streamed: the audio element asks the server itself (through the service worker,
      // which adds the token) with a Range, and the server's audit log has the ranges.
      await until(() => page.locator('audio').evaluate((a) => a.readyState >= 1 && a.duration > 0), 'the recording\'s length in the player');
      assert(!(await page.locator('audio').getAttribute('src')).startsWith('blob:'), 'the recording is streamed, not fetched whole');
      await until(async () => (await api('GET', '/audit', bt)).items.some((x) => x.object === 'interaction' && x.action === 'download' && /^bytes /.test(x.detail)),
        'a ranged download in the audit log');
      step('recording streamed with ranges (audit: ranged download)');
    }
    await shoot(page, 'recordings', lang);
    await page.getByRole('link', { name: k['nav.admin'] }).click();
    for (const tab of ['numbers', 'queues', 'users', 'flows', 'calendars', 'trunks', 'reasons', 'dispositions', 'webhooks', 'keys', 'audit']) {
      await page.getByRole('tab', { name: k['admin.' + tab] }).click();
      await page.locator('[role=tabpanel] table').waitFor();
      await shoot(page, 'admin-' + tab, lang);
    }
    step('screens in ' + lang);
  }
  console.log('wallboard and admin: ok');
} catch (err) {
  await failed(page, 'supervisor');
  throw err;
} finally {
  await close(browser);
}
