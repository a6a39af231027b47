// Report figures computed from interactions and agent state spans, with the trade's
// definitions (docs/web.md, "Reports"). Pure functions of their arguments; the browser
// test compares what the page shows with the same figures computed from the export.

export const SHORT_ABANDON_S = 5;

/* How long before the range the interactions are read: a contact counts by the time it
 * was queued (interval report) or answered (agent and disposition reports), and the API
 * selects by the time it was created, which is earlier by the IVR (and the wait). */
export const LOOKBACK_MS = 3600000;

const answeredIn = (i, from, to) => {
  if (!i.answered) return false;
  const a = Date.parse(i.answered);
  return a >= from && a < to;
};

/* Interval rows per queue: [{queue, start (ms), offered, answered, abandoned,
 * abandoned_short, answered_in_sl, sl, asa_s, aht_s, longest_wait_s}], intervals of
 * `minutes` from `from` to `to` (ms), by the time the contact was queued. */
export function intervalReport(ix, { from, to, minutes, targets }) {
  const step = minutes * 60000;
  const rows = new Map();
  for (const i of ix) {
    if (!i.queue || !i.queued) continue;
    const q = Date.parse(i.queued);
    if (q < from || q >= to) continue;
    const start = from + Math.floor((q - from) / step) * step;
    const k = i.queue + '|' + start;
    let r = rows.get(k);
    if (!r) rows.set(k, (r = { queue: i.queue, start, offered: 0, answered: 0, abandoned: 0, abandoned_short: 0, answered_in_sl: 0, wait: 0, handle: 0, longest_wait_s: 0 }));
    r.offered++;
    const wait = i.wait_s || 0;
    r.longest_wait_s = Math.max(r.longest_wait_s, wait);
    if (i.answered) {
      r.answered++;
      r.wait += wait;
      r.handle += (i.talk_s || 0) + (i.hold_s || 0) + (i.wrapup_s || 0);
      if (wait <= (targets[i.queue] ?? 20)) r.answered_in_sl++;
    } else if (i.abandoned) {
      if (wait < SHORT_ABANDON_S) r.abandoned_short++;
      else r.abandoned++;
    }
  }
  return [...rows.values()].sort((a, b) => a.start - b.start || (a.queue < b.queue ? -1 : 1)).map((r) => ({
    queue: r.queue, start: r.start, offered: r.offered, answered: r.answered, abandoned: r.abandoned,
    abandoned_short: r.abandoned_short, answered_in_sl: r.answered_in_sl,
    sl: r.answered ? r.answered_in_sl / r.answered : null,
    asa_s: r.answered ? r.wait / r.answered : null, aht_s: r.answered ? r.handle / r.answered : null,
    longest_wait_s: r.longest_wait_s,
  }));
}

/* One agent's row from its state spans clipped to [from, to) and its interactions. A
 * span still open ends at `now` (the time the report was made, the same for every
 * agent). The spans must include the one in progress at `from` (GET
 * /agents/{u}/states?since= gives it first): time in a state begun before the range
 * counts from `from`. Ready time includes reserved (a contact ringing the agent); talk
 * and hold come from the interactions the agent answered, wrap-up and not ready (by
 * reason) from the state log; contacts handled are those answered in [from, to). */
export function agentReport(agent, spans, ix, { from, to, now = Date.now() }) {
  const r = { agent, logged_in_s: 0, ready_s: 0, talk_s: 0, hold_s: 0, wrap_up_s: 0, not_ready_s: 0, not_ready_by_reason: {}, handled: 0, occupancy: null };
  for (const s of spans) {
    const a = Math.max(from, Date.parse(s.start)), b = Math.min(to, s.end ? Date.parse(s.end) : now);
    if (b <= a) continue;
    const d = (b - a) / 1000;
    if (s.state !== 'logged_out') r.logged_in_s += d;
    if (s.state === 'ready' || s.state === 'reserved') r.ready_s += d;
    else if (s.state === 'wrap_up') r.wrap_up_s += d;
    else if (s.state === 'not_ready') {
      r.not_ready_s += d;
      const k = s.reason || '';
      r.not_ready_by_reason[k] = (r.not_ready_by_reason[k] || 0) + d;
    }
  }
  for (const i of ix) {
    if (i.agent !== agent || !answeredIn(i, from, to)) continue;
    r.handled++;
    r.talk_s += i.talk_s || 0;
    r.hold_s += i.hold_s || 0;
  }
  const handling = r.talk_s + r.hold_s + r.wrap_up_s;
  r.occupancy = handling + r.ready_s ? handling / (handling + r.ready_s) : null;
  return r;
}

/* The answered contacts per disposition, those answered in [from, to). */
export function dispositionReport(ix, { from, to }) {
  const m = new Map();
  for (const i of ix) if (answeredIn(i, from, to)) m.set(i.disposition || '', (m.get(i.disposition || '') || 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]).map(([code, count]) => ({ code, count }));
}

const cell = (v) => {
  const s = v == null ? '' : String(v);
  return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
};
export const toCsv = (header, rows) => [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
