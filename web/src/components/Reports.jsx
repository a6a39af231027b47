// Reports: interval report per queue (15, 30 or 60 minutes), agent report and disposition
// report over a date range in the tenant's time zone, with a chart and CSV download.
import { useEffect, useState } from 'preact/hooks';
import { get, getAll, qs } from '../lib/api.js';
import { t, fmtDur, fmtPct, fmtNum, fmtDateTime, zoneParts, zoneInstant } from '../lib/i18n.js';
import { intervalReport, agentReport, dispositionReport, toCsv, LOOKBACK_MS } from '../lib/report.js';
import { Chart } from './Chart.jsx';

const ymd = (d) => { const p = zoneParts(d); return `${p.y}-${String(p.mo).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`; };
const instant = (s, plusDay) => { const [y, m, d] = s.split('-').map(Number); return zoneInstant(y, m, d + (plusDay ? 1 : 0)).getTime(); };

function download(name, text) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

export function Reports() {
  const today = ymd(new Date());
  const [kind, setKind] = useState('interval');
  const [from, setFrom] = useState(today);
  const [to, setTo] = useState(today);
  const [minutes, setMinutes] = useState(30);
  const [queue, setQueue] = useState('');
  const [queues, setQueues] = useState([]);
  const [data, setData] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  useEffect(() => { get('/queues').then((r) => setQueues(r.items || []), () => {}); }, []);

  const run = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const a = instant(from), b = instant(to, true);
      const ix = await getAll('/interactions?' + qs({ since: new Date(a - LOOKBACK_MS).toISOString(), until: new Date(b).toISOString(), queue, limit: 500 }), 100000);
      const targets = Object.fromEntries(queues.map((q) => [q.id, q.service_level_s ?? 20]));
      if (kind === 'interval') setData({ kind, rows: intervalReport(ix, { from: a, to: b, minutes, targets }) });
      else if (kind === 'disposition') setData({ kind, rows: dispositionReport(ix, { from: a, to: b }) });
      else {
        const agents = (await get('/agents')).items || [];
        const rows = [], now = Date.now();
        for (const ag of agents) {
          const spans = await getAll('/agents/' + encodeURIComponent(ag.username) + '/states?' + qs({ since: new Date(a).toISOString(), until: new Date(b).toISOString() }), 20000);
          rows.push(agentReport(ag.username, spans, ix, { from: a, to: b, now }));
        }
        setData({ kind, rows, from: a, to: b, now });
      }
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    } finally {
      setBusy(false);
    }
  };

  const csv = () => {
    if (data.kind === 'interval')
      download('interval.csv', toCsv(['queue', 'start', 'offered', 'answered', 'abandoned', 'abandoned_short', 'answered_in_sl', 'service_level', 'asa_s', 'aht_s', 'longest_wait_s'],
        data.rows.map((r) => [r.queue, new Date(r.start).toISOString(), r.offered, r.answered, r.abandoned, r.abandoned_short, r.answered_in_sl, r.sl, r.asa_s, r.aht_s, r.longest_wait_s])));
    else if (data.kind === 'agent')
      download('agents.csv', toCsv(['agent', 'logged_in_s', 'ready_s', 'talk_s', 'hold_s', 'wrap_up_s', 'not_ready_s', 'not_ready_by_reason', 'occupancy', 'handled', 'from', 'to', 'as_of'],
        data.rows.map((r) => [r.agent, r.logged_in_s, r.ready_s, r.talk_s, r.hold_s, r.wrap_up_s, r.not_ready_s, JSON.stringify(r.not_ready_by_reason), r.occupancy, r.handled,
          new Date(data.from).toISOString(), new Date(data.to).toISOString(), new Date(data.now).toISOString()])));
    else download('dispositions.csv', toCsv(['disposition', 'count'], data.rows.map((r) => [r.code, r.count])));
  };

  const chartData = data && data.kind === 'interval' ? (() => {
    const by = new Map();
    for (const r of data.rows) { const x = by.get(r.start) || [0, 0]; x[0] += r.offered; x[1] += r.answered; by.set(r.start, x); }
    const xs = [...by.keys()].sort((p, q) => p - q);
    return [xs.map((x) => x / 1000), xs.map((x) => by.get(x)[0]), xs.map((x) => by.get(x)[1])];
  })() : null;

  return (
    <div class="reports">
      <form class="inline-form" onSubmit={run} aria-label={t('rep.title')}>
        <label>{t('rep.kind')}
          <select aria-label={t('rep.kind')} value={kind} onChange={(e) => { setKind(e.target.value); setData(null); }}>
            {['interval', 'agent', 'disposition'].map((k) => <option value={k}>{t('rep.kind.' + k)}</option>)}
          </select>
        </label>
        <label>{t('rep.from')}<input type="date" value={from} onChange={(e) => setFrom(e.target.value)} required /></label>
        <label>{t('rep.to')}<input type="date" value={to} onChange={(e) => setTo(e.target.value)} required /></label>
        {kind === 'interval' && <label>{t('rep.interval')}
          <select aria-label={t('rep.interval')} value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
            {[15, 30, 60].map((m) => <option value={m}>{t('rep.minutes', { count: m })}</option>)}
          </select></label>}
        <label>{t('rep.queue')}
          <select aria-label={t('rep.queue')} value={queue} onChange={(e) => setQueue(e.target.value)}>
            <option value="">{t('rep.all_queues')}</option>
            {queues.map((q) => <option value={q.id}>{q.id}</option>)}
          </select>
        </label>
        <button type="submit" class="primary" disabled={busy}>{t('rep.run')}</button>
        {data && <button type="button" onClick={csv}>{t('rep.csv')}</button>}
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      {data && data.kind === 'interval' && <p class="muted small">{t('rep.sl_formula', { seconds: SHORT_NOTE })}</p>}
      {chartData && chartData[0].length > 0 && <Chart data={chartData} label={t('rep.chart')} height={140}
        series={[{ label: t('rep.offered'), color: '#c05621' }, { label: t('rep.answered'), color: '#2f855a' }]} />}
      {data && data.kind === 'interval' && (
        <table class="report" data-testid="interval-report">
          <thead><tr>{['queue', 'start', 'offered', 'answered', 'abandoned', 'abandoned_short', 'sl', 'asa', 'aht', 'longest'].map((c) => <th>{t('rep.' + c)}</th>)}</tr></thead>
          <tbody>{data.rows.map((r) => (
            <tr><td>{r.queue}</td><td>{fmtDateTime(new Date(r.start).toISOString())}</td><td>{fmtNum(r.offered)}</td><td>{fmtNum(r.answered)}</td>
              <td>{fmtNum(r.abandoned)}</td><td>{fmtNum(r.abandoned_short)}</td><td>{fmtPct(r.sl, 1)}</td><td>{fmtDur(r.asa_s)}</td><td>{fmtDur(r.aht_s)}</td><td>{fmtDur(r.longest_wait_s)}</td></tr>
          ))}</tbody>
        </table>
      )}
      {data && data.kind === 'agent' && (
        <table class="report">
          <thead><tr>{['agent', 'logged_in', 'ready', 'talk', 'hold', 'wrap_up', 'not_ready', 'occupancy', 'handled'].map((c) => <th>{t('rep.' + c)}</th>)}</tr></thead>
          <tbody>{data.rows.map((r) => (
            <tr><td>{r.agent}</td><td>{fmtDur(r.logged_in_s)}</td><td>{fmtDur(r.ready_s)}</td><td>{fmtDur(r.talk_s)}</td><td>{fmtDur(r.hold_s)}</td><td>{fmtDur(r.wrap_up_s)}</td>
              <td>{fmtDur(r.not_ready_s)}{Object.entries(r.not_ready_by_reason).map(([k, v]) => <div class="small muted">{(k || t('rep.no_reason')) + ': ' + fmtDur(v)}</div>)}</td>
              <td>{fmtPct(r.occupancy)}</td><td>{fmtNum(r.handled)}</td></tr>
          ))}</tbody>
        </table>
      )}
      {data && data.kind === 'disposition' && (
        <table class="report">
          <thead><tr><th>{t('rep.disposition')}</th><th>{t('rep.count')}</th></tr></thead>
          <tbody>{data.rows.map((r) => <tr><td>{r.code || t('rep.no_disposition')}</td><td>{fmtNum(r.count)}</td></tr>)}</tbody>
        </table>
      )}
    </div>
  );
}
const SHORT_NOTE = 5;
