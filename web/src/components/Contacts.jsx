// Contacts: search by name, phone number in any written form or e-mail; create, edit,
// merge duplicates; the history of a contact across channels.
import { useEffect, useState } from 'preact/hooks';
import { get, qs } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { ContactForm, History, DialButton, fullName } from './ContactCard.jsx';
import { Duplicates } from './Merge.jsx';

export function Contacts() {
  const [mode, setMode] = useState('q');
  const [text, setText] = useState('');
  const [items, setItems] = useState([]);
  const [error, setError] = useState(null);
  const [sel, setSel] = useState(null);
  const [creating, setCreating] = useState(false);

  const search = async (e) => {
    if (e) e.preventDefault();
    setError(null);
    try {
      const r = await get('/contacts?' + qs({ [mode]: text, limit: 50 }));
      setItems(r.items);
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    }
  };
  useEffect(() => { search(); }, []);
  const open = async (c) => {
    setCreating(false);
    setSel(await get('/contacts/' + c.id + '?history=20'));
  };
  const saved = (c) => {
    setCreating(false);
    open(c);
    search();
  };

  return (
    <div class="split">
      <section aria-label={t('contacts.search')}>
        <form class="searchbar" onSubmit={search} role="search">
          <select aria-label={t('contacts.by')} value={mode} onChange={(e) => setMode(e.target.value)}>
            <option value="q">{t('contacts.by_name')}</option>
            <option value="phone">{t('contacts.by_phone')}</option>
            <option value="email">{t('contacts.by_email')}</option>
          </select>
          <input type="search" name="q" aria-label={t('contacts.search')} value={text}
            onInput={(e) => setText(e.target.value)} />
          <button type="submit">{t('contacts.search')}</button>
          <button type="button" onClick={() => { setSel(null); setCreating(true); }}>{t('contacts.new')}</button>
        </form>
        {error && <p role="alert" class="error">{error}</p>}
        <ul class="results">
          {items.map((c) => (
            <li><button type="button" class="link" onClick={() => open(c)}>
              {fullName(c) || t('contact.unnamed')}</button>
              <span class="muted small">{(c.phones || []).join(', ')}</span></li>
          ))}
          {!items.length && <li class="muted">{t('contacts.none')}</li>}
        </ul>
      </section>
      <section aria-label={t('contact.card')}>
        {creating && <><h2>{t('contacts.new')}</h2><ContactForm onSaved={saved} /></>}
        {sel && !creating && (
          <>
            <h2>{fullName(sel) || t('contact.unnamed')}</h2>
            <ul class="plain">{(sel.phones || []).map((p) => <li><DialButton number={p} /></li>)}</ul>
            <ContactForm key={sel.id + sel.updated} contact={sel} onSaved={saved} />
            <h3>{t('contact.history')}</h3>
            <History items={sel.interactions} />
            <Duplicates contact={sel} onMerged={saved} />
          </>
        )}
      </section>
    </div>
  );
}
