// The web chats going on now, on the supervisor's wallboard: each open chat with its
// visitor, queue, agent and state, and a read-only view of one chat's messages as they
// come (the supervisor cannot write into it). The list starts from the open chats of the
// day (GET /interactions?channel=chat) and a watched chat from its stored messages
// (GET /interactions/{id}: the messages are rows of their own); then the `interactions`
// topic of the events socket (supervisors, admins) brings offers, answers, messages,
// transfers and ends. Text only: a visitor's markup is shown as text, never rendered.
import { useEffect, useState } from 'preact/hooks';
import { get, qs } from '../lib/api.js';
import { t, fmtTime, todayStart } from '../lib/i18n.js';
import { useEvents } from '../lib/hooks.js';

/* A message of an event (a timeline event) or of the store (a row), as one shape. */
function norm(m) {
  const out = m.event ? m.event === 'chat_out' : m.from === 'agent';
  return { seq: m.seq, ts: m.ts, text: m.text, out, agent: m.agent || null };
}

function merge(msgs, add) {
  const by = new Map((msgs || []).map((m) => [m.seq, m]));
  for (const m of add) by.set(m.seq, norm(m));
  return [...by.values()].sort((a, b) => a.seq - b.seq);
}

export function LiveChats() {
  const [chats, setChats] = useState(new Map());
  const [watching, setWatching] = useState(null);
  const [error, setError] = useState(null);

  const load = async () => {
    try {
      const r = await get('/interactions?' + qs({ channel: 'chat', since: todayStart().toISOString(), limit: 200 }));
      const m = new Map();
      for (const ix of r.items || [])
        if (!ix.ended) m.set(ix.id, { interaction: ix.id, from: ix.from, queue: ix.queue, agent: ix.agent, state: ix.answered ? 'connected' : 'queued' });
      setChats(m);
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    }
  };
  useEffect(() => { load(); }, []);

  const watch = async (id) => {
    setWatching(id);
    try {
      const ix = await get('/interactions/' + encodeURIComponent(id));
      setChats((cur) => {
        const m = new Map(cur);
        const c = m.get(id) || { interaction: id, from: ix.from, queue: ix.queue, agent: ix.agent };
        m.set(id, { ...c, messages: merge(c.messages, ix.messages || []) });
        return m;
      });
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    }
  };

  useEvents((ev) => {
    const d = ev.data || {};
    if (ev.type === 'resync') return load();
    if (d.channel !== 'chat' || !d.interaction) return;
    setChats((cur) => {
      const m = new Map(cur);
      const c = m.get(d.interaction) || { interaction: d.interaction };
      switch (ev.type) {
        case 'contact.queued':
        case 'contact.offered':
        case 'contact.answered':
        case 'contact.updated':
          m.set(d.interaction, { ...c, from: d.from, name: d.name, queue: d.queue, agent: d.agent,
            state: ev.type === 'contact.answered' ? 'connected' : d.state || c.state,
            messages: d.messages ? merge(c.messages, d.messages) : c.messages });
          break;
        case 'chat.message':
          m.set(d.interaction, { ...c, messages: merge(c.messages, [d.message]) });
          break;
        case 'contact.transferred':
          m.set(d.interaction, { ...c, state: 'queued', queue: d.to_queue || c.queue, agent: d.to_agent || null });
          break;
        case 'contact.ended':
          m.delete(d.interaction);
          break;
        default:
          return cur;
      }
      return m;
    });
  });

  const list = [...chats.values()];
  const w = watching && chats.get(watching);
  return (
    <section class="grid live-chats" aria-label={t('live.title')}>
      <div class="gridbar"><h2>{t('live.title')}</h2></div>
      {error && <p role="alert" class="error">{error}</p>}
      {list.length === 0 ? <p class="muted">{t('live.none')}</p> : (
        <table>
          <thead><tr><th>{t('live.visitor')}</th><th>{t('pop.queue')}</th><th>{t('live.agent')}</th><th>{t('live.state')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
          <tbody>
            {list.map((c) => (
              <tr data-testid="live-chat" data-interaction={c.interaction}>
                <td>{c.name ? c.name + ' (' + (c.from || '') + ')' : c.from}</td>
                <td>{c.queue || '–'}</td>
                <td>{c.agent || '–'}</td>
                <td>{t(c.state === 'connected' ? 'live.connected' : 'live.waiting')}</td>
                <td><button type="button" onClick={() => watch(c.interaction)}>{t('live.watch')}</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {w && (
        <div class="chat" data-testid="live-chat-view" aria-label={t('live.watching', { name: w.name || w.from || '' })}>
          <h3>{t('live.watching', { name: w.name || w.from || '' })}</h3>
          <ol class="chat-thread">
            {(w.messages || []).map((m) => (
              <li class={'chat-msg ' + (m.out ? 'out' : 'in')} data-testid="live-chat-message" data-from={m.out ? 'agent' : 'visitor'}>
                <strong>{m.out ? (m.agent || t('live.agent')) : (w.name || w.from)}</strong>{' '}
                <span class="chat-text">{m.text}</span>{' '}
                <span class="muted small">{fmtTime(m.ts)}</span>
              </li>
            ))}
          </ol>
          <button type="button" onClick={() => setWatching(null)}>{t('live.stop')}</button>
        </div>
      )}
    </section>
  );
}
