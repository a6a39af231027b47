// The supervisor's wallboard: a tile per queue coloured by the supervisor's thresholds,
// a chart of waiting and service level over the day, a full-screen mode, and the agent
// grid with sorting, filtering and the supervisor's actions, and the chats going on now
// with a read-only view of one (LiveChats.jsx). Events are applied to
// plain maps and drawn once per animation frame, so a busy tenant costs one render per
// frame whatever the event rate; the agent grid draws only the rows in view.
import { Component } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { get, post, put, qs, getAll } from '../lib/api.js';
import { t, reasonText, fmtDur, fmtPct, fmtNum, todayStart, getLanguage } from '../lib/i18n.js';
import { useEvents, useNow } from '../lib/hooks.js';
import { Chart } from './Chart.jsx';
import { LiveChats } from './LiveChats.jsx';

const DEFAULT_LIMITS = { waiting_warn: 3, waiting_alert: 10, wait_warn: 30, wait_alert: 120, sl_warn: 80, sl_alert: 60, abandon_alert: 10 };
const loadLimits = () => ({ ...DEFAULT_LIMITS, ...JSON.parse(localStorage.getItem('centrala.limits') || '{}') });

function level(q, lim, longest) {
  const sl = q.today && q.today.answered ? q.service_level * 100 : null;
  const ab = q.abandon_rate != null ? q.abandon_rate * 100 : null;
  if (q.waiting >= lim.waiting_alert || longest >= lim.wait_alert || (sl != null && sl < lim.sl_alert) || (ab != null && ab >= lim.abandon_alert)) return 'alert';
  if (q.waiting >= lim.waiting_warn || longest >= lim.wait_warn || (sl != null && sl < lim.sl_warn)) return 'warn';
  return 'ok';
}

class Tile extends Component {
  shouldComponentUpdate(n) {
    return n.q !== this.props.q || n.lim !== this.props.lim || n.lang !== this.props.lang ||
      (n.q.waiting > 0 && n.now !== this.props.now);
  }
  render({ q, lim, now }) {
    const longest = q.waiting > 0 ? q.longest_wait_s + Math.max(0, (now - q._at) / 1000) : 0;
    const a = q.agents || {};
    const lv = level(q, lim, longest);
    return (
      <article class={'tile ' + lv} aria-label={t('wb.queue', { queue: q.id })} data-queue={q.id}>
        <h3>{q.id}</h3>
        <div class="big"><span class="n" data-testid="waiting">{fmtNum(q.waiting)}</span><span class="u">{t('wb.waiting', { count: q.waiting })}</span></div>
        <dl>
          <div><dt>{t('wb.longest')}</dt><dd>{fmtDur(longest)}</dd></div>
          <div><dt>{t('wb.sl')}</dt><dd>{q.today && q.today.answered ? fmtPct(q.service_level) : '–'}
            <span class="muted"> / {fmtNum(q.service_level_target_pct)} %</span></dd></div>
          <div><dt>{t('wb.asa')}</dt><dd>{fmtDur(q.asa_s)}</dd></div>
          <div><dt>{t('wb.aht')}</dt><dd>{fmtDur(q.aht_s)}</dd></div>
          <div><dt>{t('wb.abandoned')}</dt><dd>{fmtPct(q.abandon_rate, 1)}</dd></div>
        </dl>
        <p class="agents-line">
          <span class="s-ready">{t('wb.ready_n', { count: a.ready || 0 })}</span>
          <span class="s-busy">{t('wb.busy_n', { count: a.busy || 0 })}</span>
          <span class="s-wrap_up">{t('wb.wrap_n', { count: a.wrap_up || 0 })}</span>
          <span class="s-not_ready">{t('wb.nr_n', { count: a.not_ready || 0 })}</span>
        </p>
      </article>
    );
  }
}

const pct = (x) => (x == null ? null : x / 100);

/* A running (or paused) campaign's tile: leads left, dialing now, answered, persons and
 * machines, abandoned today and over the cap's window, agents, dial ratio. Red when the
 * abandoned share over the window has reached the cap, amber when calls were abandoned
 * and the pacer counts the cap at risk (or the share's upper bound is over it). */
function CampaignTile({ c, onControl }) {
  const d = c.today || {};
  const w = c.abandoned_window || {};
  const a = c.agents || {};
  const lv = w.human && w.cap_pct && w.pct >= w.cap_pct ? 'alert'
    : w.abandoned && (c.at_risk || w.upper_pct >= w.cap_pct) ? 'warn' : 'ok';
  return (
    <article class={'tile campaign ' + lv} aria-label={t('wb.campaign', { campaign: c.id })} data-campaign={c.id}>
      <h3>{c.name || c.id} <span class={'badge camp-' + c.state} data-testid="campaign-state">{t('camp.state.' + c.state)}</span></h3>
      <div class="big"><span class="n" data-testid="dialing-now">{fmtNum(c.dialing_now)}</span><span class="u">{t('wb.dialing', { count: c.dialing_now || 0 })}</span></div>
      <dl>
        <div><dt>{t('camp.leads_left')}</dt><dd data-testid="leads-left">{fmtNum(c.leads_left)}</dd></div>
        <div><dt>{t('camp.answered')}</dt><dd data-testid="answered">{fmtNum(d.answered)}</dd></div>
        <div><dt>{t('camp.human_machine')}</dt><dd>{fmtNum(d.human)} / {fmtNum(d.machine)}</dd></div>
        <div><dt>{t('wb.abandoned_today')}</dt><dd>{fmtPct(pct(d.abandoned_pct), 1)}</dd></div>
        <div><dt>{t('wb.abandoned_window')}</dt><dd>{fmtPct(pct(w.pct), 1)}<span class="muted"> / {fmtPct(pct(w.cap_pct), 1)}</span></dd></div>
        <div><dt>{t('camp.dial_ratio')}</dt><dd data-testid="dial-ratio">{fmtNum(c.dial_ratio, 1)}</dd></div>
      </dl>
      <p class="agents-line">
        <span class="s-ready">{t('wb.free_n', { count: a.free || 0 })}</span>
        <span class="s-busy">{t('wb.talking_n', { count: a.talking || 0 })}</span>
        <span class="s-wrap_up">{t('wb.wrap_n', { count: a.wrap_up || 0 })}</span>
        <span class="s-not_ready">{t('wb.away_n', { count: a.away || 0 })}</span>
      </p>
      <div class="tile-actions">
        {c.state === 'running'
          ? <button type="button" class="small" onClick={() => onControl(c, 'pause')}
            aria-label={t('camp.pause_named', { name: c.id })}>{t('camp.pause')}</button>
          : <button type="button" class="small" onClick={() => onControl(c, 'start')}
            aria-label={t('camp.start_named', { name: c.id })}>{t('camp.start')}</button>}
      </div>
    </article>
  );
}

const ROW_H = 30;
const COLS = ['name', 'state', 'reason', 'time', 'contact', 'queue', 'handled'];

class Row extends Component {
  shouldComponentUpdate(n) {
    return n.a !== this.props.a || n.sec !== this.props.sec;
  }
  render({ a, now, act }) {
    const since = a.since ? Date.parse(a.since) : null;
    return (
      <tr class={'s-' + a.state} data-agent={a.username}>
        <td>{a.name || a.username}</td>
        <td>{t('state.' + a.state)}</td>
        <td data-testid="agent-reason">{reasonText(a.reason)}</td>
        <td>{since ? fmtDur((now - since) / 1000) : '–'}</td>
        <td>{a._from || ''}</td>
        <td>{a._queue || ''}</td>
        <td>{fmtNum(a.answered_today)}</td>
        <td class="actions">
          {a.interaction && ['listen', 'whisper', 'barge'].map((m) => (
            <button type="button" class="small" onClick={() => act(a, 'monitor', m)}
              aria-label={t('grid.' + m + '_agent', { agent: a.username })}>{t('grid.' + m)}</button>
          ))}
          <button type="button" class="small" onClick={() => act(a, 'not_ready')}
            aria-label={t('grid.force_nr_agent', { agent: a.username })}>{t('grid.force_nr')}</button>
          <button type="button" class="small" onClick={() => act(a, 'logged_out')}
            aria-label={t('grid.logout_agent', { agent: a.username })}>{t('grid.logout')}</button>
        </td>
      </tr>
    );
  }
}

function AgentGrid({ agents, now }) {
  const [sort, setSort] = useState({ col: 'name', dir: 1 });
  const [filter, setFilter] = useState('');
  const [state, setState] = useState('');
  const [scroll, setScroll] = useState(0);
  const [msg, setMsg] = useState(null);
  const box = useRef(null);
  const key = {
    name: (a) => (a.name || a.username).toLowerCase(), state: (a) => a.state, reason: (a) => a.reason || '',
    time: (a) => (a.since ? -Date.parse(a.since) : 0), contact: (a) => a._from || '', queue: (a) => a._queue || '',
    handled: (a) => a.answered_today || 0,
  }[sort.col];
  const f = filter.toLowerCase();
  // Sorted once per change of the agents, not on every tick of the clock.
  const rows = useMemo(() => agents.filter((a) => (!state || a.state === state) &&
    (!f || (a.username + ' ' + (a.name || '') + ' ' + (a._queue || '')).toLowerCase().includes(f)))
    .map((a) => [key(a), a]).sort((x, y) => (x[0] < y[0] ? -sort.dir : x[0] > y[0] ? sort.dir : 0))
    .map((x) => x[1]), [agents, sort, f, state]);
  const height = 12 * ROW_H;
  const first = Math.max(0, Math.floor(scroll / ROW_H) - 4);
  const last = Math.min(rows.length, first + Math.ceil(height / ROW_H) + 8);
  const act = async (a, what, mode) => {
    setMsg(null);
    try {
      if (what === 'monitor') await post('/calls/' + encodeURIComponent(a.interaction) + '/monitor', { mode });
      else await put('/agents/' + encodeURIComponent(a.username) + '/state', { state: what });
      setMsg({ ok: true, text: t('grid.done') });
    } catch (err) {
      setMsg({ ok: false, text: t('error.generic', { message: err.message }) });
    }
  };
  const header = (c) => (
    <th aria-sort={sort.col === c ? (sort.dir > 0 ? 'ascending' : 'descending') : undefined}>
      <button type="button" class="link" onClick={() => setSort({ col: c, dir: sort.col === c ? -sort.dir : 1 })}>{t('grid.' + c)}</button>
    </th>
  );
  return (
    <section class="grid" aria-label={t('grid.title')}>
      <div class="gridbar">
        <h2>{t('grid.title')}</h2>
        <input type="search" aria-label={t('grid.filter')} placeholder={t('grid.filter')} value={filter} onInput={(e) => setFilter(e.target.value)} />
        <select aria-label={t('grid.state_filter')} value={state} onChange={(e) => setState(e.target.value)}>
          <option value="">{t('grid.all_states')}</option>
          {['ready', 'reserved', 'busy', 'wrap_up', 'not_ready', 'logged_out'].map((s) => <option value={s}>{t('state.' + s)}</option>)}
        </select>
        <span class="muted small">{t('grid.count', { count: rows.length })}</span>
        {msg && <span role="status" class={msg.ok ? 'muted small' : 'error'}>{msg.text}</span>}
      </div>
      <div class="gridbox" ref={box} style={{ height: height + ROW_H + 'px' }} onScroll={(e) => setScroll(e.target.scrollTop)}>
        <table>
          <thead><tr>{COLS.map(header)}<th>{t('grid.actions')}</th></tr></thead>
          <tbody>
            {first > 0 && <tr style={{ height: first * ROW_H + 'px' }} aria-hidden="true" />}
            {rows.slice(first, last).map((a) => <Row key={a.username} a={a} now={now} sec={a.since ? now : 0} act={act} />)}
            {last < rows.length && <tr style={{ height: (rows.length - last) * ROW_H + 'px' }} aria-hidden="true" />}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Limits({ lim, onChange }) {
  const keys = Object.keys(DEFAULT_LIMITS);
  return (
    <details class="limits">
      <summary>{t('wb.thresholds')}</summary>
      <div class="limit-grid">
        {keys.map((k) => (
          <label>{t('wb.limit.' + k)}
            {/* Uncontrolled: the board re-renders with every event, which must not undo what
                the supervisor is typing; the value counts once it is committed. */}
            <input type="number" min="0" defaultValue={lim[k]} onChange={(e) => onChange({ ...lim, [k]: Number(e.target.value) })} />
          </label>
        ))}
      </div>
    </details>
  );
}

/* Waiting and service level at every 5 minutes of the day so far, from today's
 * interactions: waiting = queued and not yet answered or ended at that instant. */
function dayHistory(ix, queues, from, to) {
  const target = Object.fromEntries(queues.map((q) => [q.id, q.service_level_s || 20]));
  const xs = [], waiting = [], sl = [];
  const ev = ix.filter((i) => i.queued).map((i) => ({
    q: Date.parse(i.queued), out: Date.parse(i.answered || i.ended || new Date(to).toISOString()),
    inSl: i.answered && i.wait_s <= (target[i.queue] || 20), answered: !!i.answered, end: Date.parse(i.answered || i.ended || 0),
  }));
  for (let x = from; x <= to; x += 300000) {
    xs.push(x / 1000);
    let w = 0, ans = 0, ok = 0;
    for (const e of ev) {
      if (e.q <= x && e.out > x) w++;
      if (e.answered && e.end <= x) { ans++; if (e.inSl) ok++; }
    }
    waiting.push(w);
    sl.push(ans ? ok / ans : null);
  }
  return [xs, waiting, sl];
}

export function Wallboard({ me }) {
  const [queues, setQueues] = useState([]);
  const [campaigns, setCampaigns] = useState([]);
  const [agents, setAgents] = useState([]);
  const [lim, setLim] = useState(loadLimits());
  const [chart, setChart] = useState([[], [], []]);
  const [error, setError] = useState(null);
  const store = useRef({ q: new Map(), a: new Map(), c: new Map(), frame: 0 });
  const wall = useRef(null);
  const now = useNow();

  const flush = () => {
    const s = store.current;
    s.frame = 0;
    setQueues([...s.q.values()]);
    setCampaigns([...s.c.values()].filter((c) => c.state !== 'stopped'));
    setAgents([...s.a.values()]);
  };
  const schedule = () => {
    const s = store.current;
    if (!s.frame) s.frame = requestAnimationFrame(flush);
  };
  const load = async () => {
    try {
      const s = store.current;
      const [q, a] = await Promise.all([get('/queues'), get('/agents')]);
      const at = Date.now();
      s.q = new Map((q.items || q).map((x) => [x.id, { ...x, _at: at }]));
      s.a = new Map((a.items || a).map((x) => [x.username, x]));
      // Campaigns: a server without them (or a user without the right) has none.
      const cs = await get('/campaigns').catch(() => ({ items: [] }));
      s.c = new Map((cs.items || []).map((x) => [x.id, x]));
      // The calls up now give each busy agent's caller and queue; later ones come
      // with contact.offered.
      const calls = await get('/calls').catch(() => ({ items: [] }));
      for (const c of calls.items || []) {
        const ag = c.agent && s.a.get(c.agent);
        if (ag) s.a.set(c.agent, { ...ag, interaction: c.interaction, _from: c.from, _queue: c.queue });
      }
      flush();
      const from = todayStart().getTime();
      const ix = await getAll('/interactions?' + qs({ since: new Date(from).toISOString(), limit: 500 }), 20000);
      setChart(dayHistory(ix, [...s.q.values()], from, Date.now()));
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    }
  };
  useEffect(() => { load(); }, []);

  useEvents((m) => {
    const s = store.current;
    const d = m.data || {};
    if (m.type === 'resync') return load();
    if (m.type === 'queue.stats') {
      s.q.set(d.id, { ...d, _at: Date.now() });
      setChart((c) => {
        const x = Date.now() / 1000;
        const all = [...s.q.values()];
        const w = all.reduce((n, q) => n + q.waiting, 0);
        const ans = all.reduce((n, q) => n + ((q.today && q.today.answered) || 0), 0);
        const ok = all.reduce((n, q) => n + ((q.today && q.today.answered_in_sl) || 0), 0);
        if (c[0].length && x - c[0][c[0].length - 1] < 5) {
          const n = c[0].length - 1;
          return [c[0], [...c[1].slice(0, n), w], [...c[2].slice(0, n), ans ? ok / ans : null]];
        }
        return [[...c[0], x], [...c[1], w], [...c[2], ans ? ok / ans : null]];
      });
    } else if (m.type === 'campaign.stats') {
      s.c.set(d.id, { ...(s.c.get(d.id) || {}), ...d });
    } else if (m.type === 'agent.state') {
      const a = s.a.get(d.agent) || { username: d.agent, answered_today: 0 };
      s.a.set(d.agent, { ...a, state: d.state, reason: d.reason || null, since: m.time });
    } else if (m.type === 'contact.offered' || m.type === 'contact.answered') {
      const a = s.a.get(d.agent);
      if (a) s.a.set(d.agent, { ...a, interaction: d.interaction, _from: d.from, _queue: d.queue,
        answered_today: (a.answered_today || 0) + (m.type === 'contact.answered' ? 1 : 0) });
    } else if (m.type === 'contact.ended' || m.type === 'contact.transferred') {
      for (const a of s.a.values())
        if (a.interaction === d.interaction) s.a.set(a.username, { ...a, interaction: null, _from: null, _queue: null });
    } else return;
    schedule();
  });

  // Start or pause a campaign; the tile follows from the answer, then the events.
  const control = async (c, action) => {
    try {
      const r = await post('/campaigns/' + encodeURIComponent(c.id) + '/' + action);
      const s = store.current;
      s.c.set(c.id, { ...(s.c.get(c.id) || {}), ...r });
      schedule();
      setError(null);
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    }
  };
  const setLimits = (l) => {
    localStorage.setItem('centrala.limits', JSON.stringify(l));
    setLim(l);
  };
  const fullscreen = () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (wall.current.requestFullscreen) wall.current.requestFullscreen();
  };
  return (
    <div class="wallboard">
      <div ref={wall} class="wall">
        <div class="wallbar">
          <h1>{t('wb.title')}</h1>
          <Limits lim={lim} onChange={setLimits} />
          <button type="button" onClick={fullscreen}>{t('wb.fullscreen')}</button>
        </div>
        {error && <p role="alert" class="error">{error}</p>}
        <div class="tiles">{queues.map((q) => <Tile key={q.id} q={q} lim={lim} now={now} lang={getLanguage()} />)}</div>
        {campaigns.length > 0 && (
          <div class="tiles campaigns" role="group" aria-label={t('wb.campaigns')}>
            {campaigns.map((c) => <CampaignTile key={c.id} c={c} onControl={control} />)}
          </div>
        )}
        <Chart data={chart} label={t('wb.chart')}
          series={[{ label: t('wb.series_waiting'), color: '#c05621' }, { label: t('wb.series_sl'), color: '#2b6cb0', scale: 'pct', value: (u, v) => fmtPct(v) }]} />
      </div>
      <AgentGrid agents={agents} now={now} />
      <LiveChats />
    </div>
  );
}
