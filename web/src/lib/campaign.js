// Helpers of the dialer's screens: a campaign script with a lead's fields put in (as
// text: the page never renders HTML from data), the API's CSV calls (import, export),
// and the import report's messages split into bad rows and duplicates.
import { getToken, ApiError } from './api.js';

/* The script with {{field}} replaced by the lead's value: name, phone, list, id, attempt
 * and every extra field of the list. A placeholder the lead has no value for stays as
 * written, so the agent sees what is missing. Returns plain text. */
export function fillScript(script, lead) {
  if (!script) return '';
  const l = lead || {};
  const values = { ...(l.fields || {}), phone: l.phone, name: l.name, list: l.list, id: l.id, attempt: l.attempt };
  return String(script).replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (all, k) =>
    values[k] !== undefined && values[k] !== null ? String(values[k]) : all);
}

/* POST a CSV body; answers {status, body} for 200 and 422 (the import's report), throws
 * ApiError for anything else. */
export async function postCsv(path, text) {
  const headers = { 'Content-Type': 'text/csv' };
  if (getToken()) headers.Authorization = 'Bearer ' + getToken();
  const r = await fetch('/api/v1' + path, { method: 'POST', headers, body: text });
  const j = await r.json().catch(() => null);
  if (r.ok || r.status === 422) return { status: r.status, body: j || {} };
  throw new ApiError(r.status, j && j.error && typeof j.error === 'object' ? j.error : { message: 'HTTP ' + r.status });
}

/* Downloads a CSV the API answers (the token cannot go on a plain link). */
export async function downloadCsv(path, filename) {
  const r = await fetch('/api/v1' + path, { headers: { Authorization: 'Bearer ' + getToken() } });
  if (!r.ok) {
    const j = await r.json().catch(() => null);
    throw new ApiError(r.status, j && j.error);
  }
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/* The columns of a CSV's header row (quotes removed). */
export function csvHeader(text, sep) {
  const line = String(text).split(/\r?\n/, 1)[0] || '';
  const out = [];
  let cur = '', q = false;
  for (const ch of line.replace(/^\uFEFF/, '')) {
    if (ch === '"') q = !q;
    else if (ch === sep && !q) { out.push(cur.trim()); cur = ''; }
    else cur += ch;
  }
  out.push(cur.trim());
  return out.filter((x, i) => x || i < out.length - 1);
}

/* The separator a header row most likely uses. */
export const guessSep = (text) => {
  const line = String(text).split(/\r?\n/, 1)[0] || '';
  const n = (c) => line.split(c).length;
  return n('\t') > n(';') && n('\t') > n(',') ? '\t' : n(';') > n(',') ? ';' : ',';
};

/* The import's messages: "body:LINE:COL: text" (a bad row), "body:LINE: text" (a
 * duplicate), anything else as it is. */
export function splitReport(messages) {
  const bad = [], dups = [], other = [];
  for (const m of messages || []) {
    let x = /^[^:]*:(\d+):(\d+): (.*)$/.exec(m);
    if (x) { bad.push({ line: +x[1], col: +x[2], message: x[3] }); continue; }
    x = /^[^:]*:(\d+): (.*)$/.exec(m);
    if (x) dups.push({ line: +x[1], message: x[2] });
    else other.push(m);
  }
  return { bad, dups, other };
}

/* Where the server's error `field` ("retry.busy", "lists.1", "campaigns[0].window.to")
 * points among the form's input names: the longest name it is, ends with, or begins. */
export function fieldFor(field, names) {
  if (!field) return null;
  const f = String(field).replace(/\[(\d+)\]/g, '.$1');
  let best = null;
  for (const n of names) {
    const hit = f === n || f.endsWith('.' + n) || f.startsWith(n + '.') || f.includes('.' + n + '.');
    if (hit && (!best || n.length > best.length)) best = n;
  }
  return best;
}

/* A message kept in a component's state and worded when it is drawn, so that it follows
 * a change of language: keep later(() => t(...)), draw shown(m). */
export const later = (f) => ({ get: f });
export const shown = (m) => (m && typeof m.get === 'function' ? m.get() : m);
