// The caller's contact card in the screen pop (matched, created for the caller, or new),
// editable in place, with the last interactions, their dispositions and notes,
// click-to-dial on each phone number, and the contacts that duplicate it (to merge).
import { useEffect, useState } from 'preact/hooks';
import { get, post, put } from '../lib/api.js';
import { t, fmtDateTime } from '../lib/i18n.js';
import { Duplicates } from './Merge.jsx';

export const fullName = (c) => [c.first_name, c.last_name].filter(Boolean).join(' ') || c.company || '';

/* Click-to-dial for a number shown elsewhere as text: the button alone. */
export function DialOnly({ number }) {
  const [error, setError] = useState(null);
  const dial = () => post('/calls', { number }).then(() => setError(null), (err) => setError(err.message));
  return (
    <>
      <button type="button" class="small" onClick={dial} aria-label={t('contact.dial', { number })}>{t('contact.call')}</button>
      {error && <span role="alert" class="error">{error}</span>}
    </>
  );
}

export function DialButton({ number }) {
  const [state, setState] = useState(null);
  const dial = async () => {
    try {
      await post('/calls', { number });
      setState('ok');
    } catch (err) {
      setState(err.message);
    }
  };
  return (
    <span class="dial">
      <span class="phone">{number}</span>
      <button type="button" class="small" onClick={dial} aria-label={t('contact.dial', { number })}>{t('contact.call')}</button>
      {state && state !== 'ok' && <span role="alert" class="error">{state}</span>}
    </span>
  );
}

const split = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

export function ContactForm({ contact, defaults, onSaved }) {
  const c = contact || defaults || {};
  const [error, setError] = useState(null);
  const save = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = {
      first_name: f.get('first_name') || null, last_name: f.get('last_name') || null,
      company: f.get('company') || null, phones: split(f.get('phones')),
      emails: split(f.get('emails')), tags: split(f.get('tags')),
      vip: f.get('vip') === 'on', do_not_call: f.get('do_not_call') === 'on',
    };
    setError(null);
    try {
      onSaved(contact && contact.id ? await put('/contacts/' + contact.id, body) : await post('/contacts', body));
    } catch (err) {
      setError(t('error.field', { field: err.field || '', message: err.message }));
    }
  };
  return (
    <form class="contact-form" onSubmit={save}>
      <div class="row2">
        <label>{t('contact.first_name')}<input name="first_name" defaultValue={c.first_name || ''} /></label>
        <label>{t('contact.last_name')}<input name="last_name" defaultValue={c.last_name || ''} /></label>
      </div>
      <label>{t('contact.company')}<input name="company" defaultValue={c.company || ''} /></label>
      <label>{t('contact.phones')}<input name="phones" defaultValue={(c.phones || []).join(', ')} /></label>
      <label>{t('contact.emails')}<input name="emails" defaultValue={(c.emails || []).join(', ')} /></label>
      <label>{t('contact.tags')}<input name="tags" defaultValue={(c.tags || []).join(', ')} /></label>
      <div class="row2">
        <label class="check"><input type="checkbox" name="vip" defaultChecked={!!c.vip} />{t('contact.vip')}</label>
        <label class="check"><input type="checkbox" name="do_not_call" defaultChecked={!!c.do_not_call} />{t('contact.dnc')}</label>
      </div>
      {error && <p role="alert" class="error">{error}</p>}
      <button type="submit" class="primary">{t('contact.save')}</button>
    </form>
  );
}

export function History({ items }) {
  if (!items || !items.length) return <p class="muted">{t('contact.no_history')}</p>;
  return (
    <table class="history">
      <thead><tr><th>{t('ix.created')}</th><th>{t('ix.channel')}</th><th>{t('ix.queue')}</th>
        <th>{t('ix.agent')}</th><th>{t('ix.disposition')}</th><th>{t('ix.notes')}</th></tr></thead>
      <tbody>
        {items.map((h) => (
          <tr>
            <td>{fmtDateTime(h.created)}</td>
            <td>{t('channel.' + (h.channel || 'voice'))}</td>
            <td>{h.queue || '–'}</td><td>{h.agent || '–'}</td>
            <td>{h.disposition || (h.answered === false ? t('ix.unanswered') : '–')}</td>
            <td class="notes">{h.notes || ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ContactCard({ contact, caller, onSaved, history }) {
  const [editing, setEditing] = useState(false);
  const [full, setFull] = useState(null);
  useEffect(() => {
    setFull(null);
    if (contact && contact.id)
      get('/contacts/' + contact.id + '?history=5').then(setFull, () => {});
  }, [contact && contact.id]);
  const items = (full && full.interactions) || history || [];
  return (
    <section class="card" aria-label={t('contact.card')} data-testid="contact-card">
      <h2>{t('contact.card')}
        {contact && contact.vip && <span class="badge">{t('contact.vip')}</span>}
        {!contact && <span class="badge">{t('contact.new')}</span>}
      </h2>
      {editing || !contact ? (
        <ContactForm contact={contact} defaults={{ phones: [caller] }}
          onSaved={(c) => { setEditing(false); onSaved(c); }} />
      ) : (
        <>
          <p class="name" data-testid="contact-name">{fullName(contact) || t('contact.unnamed')}</p>
          {contact.company && <p>{contact.company}</p>}
          <ul class="plain">{(contact.phones || []).map((p) => <li><DialButton number={p} /></li>)}</ul>
          <ul class="plain">{(contact.emails || []).map((m) => <li>{m}</li>)}</ul>
          {contact.tags && contact.tags.length > 0 && <p class="tags">{contact.tags.map((x) => <span class="tag">{x}</span>)}</p>}
          <button type="button" onClick={() => setEditing(true)}>{t('contact.edit')}</button>
        </>
      )}
      <h3>{t('contact.last_interactions')}</h3>
      <History items={items} />
      {contact && contact.id && !editing && <Duplicates contact={contact} compact
        onMerged={(c) => { setFull(null); onSaved(c); get('/contacts/' + c.id + '?history=5').then(setFull, () => {}); }} />}
    </section>
  );
}
