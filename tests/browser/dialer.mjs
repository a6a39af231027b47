// The dialer's pages in a real browser against a real server and real SIPp peers
// (tests/browser/t-web-dialer.sh starts them). The admin ada makes a campaign in the
// form when the server makes campaigns through its API (a ring time under 15 s first:
// the server's message shown at that field), imports a CSV whose third line has a bad
// number (the report names line 3, column 1 "Telefon"; nothing imported), imports the
// good rows, exports the list, adds one lead in the form, and adds and removes a
// do-not-call number. alice takes a preview
// lead: its fields and the script with them put in, as text; skips it (the shell checks
// the server's log), takes it again and dials it: the SIPp carrier answers, her SIPp
// phone rings and the screen pop shows the lead and the script. bob's wallboard shows a
// tile per campaign; ada starts the paused progressive campaign (the tile and the admin
// row show it running and dialing, from the events) and bob pauses it from its tile.
import { readFileSync } from 'node:fs';
import { launch, close, newPage, login, shoot, step, assert, signal, until, apiLogin, api, catalogues, failed, BASE } from './lib.mjs';

const T = 'acme';
const LANGS = ['pl', 'es', 'ru', 'en'];
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (a, k) => (k in vars ? vars[k] : a));
const browser = await launch();
let page;

/* Photographs the page in every language through the header's picker, back in English. */
async function shootAll(p, name, ready) {
  for (const lang of LANGS) {
    await p.locator('header select[name=language]').selectOption(lang);
    await p.locator('html[lang=' + lang + ']').waitFor();
    if (ready) await ready(catalogues[lang]);
    await shoot(p, name, lang);
  }
}

try {
  const c = catalogues.en;
  const at = await apiLogin(T, 'ada', 'ada-secret');

  // ---- the admin: campaigns ----
  const admin = page = await newPage(browser, 'en');
  await login(admin, { tenant: T, username: 'ada', password: 'ada-secret', lang: 'en' });
  await admin.getByRole('link', { name: c['nav.admin'] }).click();
  await admin.getByRole('tab', { name: c['admin.campaigns'] }).click();
  const row = (id) => admin.locator(`tr[data-campaign=${id}]`);
  await row('calls').getByTestId('campaign-state').filter({ hasText: c['camp.state.running'] }).waitFor();
  await row('reminders').getByTestId('campaign-state').filter({ hasText: c['camp.state.paused'] }).waitFor();
  step('campaigns: the file\'s two listed with their states');

  const probe = await fetch(BASE + '/api/v1/campaigns', {
    method: 'POST', headers: { Authorization: 'Bearer ' + at, 'Content-Type': 'application/json' }, body: '{}',
  });
  const makes = probe.status !== 404 && probe.status !== 405;
  await admin.getByRole('button', { name: c['camp.new'] }).click();
  const form = admin.getByRole('form', { name: c['camp.new'] });
  await form.locator('input[name=id]').fill('winback');
  await form.locator('select[name=mode]').selectOption('progressive');
  await form.locator('input[name=queue]').fill('sales');
  await form.locator('input[name=lists]').fill('win, vip:5');
  await form.locator('input[name=trunk]').fill('pstn');
  await form.locator('input[name=caller_id]').fill('+48221000000');
  await form.locator('input[name="window.from"]').fill('09:00');
  await form.locator('input[name="window.to"]').fill('20:00');
  await form.locator('input[name="retry.busy"]').fill('20m');
  await form.locator('input[name=dispositions]').fill('sale:close, no_sale:7d');
  await form.locator('input[name=abandon_cap]').fill('2%');
  await form.locator('input[name=paused]').check();
  await form.locator('textarea[name=script]').fill('Good morning {{name}}');
  await form.locator('input[name=ring_time]').fill('5s');
  await form.locator('input[name=ring_time]').press('Enter');
  if (makes) {
    // The server refuses a ring time under 15 s; its message stands at that field.
    const err = form.locator('label[data-field=ring_time] [role=alert]');
    await err.waitFor();
    assert((await form.locator('input[name=ring_time]').getAttribute('aria-invalid')) === 'true', 'ring_time marked invalid');
    assert(await form.locator('input[name=ring_time]').evaluate((e) => e === document.activeElement), 'focus on the bad field');
    step('campaign form: the server\'s error at ring_time: ' + (await err.textContent()));
    await shootAll(admin, 'admin-campaign-form');
    await form.locator('input[name=ring_time]').fill('25s');
    await form.locator('input[name=ring_time]').press('Enter');
    await row('winback').getByTestId('campaign-state').filter({ hasText: c['camp.state.paused'] }).waitFor();
    const made = await api('GET', '/campaigns/winback', at);
    assert(made.mode === 'progressive' && made.queue === 'sales' && made.state === 'paused', 'winback on the server: ' + JSON.stringify(made));
    const cfg = made.config || {};
    assert(!made.config || (cfg.ring_time === '25s' && cfg.retry.busy === '20m' && cfg.dispositions.no_sale === '7d'),
      'winback\'s configuration: ' + JSON.stringify(cfg));
    step('campaign form: winback made, paused, with its fields');
    // Changed: the form comes back filled with the campaign's configuration.
    await row('winback').getByRole('button', { name: fill(c['admin.edit_named'], { name: 'winback' }) }).click();
    const edit = admin.getByRole('form', { name: fill(c['camp.edit_named'], { name: 'winback' }) });
    assert((await edit.locator('input[name="retry.busy"]').inputValue()) === '20m', 'the edit form holds retry.busy');
    await edit.locator('input[name=ring_time]').fill('30s');
    await edit.locator('input[name=max_attempts]').fill('4');
    await edit.getByRole('button', { name: c['admin.save'] }).click();
    await edit.waitFor({ state: 'detached' });
    const changed = (await api('GET', '/campaigns/winback', at)).config || {};
    assert(changed.ring_time === '30s' && changed.max_attempts === 4, 'winback changed: ' + JSON.stringify(changed));
    await row('winback').getByRole('button', { name: fill(c['admin.delete_named'], { name: 'winback' }) }).click();
    await row('winback').waitFor({ state: 'detached' });
    const gone = await fetch(BASE + '/api/v1/campaigns/winback', { headers: { Authorization: 'Bearer ' + at } });
    assert(gone.status === 404, 'winback deleted: ' + gone.status);
    step('campaign form: winback changed (ring time, attempts) and deleted');
  } else {
    await form.getByRole('alert').filter({ hasText: c['admin.not_offered'] }).waitFor();
    step(`campaign form: this server makes no campaigns through its API (POST ${probe.status}): the page says so`);
    await shootAll(admin, 'admin-campaign-form');
    await form.getByRole('button', { name: c['admin.cancel'] }).click();
  }
  await shootAll(admin, 'admin-campaigns');

  // ---- the admin: lead lists ----
  await admin.getByRole('tab', { name: c['admin.lists'] }).click();
  const imp = admin.getByRole('form', { name: c['lists.import'] });
  const csv = 'Telefon;Imie;plan\n+48601000011;Anna;gold\nabc;Bad;x\n601000012;Celina;silver\n';
  await imp.locator('input[name=list]').fill('nov');
  await imp.locator('input[name=file]').setInputFiles({ name: 'nov.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await until(async () => (await imp.locator('select[name=sep]').inputValue()) === ';', 'the separator guessed from the header');
  await imp.locator('select[name=map_phone]').selectOption('Telefon');
  await imp.locator('select[name=map_name]').selectOption('Imie');
  await imp.getByRole('button', { name: c['lists.upload'] }).click();
  const section = admin.getByRole('region', { name: c['lists.import'] });
  const bad = section.locator('table.bad-rows tr[data-line="3"]');
  await bad.waitFor();
  const badText = await bad.innerText();
  assert(badText.includes('Telefon') && /\b1\b/.test(badText) && /invalid phone number/.test(badText), 'line 3, column 1 (Telefon): ' + badText);
  await section.getByRole('status').filter({ hasText: fill(c['lists.nothing_imported'].one, { count: 1 }) }).waitFor();
  step('import: the bad row shown at line 3, column 1 (Telefon); nothing imported');
  await shootAll(admin, 'admin-lists', async (cl) => {
    // The report is the server's answer in the language asked: upload again.
    const sec = admin.getByRole('region', { name: cl['lists.import'] });
    await sec.getByRole('button', { name: cl['lists.upload'] }).click();
    await sec.getByRole('status').filter({ hasText: fill(cl['lists.nothing_imported'].one, { count: 1 }) }).waitFor();
  });
  await imp.locator('input[name=skip_bad]').check();
  await imp.getByRole('button', { name: c['lists.upload'] }).click();
  await section.getByRole('status').filter({ hasText: fill(c['lists.imported'].other, { count: 2, rows: 3 }) }).waitFor();
  step('import: the good rows with skip_bad');
  const listRow = admin.locator('tr[data-list=nov]');
  await listRow.getByTestId('list-leads').filter({ hasText: /^2$/ }).waitFor();
  await listRow.getByTestId('list-open').filter({ hasText: /^2$/ }).waitFor();
  const [dl] = await Promise.all([admin.waitForEvent('download'),
    listRow.getByRole('button', { name: fill(c['lists.export_named'], { name: 'nov' }) }).click()]);
  const exported = readFileSync(await dl.path(), 'utf8');
  assert(exported.startsWith('id,phone,name') && exported.includes('+48601000011,Anna') && exported.includes('+48601000012,Celina'),
    'the exported list: ' + exported);
  step('lists: nov exported with its two leads');
  // One lead more, added in the form: a bad number first (the server's message at the
  // field), then a good one (the list's count follows), then the same again (a duplicate).
  const one = admin.getByRole('form', { name: c['lists.add_lead'] });
  await one.locator('input[name=list]').fill('nov');
  await one.locator('input[name=phone]').fill('abc');
  await one.locator('input[name=phone]').press('Enter');
  await one.locator('label:has(input[name=phone]) [role=alert]').waitFor();
  await one.locator('input[name=phone]').fill('601 000 013');
  await one.locator('input[name=name]').fill('Dorota');
  await one.locator('input[name=fields]').fill('plan=bronze');
  await one.getByRole('button', { name: c['lists.add_lead'] }).click();
  await one.getByRole('status').filter({ hasText: '601 000 013' }).waitFor();
  await listRow.getByTestId('list-leads').filter({ hasText: /^3$/ }).waitFor();
  await one.locator('input[name=list]').fill('nov');
  await one.locator('input[name=phone]').fill('+48601000013');
  await one.getByRole('button', { name: c['lists.add_lead'] }).click();
  await one.getByText(c['lists.lead_duplicate']).waitFor();
  assert((await api('GET', '/lists', at)).items.find((l) => l.id === 'nov').leads === 3, 'nov has 3 leads on the server');
  step('lists: one lead added in the form (a bad number and a duplicate refused)');
  // Do-not-call: a number in national form added to the campaign's list (shown as the
  // server wrote it), then removed.
  await admin.locator('select[name=dnc_list]').selectOption('calls');
  const dnc = admin.getByRole('form', { name: c['dnc.add'] });
  await dnc.locator('input[name=phone]').fill('601 000 099');
  await dnc.locator('input[name=phone]').press('Enter');
  const dncRow = admin.locator('table.dnc tr[data-phone="+48601000099"]');
  await dncRow.waitFor();
  let dncs = await api('GET', '/dnc?campaign=calls', at);
  assert(dncs.items.length === 1 && dncs.items[0].phone === '+48601000099', 'on the server: ' + JSON.stringify(dncs));
  await shootAll(admin, 'admin-dnc');
  await dncRow.getByRole('button', { name: fill(c['dnc.remove_named'], { number: '+48601000099' }) }).click();
  await dncRow.waitFor({ state: 'detached' });
  dncs = await api('GET', '/dnc?campaign=calls', at);
  assert(dncs.items.length === 0, 'removed on the server: ' + JSON.stringify(dncs));
  step('do-not-call: a number added to the campaign calls, listed, removed');

  // ---- the agent: the preview card ----
  const agent = page = await newPage(browser, 'en');
  await login(agent, { tenant: T, username: 'alice', password: 'alice-secret', lang: 'en' });
  const panel = agent.getByRole('region', { name: c['preview.title'] });
  await panel.getByRole('button', { name: c['preview.next'] }).click();
  const card = agent.getByTestId('preview-card');
  await card.getByTestId('lead-name').filter({ hasText: 'Anna Kowalska' }).waitFor();
  const fields = await card.getByTestId('lead-fields').innerText();
  assert(fields.includes('gold') && fields.includes('2027-01-31') && fields.includes('vip'), 'the lead\'s fields: ' + fields);
  const want = 'Hello Anna Kowalska, your gold plan ends on 2027-01-31. <b>{{missing}}</b>';
  assert((await card.getByTestId('lead-script').textContent()) === want, 'the script filled in: ' + await card.getByTestId('lead-script').textContent());
  assert((await card.locator('[data-testid=lead-script] b').count()) === 0, 'the script is text, never HTML');
  await card.getByTestId('lead-history').waitFor();
  await card.getByTestId('preview-countdown').waitFor();
  step('preview: the lead\'s fields, history and the script with its fields');
  await shootAll(agent, 'agent-preview', (cl) => card.getByRole('button', { name: cl['preview.skip'] }).waitFor());
  await card.getByRole('button', { name: c['preview.skip'] }).click();
  await panel.getByRole('status').filter({ hasText: c['preview.skipped'] }).waitFor();
  signal('preview.skipped');
  step('preview: skipped');
  // Taken again (back in the list, the attempt not counted) and dialled: the carrier
  // answers and alice's phone rings; the screen pop carries the lead and the script.
  await panel.getByRole('button', { name: c['preview.next'] }).focus();
  await agent.keyboard.press('Enter');
  await card.getByTestId('lead-name').filter({ hasText: 'Anna Kowalska' }).waitFor();
  await card.getByRole('button', { name: c['preview.dial'] }).click();
  const pop = agent.getByTestId('pop-lead');
  await pop.waitFor({ timeout: 30000 });
  assert((await pop.getByTestId('lead-script').textContent()) === want, 'the screen pop\'s script: ' + await pop.getByTestId('lead-script').textContent());
  assert((await pop.getByTestId('lead-fields').innerText()).includes('gold'), 'the screen pop\'s lead fields');
  assert((await agent.getByTestId('caller-number').textContent()).includes('48601000001'), 'the lead\'s number in the pop');
  step('screen pop: the lead and the script of the campaign call');
  await shootAll(agent, 'agent-campaign-pop');
  const wrap = agent.getByRole('form', { name: c['wrap.title'] });
  await wrap.waitFor({ timeout: 30000 });
  // A callback disposition: tomorrow 10:00 in the lead's zone (UTC), to alice herself.
  await wrap.locator('select[name=disposition]').selectOption('later');
  const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  await wrap.getByTestId('wrap-callback').waitFor();
  await wrap.locator('input[name=callback_at]').fill(tomorrow + 'T10:00');
  await wrap.locator('select[name=callback_to]').selectOption('me');
  await shootAll(agent, 'agent-wrap-callback');
  await wrap.getByRole('button', { name: c['wrap.done'] }).click();
  await wrap.waitFor({ state: 'detached' });
  step('wrap-up done');

  // ---- the wallboard: a tile per campaign, live ----
  const wb = page = await newPage(browser, 'en');
  await login(wb, { tenant: T, username: 'bob', password: 'bob-secret', lang: 'en' });
  await wb.getByRole('link', { name: c['nav.wallboard'] }).click();
  const tile = wb.locator('article.tile[data-campaign=reminders]');
  await tile.getByTestId('campaign-state').filter({ hasText: c['camp.state.paused'] }).waitFor();
  await tile.getByTestId('leads-left').filter({ hasText: /^1$/ }).waitFor();
  await tile.getByTestId('dialing-now').filter({ hasText: /^0$/ }).waitFor();
  await wb.locator('article.tile[data-campaign=calls]').waitFor();
  page = admin;
  await admin.getByRole('tab', { name: c['admin.campaigns'] }).click();
  await row('reminders').getByRole('button', { name: fill(c['camp.start_named'], { name: 'reminders' }) }).click();
  await tile.getByTestId('campaign-state').filter({ hasText: c['camp.state.running'] }).waitFor();
  await tile.getByTestId('dialing-now').filter({ hasText: /^1$/ }).waitFor({ timeout: 20000 });
  await row('reminders').getByTestId('dialing-now').filter({ hasText: /^1$/ }).waitFor();
  step('wallboard: reminders started from the admin page: running, 1 dialing (also on the admin row)');
  page = wb;
  await shootAll(wb, 'wallboard-campaigns');
  // The supervisor pauses it from its tile; the admin's row follows from the events.
  await tile.getByRole('button', { name: fill(c['camp.pause_named'], { name: 'reminders' }) }).click();
  await tile.getByTestId('campaign-state').filter({ hasText: c['camp.state.paused'] }).waitFor();
  await row('reminders').getByTestId('campaign-state').filter({ hasText: c['camp.state.paused'] }).waitFor();
  assert((await api('GET', '/campaigns/reminders', at)).state === 'paused', 'reminders paused on the server');
  step('wallboard: reminders paused from its tile (the admin row follows)');
  console.log('dialer pages: ok');
} catch (err) {
  await failed(page, 'dialer');
  throw err;
} finally {
  await close(browser);
}
