// The wallboard's agent grid in a real browser (tests/browser/t-web-supervisor-grid.sh
// starts the server, SIPp as alice's and sue's phones, and the SIPp customer): sue sorts
// the grid by its headers, filters it by text and by state; when the customer talks to
// alice she listens, whispers and barges from alice's row (her phone is rung and joins:
// the call's third party is her monitor leg, and the interaction's timeline, shown in the
// recordings screen, has the three modes in order); she forces alice not ready and logs
// dave out from the grid, and the server has both states.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, close, newPage, login, step, assert, signal, until, apiLogin, api, catalogues, failed, restWhileIdle, eventToDom, drawnPixels } from './lib.mjs';

const T = 'acme';
const browser = await launch();
let page;
try {
  page = await newPage(browser, 'en');
  const c = catalogues.en;
  const st = await apiLogin(T, 'sue', 'sue-secret');
  const at = await apiLogin(T, 'alice', 'alice-secret');
  // Three agents in three states: alice ready, carol not ready for lunch, dave ready.
  await api('PUT', '/agents/me/state', at, { state: 'ready' });
  await api('PUT', '/agents/carol/state', st, { state: 'not_ready', reason: 'lunch' });
  await api('PUT', '/agents/dave/state', st, { state: 'ready' });
  await login(page, { tenant: T, username: 'sue', password: 'sue-secret', lang: 'en' });
  await page.getByRole('link', { name: c['nav.wallboard'] }).click();
  const grid = page.getByRole('region', { name: c['grid.title'] });
  const row = (u) => grid.locator(`tr[data-agent=${u}]`);
  const shown = () => grid.locator('tbody tr[data-agent]').evaluateAll((rs) => rs.map((r) => r.dataset.agent));
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  await row('carol').getByTestId('agent-reason').filter({ hasText: 'lunch' }).waitFor();
  await row('dave').locator('td:nth-child(2)').filter({ hasText: new RegExp('^' + c['state.ready'] + '$') }).waitFor();

  // Sorting: by name (Alicja, Carol, Dawid) ascending by default, descending on a click
  // of the header; by state; by agent name again.
  const head = (col) => grid.locator('thead th').filter({ has: page.getByRole('button', { name: c['grid.' + col], exact: true }) });
  const agents = await shown();
  assert(same(agents.filter((a) => a !== 'sue'), ['alice', 'carol', 'dave']), 'sorted by name: ' + agents);
  await head('name').getByRole('button').click();
  assert(await head('name').getAttribute('aria-sort') === 'descending', 'the name header says descending');
  await until(async () => same((await shown()).filter((a) => a !== 'sue'), ['dave', 'carol', 'alice']), 'sorted by name descending');
  await head('state').getByRole('button').click();
  assert(await head('state').getAttribute('aria-sort') === 'ascending', 'the state header says ascending');
  assert(await head('name').getAttribute('aria-sort') === null, 'the name header no longer sorts');
  // By state: not_ready < ready (the states' codes), the two ready ones in either order.
  await until(async () => { const s = (await shown()).filter((a) => a !== 'sue'); return s[0] === 'carol' && s.length === 3; }, 'sorted by state');
  await head('state').getByRole('button').click();
  await until(async () => { const s = (await shown()).filter((a) => a !== 'sue'); return s[s.length - 1] === 'carol' && s.length === 3; }, 'sorted by state descending');
  await head('name').getByRole('button').click();
  await until(async () => same((await shown()).filter((a) => a !== 'sue'), ['alice', 'carol', 'dave']), 'sorted by name again');
  step('grid: sorted by name both ways and by state both ways');

  // The text filter matches the username, the name (any case) and the queue.
  const filter = grid.getByRole('searchbox', { name: c['grid.filter'] });
  await filter.fill('ZIELI');
  await until(async () => same(await shown(), ['carol']), 'filtered to carol by her name');
  await filter.fill('dave');
  await until(async () => same(await shown(), ['dave']), 'filtered to dave by his username');
  await filter.fill('nobody-like-this');
  await until(async () => (await shown()).length === 0, 'filtered to nobody');
  await grid.getByText(c['grid.count'].other.replace('{count}', '0')).waitFor();
  await filter.fill('');
  await until(async () => (await shown()).length >= 3, 'the filter cleared');
  // The state filter.
  const sf = grid.getByRole('combobox', { name: c['grid.state_filter'] });
  await sf.selectOption('not_ready');
  await until(async () => same(await shown(), ['carol']), 'only the not ready');
  await sf.selectOption('ready');
  await until(async () => same(await shown(), ['alice', 'dave']), 'only the ready');
  await filter.fill('ali');
  await until(async () => same(await shown(), ['alice']), 'ready and "ali"');
  await filter.fill('');
  await sf.selectOption('');
  await until(async () => (await shown()).length >= 3, 'every state again');
  step('grid: filtered by name, username, nothing; by state, and by both');

  // A customer talks to alice; the monitoring buttons appear on her row.
  signal('grid.ready');
  const listen = page.getByRole('button', { name: c['grid.listen_agent'].replace('{agent}', 'alice') });
  await listen.waitFor({ timeout: 40000 });
  await row('alice').locator('td:nth-child(2)').filter({ hasText: c['state.busy'] }).waitFor();
  await row('alice').locator('td:nth-child(6)').filter({ hasText: 'support' }).waitFor();
  // The queue filter matches her queue while she talks.
  await filter.fill('support');
  await until(async () => same(await shown(), ['alice']), 'filtered by the queue of the call');
  await filter.fill('');
  const call = await until(async () => (await api('GET', '/calls', st)).items.find((x) => x.agent === 'alice'), 'alice\'s call');
  const ix = call.interaction;
  const monitored = async () => {
    const x = (await api('GET', '/calls', st)).items.find((y) => y.interaction === ix);
    return x && x.third_party === 'monitor' ? x : null;
  };
  const status = grid.getByRole('status').filter({ hasText: c['grid.done'] });
  await listen.click();
  await status.waitFor();
  await until(monitored, 'sue\'s monitor leg on alice\'s call');
  // Her phone (SIPp) is rung, answers and gets the server's ACK.
  await until(async () => /^ACK sip:/m.test(readFileSync(join(process.env.TEST_WORK, 'sue-phone.msg'), 'utf8')), 'sue\'s phone joined', 20000);
  for (const m of ['whisper', 'barge']) {
    await page.getByRole('button', { name: c['grid.' + m + '_agent'].replace('{agent}', 'alice') }).click();
    await status.waitFor();
    await new Promise((r) => setTimeout(r, 300));
  }
  assert(await monitored(), 'still monitored after whisper and barge');
  step('grid: sue listened, whispered and barged on alice\'s call from the grid');
  await api('POST', '/calls/' + ix + '/hangup', st);
  const state = (u, s) => row(u).locator('td:nth-child(2)').filter({ hasText: new RegExp('^' + c['state.' + s] + '$') });
  await state('alice', 'wrap_up').waitFor({ timeout: 20000 });
  assert(await listen.count() === 0, 'no monitoring buttons once the call is over');

  // Force not ready (alice, in her 3 s wrap-up: it applies when the wrap-up ends) and log
  // out (dave, ready: at once) from the grid.
  await page.getByRole('button', { name: c['grid.force_nr_agent'].replace('{agent}', 'alice') }).click();
  await status.waitFor();
  await page.getByRole('button', { name: c['grid.logout_agent'].replace('{agent}', 'dave') }).click();
  await state('dave', 'logged_out').waitFor();
  await state('alice', 'not_ready').waitFor({ timeout: 10000 });
  const server = Object.fromEntries((await api('GET', '/agents', st)).items.map((a) => [a.username, a.state]));
  assert(server.alice === 'not_ready' && server.dave === 'logged_out' && server.carol === 'not_ready', 'states on the server: ' + JSON.stringify(server));
  step('grid: alice forced not ready, dave logged out; the server agrees');

  // Live within a second: carol goes ready through the API; the time from the server's
  // event to her row saying so.
  const ms = await eventToDom(page, 'tr[data-agent=carol] td:nth-child(2)', new RegExp('^' + c['state.ready'] + '$'),
    async () => Date.parse((await api('PUT', '/agents/carol/state', st, { state: 'ready' })).since));
  assert(ms >= 0 && ms < 1000, 'the grid showed carol ready ' + ms + ' ms after the event');
  step(`wallboard: an agent's change on screen ${ms} ms after the event`);
  // The chart of the day is drawn; a threshold on the service level (not the waiting
  // count) colours a tile: support answered its call within 20 s (100 %), amber below 101 %.
  assert(await drawnPixels(page.locator('.wall canvas').first()) > 500, 'the wallboard\'s chart is drawn');
  const support = page.locator('article.tile[data-queue=support]');
  assert(/\bok\b/.test(await support.getAttribute('class')), 'support is green');
  await page.getByText(c['wb.thresholds']).click();
  await page.getByLabel(c['wb.limit.sl_warn']).fill('101');
  await page.getByLabel(c['wb.limit.sl_warn']).press('Tab');
  await page.getByText(c['wb.thresholds']).click();
  await until(async () => /\bwarn\b/.test(await support.getAttribute('class')), 'support amber by its service level');
  assert(await support.getByTestId('waiting').innerText() === '0', 'nobody waiting in support');
  assert(/\bok\b/.test(await page.locator('article.tile[data-queue=sales]').getAttribute('class')), 'sales (nothing answered) stays green');
  step('wallboard: chart drawn; the service-level threshold turned support amber with nobody waiting');
  // No polling: the wallboard, then the agent desktop, make no REST request at rest.
  let idle = await restWhileIdle(page, 4000);
  assert(idle.length === 0, 'the wallboard polled: ' + idle.join(', '));
  const desk = await newPage(browser, 'en');
  await login(desk, { tenant: T, username: 'alice', password: 'alice-secret', lang: 'en' });
  await desk.getByTestId('agent-state').waitFor();
  await desk.waitForLoadState('networkidle');
  idle = await restWhileIdle(desk, 4000);
  assert(idle.length === 0, 'the agent desktop polled: ' + idle.join(', '));
  await desk.context().close();
  step('no REST request in 4 s at rest on the wallboard and on the agent desktop');

  // The interaction's timeline: the monitor steps with their modes in order, through the
  // API and on the recordings screen.
  const done = await until(async () => { const b = await api('GET', '/interactions/' + ix, st); return b && b.timeline && b.timeline.some((e) => e.event === 'ended') ? b : null; }, 'the interaction stored', 20000);
  const modes = done.timeline.filter((e) => e.event === 'monitor').map((e) => e.mode);
  assert(same(modes, ['listen', 'whisper', 'barge']), 'monitor modes on the timeline: ' + JSON.stringify(done.timeline));
  assert(done.timeline.some((e) => e.event === 'third_party_answered' && e.kind === 'monitor'), 'sue\'s phone joined: ' + JSON.stringify(done.timeline));
  await page.getByRole('link', { name: c['nav.recordings'] }).click();
  await page.locator('table tbody tr').first().waitFor();
  await page.locator('table tbody tr').filter({ hasText: 'alice' }).first().getByRole('button', { name: new RegExp('^(' + c['rec.play'] + '|' + c['rec.details'] + ')$') }).click();
  const tl = page.locator('ol.timeline');
  await tl.locator('li').filter({ hasText: c['tl.monitor'] }).first().waitFor();
  const shownModes = await tl.getByTestId('tl-mode').allInnerTexts();
  assert(same(shownModes, [c['grid.listen'], c['grid.whisper'], c['grid.barge']]), 'the timeline shows the modes: ' + shownModes);
  step('timeline: monitor listen, whisper, barge (API and page)');
  console.log('agent grid: ok');
} catch (err) {
  await failed(page, 'supervisor-grid');
  throw err;
} finally {
  await close(browser);
}
