// Message catalogues and the user's locale: every visible string of the application goes
// through t(); numbers, dates and durations through Intl in the user's language and the
// tenant's time zone.
import en from '../i18n/en.json';
import pl from '../i18n/pl.json';
import es from '../i18n/es.json';
import ru from '../i18n/ru.json';

export const catalogues = { en, pl, es, ru };
export const languages = ['pl', 'es', 'ru', 'en'];

let lang = 'en';
let timeZone;
let plural = new Intl.PluralRules('en');
const listeners = new Set();

/* The language to start with: the one saved by the picker, else the browser's first
 * language we have, else English. The user's own setting (GET /me) overrides it. */
export function initialLanguage() {
  const saved = localStorage.getItem('centrala.lang');
  if (saved && catalogues[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (catalogues[base]) return base;
  }
  return 'en';
}

export function setLanguage(l, remember) {
  if (!catalogues[l]) return;
  lang = l;
  plural = new Intl.PluralRules(l);
  document.documentElement.lang = l;
  if (remember) localStorage.setItem('centrala.lang', l);
  listeners.forEach((f) => f(l));
}

export const getLanguage = () => lang;
export const onLanguage = (f) => (listeners.add(f), () => listeners.delete(f));

/* The tenant's IANA time zone; undefined: the browser's. */
export function setTimeZone(z) {
  try {
    if (z) new Intl.DateTimeFormat('en', { timeZone: z });
    timeZone = z || undefined;
  } catch {
    timeZone = undefined;
  }
}
export const getTimeZone = () => timeZone;

/* A not-ready reason as the screens show it: the tenant's own codes as written, the
 * server's (no_answer, phone_lost) in the user's language. */
const SERVER_REASONS = { no_answer: 'reason.no_answer', phone_lost: 'reason.phone_lost' };
export const reasonText = (r) => (r && SERVER_REASONS[r] ? t(SERVER_REASONS[r]) : r || '');

/* The message for key with {name} placeholders filled from vars; a message that is an
 * object is chosen by the plural category of vars.count. */
export function t(key, vars) {
  let m = catalogues[lang][key] ?? catalogues.en[key] ?? key;
  if (typeof m === 'object') {
    const n = vars && typeof vars.count === 'number' ? vars.count : 0;
    m = m[plural.select(n)] ?? m.other;
  }
  if (vars)
    m = m.replace(/\{(\w+)\}/g, (all, k) =>
      k in vars ? (typeof vars[k] === 'number' ? fmtNum(vars[k]) : String(vars[k])) : all);
  return m;
}

/* Whether the catalogues have a message for key (for names that come from the server). */
export const has = (key) => key in catalogues.en;

export const fmtNum = (n, digits = 0) =>
  n == null || Number.isNaN(n) ? '–'
    : new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(n);

export const fmtPct = (x, digits = 0) =>
  x == null || Number.isNaN(x) ? '–'
    : new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: digits }).format(x);

/* A duration in seconds as h:mm:ss or m:ss with the locale's digits. */
export function fmtDur(s) {
  if (s == null || Number.isNaN(s)) return '–';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (typeof Intl.DurationFormat === 'function')
    return new Intl.DurationFormat(lang, { style: 'digital', hoursDisplay: h ? 'always' : 'auto' })
      .format({ hours: h, minutes: m, seconds: sec });
  const two = new Intl.NumberFormat(lang, { minimumIntegerDigits: 2 });
  const one = new Intl.NumberFormat(lang);
  return (h ? one.format(h) + ':' + two.format(m) : one.format(m)) + ':' + two.format(sec);
}

export const fmtTime = (iso) =>
  iso ? new Intl.DateTimeFormat(lang, { timeZone, timeStyle: 'medium' }).format(new Date(iso)) : '–';

export const fmtDateTime = (iso) =>
  iso ? new Intl.DateTimeFormat(lang, { timeZone, dateStyle: 'short', timeStyle: 'medium' })
    .format(new Date(iso)) : '–';

/* The parts of an instant in the tenant's zone: {y, mo, d, h, mi, s}. */
export function zoneParts(date) {
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
    minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
  const p = {};
  for (const x of f.formatToParts(date)) p[x.type] = x.value;
  return { y: +p.year, mo: +p.month, d: +p.day, h: +p.hour, mi: +p.minute, s: +p.second };
}

/* The UTC instant of a wall-clock time in the tenant's zone (two passes cover the
 * offset's change on a DST day). */
export function zoneInstant(y, mo, d, h = 0, mi = 0) {
  let guess = Date.UTC(y, mo - 1, d, h, mi);
  for (let i = 0; i < 2; i++) {
    const p = zoneParts(new Date(guess));
    const shown = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);
    guess += Date.UTC(y, mo - 1, d, h, mi) - shown;
  }
  return new Date(guess);
}

/* Midnight of today in the tenant's zone. */
export function todayStart(now = new Date()) {
  const p = zoneParts(now);
  return zoneInstant(p.y, p.mo, p.d);
}
