// The agent's web chats: each one offered or held, beside the call and the emails. An
// offered chat shows who writes and what was written while waiting, with the accept
// button; a held one its conversation (text only, never markup), the visitor's typing,
// read marks on the agent's own messages, a reply box (Enter sends, Shift+Enter a new
// line) and the close button that frees the agent's chat capacity. The agent's typing and
// reading go to the visitor's page (POST .../typing, .../read); a held chat may be handed
// to another queue or to a named agent with its history (POST .../transfer {queue} or
// {agent}; a refusal, such as the agent having no room, is shown); the tenant's canned answers
// (chat.canned, from /me) fill the reply box.
import { useState, useEffect, useRef } from 'preact/hooks';
import { post } from '../lib/api.js';
import { t, fmtTime } from '../lib/i18n.js';

function Message({ m, readUpTo }) {
  const out = m.event === 'chat_out';
  const read = out && readUpTo >= m.seq;
  return (
    <li class={'chat-msg ' + (out ? 'out' : 'in')} data-testid="agent-chat-message" data-from={out ? 'agent' : 'visitor'}>
      <span class="chat-text">{m.text}</span>
      <span class="muted small">{fmtTime(m.ts)}</span>
      {out && <span class="chat-mark" data-testid="agent-chat-mark" aria-label={t(read ? 'chat.read' : 'chat.delivered')}
        title={t(read ? 'chat.read' : 'chat.delivered')}>{read ? '✓✓' : '✓'}</span>}
    </li>
  );
}

function Conversation({ c, onGone, queues, canned }) {
  const [text, setText] = useState('');
  const [to, setTo] = useState('');
  const [toAgent, setToAgent] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const typingAt = useRef(0);
  const typingOff = useRef(null);
  const read = useRef(0);
  const list = useRef(null);
  const base = '/interactions/' + encodeURIComponent(c.interaction);
  const msgs = c.messages || [];

  const run = async (f) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    } finally {
      setBusy(false);
    }
  };

  // What the agent sees of a held chat is read: the visitor's page is told.
  useEffect(() => {
    if (list.current) list.current.scrollTop = list.current.scrollHeight;
    if (!c.accepted) return;
    const last = msgs.filter((m) => m.event === 'chat_in').reduce((s, m) => Math.max(s, m.seq), 0);
    if (last > read.current) {
      read.current = last;
      post(base + '/read', { seq: last }).catch(() => {});
    }
  }, [msgs.length, c.accepted]);

  const typing = (on) => {
    const now = Date.now();
    if (on && now - typingAt.current < 2000) return;
    typingAt.current = on ? now : 0;
    post(base + '/typing', { on }).catch(() => {});
  };
  const onInput = (e) => {
    setText(e.target.value);
    typing(true);
    clearTimeout(typingOff.current);
    typingOff.current = setTimeout(() => typing(false), 3000);
  };
  const send = (e) => {
    e.preventDefault();
    const v = text.trim();
    if (!v) return;
    clearTimeout(typingOff.current);
    typingAt.current = 0;
    run(async () => {
      await post(base + '/reply', { body: v });
      setText('');
    });
  };

  const who = c.name || c.from;
  return (
    <section class="chat" aria-label={t('chat.title')} data-testid="agent-chat" data-interaction={c.interaction}>
      <h2>{t('chat.with', { name: who })}</h2>
      <dl class="email-facts">
        <div><dt>{t('chat.contact')}</dt><dd data-testid="chat-from">{c.email || c.phone || '–'}</dd></div>
        <div><dt>{t('pop.queue')}</dt><dd>{c.queue || '–'}</dd></div>
        {c.visitor_here === false && <div><dt>{t('chat.visitor')}</dt><dd>{t('chat.away')}</dd></div>}
      </dl>
      <ol class="chat-thread" ref={list}>
        {msgs.map((m) => <Message m={m} readUpTo={c.read_seq || 0} />)}
      </ol>
      {c.typing && <p class="muted small" data-testid="agent-chat-typing">{t('chat.typing', { name: who })}</p>}
      {!c.accepted ? (
        <button type="button" class="primary" disabled={busy}
          onClick={() => run(() => post(base + '/accept'))}>{t('chat.accept')}</button>
      ) : (
        <form class="chat-reply" onSubmit={send}>
          <label class="sr-only" for={'chat-' + c.interaction}>{t('chat.reply')}</label>
          <textarea id={'chat-' + c.interaction} name="chat-reply" rows="2" value={text} placeholder={t('chat.reply')}
            onInput={onInput} onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey) send(e); }} />
          {canned.length > 0 && (
            <label class="sr-only" for={'canned-' + c.interaction}>{t('chat.canned')}</label>
          )}
          {canned.length > 0 && (
            <select id={'canned-' + c.interaction} name="chat-canned" value=""
              onChange={(e) => { if (e.target.value) setText((v) => (v ? v + ' ' : '') + e.target.value); }}>
              <option value="">{t('chat.canned')}</option>
              {canned.map((a) => <option value={a}>{a.length > 60 ? a.slice(0, 57) + '…' : a}</option>)}
            </select>
          )}
          <button type="submit" class="primary" disabled={busy || !text.trim()}>{t('chat.send')}</button>
          <button type="button" disabled={busy}
            onClick={() => run(async () => { await post(base + '/close'); onGone(c.interaction); })}>
            {t('chat.close')}</button>
        </form>
      )}
      {c.accepted && queues.length > 0 && (
        <div class="chat-transfer">
          <label>{t('chat.transfer_to')}
            <select name="chat-transfer" value={to} onChange={(e) => setTo(e.target.value)}>
              <option value="">–</option>
              {queues.map((q) => <option value={q}>{q}</option>)}
            </select>
          </label>
          <button type="button" disabled={busy || !to}
            onClick={() => run(() => post(base + '/transfer', { queue: to }))}>
            {t('chat.transfer')}</button>
        </div>
      )}
      {c.accepted && (
        <div class="chat-transfer">
          <label>{t('chat.transfer_agent')}
            <input name="chat-transfer-agent" value={toAgent} autocomplete="off"
              onInput={(e) => setToAgent(e.target.value)} />
          </label>
          <button type="button" disabled={busy || !toAgent.trim()}
            onClick={() => run(() => post(base + '/transfer', { agent: toAgent.trim() }))}>
            {t('chat.transfer_agent_go')}</button>
        </div>
      )}
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  );
}

/* The chats by interaction id, kept up to date from the agent's events. */
export function chatEvent(list, m) {
  const d = m.data || {};
  if (d.channel !== 'chat') return list;
  const cur = list.find((c) => c.interaction === d.interaction);
  const rest = list.filter((c) => c.interaction !== d.interaction);
  const upd = (f) => (cur ? list.map((c) => (c === cur ? f(c) : c)) : list);
  switch (m.type) {
    case 'contact.offered':
      return [...rest, { ...d, accepted: false }];
    case 'contact.answered':
      return cur ? upd((c) => ({ ...c, ...d, accepted: true })) : [...rest, { ...d, accepted: true }];
    case 'contact.updated':
      return upd((c) => ({ ...c, ...d }));
    case 'chat.message':
      return upd((c) => ({
        ...c,
        typing: d.message.event === 'chat_in' ? false : c.typing,
        messages: [...(c.messages || []).filter((x) => x.seq !== d.message.seq), d.message],
      }));
    case 'chat.typing':
      return upd((c) => ({ ...c, typing: !!d.on }));
    case 'chat.read':
      return upd((c) => ({ ...c, read_seq: Math.max(c.read_seq || 0, d.seq || 0) }));
    case 'chat.visitor':
      return upd((c) => ({ ...c, visitor_here: d.visitor_here, typing: false }));
    case 'contact.ended':
    case 'contact.cancelled':
    case 'contact.transferred':
      return rest;
    default:
      return list;
  }
}

export function ChatList({ list, onGone, queues = [], canned = [] }) {
  if (!list.length) return null;
  return (
    <div class="chats">
      {list.map((c) => <Conversation key={c.interaction} c={c} onGone={onGone} queues={queues} canned={canned} />)}
    </div>
  );
}
