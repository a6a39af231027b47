// Merging duplicate contacts: the contacts that share a phone number or an e-mail
// address with the one on screen are offered, and any other can be found by name; one
// picked is merged into the contact on screen after a confirmation (its interactions
// move over, it is removed; the server audits both).
import { useEffect, useState } from 'preact/hooks';
import { get, post, qs } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { fullName } from './ContactCard.jsx';

/* Contacts sharing a number or an address with c, c itself left out. */
async function duplicatesOf(c) {
  const asks = [...(c.phones || []).map((p) => ({ phone: p })), ...(c.emails || []).map((m) => ({ email: m }))];
  const found = new Map();
  for (const r of await Promise.all(asks.map((a) => get('/contacts?' + qs({ ...a, limit: 20 })).catch(() => ({ items: [] })))))
    for (const x of r.items) if (x.id !== c.id) found.set(x.id, x);
  return [...found.values()];
}

/* compact (the screen pop's card): shown only when duplicates exist, without the search. */
export function Duplicates({ contact, onMerged, compact }) {
  const [items, setItems] = useState([]);
  const [name, setName] = useState('');
  const [found, setFound] = useState(null);
  const [confirm, setConfirm] = useState(null);
  const [msg, setMsg] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setConfirm(null);
    setFound(null);
    duplicatesOf(contact).then(setItems, () => setItems([]));
  }, [contact.id, contact.updated]);

  const find = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      setFound((await get('/contacts?' + qs({ q: name, limit: 20 }))).items.filter((x) => x.id !== contact.id));
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    }
  };
  const merge = async (from) => {
    setError(null);
    try {
      const m = await post('/contacts/' + encodeURIComponent(contact.id) + '/merge', { from: from.id });
      setConfirm(null);
      setFound(null);
      setItems((xs) => xs.filter((x) => x.id !== from.id));
      setMsg(t('merge.done', { name: fullName(from) || t('contact.unnamed'), count: m.moved }));
      onMerged(m);
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    }
  };
  const row = (x) => {
    const label = fullName(x) || t('contact.unnamed');
    return (
      <li data-duplicate={x.id}>
        <span>{label}</span> <span class="muted small">{[...(x.phones || []), ...(x.emails || [])].join(', ')}</span>
        {confirm && confirm.id === x.id ? (
          <span role="group" aria-label={t('merge.confirm_named', { name: label })}>
            <span class="warn-text">{t('merge.confirm_text', { name: label, into: fullName(contact) || t('contact.unnamed') })}</span>
            <button type="button" class="small danger" onClick={() => merge(x)}>{t('merge.confirm')}</button>
            <button type="button" class="small" onClick={() => setConfirm(null)}>{t('admin.cancel')}</button>
          </span>
        ) : (
          <button type="button" class="small" onClick={() => setConfirm(x)}
            aria-label={t('merge.merge_named', { name: label })}>{t('merge.merge')}</button>
        )}
      </li>
    );
  };
  if (compact && !items.length && !msg) return null;
  return (
    <section class="merge" aria-label={t('merge.title')}>
      <h3>{t('merge.title')}</h3>
      {msg && <p role="status">{msg}</p>}
      {items.length ? <ul class="plain duplicates">{items.map(row)}</ul> : <p class="muted small">{t('merge.none')}</p>}
      {!compact && (
        <form class="searchbar" onSubmit={find} role="search" aria-label={t('merge.find')}>
          <input type="search" aria-label={t('merge.find')} value={name} onInput={(e) => setName(e.target.value)} />
          <button type="submit">{t('contacts.search')}</button>
        </form>
      )}
      {found && (found.length ? <ul class="plain duplicates">{found.map(row)}</ul> : <p class="muted small">{t('contacts.none')}</p>)}
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  );
}
