// The public web callback page (callback.html) in headless Chromium, as a visitor of the
// company's site sees it: in each language its title and fields; a number that is no
// number gets the server's refusal, shown in the page's language; a good one, "as soon
// as possible", gets the thank-you with the time; a second request for the same number
// is told that a callback is already planned. Screenshots callback-form-LANG.png and
// callback-sent-LANG.png.
import { launch, close, newPage, shoot, step, assert, failed, signal, catalogues, BASE } from './lib.mjs';

const browser = await launch();
let page;
try {
  for (const lang of ['pl', 'es', 'ru', 'en']) {
    const k = catalogues[lang];
    page = await newPage(browser, 'en');
    await page.goto(`${BASE}/callback.html?tenant=acme&queue=support&lang=${lang}`);
    await page.getByRole('heading', { name: k['callback.title'] }).waitFor();
    assert((await page.title()) === k['callback.title'], `title in ${lang}: ${await page.title()}`);
    await page.getByLabel(k['callback.number']).waitFor();
    await page.getByLabel(k['callback.name']).waitFor();
    // Choosing a time shows the date field, which is required then.
    await page.getByLabel(k['callback.later']).check();
    await page.getByLabel(k['callback.time']).waitFor();
    await page.getByLabel(k['callback.asap']).check();
    await shoot(page, 'callback-form', lang);
    if (lang === 'pl') {
      await page.getByLabel(k['callback.number']).fill('zadzwońcie');
      await page.getByRole('button', { name: k['callback.submit'] }).click();
      await page.getByRole('alert').filter({ hasText: k['callback.err_number'] }).waitFor();
      step('a number that is no number: the refusal in Polish');
    }
    await page.close();
  }

  // The request that goes through, in Spanish, then the same number again in Russian.
  page = await newPage(browser, 'es-ES');
  await page.goto(`${BASE}/callback.html?tenant=acme&queue=support`);
  const es = catalogues.es;
  await page.getByRole('heading', { name: es['callback.title'] }).waitFor(); // the browser's language
  await page.getByLabel(es['callback.name']).fill('Lucía Pérez');
  await page.getByLabel(es['callback.number']).fill('+34 912 345 678');
  await page.getByRole('button', { name: es['callback.submit'] }).click();
  const done = page.getByRole('status');
  await done.waitFor();
  const text = await done.innerText();
  assert(text.startsWith(es['callback.sent'].split('{time}')[0].trim()), `thank-you in Spanish: ${text}`);
  await shoot(page, 'callback-sent', 'es');
  step('callback taken: ' + text);
  signal('web.requested');

  const ru = catalogues.ru;
  const again = await newPage(browser, 'ru');
  await again.goto(`${BASE}/callback.html?tenant=acme&queue=support`);
  await again.getByLabel(ru['callback.number']).fill('+34912345678');
  await again.getByRole('button', { name: ru['callback.submit'] }).click();
  await again.getByRole('alert').filter({ hasText: ru['callback.err_already'] }).waitFor();
  await shoot(again, 'callback-already', 'ru');
  step('the same number again: already planned (in Russian)');
  console.log('web callback page: ok');
} catch (err) {
  await failed(page, 'callback');
  throw err;
} finally {
  await close(browser);
}
