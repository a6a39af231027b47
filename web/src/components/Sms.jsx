// The agent's SMS conversations, shown and answered like the email ones (Email.jsx): the
// customer's number (and CRM contact's name when matched), the texts in and out as text
// (never as markup), the accept button while offered, then a reply box with the length
// in characters and parts, and the close button that frees the agent for the next text.
import { useState } from 'preact/hooks';
import { post } from '../lib/api.js';
import { t, fmtTime } from '../lib/i18n.js';
import { emailEvent } from './Email.jsx';

// The GSM 03.38 alphabet (and its extension, two septets each): a text of these alone
// goes in 7-bit parts (160, or 153 when concatenated), any other in UCS-2 (70, or 67).
const GSM = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXT = '\f^{}\\[~]|€';

export function smsParts(text) {
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (GSM.includes(ch)) septets += 1;
    else if (GSM_EXT.includes(ch)) septets += 2;
    else { gsm = false; break; }
  }
  if (gsm) return septets <= 160 ? 1 : Math.ceil(septets / 153);
  let units = 0;
  for (const ch of text) units += ch.codePointAt(0) > 0xffff ? 2 : 1;
  return units <= 70 ? 1 : Math.ceil(units / 67);
}

function Message({ m }) {
  const out = m.event === 'sms_out';
  return (
    <li class={'email-msg ' + (out ? 'out' : 'in')} data-testid="sms-message">
      <p class="meta">
        <strong>{out ? (m.agent || t('email.us')) : m.from}</strong>
        <span class="muted">{fmtTime(m.ts)}</span>
      </p>
      <pre class="email-body">{m.body}</pre>
      {out && m.receipt && (
        <p class={'small ' + (m.receipt === 'DELIVRD' ? 'muted' : 'error')} data-testid="sms-receipt">
          {m.receipt === 'DELIVRD' ? t('sms.delivered')
            : m.receipt === 'ACCEPTD' || m.receipt === 'ENROUTE' ? t('sms.accepted')
              : t('sms.not_delivered', { state: m.receipt })}</p>
      )}
    </li>
  );
}

function contactName(c) {
  const k = c.contact;
  return k ? [k.first_name, k.last_name].filter(Boolean).join(' ') || k.company || '' : '';
}

function Conversation({ c, onGone }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState(null);
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
      await post(base + '/reply', { body: text });
      setText('');
      setNote({ error: false, text: t('email.sent') });
    });
  };
  const name = contactName(c);
  const parts = text ? smsParts(text) : 0;
  return (
    <section class="email sms" aria-label={t('sms.title')} data-testid="sms-conversation">
      <h2>{t('sms.title')}: <span data-testid="sms-from">{c.from}</span></h2>
      <dl class="email-facts">
        {name && <div><dt>{t('sms.contact')}</dt><dd>{name}</dd></div>}
        <div><dt>{t('sms.to')}</dt><dd>{c.to}</dd></div>
        <div><dt>{t('pop.queue')}</dt><dd>{c.queue || '–'}</dd></div>
      </dl>
      <ol class="email-thread">{(c.messages || []).map((m) => <Message m={m} />)}</ol>
      {!c.accepted ? (
        <button type="button" class="primary" disabled={busy}
          onClick={() => run(() => post(base + '/accept'))}>{t('email.accept')}</button>
      ) : (
        <form class="email-reply" onSubmit={send}>
          <label>{t('email.reply')}
            <textarea name="reply" rows="3" value={text} required
              onInput={(e) => setText(e.target.value)} />
          </label>
          <p class="muted small" data-testid="sms-length">
            {t('sms.length', { chars: [...text].length, parts })}</p>
          <button type="submit" class="primary" disabled={busy || !text.trim() || parts > 16}>
            {t('email.send')}</button>
          <button type="button" disabled={busy}
            onClick={() => run(async () => { await post(base + '/close'); onGone(c.interaction); })}>
            {t('email.close')}</button>
        </form>
      )}
      {note && <p role={note.error ? 'alert' : 'status'} class={note.error ? 'error' : 'muted'}>{note.text}</p>}
    </section>
  );
}

/* The conversations by interaction id, kept up to date from the agent's events. */
export function smsEvent(list, m) {
  return emailEvent(list, m, 'sms');
}

export function SmsList({ list, onGone }) {
  if (!list.length) return null;
  return (
    <div class="smss">
      {list.map((c) => <Conversation key={c.interaction} c={c} onGone={onGone} />)}
    </div>
  );
}
