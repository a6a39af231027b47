// The REST API: one fetch wrapper that sends the session's token and turns the API's
// {error: {code, message, field}} into an exception whose message is the catalogue's for
// its code, in the user's language.
import { t, has } from './i18n.js';

let token = sessionStorage.getItem('centrala.token');

/* Codes whose server message is kept: invalid_field's says which rule the value broke
 * (the admin's forms show it at the field). */
const SERVER_WORDED = new Set(['invalid_field']);

/* The message shown for an API error: the catalogue's for its code (error.code.CODE),
 * followed by the server's words for the case (which agent, which field); the server's
 * own alone for a code the catalogues do not know (a newer server) or one it words
 * itself. */
export function errorMessage(status, err) {
  const code = err && err.code;
  if (code && !SERVER_WORDED.has(code) && has('error.code.' + code)) {
    const own = t('error.code.' + code);
    return err.message ? t('error.code_detail', { message: own, detail: err.message }) : own;
  }
  return (err && err.message) || 'HTTP ' + status;
}

export class ApiError extends Error {
  constructor(status, err) {
    super(errorMessage(status, err));
    this.serverMessage = err && err.message;
    this.status = status;
    this.code = err && err.code;
    this.field = err && err.field;
  }
}

export const getToken = () => token;
export function setToken(t) {
  token = t;
  if (t) sessionStorage.setItem('centrala.token', t);
  else sessionStorage.removeItem('centrala.token');
}

let onUnauthorized = () => {};
export const setUnauthorizedHandler = (f) => (onUnauthorized = f);

export async function api(method, path, body) {
  const headers = {};
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch('/api/v1' + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 204) return null;
  const j = await r.json().catch(() => null);
  if (!r.ok) {
    if (r.status === 401 && path !== '/login') onUnauthorized();
    throw new ApiError(r.status, j && j.error);
  }
  return j;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);
export const put = (p, b) => api('PUT', p, b);
export const del = (p) => api('DELETE', p);

/* Every page of a list ({items, next}), at most max items. */
export async function getAll(path, max = 5000) {
  const out = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await get(path + (cursor ? sep + 'cursor=' + encodeURIComponent(cursor) : ''));
    out.push(...page.items);
    cursor = page.next;
  } while (cursor && out.length < max);
  return out;
}

export const qs = (o) =>
  Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');
