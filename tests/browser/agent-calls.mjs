// The agent desktop's calls with more parties, in a real browser against SIPp phones
// (tests/browser/t-web-agent-calls.sh): the first caller is nobody the CRM knows (the
// server makes him a contact without a name), and alice names him in the screen pop's
// card; she consults a number (the
// SIPp carrier answers) and goes back to the caller, then transfers him blind to the
// queue sales, where bob's phone answers. In the wrap-up she clicks the new contact's
// number: her phone rings, then the carrier with that number; she hangs up with Alt+X.
// The second caller is held while alice leaves the desktop for another screen: back,
// the call's controls are there, on hold; she resumes and sends the caller blind to
// bob, picked from the directory.
import { launch, close, newPage, login, step, assert, apiLogin, api, until, signal, catalogues, failed } from './lib.mjs';

const { CALLER1, CALLER2, CONSULT } = process.env;
const browser = await launch();
let page;
try {
  const c = catalogues.en;
  const sue = await apiLogin('acme', 'sue', 'sue-secret');
  const alice = await apiLogin('acme', 'alice', 'alice-secret');
  const calls = async () => (await api('GET', '/calls', sue)).items;
  const mine = async () => (await calls()).find((x) => x.agent === 'alice');
  page = await newPage(browser, 'en');
  await login(page, { tenant: 'acme', username: 'alice', password: 'alice-secret', lang: 'en' });
  const state = page.getByTestId('agent-state');
  await page.getByRole('button', { name: c['agent.go_ready'], exact: true }).click();
  await state.filter({ hasText: c['state.ready'] }).waitFor();
  signal('web.call1');

  // 1. An unknown caller: the server made him a contact with no name, his number; the
  // card offers it for editing.
  await page.getByTestId('caller-number').filter({ hasText: CALLER1 }).waitFor({ timeout: 30000 });
  const card = page.getByTestId('contact-card');
  await page.getByTestId('contact-name').filter({ hasText: c['contact.unnamed'] }).waitFor();
  await card.getByRole('button', { name: c['contact.edit'], exact: true }).click();
  assert((await card.getByLabel(c['contact.phones']).inputValue()).includes(CALLER1), 'the form holds the caller\'s number');
  await card.getByLabel(c['contact.first_name']).fill('Ewa');
  await card.getByLabel(c['contact.last_name']).fill('Lis');
  await card.getByRole('button', { name: c['contact.save'] }).click();
  await page.getByTestId('contact-name').filter({ hasText: 'Ewa Lis' }).waitFor();
  const ewa = await until(async () => (await api('GET', '/contacts?phone=' + CALLER1, sue)).items.find((x) => x.first_name === 'Ewa'), 'the new contact');
  step(`unknown caller: contact ${ewa.id} named from the screen pop`);

  // 2. A consultation with a number (the carrier answers), cancelled: back to the caller.
  const controls = page.getByRole('region', { name: c['call.title'] });
  await controls.waitFor({ timeout: 20000 });
  const ix1 = (await until(mine, 'alice on the call')).interaction;
  await controls.getByRole('combobox', { name: c['call.target_kind'] }).selectOption('number');
  await controls.getByRole('combobox', { name: c['call.target'] }).fill(CONSULT);
  await controls.getByRole('button', { name: c['call.attended'] }).click();
  await controls.getByRole('button', { name: c['call.cancel'] }).waitFor();
  await until(async () => (await mine()).third_party === 'consult', 'the consultation on the server');
  // alice talks with the consulted party a moment: the carrier answers after 300 ms
  // (neither the page nor GET /calls tells a ringing consultation from an answered one,
  // and the SIPp carrier does not answer a CANCEL with 487).
  await new Promise((r) => setTimeout(r, 3000));
  const events = async (ix) => (await api('GET', '/interactions/' + ix, sue)).timeline.map((e) => e.event);
  step('consulting ' + CONSULT);
  await controls.getByRole('button', { name: c['call.cancel'] }).click();
  await controls.getByRole('button', { name: c['call.attended'] }).waitFor();
  await until(async () => { const x = await mine(); return x && x.interaction === ix1 && !x.third_party; }, 'back to the caller alone');
  step('consultation cancelled: alice and the caller alone again');

  // 3. Blind to the queue sales: bob's phone answers, alice's leg is released.
  await controls.getByRole('combobox', { name: c['call.target_kind'] }).selectOption('queue');
  await controls.getByRole('combobox', { name: c['call.target'] }).fill('sales');
  await controls.getByRole('button', { name: c['call.blind'] }).click();
  await controls.waitFor({ state: 'detached' });
  await until(async () => (await calls()).some((x) => x.interaction === ix1 && x.agent === 'bob'), 'the caller with bob');
  step('blind transfer to the queue sales: bob has the caller');

  // 4. Click-to-dial on the new contact's number in the card.
  await card.getByRole('button', { name: c['contact.dial'].replace('{number}', ewa.phones[0]) }).click();
  await controls.waitFor({ timeout: 20000 });
  const out = await until(async () => { const x = await mine(); return x && x.interaction !== ix1 && x.state === 'talking' ? x : null; }, 'the call to Ewa');
  assert(out.to.replace(/^\+/, '') === CALLER1, 'dialled the contact\'s number: ' + out.to);
  step('click-to-dial: alice\'s phone, then ' + out.to + ' through the carrier');
  await page.keyboard.press('Alt+KeyX');
  await controls.waitFor({ state: 'detached' });
  const wrap = page.getByRole('form', { name: c['wrap.title'] });
  await wrap.waitFor();
  await wrap.locator('select[name=disposition]').selectOption('sale');
  await wrap.getByRole('button', { name: c['wrap.done'] }).click();
  await wrap.waitFor({ state: 'detached' });
  await state.filter({ hasText: c['state.ready'] }).waitFor();
  await until(async () => (await api('GET', '/agents/me', alice)).state === 'ready', 'alice ready again');
  // Stored once bob's phone hangs up (after 2 s).
  const t1 = await until(async () => { const e = await events(ix1); return e.includes('transferred') ? e : null; }, 'the first call stored', 30000);
  assert(t1.indexOf('consult') >= 0 && t1.indexOf('third_party_left') > t1.indexOf('consult') &&
    t1.lastIndexOf('transferred') > t1.indexOf('third_party_left'), 'consulted, back, then transferred: ' + t1.join(' '));
  signal('web.call2');

  // 5. Blind to bob, from the directory.
  await page.getByTestId('caller-number').filter({ hasText: CALLER2 }).waitFor({ timeout: 30000 });
  await controls.waitFor({ timeout: 20000 });
  const ix2 = (await until(mine, 'alice on the second call')).interaction;
  // The desktop left for another screen and opened again during the call: the call's
  // controls (still on hold) and its screen pop come back from GET /agents/me.
  await page.keyboard.press('Alt+KeyH');
  await page.getByTestId('held').waitFor();
  await page.getByRole('link', { name: c['nav.contacts'] }).click();
  await controls.waitFor({ state: 'detached' });
  await page.getByRole('link', { name: c['nav.agent'] }).click();
  await controls.waitFor();
  await page.getByTestId('held').waitFor();
  await page.getByTestId('caller-number').filter({ hasText: CALLER2 }).waitFor();
  await controls.getByRole('button', { name: c['call.resume'] }).click();
  await page.getByTestId('held').waitFor({ state: 'detached' });
  await until(async () => (await mine()).held === false, 'resumed on the server');
  step('the desktop opened again during the call: its controls, on hold; resumed');
  await controls.getByRole('combobox', { name: c['call.target_kind'] }).selectOption('user');
  await page.locator('#call-directory option[value=bob]').waitFor({ state: 'attached' });
  const label = await page.locator('#call-directory option[value=bob]').textContent();
  assert(label.includes('Bob Kran'), 'bob in the directory with his name and presence: ' + label);
  await controls.getByRole('combobox', { name: c['call.target'] }).fill('bob');
  await controls.getByRole('button', { name: c['call.blind'] }).click();
  await controls.waitFor({ state: 'detached' });
  await until(async () => (await calls()).some((x) => x.interaction === ix2 && x.agent === 'bob'), 'the second caller with bob');
  step('blind transfer to bob: ' + label);
  console.log('agent calls: ok');
} catch (err) {
  await failed(page, 'agent-calls');
  throw err;
} finally {
  await close(browser);
}
