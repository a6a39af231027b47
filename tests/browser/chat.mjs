// The web chat in a real browser (tests/browser/t-web-chat.sh starts the server). A
// company's page (shop.html, served by Python's http.server on another port: another
// origin than the server's)
// includes <script src=".../chat.js" data-tenant="acme" data-topics="support,sales">; its
// visitors chat through the iframe the script opens, and alice answers on her desktop in
// Polish. Checked: the public socket's limits, messages both ways with typing, delivery
// and read marks, markup shown as text on both sides, a reload that resumes the chat with
// its history, three chats held at once (chat capacity 3) while a fourth waits in the
// queue with its position until one is closed, a visitor who ends the chat, and every
// message on the interaction's timeline with its time and author.
import { launch, close, newPage, login, shoot, step, assert, apiLogin, api, until, catalogues, failed, BASE } from './lib.mjs';

const c = catalogues.pl;
const HOST = process.env.SHOP_URL;

const browser = await launch();
let desk, current;

/* A visitor's page in its own browser context (its own storage), language `lang`. */
async function visitor(lang) {
  const page = await newPage(browser, lang);
  page.on('console', (m) => step(`console (${lang}): ${m.text()}`));
  page.on('requestfailed', (r) => step(`request failed (${lang}): ${r.url()} ${r.failure() && r.failure().errorText}`));
  await page.goto(HOST);
  await page.locator('[data-centrala-chat-button]').click();
  const frame = page.frameLocator('iframe[data-centrala-chat]');
  return { page, frame, lang, cat: catalogues[lang] };
}

async function startChat(v, name, contact, topic) {
  current = v.page;
  const f = v.frame;
  await f.locator('input[name=name]').fill(name);
  await f.locator('input[name=contact]').fill(contact);
  if (topic) await f.locator('select[name=topic]').selectOption(topic);
  await f.getByRole('button', { name: v.cat['chatw.start'], exact: true }).click();
  await f.getByTestId('chat-status').waitFor();
}

const status = (v) => v.frame.getByTestId('chat-status').textContent();
const agentChats = () => desk.getByTestId('agent-chat');
const chatOf = (who) => agentChats().filter({ hasText: who });

try {
  desk = await newPage(browser, 'pl');
  current = desk;
  await login(desk, { tenant: 'acme', username: 'alice', password: 'alice-secret', lang: 'pl' });
  await desk.getByRole('button', { name: c['agent.go_ready'], exact: true }).click();
  await desk.getByTestId('agent-state').filter({ hasText: c['state.ready'] }).waitFor();

  // The public socket's limits, spoken to directly from a page of centrala's origin.
  const probe = await newPage(browser, 'en');
  current = probe;
  await probe.goto(BASE + '/chat.html?tenant=acme&queue=sales');
  const limits = await probe.evaluate(async () => {
    const url = location.origin.replace('http', 'ws') + '/api/v1/public/chat?tenant=acme';
    const got = [];
    const ws = new WebSocket(url);
    const wait = (f, ms = 5000) => new Promise((ok) => {
      const end = Date.now() + ms;
      const tick = () => (f() || Date.now() > end ? ok(f()) : setTimeout(tick, 20));
      tick();
    });
    ws.onmessage = (e) => got.push(JSON.parse(e.data));
    await wait(() => ws.readyState === 1);
    ws.send(JSON.stringify({ type: 'message', text: 'before a chat' }));
    await wait(() => got.some((m) => m.code === 'no_chat'));
    ws.send(JSON.stringify({ type: 'start', name: 'Probe', topic: 'sales' }));
    await wait(() => got.some((m) => m.code === 'invalid_field'));
    ws.send(JSON.stringify({ type: 'start', name: 'Probe', email: 'probe@example.test', topic: 'nope' }));
    await wait(() => got.some((m) => m.code === 'unknown_queue'));
    ws.send(JSON.stringify({ type: 'start', name: 'Probe', email: 'probe@example.test', topic: 'sales' }));
    await wait(() => got.some((m) => m.type === 'started'));
    ws.send(JSON.stringify({ type: 'message', text: 'x'.repeat(501) }));
    await wait(() => got.some((m) => m.code === 'too_large'));
    for (let i = 0; i < 12; i++) ws.send(JSON.stringify({ type: 'message', text: 'm' + i }));
    await wait(() => got.some((m) => m.code === 'rate_limited'));
    await wait(() => got.filter((m) => m.type === 'message').length >= 6, 2000);
    ws.send(JSON.stringify({ type: 'close' }));
    await wait(() => got.some((m) => m.type === 'closed'));
    ws.close();
    return got;
  });
  const codes = limits.filter((m) => m.type === 'error').map((m) => m.code);
  for (const code of ['no_chat', 'invalid_field', 'unknown_queue', 'too_large', 'rate_limited'])
    assert(codes.includes(code), `the socket answers ${code}: ` + JSON.stringify(codes));
  const taken = limits.filter((m) => m.type === 'message').length;
  assert(taken >= 5 && taken <= 7, `a burst of 12 messages at 3/s (burst 6) took ${taken}`);
  assert(limits.some((m) => m.type === 'closed' && m.by === 'visitor'), 'closed by the visitor');
  await probe.context().close();
  step(`limits: ${codes.join(', ')}; ${taken} of 12 messages of a burst taken`);

  // Visitor 1 (English) writes to support, known to the CRM by the address; alice accepts.
  const at = await apiLogin('acme', 'alice', 'alice-secret');
  const jan = await api('POST', '/contacts', at, { first_name: 'Jan', last_name: 'Kowalski', emails: ['jan@customer.test'] });
  const v1 = await visitor('en');
  await startChat(v1, 'Jan <b>Kowalski</b>', 'jan@customer.test', 'support');
  const chat1 = chatOf('jan@customer.test');
  await chat1.waitFor();
  assert((await chat1.locator('b').count()) === 0, 'the visitor\'s name is shown as text');
  current = desk;
  await chat1.getByRole('button', { name: c['chat.accept'], exact: true }).click();
  await v1.frame.getByTestId('chat-status').filter({ hasText: 'Alicja' }).waitFor();
  const s1 = await status(v1);
  assert(s1 === v1.cat['chatw.with_agent'].replace('{name}', 'Alicja'), 'the agent\'s first name only: ' + s1);
  step('visitor 1 connected to Alicja');

  // Both ways, typing, marks; markup stays text.
  current = v1.page;
  const evil = '<img src=x onerror="window.pwned=1"> Hello, my lamp arrived broken.';
  await v1.frame.locator('textarea[name=message]').fill(evil);
  await v1.frame.locator('textarea[name=message]').press('Enter');
  const inMsg = chat1.getByTestId('agent-chat-message').filter({ hasText: 'Hello, my lamp' });
  await inMsg.waitFor();
  assert((await inMsg.textContent()).includes('<img src=x'), 'the agent sees the markup as text');
  assert((await chat1.locator('img').count()) === 0, 'no element of the visitor\'s markup is rendered');
  assert(!(await desk.evaluate(() => window.pwned)), 'nothing of the visitor\'s message ran');
  // alice has seen it: the visitor's message is marked read.
  await v1.frame.getByTestId('chat-mark').filter({ hasText: '✓✓' }).waitFor();
  current = desk;
  const reply = chat1.getByRole('textbox', { name: c['chat.reply'] });
  await reply.pressSequentially('Dzień dobry, w czym', { delay: 20 });
  await v1.frame.getByTestId('chat-typing').waitFor();
  await reply.pressSequentially(' mogę pomóc?', { delay: 5 });
  await reply.press('Enter');
  const out1 = v1.frame.getByTestId('chat-message').filter({ hasText: 'Dzień dobry, w czym mogę pomóc?' });
  await out1.waitFor();
  assert((await out1.getAttribute('data-from')) === 'agent', 'the reply is the agent\'s');
  await v1.frame.getByTestId('chat-typing').waitFor({ state: 'detached' });
  await chat1.getByTestId('agent-chat-mark').filter({ hasText: '✓✓' }).waitFor();
  current = v1.page;
  await v1.frame.locator('textarea[name=message]').pressSequentially('It is', { delay: 20 });
  await chat1.getByTestId('agent-chat-typing').waitFor();
  await v1.frame.locator('textarea[name=message]').fill('');
  await shoot(desk, 'agent-chat', 'pl');
  await shoot(v1.page, 'visitor-chat', 'en');
  assert(!(await v1.page.evaluate(() => window.pwned)), 'nothing ran on the company\'s page');
  step('messages both ways, typing both ways, delivery and read marks');

  // A reload of the company's page: the same chat with its history.
  await v1.page.reload();
  await v1.frame.getByTestId('chat-status').filter({ hasText: 'Alicja' }).waitFor();
  await v1.frame.getByTestId('chat-message').filter({ hasText: 'Dzień dobry, w czym mogę pomóc?' }).waitFor();
  await v1.frame.getByTestId('chat-message').filter({ hasText: 'Hello, my lamp' }).waitFor();
  await v1.frame.locator('textarea[name=message]').fill('Back after a reload.');
  await v1.frame.locator('textarea[name=message]').press('Enter');
  await chat1.getByTestId('agent-chat-message').filter({ hasText: 'Back after a reload.' }).waitFor();
  step('reload resumed the chat with its history');

  // A network drop: the page says so, alice writes meanwhile, and the page catches up
  // when the network is back.
  await v1.page.context().setOffline(true);
  await v1.frame.getByRole('alert').filter({ hasText: v1.cat['chatw.offline'] }).waitFor();
  current = desk;
  await reply.fill('Napisane, gdy był Pan offline.');
  await reply.press('Enter');
  await chat1.getByTestId('agent-chat-message').filter({ hasText: 'Napisane, gdy' }).waitFor();
  await v1.page.context().setOffline(false);
  current = v1.page;
  await v1.frame.getByTestId('chat-message').filter({ hasText: 'Napisane, gdy był Pan offline.' }).waitFor({ timeout: 20000 });
  await v1.frame.getByRole('alert').filter({ hasText: v1.cat['chatw.offline'] }).waitFor({ state: 'detached' });
  step('a network drop: the chat resumed with what was written meanwhile');

  // Two more: alice holds three at once.
  const v2 = await visitor('pl');
  await startChat(v2, 'Anna Nowak', '+48 601 234 567', 'sales');
  const v3 = await visitor('ru');
  await startChat(v3, 'Иван Петров', 'ivan@example.test', 'support');
  current = desk;
  for (const who of ['+48601234567', 'ivan@example.test']) {
    const ch = chatOf(who);
    await ch.waitFor();
    await ch.getByRole('button', { name: c['chat.accept'], exact: true }).click();
  }
  await v2.frame.getByTestId('chat-status').filter({ hasText: 'Alicja' }).waitFor();
  await v3.frame.getByTestId('chat-status').filter({ hasText: 'Alicja' }).waitFor();
  assert((await agentChats().count()) === 3, 'three chats held');
  await shoot(v3.page, 'visitor-chat', 'ru');

  // A fourth waits: nothing offered to alice, its visitor sees its place in the queue.
  const v4 = await visitor('es');
  await startChat(v4, 'Lucía García', 'lucia@example.test', 'support');
  const queued = v4.cat['chatw.queued'].split('{position}')[0];
  await v4.frame.getByTestId('chat-status').filter({ hasText: queued.trim() }).waitFor();
  const s4 = await status(v4);
  assert(/1/.test(s4), 'the fourth is first in the queue: ' + s4);
  await shoot(v4.page, 'visitor-chat-queued', 'es');
  // The ACD offers at once when it can (it did for the three above); after this pause
  // the fourth is still not on alice's desk.
  await new Promise((r) => setTimeout(r, 1500));
  assert((await agentChats().count()) === 3, 'capacity 3: the fourth is not offered');
  step('three chats held, a fourth waits: ' + s4);

  // Chats per address: the page's five open (four visitors and this one) are the limit.
  current = v4.page;
  const refused = await v4.page.evaluate(async (base) => {
    const ws = new WebSocket(base.replace('http', 'ws') + '/api/v1/public/chat?tenant=acme');
    const got = [];
    ws.onmessage = (e) => got.push(JSON.parse(e.data));
    await new Promise((ok) => { ws.onopen = ok; });
    ws.send(JSON.stringify({ type: 'start', name: 'One', email: 'one@example.test', topic: 'sales' }));
    ws.send(JSON.stringify({ type: 'start', name: 'Two', email: 'two@example.test', topic: 'sales' }));
    const ws2 = new WebSocket(base.replace('http', 'ws') + '/api/v1/public/chat?tenant=acme');
    ws2.onmessage = (e) => got.push(JSON.parse(e.data));
    await new Promise((ok) => { ws2.onopen = ok; });
    await new Promise((r) => setTimeout(r, 300));
    ws2.send(JSON.stringify({ type: 'start', name: 'Two', email: 'two@example.test', topic: 'sales' }));
    const end = Date.now() + 5000;
    while (!got.some((m) => m.code === 'too_many') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    ws.send(JSON.stringify({ type: 'close' }));
    await new Promise((r) => setTimeout(r, 300));
    ws.close();
    ws2.close();
    return got;
  }, BASE);
  assert(refused.some((m) => m.code === 'already_started'), 'one chat per socket');
  assert(refused.some((m) => m.code === 'too_many'), 'the sixth chat from one address is refused: ' + JSON.stringify(refused));
  step('chats per address limited');

  // alice closes the first: the fourth is offered to her.
  current = desk;
  await chat1.getByRole('button', { name: c['chat.close'], exact: true }).click();
  await chat1.waitFor({ state: 'detached' });
  await v1.frame.getByTestId('chat-status').filter({ hasText: v1.cat['chatw.closed_agent'] }).waitFor();
  const chat4 = chatOf('lucia@example.test');
  await chat4.waitFor();
  await chat4.getByRole('button', { name: c['chat.accept'], exact: true }).click();
  await v4.frame.getByTestId('chat-status').filter({ hasText: 'Alicja' }).waitFor();
  step('closing one let the fourth in');
  // A canned answer of the tenant's.
  await chat4.locator('select[name=chat-canned]').selectOption('Dziękujemy za cierpliwość.');
  await chat4.getByRole('button', { name: c['chat.send'], exact: true }).click();
  await v4.frame.getByTestId('chat-message').filter({ hasText: 'Dziękujemy za cierpliwość.' }).waitFor();
  step('a canned answer sent');

  // The Polish visitor ends the chat: it leaves alice's desk.
  current = v2.page;
  await v2.frame.getByRole('button', { name: v2.cat['chatw.end'], exact: true }).click();
  await v2.frame.getByTestId('chat-status').filter({ hasText: v2.cat['chatw.closed'] }).waitFor();
  await chatOf('+48601234567').waitFor({ state: 'detached' });
  step('the visitor ended a chat');

  // alice hands the Russian chat to sales with its history: offered to her again there.
  current = v3.page;
  await v3.frame.locator('textarea[name=message]').fill('Лампа не работает.');
  await v3.frame.locator('textarea[name=message]').press('Enter');
  current = desk;
  const chat3 = chatOf('ivan@example.test');
  await chat3.getByTestId('agent-chat-message').filter({ hasText: 'Лампа не работает.' }).waitFor();
  await chat3.locator('select[name=chat-transfer]').selectOption('sales');
  await chat3.getByRole('button', { name: c['chat.transfer'], exact: true }).click();
  await chat3.getByRole('button', { name: c['chat.accept'], exact: true }).waitFor();
  await chat3.getByTestId('agent-chat-message').filter({ hasText: 'Лампа не работает.' }).waitFor();
  await chat3.getByRole('button', { name: c['chat.accept'], exact: true }).click();
  await chat3.getByRole('textbox', { name: c['chat.reply'] }).waitFor();
  await v3.frame.getByTestId('chat-status').filter({ hasText: 'Alicja' }).waitFor();
  step('transferred to sales with its history');

  // The record: every message with its time and author, the contact's address.
  const list = await until(async () => {
    const r = await api('GET', '/interactions?channel=chat', at);
    const done = r.items.find((x) => x.from === 'jan@customer.test' && x.ended);
    return done && r;
  }, 'the first chat in the store');
  const ix = list.items.find((x) => x.from === 'jan@customer.test');
  assert(ix.channel === 'chat' && ix.queue === 'support' && ix.agent === 'alice', 'the record: ' + JSON.stringify(ix));
  assert(ix.answered && ix.ended && ix.abandoned === false, 'answered and ended');
  assert(ix.contact === jan.id, 'matched to the CRM contact by email: ' + ix.contact + ' vs ' + jan.id);
  const tl = ix.timeline;
  const ins = tl.filter((e) => e.event === 'chat_in');
  const outs = tl.filter((e) => e.event === 'chat_out');
  assert(ins.length === 2 && outs.length === 2, 'two messages in, two out: ' + JSON.stringify(tl));
  assert(ins[0].text === evil && ins[0].from === 'jan@customer.test' && ins[0].ts, 'the visitor\'s message, its author and time');
  assert(outs[0].agent === 'alice' && outs[0].ts, 'the agent\'s message, its author and time');
  assert(tl.some((e) => e.event === 'closed' && e.by === 'agent'), 'closed by the agent');
  const ix2 = list.items.find((x) => x.from === '+48601234567');
  assert(ix2 && ix2.timeline.some((e) => e.event === 'closed' && e.by === 'visitor'), 'the second closed by its visitor');
  const ix3 = list.items.find((x) => x.from === 'ivan@example.test');
  assert(ix3 && ix3.queue === 'sales', 'the transferred chat is recorded in sales: ' + JSON.stringify(ix3 && ix3.queue));
  assert(ix3.timeline.some((e) => e.event === 'transferred' && e.from_queue === 'support' && e.queue === 'sales'), 'its transfer on the timeline');
  step('timelines recorded');
  console.log('web chat: ok');
} catch (err) {
  await failed(current, 'chat');
  throw err;
} finally {
  await close(browser);
}
