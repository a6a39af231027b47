// The agent desktop: state control with reason codes and time in state, today's own
// figures, the screen pop of an offered contact, call controls, and the wrap-up with
// disposition and notes. Everything live comes from the events WebSocket.
import { useEffect, useState } from 'preact/hooks';
import { get, post, put, qs, getAll } from '../lib/api.js';
import { t, reasonText, fmtDur, fmtPct, fmtNum, fmtTime, todayStart } from '../lib/i18n.js';
import { useEvents, useNow, useShortcuts } from '../lib/hooks.js';
import { chime, notify } from '../lib/notify.js';
import { CallControls } from './CallControls.jsx';
import { ContactCard, DialOnly } from './ContactCard.jsx';
import { PreviewPanel, LeadFacts, Script } from './Preview.jsx';
import { EmailList, emailEvent } from './Email.jsx';
import { SmsList, smsEvent } from './Sms.jsx';
import { ChatList, chatEvent } from './Chat.jsx';

/* Seconds of a configuration duration ("5s", "2m", "1h", "1500ms"); null when absent. */
export function seconds(d) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(d || ''));
  return m ? Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]] : null;
}

/* Occupancy today from the agent's state spans: handling (busy, wrap-up) over handling
 * plus ready (DOMAIN.md). */
function occupancyOf(spans, now) {
  let handling = 0, idle = 0;
  for (const s of spans) {
    const d = (s.end ? Date.parse(s.end) : now) - Date.parse(s.start);
    if (s.state === 'busy' || s.state === 'wrap_up') handling += d;
    else if (s.state === 'ready' || s.state === 'reserved') idle += d;
  }
  return handling + idle ? handling / (handling + idle) : null;
}

function StateBar({ agent, reasons, onState }) {
  const now = useNow();
  const [reason, setReason] = useState('');
  const since = agent.since ? Date.parse(agent.since) : null;
  const label = t('state.' + agent.state);
  return (
    <section class="statebar" aria-label={t('agent.state_section')}>
      <div class={'state-pill s-' + agent.state} data-testid="agent-state">
        <span>{label}</span>
        {agent.reason && <span class="reason">{t('agent.reason_is', { reason: reasonText(agent.reason) })}</span>}
        <span class="clock" aria-label={t('agent.time_in_state')}>{since ? fmtDur((now - since) / 1000) : '–'}</span>
      </div>
      <button type="button" class="go" onClick={() => onState('ready')}
        aria-keyshortcuts="Alt+R" disabled={agent.state === 'ready'}>{t('agent.go_ready')}</button>
      <label class="inline">
        <span class="sr-only">{t('agent.reason')}</span>
        <select aria-label={t('agent.reason')} value={reason} onChange={(e) => setReason(e.target.value)}>
          <option value="">{t('agent.no_reason')}</option>
          {reasons.map((r) => <option value={r}>{r}</option>)}
        </select>
      </label>
      <button type="button" onClick={() => onState('not_ready', reason)} aria-keyshortcuts="Alt+N">
        {t('agent.go_not_ready')}</button>
      <button type="button" onClick={() => onState('logged_out')}>{t('agent.go_logged_out')}</button>
    </section>
  );
}

function Figures({ agent, occupancy }) {
  return (
    <section class="figures" aria-label={t('agent.today')}>
      <h2>{t('agent.today')}</h2>
      <dl>
        <div><dt>{t('agent.handled')}</dt><dd data-testid="handled">{fmtNum(agent.answered_today)}</dd></div>
        <div><dt>{t('agent.aht')}</dt><dd>{fmtDur(agent.aht_s_today)}</dd></div>
        <div><dt>{t('agent.talk')}</dt><dd>{fmtDur(agent.talk_s_today)}</dd></div>
        <div><dt>{t('agent.occupancy')}</dt><dd>{fmtPct(occupancy)}</dd></div>
      </dl>
    </section>
  );
}

/* The other party's number: the caller's, or the lead's on a campaign's outbound call. */
const partyOf = (d) => (d.lead && d.lead.phone) || d.from;

function ScreenPop({ offer }) {
  const d = offer.data;
  const party = partyOf(d);
  return (
    <section class="pop" aria-live="assertive" aria-label={t('pop.title')}>
      <h2>{t('pop.title')}</h2>
      <p class="caller">
        <span class="label">{t('pop.caller')}</span>
        <strong data-testid="caller-number">{party}</strong>
        {party && <DialOnly number={party} />}
      </p>
      <dl class="facts">
        <div><dt>{t('pop.queue')}</dt><dd data-testid="pop-queue">{d.queue || '–'}</dd></div>
        <div><dt>{t('pop.wait')}</dt><dd data-testid="pop-wait">{fmtDur(d.wait_s)}</dd></div>
        <div><dt>{t('pop.number')}</dt><dd>{d.number || d.to || '–'}</dd></div>
        <div><dt>{t('pop.language')}</dt><dd>{d.language || '–'}</dd></div>
        <div><dt>{t('pop.offered_at')}</dt><dd>{fmtTime(offer.time)}</dd></div>
      </dl>
      {d.lead && (
        <div class="pop-lead" data-testid="pop-lead">
          <LeadFacts lead={d.lead} />
          <Script script={d.lead.script || d.script} lead={d.lead} />
        </div>
      )}
      {!d.lead && <h3>{t('pop.ivr_answers')}</h3>}
      {d.lead ? null : d.ivr && Object.keys(d.ivr).length ? (
        <dl class="ivr" data-testid="ivr-answers">
          {Object.entries(d.ivr).map(([k, v]) => <div><dt>{k}</dt><dd>{String(v)}</dd></div>)}
        </dl>
      ) : <p class="muted">{t('pop.no_ivr')}</p>}
      {!d.lead && <h3>{t('pop.ivr_path')}</h3>}
      {d.lead ? null : d.ivr_path && d.ivr_path.length ? (
        <ol class="path" data-testid="ivr-path">{d.ivr_path.map((n) => <li>{n}</li>)}</ol>
      ) : <p class="muted">{t('pop.no_ivr')}</p>}
    </section>
  );
}

function WrapUp({ wrap, dispositions, user, onDone }) {
  const now = useNow();
  const [code, setCode] = useState('');
  const [notes, setNotes] = useState('');
  // A campaign's call: a code that calls back (the lead's callback_codes) takes its time
  // (the lead's local time) and who calls back (this agent, or anyone of the campaign).
  const [cbAt, setCbAt] = useState('');
  const [cbTo, setCbTo] = useState('me');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const done = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (code || notes) {
        const body = { code: code || (dispositions[0] ?? 'none') };
        if (notes) body.notes = notes;
        const calls_back = wrap.lead && (!wrap.lead.callback_codes || wrap.lead.callback_codes.includes(code));
        if (calls_back && cbAt) body.callback = { at: cbAt, agent: cbTo === 'me' ? user : null };
        await put('/interactions/' + wrap.interaction + '/disposition', body);
      }
      await post('/agents/me/wrapup/end').catch(() => {});
      onDone();
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    } finally {
      setBusy(false);
    }
  };
  const left = wrap.limit_s != null ? wrap.limit_s - (now - wrap.started) / 1000 : null;
  return (
    <form class="wrapup" onSubmit={done} aria-label={t('wrap.title')}>
      <h2>{t('wrap.title')}</h2>
      <p class="muted" data-testid="wrap-time">
        {left != null && left > 0 ? t('wrap.left', { time: fmtDur(left) })
          : t('wrap.elapsed', { time: fmtDur((now - wrap.started) / 1000) })}
      </p>
      <label>{t('wrap.disposition')}
        {dispositions.length ? (
          <select name="disposition" value={code} onChange={(e) => setCode(e.target.value)} required>
            <option value="">{t('wrap.choose')}</option>
            {dispositions.map((d) => <option value={d}>{d}</option>)}
          </select>
        ) : <input name="disposition" value={code} onInput={(e) => setCode(e.target.value)} />}
      </label>
      <label>{t('wrap.notes')}
        <textarea name="notes" rows="3" value={notes} onInput={(e) => setNotes(e.target.value)} />
      </label>
      {wrap.lead && (!wrap.lead.callback_codes || wrap.lead.callback_codes.includes(code)) && (
        <fieldset class="callback" data-testid="wrap-callback">
          <legend>{t('wrap.callback')}</legend>
          <label>{t('wrap.callback_at')}
            <input type="datetime-local" name="callback_at" value={cbAt} onInput={(e) => setCbAt(e.target.value)} />
          </label>
          <label>{t('wrap.callback_to')}
            <select name="callback_to" value={cbTo} onChange={(e) => setCbTo(e.target.value)}>
              <option value="me">{t('wrap.callback_me')}</option>
              <option value="campaign">{t('wrap.callback_campaign')}</option>
            </select>
          </label>
        </fieldset>
      )}
      {error && <p role="alert" class="error">{error}</p>}
      <button type="submit" class="primary" disabled={busy}>{t('wrap.done')}</button>
    </form>
  );
}

export function Agent({ me }) {
  const [agent, setAgent] = useState(null);
  const [spans, setSpans] = useState([]);
  const [offer, setOffer] = useState(null);
  const [call, setCall] = useState(null);
  const [wrap, setWrap] = useState(null);
  const [contact, setContact] = useState(null);
  const [error, setError] = useState(null);
  const [queues, setQueues] = useState([]);
  const [emails, setEmails] = useState([]);
  const [smss, setSmss] = useState([]);
  const [chats, setChats] = useState([]);
  // The tenant's reason codes and dispositions: the file's (from /me) and those an admin
  // added through the API since, asked for again with each offer so a new code is there
  // by the wrap-up.
  const [codes, setCodes] = useState({ reasons: me.reason_codes || [], dispositions: me.dispositions || [] });
  const loadCodes = () => Promise.all([get('/reason-codes'), get('/dispositions')]).then(
    ([r, d]) => setCodes({ reasons: r.items.map((x) => x.code), dispositions: d.items.map((x) => x.code) }), () => {});

  const load = async () => {
    try {
      const a = await get('/agents/me');
      setAgent(a);
      // A call in progress when the desktop opens (or comes back from another screen):
      // its controls, and its screen pop with the caller's contact.
      const x = a.call;
      if (x) {
        setCall((c) => c || { interaction: x.interaction, answered: x.answered, held: !!x.held, muted: !!x.muted,
          recPaused: !!x.recording_paused });
        setOffer((o) => o || { type: 'contact.answered', time: x.answered,
          data: { interaction: x.interaction, from: x.from, to: x.to, number: x.number, queue: x.queue } });
        if (x.from)
          get('/contacts?' + qs({ phone: x.from, limit: 1 })).then((r) => r.items[0] && setContact((c) => c || r.items[0]), () => {});
      }
      const since = todayStart().toISOString();
      setSpans(await getAll('/agents/' + encodeURIComponent(me.username) + '/states?' + qs({ since }), 2000));
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    }
  };
  useEffect(() => {
    load();
    loadCodes();
    get('/queues').then((q) => setQueues(q.items || []), () => {});
  }, []);

  const setState = async (state, reason) => {
    setError(null);
    try {
      await put('/agents/me/state', reason ? { state, reason } : { state });
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    }
  };

  useEvents((m) => {
    const d = m.data || {};
    if (m.type === 'resync') return load();
    if (d.agent && d.agent !== me.username && m.type !== 'contact.ended') return;
    if (d.channel === 'chat') {
      // Chats live beside the call, several at once up to the agent's chat capacity.
      setChats((l) => chatEvent(l, m));
      if (m.type === 'contact.offered') {
        chime();
        notify(t('chat.title'), d.name || d.from);
      }
      if (m.type.startsWith('contact.')) get('/agents/me').then(setAgent, () => {});
      return;
    }
    if (d.channel === 'email') {
      // Email conversations live beside the call: they never take its screen pop.
      setEmails((l) => emailEvent(l, m));
      if (m.type === 'contact.offered') {
        chime();
        notify(t('email.title'), d.from);
      }
      if (m.type !== 'agent.state') get('/agents/me').then(setAgent, () => {});
      return;
    }
    if (d.channel === 'sms') {
      // Text conversations too live beside the call.
      setSmss((l) => smsEvent(l, m));
      if (m.type === 'contact.offered') {
        chime();
        notify(t('sms.title'), d.from);
      }
      if (m.type !== 'agent.state') get('/agents/me').then(setAgent, () => {});
      return;
    }
    switch (m.type) {
      case 'agent.state':
        setAgent((a) => a && { ...a, state: d.state, reason: d.reason || null, since: m.time });
        setSpans((s) => [...s.map((x) => (x.end ? x : { ...x, end: m.time })),
          { agent: me.username, state: d.state, reason: d.reason, start: m.time, end: null }]);
        if (d.from === 'wrap_up') setWrap((w) => w && { ...w, over: true });
        break;
      case 'contact.offered':
        setOffer(m);
        setContact(d.contact || null);
        // The offer may come before the server's CRM look-up is done: find the
        // caller's contact by number then.
        if (!d.contact && partyOf(d))
          get('/contacts?' + qs({ phone: partyOf(d), limit: 1 })).then((r) => r.items[0] && setContact((c) => c || r.items[0]), () => {});
        setCall(null);
        setWrap(null);
        loadCodes();
        chime();
        notify(t('pop.title'), partyOf(d));
        break;
      case 'contact.updated':
        // The server's CRM look-up came back after the offer: its contact and history.
        if (d.contact) setContact(d.contact);
        setOffer((o) => (o && o.data.interaction === d.interaction ? { ...o, data: { ...o.data, contact: d.contact } } : o));
        break;
      case 'contact.answered':
        setCall({ interaction: d.interaction, answered: m.time, held: false, muted: false, recPaused: false });
        // A call rung to this agent directly (a preview lead it dialled) comes without
        // an offer: the answer carries the same screen pop (the lead and the script).
        setOffer((o) => (o && o.data.interaction === d.interaction ? o : m));
        if (!offer || offer.data.interaction !== d.interaction) {
          setContact(d.contact || null);
          if (!d.contact && partyOf(d))
            get('/contacts?' + qs({ phone: partyOf(d), limit: 1 })).then((r) => r.items[0] && setContact((c) => c || r.items[0]), () => {});
        }
        break;
      case 'call.held':
      case 'call.resumed':
        setCall((c) => c && { ...c, held: m.type === 'call.held' });
        break;
      case 'call.muted':
      case 'call.unmuted':
        setCall((c) => c && { ...c, muted: m.type === 'call.muted' });
        break;
      case 'recording.paused':
      case 'recording.resumed':
        setCall((c) => c && { ...c, recPaused: m.type === 'recording.paused' });
        break;
      case 'contact.transferred':
        setCall((c) => (c && c.interaction === d.interaction ? null : c));
        break;
      case 'contact.ended': {
        const o = offer;
        if (!o || o.data.interaction !== d.interaction) break;
        if (d.answered) {
          const q = queues.find((x) => x.id === o.data.queue);
          setWrap({ interaction: d.interaction, started: Date.now(), limit_s: q && q.config ? seconds(q.config.wrap_up) : null,
            lead: o.data.lead || null });
        } else setOffer(null);
        setCall(null);
        get('/agents/me').then(setAgent, () => {});
        break;
      }
    }
  });

  const map = {
    KeyR: () => setState('ready'),
    KeyN: () => setState('not_ready'),
  };
  useShortcuts(map);

  if (!agent) return <p class="muted">{error || t('app.loading')}</p>;
  return (
    <div class="desk">
      <StateBar agent={agent} reasons={codes.reasons} onState={setState} />
      {error && <p role="alert" class="error">{error}</p>}
      <div class="desk-grid">
        <div class="col">
          {offer ? <ScreenPop offer={offer} /> : (
            <section class="pop idle"><h2>{t('pop.title')}</h2><p class="muted">{t('pop.waiting')}</p></section>
          )}
          {!offer && !wrap && <PreviewPanel busyOnCall={!!call} />}
          {call && <CallControls call={call} me={me} />}
          <ChatList list={chats} queues={queues.map((q) => q.id)} canned={me.chat_canned || []}
            onGone={(id) => setChats((l) => l.filter((c) => c.interaction !== id))} />
          <EmailList list={emails} onGone={(id) => setEmails((l) => l.filter((c) => c.interaction !== id))} />
          <SmsList list={smss} onGone={(id) => setSmss((l) => l.filter((c) => c.interaction !== id))} />
          {wrap && <WrapUp wrap={wrap} dispositions={codes.dispositions} user={me.username}
            onDone={() => { setWrap(null); setOffer(null); setContact(null); }} />}
        </div>
        <div class="col">
          {offer && <ContactCard contact={contact} caller={partyOf(offer.data)} onSaved={setContact}
            history={contact && contact.history} />}
          <Figures agent={agent} occupancy={occupancyOf(spans, Date.now())} />
          <p class="muted small">{t('agent.shortcuts')}</p>
        </div>
      </div>
    </div>
  );
}
