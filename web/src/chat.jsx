// The web chat's visitor page (/chat.html?tenant=ID&queue=ID[&topics=a,b][&lang=pl]),
// shown in an iframe by /chat.js or on its own. It speaks to centrala over the public
// WebSocket /api/v1/public/chat: a pre-chat form (name, email or phone, topic), then the
// place in the queue and the estimated wait, the agent's name once taken, messages both
// ways with delivery and read marks, typing on both sides. The visitor's token is kept in
// sessionStorage, so a reload or a network drop resumes the same chat. Every text is
// rendered as text, never as markup.
import { render } from 'preact';
import { useState, useEffect, useRef } from 'preact/hooks';
import { t, setLanguage, initialLanguage, onLanguage, getLanguage, fmtDur } from './lib/i18n.js';
import { LanguagePicker } from './components/LanguagePicker.jsx';

const params = new URLSearchParams(location.search);
const tenant = params.get('tenant') || '';
const topics = (params.get('topics') || params.get('queue') || '').split(',').map((s) => s.trim()).filter(Boolean);
const tokenKey = 'centrala.chat.' + tenant;
const TYPING_IDLE_MS = 3000;

const explain = (code) => ({
  invalid_field: t('chatw.err_field'),
  unknown_queue: t('chatw.err_config'),
  too_many: t('chatw.err_too_many'),
  rate_limited: t('chatw.err_rate'),
  too_large: t('chatw.err_large'),
}[code] || t('chatw.err_unavailable'));

function loadToken() {
  try { return sessionStorage.getItem(tokenKey) || ''; } catch { return ''; }
}
function saveToken(v) {
  try {
    if (v) sessionStorage.setItem(tokenKey, v);
    else sessionStorage.removeItem(tokenKey);
  } catch { /* storage refused: the chat lasts as long as the page */ }
}

/* One socket at a time, opened again after a drop (1 s, doubling to 30 s) while a chat is
 * open; `on` gets every message from the server. A connection that died without a word
 * (a network gone under it) is found by a ping every 25 s unanswered for 10 s, or at once
 * when the browser says it is offline; it is opened again as soon as it is back online. */
function connect(on, onOpen, onDown) {
  let ws = null, delay = 1000, stopped = false, timer = null, beat = null, answered = true;
  const url = new URL('api/v1/public/chat?tenant=' + encodeURIComponent(tenant), location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const drop = () => {
    if (!ws) return;
    const w = ws;
    ws = null;
    w.onclose = null;
    w.close();
    down();
  };
  const down = () => {
    clearInterval(beat);
    if (stopped) return;
    onDown();
    clearTimeout(timer);
    timer = setTimeout(open, delay);
    delay = Math.min(delay * 2, 30000);
  };
  const open = () => {
    clearTimeout(timer);
    if (ws || stopped) return;
    const w = new WebSocket(url.href);
    ws = w;
    w.onopen = () => {
      delay = 1000;
      answered = true;
      clearInterval(beat);
      beat = setInterval(() => {
        if (!answered) { drop(); return; }
        answered = false;
        w.send(JSON.stringify({ type: 'ping' }));
      }, 25000);
      onOpen();
    };
    w.onmessage = (e) => {
      answered = true;
      try { on(JSON.parse(e.data)); } catch { /* not JSON: ignored */ }
    };
    w.onclose = () => {
      if (ws === w) ws = null;
      down();
    };
  };
  const offline = () => drop();
  const online = () => { delay = 1000; open(); };
  window.addEventListener('offline', offline);
  window.addEventListener('online', online);
  open();
  return {
    send: (m) => { if (ws && ws.readyState === 1) { ws.send(JSON.stringify(m)); return true; } return false; },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(beat);
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
      if (ws) ws.close();
    },
  };
}

function Form({ onStart, error, busy }) {
  const [name, setName] = useState('');
  const [contact, setContact] = useState('');
  const [topic, setTopic] = useState(topics[0] || '');
  const submit = (e) => {
    e.preventDefault();
    const c = contact.trim();
    onStart({ name: name.trim(), topic, ...(c.includes('@') ? { email: c } : { phone: c }) });
  };
  return (
    <form class="chatw-form" onSubmit={submit}>
      <p>{t('chatw.intro')}</p>
      <label>{t('chatw.name')}
        <input name="name" autocomplete="name" required maxLength={120} value={name}
          onInput={(e) => setName(e.target.value)} />
      </label>
      <label>{t('chatw.contact')}
        <input name="contact" autocomplete="email" required maxLength={254} value={contact}
          onInput={(e) => setContact(e.target.value)} />
      </label>
      {topics.length > 1 && (
        <label>{t('chatw.topic')}
          <select name="topic" value={topic} onChange={(e) => setTopic(e.target.value)}>
            {topics.map((q) => <option value={q}>{q}</option>)}
          </select>
        </label>
      )}
      {error && <p role="alert" class="error">{error}</p>}
      <button type="submit" class="primary" disabled={busy}>{t('chatw.start')}</button>
    </form>
  );
}

function Mark({ m }) {
  if (m.from !== 'visitor') return null;
  const k = m.read ? 'chatw.read' : m.seq ? 'chatw.delivered' : 'chatw.sending';
  return <span class={'chatw-mark ' + (m.read ? 'read' : m.seq ? 'delivered' : 'sending')}
    data-testid="chat-mark" title={t(k)} aria-label={t(k)}>{m.read ? '✓✓' : m.seq ? '✓' : '…'}</span>;
}

function Chat() {
  const [, redraw] = useState(0);
  const [token, setToken] = useState(loadToken());
  const [state, setState] = useState(token ? { state: 'resuming' } : null);
  const [msgs, setMsgs] = useState([]);
  const [typing, setTyping] = useState(false);
  const [online, setOnline] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [text, setText] = useState('');
  const conn = useRef(null);
  const tokenRef = useRef(token);
  const typingSent = useRef(0);
  const typingOff = useRef(null);
  const agentTyping = useRef(null);
  const list = useRef(null);
  const lastRead = useRef(0);
  const closedToken = useRef('');
  const [transcript, setTranscript] = useState(null);
  useEffect(() => onLanguage(() => redraw((n) => n + 1)), []);

  const readUpTo = (all) => {
    // The agent's messages shown to a visitor looking at the page are read.
    if (document.visibilityState !== 'visible') return;
    const last = all.filter((m) => m.from === 'agent').reduce((s, m) => Math.max(s, m.seq || 0), 0);
    if (last > lastRead.current && conn.current && conn.current.send({ type: 'read', seq: last }))
      lastRead.current = last;
  };

  const onServer = (m) => {
    switch (m.type) {
      case 'started':
        tokenRef.current = m.token;
        saveToken(m.token);
        setToken(m.token);
        setBusy(false);
        setState({ state: 'queued' });
        break;
      case 'state':
        setState(m);
        break;
      case 'history': {
        setState(m);
        const all = m.messages.map((x) => ({ ...x, read: false }));
        setMsgs((old) => [...all, ...old.filter((x) => !x.seq && !all.some((y) => y.cid === x.cid))]);
        readUpTo(all);
        break;
      }
      case 'message':
        setMsgs((old) => {
          const rest = old.filter((x) => !(m.cid && x.cid === m.cid) && x.seq !== m.seq);
          const all = [...rest, { ...m, read: false }].sort((a, b) => (a.seq || 1e12) - (b.seq || 1e12));
          if (m.from === 'agent') setTimeout(() => readUpTo(all), 0);
          return all;
        });
        if (m.from === 'agent') setTyping(false);
        break;
      case 'read':
        setMsgs((old) => old.map((x) => (x.from === 'visitor' && x.seq && x.seq <= m.seq ? { ...x, read: true } : x)));
        break;
      case 'transcript':
        setTranscript(m.state);
        break;
      case 'typing':
        setTyping(!!m.on);
        clearTimeout(agentTyping.current);
        if (m.on) agentTyping.current = setTimeout(() => setTyping(false), 10000);
        break;
      case 'closed':
        if (m.by === 'elsewhere') {
          // Another tab took this chat over: this one stops trying.
          if (conn.current) conn.current.stop();
          setState({ state: 'elsewhere' });
          break;
        }
        // Kept for the transcript by email, which the end screen offers.
        closedToken.current = tokenRef.current;
        setTranscript(null);
        saveToken('');
        tokenRef.current = '';
        setToken('');
        setState({ state: 'closed', by: m.by });
        setTyping(false);
        break;
      case 'error':
        setBusy(false);
        if (m.code === 'unknown_chat') {
          saveToken('');
          tokenRef.current = '';
          setToken('');
          setState((s) => (s && s.state === 'resuming' ? null : { state: 'closed' }));
        } else setError(explain(m.code));
        break;
    }
  };

  useEffect(() => {
    conn.current = connect(onServer, () => {
      setOnline(true);
      if (tokenRef.current) conn.current.send({ type: 'resume', token: tokenRef.current });
    }, () => setOnline(false));
    const vis = () => setMsgs((all) => (readUpTo(all), all));
    document.addEventListener('visibilitychange', vis);
    return () => { conn.current.stop(); document.removeEventListener('visibilitychange', vis); };
  }, []);

  useEffect(() => {
    if (list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [msgs, typing]);

  const start = (f) => {
    setError('');
    if (!f.topic) { setError(t('chatw.err_config')); return; }
    setBusy(true);
    if (!conn.current.send({ type: 'start', ...f, language: getLanguage() })) {
      setBusy(false);
      setError(t('chatw.err_unavailable'));
    }
  };

  const sendTyping = (on) => {
    const now = Date.now();
    if (on && now - typingSent.current < 2000) return;
    typingSent.current = on ? now : 0;
    conn.current.send({ type: 'typing', on });
  };

  const onInput = (e) => {
    setText(e.target.value);
    sendTyping(true);
    clearTimeout(typingOff.current);
    typingOff.current = setTimeout(() => sendTyping(false), TYPING_IDLE_MS);
  };

  const send = (e) => {
    e.preventDefault();
    const v = text.trim();
    if (!v) return;
    const cid = Math.random().toString(36).slice(2, 12);
    setMsgs((old) => [...old, { cid, from: 'visitor', text: v, ts: new Date().toISOString() }]);
    setText('');
    setError('');
    clearTimeout(typingOff.current);
    typingSent.current = 0;
    if (!conn.current.send({ type: 'message', text: v, cid })) setError(t('chatw.offline'));
  };

  // Messages not yet taken by the server are sent again once the socket is back.
  useEffect(() => {
    if (!online || !token || !state || state.state === 'resuming') return;
    msgs.filter((m) => !m.seq && m.from === 'visitor')
      .forEach((m) => conn.current.send({ type: 'message', text: m.text, cid: m.cid }));
  }, [online, state && state.state]);

  const head = (
    <header class="chatw-head">
      <h1>{t('chatw.title')}</h1>
      <LanguagePicker />
    </header>
  );
  if (!tenant) return <main class="chatw">{head}<p role="alert">{t('chatw.err_config')}</p></main>;
  if (!state) return <main class="chatw">{head}<Form onStart={start} error={error} busy={busy || !online} /></main>;
  if (state.state === 'elsewhere') return <main class="chatw">{head}<p role="status">{t('chatw.elsewhere')}</p></main>;

  const closed = state.state === 'closed';
  let status;
  if (closed) status = t(state.by === 'agent' ? 'chatw.closed_agent' : state.by === 'timeout' ? 'chatw.closed_timeout' : 'chatw.closed');
  else if (state.state === 'connected') status = t('chatw.with_agent', { name: state.agent || '' });
  else if (state.state === 'queued' && state.position)
    status = state.wait_s != null
      ? t('chatw.queued_wait', { position: state.position, wait: fmtDur(state.wait_s) })
      : t('chatw.queued', { position: state.position });
  else status = t('chatw.connecting');

  return (
    <main class="chatw">
      {head}
      <p class="chatw-status" role="status" data-testid="chat-status">{status}</p>
      {!online && !closed && <p class="chatw-offline" role="alert">{t('chatw.offline')}</p>}
      <ol class="chatw-msgs" ref={list} aria-live="polite">
        {msgs.map((m) => (
          <li class={'chatw-msg ' + (m.from === 'visitor' ? 'me' : 'them')} data-testid="chat-message" data-from={m.from}>
            <span class="chatw-text">{m.text}</span>
            <Mark m={m} />
          </li>
        ))}
      </ol>
      {typing && !closed && <p class="chatw-typing muted" data-testid="chat-typing">{t('chatw.typing', { name: state.agent || '' })}</p>}
      {error && <p role="alert" class="error">{error}</p>}
      {closed && closedToken.current && (
        transcript ? (
          <p role="status" data-testid="chat-transcript">
            {t(transcript === 'sent' ? 'chatw.transcript_sent' : transcript === 'sending' ? 'chatw.transcript_sending' : 'chatw.transcript_failed')}
          </p>
        ) : (
          <button type="button" onClick={() => {
            if (conn.current.send({ type: 'transcript', token: closedToken.current })) setTranscript('sending');
            else setError(t('chatw.offline'));
          }}>{t('chatw.transcript')}</button>
        )
      )}
      {closed ? (
        <button type="button" onClick={() => { closedToken.current = ''; setTranscript(null); setMsgs([]); setState(null); }}>{t('chatw.new')}</button>
      ) : (
        <form class="chatw-send" onSubmit={send}>
          <label class="sr-only" for="chatw-text">{t('chatw.message')}</label>
          <textarea id="chatw-text" name="message" rows="2" value={text} onInput={onInput}
            onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey) send(e); }}
            placeholder={t('chatw.message')} />
          <button type="submit" class="primary" disabled={!text.trim()}>{t('chatw.send')}</button>
          <button type="button" onClick={() => conn.current.send({ type: 'close' })}>{t('chatw.end')}</button>
        </form>
      )}
    </main>
  );
}

const asked = params.get('lang');
setLanguage(asked && ['pl', 'es', 'ru', 'en'].includes(asked) ? asked : initialLanguage(), false);
document.title = t('chatw.title');
onLanguage(() => { document.title = t('chatw.title'); });
render(<Chat />, document.getElementById('app'));
