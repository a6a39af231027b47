// Contacts in a real browser, in Polish: maria creates a contact through the form, edits
// it (checked through the API), and finds it by name, by e-mail and by its phone number
// written another way; a second contact (made through the API) is found by its own
// name and e-mail and never among hers.
import { launch, close, newPage, login, shoot, step, assert, apiLogin, api, until, catalogues, failed } from './lib.mjs';

const browser = await launch();
let page;
try {
  const c = catalogues.pl;
  const token = await apiLogin('acme', 'maria', 'maria-secret');
  const jan = await api('POST', '/contacts', token, { first_name: 'Jan', last_name: 'Kowalski', phones: ['+48221112233'], emails: ['jan@example.pl'] });
  page = await newPage(browser, 'pl');
  await login(page, { tenant: 'acme', username: 'maria', password: 'maria-secret', lang: 'pl' });
  await page.getByRole('link', { name: c['nav.contacts'] }).click();
  const card = page.getByRole('region', { name: c['contact.card'] });
  const list = page.getByRole('region', { name: c['contacts.search'] });
  const search = list.getByRole('search');

  // Create.
  await search.getByRole('button', { name: c['contacts.new'] }).click();
  await card.getByLabel(c['contact.first_name']).fill('Zofia');
  await card.getByLabel(c['contact.last_name']).fill('Wiśniewska');
  await card.getByLabel(c['contact.phones']).fill('+48 601 234 567');
  await card.getByLabel(c['contact.emails']).fill('zofia@example.pl');
  await card.getByRole('button', { name: c['contact.save'] }).click();
  await card.getByRole('heading', { name: 'Zofia Wiśniewska' }).waitFor();
  const made = (await api('GET', '/contacts?q=Wiśniewska', token)).items;
  assert(made.length === 1 && made[0].emails.includes('zofia@example.pl'), 'created on the server: ' + JSON.stringify(made));
  const id = made[0].id;
  step('created ' + id + ', phones ' + made[0].phones.join(', '));

  // Edit: a double surname and a second address.
  await card.getByLabel(c['contact.last_name']).fill('Wiśniewska-Nowak');
  await card.getByLabel(c['contact.emails']).fill('zofia@example.pl, z.nowak@firma.pl');
  await card.getByRole('button', { name: c['contact.save'] }).click();
  await card.getByRole('heading', { name: 'Zofia Wiśniewska-Nowak' }).waitFor();
  const edited = await api('GET', '/contacts/' + id, token);
  assert(edited.last_name === 'Wiśniewska-Nowak' && edited.emails.join() === 'zofia@example.pl,z.nowak@firma.pl',
    'edited on the server: ' + JSON.stringify(edited));
  step('edited: ' + edited.last_name + ', ' + edited.emails.join(', '));
  await shoot(page, 'contacts', 'pl');

  // Search: the results list holds exactly the names expected.
  const results = list.locator('ul.results');
  const find = async (by, text, want) => {
    await search.getByRole('combobox', { name: c['contacts.by'] }).selectOption(by);
    await search.getByRole('searchbox', { name: c['contacts.search'] }).fill(text);
    await search.locator('button[type=submit]').click();
    // Each search below expects other names than the one before it: the list changes.
    let names = [];
    const ok = await until(async () => {
      names = await results.getByRole('button').allTextContents();
      return names.join('|') === want.join('|');
    }, 'the results').catch(() => false);
    assert(ok, `search by ${by} "${text}": ${names.join('|')}, want ${want.join('|')}`);
  };
  await find('q', 'zofia', ['Zofia Wiśniewska-Nowak']);
  await find('q', 'Kowalski', ['Jan Kowalski']);
  await find('email', 'z.nowak@firma.pl', ['Zofia Wiśniewska-Nowak']);
  await find('email', 'jan@example.pl', ['Jan Kowalski']);
  await find('phone', '601-234-567', ['Zofia Wiśniewska-Nowak']);
  await find('email', 'nobody@example.pl', []);
  await results.getByText(c['contacts.none']).waitFor();
  step('found by name, e-mail and phone; ' + jan.id + ' apart');

  // A result opens its card (hers was open): his name and address.
  await find('q', 'Kowalski', ['Jan Kowalski']);
  await results.getByRole('button', { name: 'Jan Kowalski' }).click();
  await card.getByRole('heading', { name: 'Jan Kowalski' }).waitFor();
  assert((await card.getByLabel(c['contact.emails']).inputValue()) === 'jan@example.pl', 'the card holds his address');
  step('a result opens its card');
  console.log('contacts: ok');
} catch (err) {
  await failed(page, 'contacts');
  throw err;
} finally {
  await close(browser);
}
