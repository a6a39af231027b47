// The admin console's forms in a real browser (tests/browser/t-web-admin.sh starts the
// server and registers erik's SIPp phone when asked): users, queues, webhooks and API
// keys made and changed in the forms, and each change taking effect where it should.
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { launch, close, newPage, login, step, assert, signal, until, apiLogin, api, catalogues, failed, BASE } from './lib.mjs';

const T = 'acme';
const browser = await launch();
let page;
const waitFile = (name, ms = 60000) => until(async () => existsSync(join(process.env.TEST_WORK, name)), name, ms);
// A webhook receiver on loopback: every request with its headers and raw body.
const received = [];
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => { received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }); res.end('ok'); });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
try {
  page = await newPage(browser, 'en');
  const c = catalogues.en;
  const at = await apiLogin(T, 'ada', 'ada-secret');
  await login(page, { tenant: T, username: 'ada', password: 'ada-secret', lang: 'en' });
  await page.getByRole('link', { name: c['nav.admin'] }).click();
  const tab = (name) => page.getByRole('tab', { name: c['admin.' + name] }).click();

  // ---- a queue with skills, timeouts, overflow and service level ----
  await tab('queues');
  const qf = page.getByRole('form', { name: c['admin.queue_form'] });
  const ql = (k) => qf.getByLabel(c['admin.' + k], { exact: true });
  await ql('id').fill('vip');
  await ql('strategy').selectOption('longest-idle');
  await ql('skills').fill('polish:3, billing:1');
  await ql('ring_timeout').fill('12s');
  await ql('wrap_up').fill('7s');
  await ql('max_wait').fill('90s');
  await ql('service_level').fill('25s');
  await ql('sl_target').fill('90');
  await ql('overflow').fill('support');
  await qf.getByRole('button', { name: c['admin.save'] }).click();
  await page.locator('tr[data-queue=vip]').filter({ hasText: 'polish:3' }).waitFor();
  let vip = (await api('GET', '/queues', at)).items.find((q) => q.id === 'vip');
  const cfg = vip.config;
  assert(cfg.skills.polish === 3 && cfg.skills.billing === 1 && cfg.ring_timeout === '12s' && cfg.wrap_up === '7s' &&
    cfg.max_wait === '90s' && cfg.service_level === '25s' && cfg.service_level_target === 90 &&
    cfg.overflow && cfg.overflow.queue === 'support', 'vip stored: ' + JSON.stringify(vip));
  assert(vip.service_level_s === 25, 'vip\'s service level in force: ' + JSON.stringify(vip));
  // Changed: the form opens with the stored values; a new level and target are kept,
  // the rest untouched.
  await page.getByRole('button', { name: c['admin.edit_named'].replace('{name}', 'vip') }).click();
  assert(await ql('max_wait').inputValue() === '90s' && await ql('overflow').inputValue() === 'support', 'the form has the stored values');
  await ql('skills').fill('polish:5');
  await ql('sl_target').fill('80');
  await ql('service_level').fill('15s');
  await qf.getByRole('button', { name: c['admin.save'] }).click();
  await page.locator('tr[data-queue=vip]').filter({ hasText: 'polish:5' }).waitFor();
  vip = (await api('GET', '/queues', at)).items.find((q) => q.id === 'vip');
  assert(vip.config.skills.polish === 5 && !('billing' in vip.config.skills) && vip.config.service_level_target === 80 &&
    vip.config.ring_timeout === '12s' && vip.config.overflow.queue === 'support' && vip.service_level_s === 15,
  'vip changed: ' + JSON.stringify(vip));
  step('queues: vip made with skills, timeouts, overflow and service level, then changed');

  // ---- a user: roles, skills with levels, queues, SIP credentials, auto_ready ----
  await tab('users');
  const uf = page.getByRole('form', { name: c['admin.user_form'] });
  await uf.getByLabel(c['login.username'], { exact: true }).fill('erik');
  await uf.getByLabel(c['admin.name'], { exact: true }).fill('Erik Nowak');
  await uf.getByLabel(c['login.password'], { exact: true }).fill('erik-secret-1');
  await uf.getByLabel(c['role.agent'], { exact: true }).check();
  await uf.getByLabel(c['role.supervisor'], { exact: true }).check();
  await uf.getByLabel(c['admin.sip_user'], { exact: true }).fill('erik');
  await uf.getByLabel(c['admin.sip_password'], { exact: true }).fill('erik-sip-pw');
  await uf.getByLabel(c['admin.skills'], { exact: true }).fill('polish:4, billing:2');
  await uf.getByLabel(c['admin.member_of'], { exact: true }).fill('vip:0, support:2');
  await uf.getByLabel(c['admin.auto_ready'], { exact: true }).check();
  await uf.getByRole('button', { name: c['admin.save'] }).click();
  await page.locator('tr[data-user=erik]').filter({ hasText: 'polish:4' }).waitFor();
  let erik = await api('GET', '/users/erik', at);
  assert(erik.roles.includes('agent') && erik.roles.includes('supervisor') && erik.skills.polish === 4 && erik.skills.billing === 2 &&
    erik.queues.vip === 0 && erik.queues.support === 2 && erik.auto_ready === true && erik.sip && erik.sip.user === 'erik' &&
    !('password' in erik) && !('password' in erik.sip), 'erik stored: ' + JSON.stringify(erik));
  // He logs in through the login page, in a browser of his own: a supervisor too.
  const other = await newPage(browser, 'en');
  await login(other, { tenant: T, username: 'erik', password: 'erik-secret-1', lang: 'en' });
  await other.getByRole('link', { name: c['nav.wallboard'] }).waitFor();
  // His phone registers with the SIP password typed in the form; auto_ready makes him ready.
  signal('user.made');
  await waitFile('user.registered');
  const erikState = async () => ((await api('GET', '/agents', at)).items.find((x) => x.username === 'erik') || {}).state;
  await until(async () => (await erikState()) === 'ready', 'erik ready by his registered phone', 15000)
    .catch(async (e) => { throw new Error(e.message + ': ' + await erikState()); });
  await other.getByTestId('agent-state').filter({ hasText: c['state.ready'] }).waitFor();
  step('users: erik made (agent, supervisor, skills, queues, SIP, auto_ready), logged in, ready by his registered phone');
  // Changed: no longer a supervisor, a new skill level and password.
  await page.getByRole('button', { name: c['admin.edit_named'].replace('{name}', 'erik') }).click();
  assert(await uf.getByLabel(c['admin.skills'], { exact: true }).inputValue() === 'polish:4, billing:2', 'the form has his skills');
  await uf.getByLabel(c['role.supervisor'], { exact: true }).uncheck();
  await uf.getByLabel(c['admin.skills'], { exact: true }).fill('polish:1, billing:2');
  await uf.getByLabel(c['login.password'], { exact: true }).fill('erik-secret-2');
  await uf.getByRole('button', { name: c['admin.save'] }).click();
  await page.locator('tr[data-user=erik]').filter({ hasText: 'polish:1' }).waitFor();
  erik = await api('GET', '/users/erik', at);
  assert(!erik.roles.includes('supervisor') && erik.roles.includes('agent') && erik.skills.polish === 1 && erik.sip.user === 'erik' &&
    erik.auto_ready === true, 'erik changed: ' + JSON.stringify(erik));
  const old = await fetch(BASE + '/api/v1/login', { method: 'POST', body: JSON.stringify({ tenant: T, username: 'erik', password: 'erik-secret-1' }) });
  assert(old.status === 401, 'the old password is refused: ' + old.status);
  await other.getByRole('button', { name: c['app.logout'], exact: true }).click();
  await login(other, { tenant: T, username: 'erik', password: 'erik-secret-2', lang: 'en' });
  await other.getByRole('link', { name: c['nav.agent'] }).waitFor();
  assert(await other.getByRole('link', { name: c['nav.wallboard'] }).count() === 0, 'no wallboard for an agent who is no longer a supervisor');
  await other.context().close();
  step('users: erik changed (no longer supervisor, skill level, password): the old password refused, the new one logs in without the wallboard');

  // ---- a webhook: the secret shown once, a signed delivery, the log, removal ----
  await tab('webhooks');
  const ws = page.getByRole('region', { name: c['admin.webhooks'] });
  await ws.getByLabel(c['admin.id'], { exact: true }).fill('crm');
  await ws.getByLabel(c['admin.url'], { exact: true }).fill(`http://127.0.0.1:${receiver.address().port}/hook`);
  await ws.getByLabel(c['admin.events'], { exact: true }).fill('agent.state');
  await ws.getByRole('button', { name: c['admin.create'] }).click();
  const shown = ws.getByRole('status').filter({ hasText: c['admin.secret_once'] });
  const secret = (await shown.locator('code').innerText()).trim();
  assert(secret.length >= 16, 'a secret is shown: ' + secret);
  await ws.locator('tr[data-webhook=crm]').waitFor();
  const listed = await api('GET', '/webhooks', at);
  assert(!JSON.stringify(listed).includes(secret), 'the list never has the secret');
  // Shown once: away and back, it is gone from the page.
  await tab('keys');
  await tab('webhooks');
  await ws.locator('tr[data-webhook=crm]').waitFor();
  assert(!(await page.locator('body').innerText()).includes(secret), 'the secret is not shown again');
  // An event: erik goes not ready; the receiver gets it signed with that secret.
  await api('PUT', '/agents/me/state', await apiLogin(T, 'erik', 'erik-secret-2'), { state: 'not_ready' });
  const got = await until(async () => received.find((r) => r.headers['x-centrala-event'] === 'agent.state'), 'the webhook\'s delivery', 20000);
  const want = 'sha256=' + createHmac('sha256', secret).update(got.headers['x-centrala-timestamp'] + '.' + got.body).digest('hex');
  assert(got.headers['x-centrala-signature'] === want, 'signed with the secret shown: ' + got.headers['x-centrala-signature']);
  assert(JSON.parse(got.body).data.agent === 'erik', 'the event is erik\'s: ' + got.body);
  await ws.locator('tr[data-webhook=crm]').getByRole('button', { name: c['admin.deliveries'] }).click();
  await page.getByRole('heading', { name: c['admin.deliveries_of'].replace('{id}', 'crm') }).waitFor();
  await until(async () => {
    if (await page.locator('tr[data-delivery]').filter({ hasText: 'delivered' }).count()) return true;
    await ws.locator('tr[data-webhook=crm]').getByRole('button', { name: c['admin.deliveries'] }).click();
    return false;
  }, 'a delivered entry in the log');
  await page.locator('tr[data-delivery]').filter({ hasText: 'agent.state' }).first().waitFor();
  await ws.getByRole('button', { name: c['admin.delete_named'].replace('{name}', 'crm') }).click();
  await ws.locator('tr[data-webhook=crm]').waitFor({ state: 'detached' });
  assert(!(await api('GET', '/webhooks', at)).items.some((w) => w.id === 'crm'), 'crm removed on the server');
  const n = received.length;
  await api('PUT', '/agents/me/state', await apiLogin(T, 'erik', 'erik-secret-2'), { state: 'ready' });
  await new Promise((r) => setTimeout(r, 1500));
  assert(received.length === n, 'nothing delivered once it is removed');
  step('webhooks: crm made (secret shown once), a signed delivery received and in the log, removed');

  // ---- an API key: shown once, works, revoked → 401 ----
  await tab('keys');
  const ks = page.getByRole('region', { name: c['admin.keys'] });
  await ks.getByLabel(c['admin.name'], { exact: true }).fill('crm sync');
  await ks.getByLabel(c['role.supervisor'], { exact: true }).check();
  await ks.getByRole('button', { name: c['admin.create'] }).click();
  const key = (await ks.getByRole('status').filter({ hasText: c['admin.key_once'] }).locator('code').innerText()).trim();
  assert(key.startsWith('ck_'), 'a key is shown: ' + key.slice(0, 3));
  await ks.locator('tr[data-key]').filter({ hasText: 'crm sync' }).waitFor();
  assert(!JSON.stringify(await api('GET', '/keys', at)).includes(key), 'the list never has the key');
  const withKey = () => fetch(BASE + '/api/v1/agents', { headers: { Authorization: 'Bearer ' + key } });
  let r = await withKey();
  assert(r.status === 200 && (await r.json()).items.some((a) => a.username === 'erik'), 'the key reads the agents: ' + r.status);
  await tab('users');
  await tab('keys');
  assert(!(await page.locator('body').innerText()).includes(key), 'the key is not shown again');
  await ks.getByRole('button', { name: c['admin.revoke_named'].replace('{name}', 'crm sync') }).click();
  await ks.locator('tr[data-key]').filter({ hasText: 'crm sync' }).waitFor({ state: 'detached' });
  r = await withKey();
  assert(r.status === 401, 'the revoked key is refused: ' + r.status);
  step('keys: made (shown once), read the agents, revoked: 401');

  // ---- the audit log in pages ----
  for (let i = 0; i < 50; i++) {
    await api('POST', '/reason-codes', at, { code: 'r' + i });
    await api('DELETE', '/reason-codes/r' + i, at);
  }
  const walk = async (limit) => {
    const all = [];
    let cursor = null, pages = 0;
    do {
      const r = await api('GET', '/audit?limit=' + limit + (cursor ? '&cursor=' + cursor : ''), at);
      assert(r.items.length <= limit && (r.next === null || r.items.length === limit), 'a page of ' + limit + ': ' + r.items.length + ' next ' + r.next);
      all.push(...r.items);
      cursor = r.next;
      pages++;
    } while (cursor);
    return [all, pages];
  };
  const [whole] = await walk(1000);
  const [paged, pages] = await walk(7);
  assert(whole.length > 100 && pages === Math.ceil(whole.length / 7), `${whole.length} entries, ${pages} pages of 7`);
  assert(JSON.stringify(paged.map((x) => x.id)) === JSON.stringify(whole.map((x) => x.id)), 'the pages make the whole log, in order, once each');
  assert([...whole.map((x) => x.id)].sort().join() === whole.map((x) => x.id).join(), 'by id');
  const first = await api('GET', '/audit', at);
  assert(first.items.length === 100 && first.next === first.items[99].id, 'a page of 100 by default, next its last id');
  for (const bad of ['limit=0', 'limit=1001', 'limit=x', 'cursor=../x']) {
    const r = await fetch(BASE + '/api/v1/audit?' + bad, { headers: { Authorization: 'Bearer ' + at } });
    assert(r.status === 400, bad + ': ' + r.status);
  }
  await tab('audit');
  const rows = page.locator('tr[data-audit]');
  const more = page.getByRole('button', { name: c['admin.more'], exact: true });
  await until(async () => (await rows.count()) === 50, 'a first page of 50');
  for (let shown = 50; shown < whole.length;) {
    await more.click();
    const want = Math.min(whole.length, shown + 50);
    await until(async () => (await rows.count()) === want, want + ' rows after More');
    shown = want;
  }
  assert(await more.count() === 0, 'no More after the last page');
  const ids = await rows.evaluateAll((rs) => rs.map((r) => r.dataset.audit));
  assert(ids.join() === whole.map((x) => x.id).join(), 'the page shows the whole log once, in order');
  step(`audit: ${whole.length} entries in pages (API: pages of 7 and 100, bad limit and cursor refused; page: 50 at a time with More)`);
  console.log('admin: ok');
} catch (err) {
  await failed(page, 'admin');
  throw err;
} finally {
  receiver.close();
  await close(browser);
}
