// The agent desktop's SMS conversations in a real browser, against a real server bound
// to an SMSC written from SMPP 3.4 (tests/channels/smsc.py; tests/browser/t-web-sms.sh
// starts it and has it deliver the customer's text when this script signals web.ready).
// alice, in Russian, sees the offered text from the customer's number (markup in it
// shown as text), accepts it, sees the length of her reply in characters and parts,
// sends it: the SMSC gets it in UCS-2 and its receipt shows it delivered; she closes the conversation and it leaves the
// screen.
import { connect } from 'node:net';
import { launch, close, newPage, login, shoot, step, assert, apiLogin, api, until, signal, catalogues, failed } from './lib.mjs';

const c = catalogues.ru;
const smsc = (cmd) => new Promise((res, rej) => {
  const s = connect(Number(process.env.SMSC_CTL), '127.0.0.1', () => s.write(JSON.stringify(cmd) + '\n'));
  let buf = '';
  s.on('data', (d) => {
    buf += d;
    if (buf.includes('\n')) { s.end(); res(JSON.parse(buf)); }
  });
  s.on('error', rej);
});
const browser = await launch();
let page;
try {
  page = await newPage(browser, 'ru');
  await login(page, { tenant: 'acme', username: 'alice', password: 'alice-secret', lang: 'ru' });
  await page.getByRole('button', { name: c['agent.go_ready'], exact: true }).click();
  await page.getByTestId('agent-state').filter({ hasText: c['state.ready'] }).waitFor();
  signal('web.ready');

  const conv = page.getByTestId('sms-conversation');
  await conv.waitFor({ timeout: 30000 });
  await conv.getByTestId('sms-from').filter({ hasText: '+79161234567' }).waitFor();
  const text = await conv.getByTestId('sms-message').first().locator('.email-body').textContent();
  assert(text === 'Привет! <b>срочно</b>', 'the text is shown as text: ' + text);
  assert((await conv.locator('b').count()) === 0, 'no element of the customer\'s markup is rendered');
  await shoot(page, 'agent-sms-offered', 'ru');
  step('offered text shown as text');

  await conv.getByRole('button', { name: c['email.accept'], exact: true }).click();
  const box = conv.getByRole('textbox', { name: c['email.reply'] });
  const reply = 'Здравствуйте! Заказ 42 уже в пути.';
  await box.fill(reply);
  await conv.getByTestId('sms-length').filter({ hasText: c['sms.length'].replace('{chars}', String([...reply].length)).replace('{parts}', '1') }).waitFor();
  await conv.getByRole('button', { name: c['email.send'], exact: true }).click();
  await conv.getByRole('status').filter({ hasText: c['email.sent'] }).waitFor();
  const sub = await until(async () => (await smsc({ cmd: 'state' })).submits[0], 'the reply at the SMSC', 20000);
  assert(sub.text === reply && sub.data_coding === 8 && sub.to === '79161234567', 'the reply at the SMSC: ' + JSON.stringify(sub));
  await conv.getByTestId('sms-message').nth(1).waitFor();
  await smsc({ cmd: 'receipt', id: 'M1', stat: 'DELIVRD', from: '79161234567', to: '74951234567' });
  await conv.getByTestId('sms-receipt').filter({ hasText: c['sms.delivered'] }).waitFor();
  await shoot(page, 'agent-sms-replied', 'ru');
  step('reply sent in UCS-2, delivered');

  await conv.getByRole('button', { name: c['email.close'], exact: true }).click();
  await conv.waitFor({ state: 'detached' });
  const at = await apiLogin('acme', 'alice', 'alice-secret');
  const me = await api('GET', '/agents/me', at);
  assert(me.state === 'ready', 'alice is free again: ' + me.state);
  step('closed, alice free');
  console.log('agent SMS desktop: ok');
} catch (err) {
  await failed(page, 'sms');
  throw err;
} finally {
  await close(browser);
}
