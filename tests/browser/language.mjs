// The page's language in a real browser whose own language is Spanish (the context's
// locale): maria, with no language of her own, gets the login page and the desktop in
// Spanish; ivan, whose setting is Russian, gets Russian once logged in (nothing was
// picked in this browser). In Russian the reason codes' count takes the plural forms of
// 1, 2 and 5 (причина, причины, причин), and adding a code the configuration file owns shows the API's
// error code in Russian words.
import { launch, close, newPage, step, assert, apiLogin, api, catalogues, failed, BASE } from './lib.mjs';

const browser = await launch();
let page;
/* Logs in through the form without touching the language picker. */
const login = async (p, username, password) => {
  await p.locator('input[name=tenant]').fill('acme');
  await p.locator('input[name=username]').fill(username);
  await p.locator('input[name=password]').fill(password);
  await p.keyboard.press('Enter');
  await p.locator('header.top').waitFor();
};
try {
  const es = catalogues.es, ru = catalogues.ru;
  page = await newPage(browser, 'es-ES');
  await page.goto(BASE + '/');
  await page.getByRole('heading', { name: es['login.title'] }).waitFor();
  assert((await page.locator('html').getAttribute('lang')) === 'es', 'the login page in the browser\'s language');
  await login(page, 'maria', 'maria-secret');
  await page.getByRole('link', { name: es['nav.agent'] }).waitFor();
  await page.getByTestId('connection').filter({ hasText: es['app.online'] }).waitFor();
  assert((await page.locator('html').getAttribute('lang')) === 'es', 'maria\'s desktop in Spanish');
  step('no language of her own: the browser\'s (Spanish)');
  await page.context().close();

  page = await newPage(browser, 'es-ES');
  await page.goto(BASE + '/');
  await page.getByRole('heading', { name: es['login.title'] }).waitFor();
  await login(page, 'ivan', 'ivan-secret');
  await page.getByRole('link', { name: ru['nav.admin'] }).waitFor();
  assert((await page.locator('html').getAttribute('lang')) === 'ru', 'ivan\'s page in Russian');
  step('his own language (Russian) over the browser\'s');

  // Russian plurals: 1, 2 and 5 reason codes.
  const token = await apiLogin('acme', 'ivan', 'ivan-secret');
  const count = async (n) => {
    await page.getByRole('link', { name: ru['nav.admin'] }).click();
    await page.getByRole('tab', { name: ru['admin.reasons'] }).click();
    const want = ru['admin.reasons_count'][new Intl.PluralRules('ru').select(n)].replace('{count}', String(n));
    await page.getByRole('status').filter({ hasText: want }).waitFor();
    return want;
  };
  const seen = [await count(1)];
  await api('POST', '/reason-codes', token, { code: 'training' });
  await page.reload();
  seen.push(await count(2));
  for (const code of ['meeting', 'coaching', 'outage']) await api('POST', '/reason-codes', token, { code });
  await page.reload();
  seen.push(await count(5));
  assert(seen.join(' | ') === '1 причина | 2 причины | 5 причин', 'the Russian forms: ' + seen.join(' | '));
  step('Russian plurals: ' + seen.join(', '));

  // A code the configuration file owns: the API's error code in Russian words.
  const form = page.getByRole('form', { name: ru['admin.reasons_form'] });
  await form.locator('input[name=code]').fill('lunch');
  await form.getByRole('button', { name: ru['admin.add'] }).click();
  const alert = page.getByRole('status').filter({ hasText: ru['error.code.owned_by_file'] });
  await alert.waitFor();
  step('an API error in Russian: ' + (await alert.textContent()));
  console.log('language: ok');
} catch (err) {
  await failed(page, 'language');
  throw err;
} finally {
  await close(browser);
}
