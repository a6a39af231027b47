// A web chat handed to a named agent (tests/browser/t-web-chat-transfer.sh starts the
// server). alice (English desktop) holds a visitor's chat and types a username into the
// transfer box: an unknown user, bob while logged out, and bob while he holds a chat
// already (chat capacity 1) are refused with their reason shown, and alice keeps the chat;
// then bob, ready and free, is offered it with its history, accepts, and the visitor sees
// his name and his answer. sue, a supervisor, watches the chat live from her wallboard
// (read-only, in Polish). The route's own refusals and the timeline through the API, and
// the open chat's messages read back from their rows in the store.
import { launch, close, newPage, login, shoot, step, assert, apiLogin, api, until, catalogues, failed, BASE } from './lib.mjs';

const c = catalogues.en;
const browser = await launch();
let current;

async function visitor(name, email) {
  const page = await newPage(browser, 'en');
  current = page;
  await page.goto(BASE + '/chat.html?tenant=acme&queue=support&lang=en');
  await page.locator('input[name=name]').fill(name);
  await page.locator('input[name=contact]').fill(email);
  await page.getByRole('button', { name: c['chatw.start'], exact: true }).click();
  await page.getByTestId('chat-status').waitFor();
  return page;
}

async function desk(username, password) {
  const page = await newPage(browser, 'en');
  current = page;
  await login(page, { tenant: 'acme', username, password, lang: 'en' });
  await page.getByRole('button', { name: c['agent.go_ready'], exact: true }).click();
  await page.getByTestId('agent-state').filter({ hasText: c['state.ready'] }).waitFor();
  return page;
}

/* The REST API answering with its status, refusals included. */
async function raw(method, path, token, body) {
  const r = await fetch(BASE + '/api/v1' + path, {
    method, headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function transfer(chat, to) {
  await chat.locator('input[name=chat-transfer-agent]').fill(to);
  await chat.getByRole('button', { name: c['chat.transfer_agent_go'], exact: true }).click();
}

try {
  const alice = await desk('alice', 'alice-secret');
  const at = await apiLogin('acme', 'alice', 'alice-secret');
  const st = await apiLogin('acme', 'sue', 'sue-secret');

  // Visitor 1 writes; alice accepts and answers.
  const v1 = await visitor('Jan Kowalski', 'jan@customer.test');
  const chat1 = alice.getByTestId('agent-chat').filter({ hasText: 'jan@customer.test' });
  await chat1.waitFor();
  current = alice;
  await chat1.getByRole('button', { name: c['chat.accept'], exact: true }).click();
  await v1.getByTestId('chat-status').filter({ hasText: 'Alicja' }).waitFor();
  current = v1;
  await v1.locator('textarea[name=message]').fill('My lamp arrived broken.');
  await v1.locator('textarea[name=message]').press('Enter');
  await chat1.getByTestId('agent-chat-message').filter({ hasText: 'My lamp arrived broken.' }).waitFor();
  const ix = await chat1.getAttribute('data-interaction');
  step('alice holds the chat ' + ix);

  // sue, a supervisor, watches it from her wallboard: the history first (from the store),
  // then each message as it comes; she has no box to write in.
  const sup = await newPage(browser, 'pl');
  current = sup;
  await login(sup, { tenant: 'acme', username: 'sue', password: 'sue-secret', lang: 'pl' });
  const p = catalogues.pl;
  await sup.getByRole('link', { name: p['nav.wallboard'] }).click();
  const row = sup.getByTestId('live-chat').filter({ hasText: 'jan@customer.test' });
  await row.waitFor();
  await row.getByRole('button', { name: p['live.watch'], exact: true }).click();
  const view = sup.getByTestId('live-chat-view');
  await view.getByTestId('live-chat-message').filter({ hasText: 'My lamp arrived broken.' }).waitFor();
  current = v1;
  await v1.locator('textarea[name=message]').fill('<b>It</b> is the blue one.');
  await v1.locator('textarea[name=message]').press('Enter');
  current = sup;
  const live = view.getByTestId('live-chat-message').filter({ hasText: '<b>It</b> is the blue one.' });
  await live.waitFor();
  assert((await live.getAttribute('data-from')) === 'visitor', 'the visitor\'s message');
  assert((await view.locator('b').count()) === 0, 'the visitor\'s markup is text on the wallboard');
  current = alice;
  await chat1.getByRole('textbox', { name: c['chat.reply'] }).fill('Let me look.');
  await chat1.getByRole('textbox', { name: c['chat.reply'] }).press('Enter');
  current = sup;
  await view.getByTestId('live-chat-message').filter({ hasText: 'Let me look.' }).waitFor();
  assert((await view.locator('textarea, input').count()) === 0, 'the supervisor\'s view is read-only');
  await shoot(sup, 'supervisor-live-chat', 'pl');
  step('sue watches the chat: its history, then the messages as they come');

  // The route's own refusals.
  const none = await raw('POST', `/interactions/${ix}/transfer`, at, {});
  assert(none.status === 400, 'nothing named: 400, got ' + none.status);
  const nobody = await raw('POST', '/interactions/no-such-id/transfer', at, { agent: 'bob' });
  assert(nobody.status === 404, 'no such interaction: 404, got ' + nobody.status);

  // An unknown user, then bob logged out: refused, alice keeps the chat.
  current = alice;
  await transfer(chat1, 'carol');
  await chat1.getByRole('alert').filter({ hasText: 'no agent with this username' }).waitFor();
  await transfer(chat1, 'bob');
  await chat1.getByRole('alert').filter({ hasText: 'not logged in' }).waitFor();
  assert(await chat1.isVisible(), 'alice still holds the chat');
  step('an unknown user and a logged-out agent refused with their reason');

  // bob logs in and takes a chat of his own (capacity 1): then he has no room.
  const bob = await desk('bob', 'bob-secret');
  const bt = await apiLogin('acme', 'bob', 'bob-secret');
  const v2 = await visitor('Ana Pérez', 'ana@customer.test');
  const chat2 = alice.getByTestId('agent-chat').filter({ hasText: 'ana@customer.test' });
  // alice is full (capacity 1): the second chat waits; handed over to bob it fills him.
  const list = await until(async () => {
    const r = await api('GET', '/interactions?channel=chat', st);
    return r.items.find((i) => i.from === 'ana@customer.test') ? r : null;
  }, 'the second chat recorded');
  const ix2 = list.items.find((i) => i.from === 'ana@customer.test').id;
  assert((await chat2.count()) === 0, 'alice, full, is not offered the second chat');
  current = alice;
  await transfer(chat1, 'bob');
  const bchat1 = bob.getByTestId('agent-chat').filter({ hasText: 'jan@customer.test' });
  await bchat1.waitFor();
  await chat1.waitFor({ state: 'detached' });
  step('bob, ready and free, is offered the chat; it leaves alice\'s desk');
  await row.filter({ hasText: 'bob' }).waitFor();
  assert((await bchat1.getByTestId('agent-chat-message').filter({ hasText: 'My lamp arrived broken.' }).count()) === 1,
    'bob sees the history');
  current = bob;
  await bchat1.getByRole('button', { name: c['chat.accept'], exact: true }).click();
  await v1.getByTestId('chat-status').filter({ hasText: 'Bogdan' }).waitFor();
  await bchat1.getByRole('textbox', { name: c['chat.reply'] }).fill('Bogdan here, I will send a new one.');
  await bchat1.getByRole('textbox', { name: c['chat.reply'] }).press('Enter');
  await v1.getByTestId('chat-message').filter({ hasText: 'Bogdan here' }).waitFor();
  step('bob accepted, the visitor sees his name and his answer');

  // alice, free again, takes the second chat and cannot hand it to bob: he is full.
  current = alice;
  await chat2.waitFor();
  await chat2.getByRole('button', { name: c['chat.accept'], exact: true }).click();
  await v2.getByTestId('chat-status').filter({ hasText: 'Alicja' }).waitFor();
  await transfer(chat2, 'bob');
  await chat2.getByRole('alert').filter({ hasText: 'no room' }).waitFor();
  const r = await raw('POST', `/interactions/${ix2}/transfer`, at, { agent: 'bob' });
  assert(r.status === 409 && r.body.error.code === 'agent_unavailable', 'no room: 409 agent_unavailable, got ' + JSON.stringify(r));
  step('an agent without room refused: ' + r.body.error.message);

  // While the chat is open, its messages are read from their rows: bob's answer is there
  // though the interaction's timeline was last written at his acceptance.
  const open = await until(async () => {
    const g = await api('GET', '/interactions/' + ix, st);
    return g.messages && g.messages.some((m) => m.text.startsWith('Bogdan here')) ? g : null;
  }, 'bob\'s answer among the stored messages');
  assert(!open.timeline.some((e) => e.event === 'chat_out' && e.agent === 'bob'), 'the timeline was not rewritten for a message');
  const rows = open.messages.map((m) => `${m.seq}:${m.from}:${m.agent || ''}:${m.text}`);
  assert(rows.length === 4 && rows[0] === '1:visitor::My lamp arrived broken.' &&
    rows[2] === '3:agent:alice:Let me look.' &&
    rows[3] === '4:agent:bob:Bogdan here, I will send a new one.', 'the rows: ' + JSON.stringify(rows));
  await view.getByTestId('live-chat-message').filter({ hasText: 'Bogdan here' }).waitFor();
  step('the open chat\'s messages read back from their rows');

  // bob closes; the record holds the transfer and the offer to bob after it.
  current = bob;
  const done = await raw('POST', `/interactions/${ix}/close`, bt);
  assert(done.status === 200, 'bob closes the chat: ' + done.status);
  const rec = await until(async () => {
    const g = await api('GET', '/interactions/' + ix, st);
    return g.ended ? g : null;
  }, 'the closed chat recorded');
  const names = rec.timeline.map((e) => e.event);
  const tr = rec.timeline.findIndex((e) => e.event === 'transferred' && e.to_agent === 'bob' && e.from === 'alice');
  assert(tr >= 0, 'the transfer on the timeline: ' + names.join(','));
  assert(rec.timeline.slice(tr).some((e) => e.event === 'offered' && e.agent === 'bob'), 'offered to bob after it');
  assert(rec.agent === 'bob', 'the record names bob: ' + rec.agent);
  assert(rec.queue === 'support', 'the record keeps its queue: ' + rec.queue);
  assert(rec.timeline.filter((e) => e.event === 'transferred').length === 1, 'the refusals left no transfer');
  step('the record: ' + names.join(' '));
  current = sup;
  await row.waitFor({ state: 'detached' });
  step('the closed chat leaves the supervisor\'s list');
} catch (err) {
  await failed(current, 'chat-transfer');
  console.error(err);
  process.exitCode = 1;
} finally {
  await close(browser);
}
