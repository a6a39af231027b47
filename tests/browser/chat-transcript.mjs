// A web chat's transcript by email (tests/browser/t-web-chat-transcript.sh starts the
// server, Dovecot and the SMTP receiver, and reads what was sent). A visitor in Russian
// chats with alice (English desktop); alice closes the chat; the visitor's page offers
// the transcript, and says once it was sent. A second visitor, who gave a phone number
// only, is told it cannot be sent.
import { launch, close, newPage, login, shoot, step, assert, catalogues, failed, BASE } from './lib.mjs';

const c = catalogues.en;
const ru = catalogues.ru;
const browser = await launch();
let current;

async function visitor(name, contact) {
  const page = await newPage(browser, 'ru');
  current = page;
  await page.goto(BASE + '/chat.html?tenant=acme&queue=support&lang=ru');
  await page.locator('input[name=name]').fill(name);
  await page.locator('input[name=contact]').fill(contact);
  await page.getByRole('button', { name: ru['chatw.start'], exact: true }).click();
  await page.getByTestId('chat-status').waitFor();
  return page;
}

async function chatWith(desk, v, who) {
  const chat = desk.getByTestId('agent-chat').filter({ hasText: who });
  await chat.waitFor();
  current = desk;
  await chat.getByRole('button', { name: c['chat.accept'], exact: true }).click();
  await v.getByTestId('chat-status').filter({ hasText: 'Alicja' }).waitFor();
  return chat;
}

try {
  const desk = await newPage(browser, 'en');
  current = desk;
  await login(desk, { tenant: 'acme', username: 'alice', password: 'alice-secret', lang: 'en' });
  await desk.getByRole('button', { name: c['agent.go_ready'], exact: true }).click();
  await desk.getByTestId('agent-state').filter({ hasText: c['state.ready'] }).waitFor();

  const v = await visitor('Иван', 'ivan@customer.test');
  const chat = await chatWith(desk, v, 'ivan@customer.test');
  current = v;
  await v.locator('textarea[name=message]').fill('Здравствуйте, лампа пришла разбитой.');
  await v.locator('textarea[name=message]').press('Enter');
  await chat.getByTestId('agent-chat-message').filter({ hasText: 'лампа пришла' }).waitFor();
  current = desk;
  await chat.getByRole('textbox', { name: c['chat.reply'] }).fill('Добрый день! Отправим новую.');
  await chat.getByRole('textbox', { name: c['chat.reply'] }).press('Enter');
  await v.getByTestId('chat-message').filter({ hasText: 'Отправим новую' }).waitFor();
  current = v;
  await v.locator('textarea[name=message]').fill('Спасибо!');
  await v.locator('textarea[name=message]').press('Enter');
  await chat.getByTestId('agent-chat-message').filter({ hasText: 'Спасибо!' }).waitFor();
  current = desk;
  await chat.getByRole('button', { name: c['chat.close'], exact: true }).click();
  current = v;
  await v.getByTestId('chat-status').filter({ hasText: ru['chatw.closed_agent'] }).waitFor();
  await v.getByRole('button', { name: ru['chatw.transcript'], exact: true }).click();
  await v.getByTestId('chat-transcript').filter({ hasText: ru['chatw.transcript_sent'] }).waitFor({ timeout: 20000 });
  assert((await v.getByRole('button', { name: ru['chatw.transcript'], exact: true }).count()) === 0, 'asked once only');
  await shoot(v, 'visitor-chat-transcript', 'ru');
  step('the transcript asked for at the end and sent');

  const p = await visitor('Пётр', '+48 600 100 200');
  const chat2 = await chatWith(desk, p, 'Пётр');
  current = desk;
  await chat2.getByRole('button', { name: c['chat.close'], exact: true }).click();
  current = p;
  await p.getByRole('button', { name: ru['chatw.transcript'], exact: true }).click();
  await p.getByTestId('chat-transcript').filter({ hasText: ru['chatw.transcript_failed'] }).waitFor();
  step('a visitor without an address is told the transcript cannot be sent');
} catch (err) {
  await failed(current, 'chat-transcript');
  console.error(err);
  process.exitCode = 1;
} finally {
  await close(browser);
}
