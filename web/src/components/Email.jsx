// The agent's email conversations: each one offered or held shows its messages (as text:
// the server keeps only the text of a customer's HTML, and it is rendered here as text,
// never as markup), the accept button while it is offered, and once accepted a reply box
// (the customer's last message quoted by the server unless unticked) and the close
// button that frees the agent for the next email; a held conversation may be handed to a
// named agent (POST .../transfer {agent}), a refusal shown with its reason.
import { useState } from 'preact/hooks';
import { post } from '../lib/api.js';
import { t, fmtTime } from '../lib/i18n.js';

function Message({ m }) {
  const out = m.event === 'email_out';
  const who = out ? (m.kind === 'acknowledgement' ? t('email.acknowledgement') : (m.agent || t('email.us')))
    : (m.from_name ? m.from_name + ' <' + m.from + '>' : m.from);
  return (
    <li class={'email-msg ' + (out ? 'out' : 'in')} data-testid="email-message">
      <p class="meta">
        <strong>{who}</strong>
        <span class="muted">{fmtTime(m.ts)}</span>
      </p>
      <pre class="email-body">{m.body}</pre>
      {m.attachments && m.attachments.length > 0 && (
        <ul class="attachments" aria-label={t('email.attachments')}>
          {m.attachments.map((a) => (
            <li>{a.name || t('email.unnamed')} ({a.size} B){a.refused ? ' – ' + t('email.refused') : ''}</li>
          ))}
        </ul>
      )}
    </li>
  );
}

function Conversation({ c, onGone }) {
  const [text, setText] = useState('');
  const [quote, setQuote] = useState(true);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState(null);
  const [toAgent, setToAgent] = useState('');
  const run = async (f) => {
    setBusy(true);
    setNote(null);
    try {
      await f();
    } catch (err) {
      setNote({ error: true, text: t('error.generic', { message: err.message }) });
    } finally {
      setBusy(false);
    }
  };
  const base = '/interactions/' + encodeURIComponent(c.interaction);
  const send = (e) => {
    e.preventDefault();
    run(async () => {
      await post(base + '/reply', { body: text, quote });
      setText('');
      setNote({ error: false, text: t('email.sent') });
    });
  };
  return (
    <section class="email" aria-label={t('email.title')} data-testid="email-conversation" data-interaction={c.interaction}>
      <h2>{c.subject || t('email.no_subject')}</h2>
      <dl class="email-facts">
        <div><dt>{t('email.from')}</dt><dd data-testid="email-from">{c.from}</dd></div>
        <div><dt>{t('email.ticket')}</dt><dd>{c.ticket}</dd></div>
        <div><dt>{t('pop.queue')}</dt><dd>{c.queue || '–'}</dd></div>
      </dl>
      <ol class="email-thread">{(c.messages || []).map((m) => <Message m={m} />)}</ol>
      {!c.accepted ? (
        <button type="button" class="primary" disabled={busy}
          onClick={() => run(() => post(base + '/accept'))}>{t('email.accept')}</button>
      ) : (
        <form class="email-reply" onSubmit={send}>
          <label>{t('email.reply')}
            <textarea name="reply" rows="6" value={text} required
              onInput={(e) => setText(e.target.value)} />
          </label>
          <label class="inline">
            <input type="checkbox" checked={quote} onChange={(e) => setQuote(e.target.checked)} />
            {t('email.quote')}
          </label>
          <button type="submit" class="primary" disabled={busy || !text.trim()}>{t('email.send')}</button>
          <button type="button" disabled={busy}
            onClick={() => run(async () => { await post(base + '/close'); onGone(c.interaction); })}>
            {t('email.close')}</button>
        </form>
      )}
      {c.accepted && (
        <div class="chat-transfer">
          <label>{t('chat.transfer_agent')}
            <input name="email-transfer-agent" value={toAgent} autocomplete="off"
              onInput={(e) => setToAgent(e.target.value)} />
          </label>
          <button type="button" disabled={busy || !toAgent.trim()}
            onClick={() => run(() => post(base + '/transfer', { agent: toAgent.trim() }))}>
            {t('chat.transfer_agent_go')}</button>
        </div>
      )}
      {note && <p role={note.error ? 'alert' : 'status'} class={note.error ? 'error' : 'muted'}>{note.text}</p>}
    </section>
  );
}

/* The conversations by interaction id, kept up to date from the agent's events (of
 * `channel`: the SMS conversations are kept the same way, Sms.jsx). */
export function emailEvent(list, m, channel = 'email') {
  const d = m.data || {};
  if (d.channel !== channel) return list;
  const rest = list.filter((c) => c.interaction !== d.interaction);
  const cur = list.find((c) => c.interaction === d.interaction);
  switch (m.type) {
    case 'contact.offered':
      return [...rest, { ...d, accepted: false }];
    case 'contact.answered':
      return [...rest, { ...(cur || {}), ...d, accepted: true }];
    case 'contact.updated':
      return cur ? [...rest, { ...cur, ...d }] : list;
    case 'contact.ended':
    case 'contact.cancelled':
    case 'contact.transferred':
      return rest;
    default:
      return list;
  }
}

export function EmailList({ list, onGone }) {
  if (!list.length) return null;
  return (
    <div class="emails">
      {list.map((c) => <Conversation key={c.interaction} c={c} onGone={onGone} />)}
    </div>
  );
}
