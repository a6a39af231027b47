// The agent desktop's email conversations in a real browser, against a real server whose
// queue reads a real Dovecot mailbox and sends through a real SMTP receiver
// (tests/browser/t-web-email.sh starts them and delivers the customer's message when
// this script signals web.ready). alice, in Polish, sees the offered email with its text
// shown as text (markup in the customer's message is never rendered: no element of it
// appears), accepts it, writes a reply and sends it: the SMTP receiver gets it threaded
// with the customer's text quoted; she hands the conversation to bob (refused while he is
// logged out), it leaves her screen, and bob accepts and closes it through the API.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, close, newPage, login, shoot, step, assert, apiLogin, api, until, signal, catalogues, failed } from './lib.mjs';

const c = catalogues.pl;
const spool = process.env.SPOOL;
const browser = await launch();
let page;
try {
  page = await newPage(browser, 'pl');
  await login(page, { tenant: 'acme', username: 'alice', password: 'alice-secret', lang: 'pl' });
  await page.getByRole('button', { name: c['agent.go_ready'], exact: true }).click();
  await page.getByTestId('agent-state').filter({ hasText: c['state.ready'] }).waitFor();
  signal('web.ready');

  const conv = page.getByTestId('email-conversation');
  await conv.waitFor({ timeout: 30000 });
  await conv.getByTestId('email-from').filter({ hasText: 'jan@customer.test' }).waitFor();
  const body = conv.getByTestId('email-message').first().locator('.email-body');
  const text = await body.textContent();
  assert(text.includes('<img src=x onerror="window.pwned=1">'), 'the markup is shown as text: ' + text);
  assert((await conv.locator('img').count()) === 0, 'no element of the customer\'s markup is rendered');
  assert(!(await page.evaluate(() => window.pwned)), 'nothing of the message ran');
  await shoot(page, 'agent-email-offered', 'pl');
  step('offered email shown as text');

  await conv.getByRole('button', { name: c['email.accept'], exact: true }).click();
  const box = conv.getByRole('textbox', { name: c['email.reply'] });
  await box.fill('Dzień dobry, wysyłamy nową lampę.');
  await conv.getByRole('button', { name: c['email.send'], exact: true }).click();
  await conv.getByRole('status').filter({ hasText: c['email.sent'] }).waitFor();
  const reply = await until(() => {
    const files = readdirSync(spool).filter((f) => f.endsWith('.eml')).sort();
    const all = files.map((f) => readFileSync(join(spool, f), 'latin1'));
    return Promise.resolve(all.find((m) => !/^Auto-Submitted:/mi.test(m)));
  }, 'the reply at the SMTP receiver', 20000);
  assert(/^In-Reply-To: <w1@customer\.test>/m.test(reply), 'the reply is threaded: ' + reply.slice(0, 600));
  assert(/^References: <w1@customer\.test>/m.test(reply), 'References holds the thread');
  step('reply sent, threaded');
  await conv.getByTestId('email-message').nth(1).waitFor();
  await shoot(page, 'agent-email-replied', 'pl');

  // Handed to bob: refused while he is logged out (alice keeps it), offered once he is
  // ready; the conversation leaves alice's desk, bob accepts and closes it.
  const ix = await conv.getAttribute('data-interaction');
  await conv.locator('input[name=email-transfer-agent]').fill('bob');
  await conv.getByRole('button', { name: c['chat.transfer_agent_go'], exact: true }).click();
  await conv.getByRole('alert').filter({ hasText: 'not logged in' }).waitFor();
  const bt = await apiLogin('acme', 'bob', 'bob-secret');
  await api('PUT', '/agents/me/state', bt, { state: 'ready' });
  await conv.getByRole('button', { name: c['chat.transfer_agent_go'], exact: true }).click();
  await conv.waitFor({ state: 'detached' });
  step('handed to bob: refused while he was logged out, then offered to him');
  const acc = await api('POST', `/interactions/${ix}/accept`, bt);
  assert(acc.agent === 'bob' && acc.messages.length >= 2, 'bob holds it with its history: ' + JSON.stringify(acc).slice(0, 300));
  await api('POST', `/interactions/${ix}/close`, bt);
  const rec = await until(async () => {
    const g = await api('GET', '/interactions/' + ix, bt);
    return g.ended ? g : null;
  }, 'the closed conversation recorded');
  assert(rec.timeline.some((e) => e.event === 'transferred' && e.from === 'alice' && e.to_agent === 'bob'),
    'the transfer on the timeline: ' + rec.timeline.map((e) => e.event).join(','));
  assert(rec.agent === 'bob', 'the record names bob: ' + rec.agent);
  const at = await apiLogin('acme', 'alice', 'alice-secret');
  const me = await api('GET', '/agents/me', at);
  assert(me.state === 'ready', 'alice is free again: ' + me.state);
  step('bob accepted and closed it, alice free');
  console.log('agent email desktop: ok');
} catch (err) {
  await failed(page, 'email');
  throw err;
} finally {
  await close(browser);
}
