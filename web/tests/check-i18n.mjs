// The catalogues' check, run by `make test`: fails when
//  - a key the components use (t('key')) is missing from any catalogue;
//  - a catalogue has a key English lacks, or lacks one English has;
//  - a plural message lacks a form its language's plural rules need (Intl.PluralRules);
//  - a placeholder ({name}) of the English message is missing from a translation;
//  - a component has visible text not taken from the catalogues: text between JSX tags,
//    or a literal aria-label, title, placeholder, alt or label attribute;
//  - a key built at run time (t('state.' + x)) belongs to no family below, or a member
//    of its family lacks a key;
//  - an event the server writes on an interaction's timeline (read from the C sources)
//    has no tl.EVENT message, or an error code the API answers with (idem) no
//    error.code.CODE message.
// usage: node tests/check-i18n.mjs
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const csrc = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
const langs = ['en', 'pl', 'es', 'ru'];
const cat = Object.fromEntries(langs.map((l) => [l, JSON.parse(readFileSync(join(src, 'i18n', l + '.json'), 'utf8'))]));
const problems = [];

const files = [];
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    if (e.isDirectory()) walk(join(d, e.name));
    else if (/\.(jsx?|mjs)$/.test(e.name)) files.push(join(d, e.name));
  }
};
walk(src);

/* ---- the server's words, read from its C sources ---- */
const cfiles = [];
const cwalk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    if (e.isDirectory()) cwalk(join(d, e.name));
    else if (e.name.endsWith('.c')) cfiles.push(join(d, e.name));
  }
};
cwalk(csrc);
/* The arguments of each call of fn in C text (split at the call's own commas). */
function* calls(text, fn) {
  for (const m of text.matchAll(new RegExp('\\b' + fn + '\\(', 'g'))) {
    const args = [''];
    let depth = 1, str = false;
    for (let i = m.index + m[0].length; i < text.length && depth; i++) {
      const ch = text[i];
      if (str) {
        args[args.length - 1] += ch;
        if (ch === '\\') args[args.length - 1] += text[++i];
        else if (ch === '"') str = false;
        continue;
      }
      if (ch === '"') str = true;
      else if (ch === '(') depth++;
      else if (ch === ')' && !--depth) break;
      else if (ch === ',' && depth === 1) { args.push(''); continue; }
      args[args.length - 1] += ch;
    }
    yield args.map((a) => a.trim());
  }
}
/* The names an argument can take: its string literals (a ternary has several), or those
 * of the static array it indexes (kinds[kind]). */
const names = (arg, text) => {
  const lits = [...arg.matchAll(/"([a-z_]+)"/g)].map((x) => x[1]);
  const arr = /^(\w+)\[/.exec(arg);
  if (lits.length || !arr) return lits;
  const def = new RegExp('\\b' + arr[1] + '\\[[^\\]]*\\]\\s*=\\s*\\{([^}]*)\\}').exec(text);
  return def ? [...def[1].matchAll(/"([a-z_]+)"/g)].map((x) => x[1]) : [];
};
const timeline = new Map(), codes = new Map();
for (const f of cfiles) {
  const text = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  // Timeline entries: eng__timeline(c, EVENT, ...), timeline_add(m, EVENT, ...),
  // eng__timeline_add(tl, EVENT, ...), and {"event": "ivr"} objects built in place.
  for (const fn of ['eng__timeline', 'eng__timeline_add', 'timeline_add'])
    for (const a of calls(text, fn)) for (const n of names(a[1] || '', text)) timeline.set(n, f);
  for (const m of text.matchAll(/"event",\s*json_string\("([a-z_]+)"\)/g)) timeline.set(m[1], f);
  // Error codes: api__respond_error(conn, STATUS, CODE, ...), api_reply_error(api, req,
  // STATUS, CODE, ...), reply_error(e, m, STATUS, CODE, ...), ws_error(a, c, CODE, ...).
  for (const [fn, at] of [['api__respond_error', 2], ['api_reply_error', 3], ['reply_error', 3], ['ws_error', 2]])
    for (const a of calls(text, fn)) for (const n of names(a[at] || '', text)) codes.set(n, f);
}
if (timeline.size < 40) problems.push(`check-i18n: only ${timeline.size} timeline events found in ${csrc}: is the extraction broken?`);
if (codes.size < 20) problems.push(`check-i18n: only ${codes.size} error codes found in ${csrc}: is the extraction broken?`);
// Codes the page words itself or shows as the server words them (lib/api.js).
const OWN_CODES = new Set(['invalid_field']);

/* ---- keys built at run time: each family and where its members come from ---- */
const constArray = (file, name) => {
  const text = readFileSync(join(src, file), 'utf8');
  const m = new RegExp('\\bconst ' + name + ' = \\[([\\s\\S]*?)\\];').exec(text);
  if (!m) { problems.push(`check-i18n: no array ${name} in ${file}`); return []; }
  return [...m[1].matchAll(/'([a-z][a-z0-9_-]*)'/g)].map((x) => x[1]);
};
const objectKeys = (file, name) => {
  const text = readFileSync(join(src, file), 'utf8');
  const m = new RegExp('\\bconst ' + name + ' = \\{([\\s\\S]*?)\\};').exec(text);
  if (!m) { problems.push(`check-i18n: no object ${name} in ${file}`); return []; }
  return [...m[1].matchAll(/(\w+):/g)].map((x) => x[1]);
};
const cArray = (file, name) => {
  const text = readFileSync(join(csrc, file), 'utf8');
  const m = new RegExp('\\b' + name + '\\[[^\\]]*\\]\\s*=\\s*\\{([^}]*)\\}').exec(text);
  if (!m) { problems.push(`check-i18n: no array ${name} in src/${file}`); return []; }
  return [...m[1].matchAll(/"([a-z_]+)"/g)].map((x) => x[1]);
};
// A family is written as it appears in the call: prefix + * (+ suffix).
const FAMILIES = {
  "'state.' + *": () => cArray('acd/acd.c', 'state_names'),
  "'channel.' + *": () => cArray('acd/acd.c', 'channel_names'),
  "'tl.' + *": () => [...timeline.keys()],
  "'call.kind.' + *": () => constArray('components/CallControls.jsx', 'KINDS'),
  "'role.' + *": () => constArray('components/Admin.jsx', 'ROLES').concat(constArray('components/AdminConfig.jsx', 'ROLES')),
  "'admin.' + *": () => constArray('components/Admin.jsx', 'TABS').concat(['reasons', 'dispositions']),
  "'admin.' + * + '_form'": () => ['reasons', 'dispositions'],
  "'admin.' + * + '_count'": () => ['reasons', 'dispositions'],
  "'admin.source.' + *": () => ['file', 'api'],
  "'admin.srtp.' + *": () => constArray('components/AdminTrunks.jsx', 'SRTP'),
  "'camp.mode.' + *": () => constArray('components/AdminCampaigns.jsx', 'MODES'),
  "'camp.result.' + *": () => constArray('components/AdminCampaigns.jsx', 'RESULTS'),
  "'camp.amd.' + *": () => constArray('components/AdminCampaigns.jsx', 'AMD'),
  "'camp.state.' + *": () => ['running', 'paused', 'stopped'],
  "'lists.sep.' + *": () => constArray('components/AdminLists.jsx', 'SEPS'),
  "'lists.field.' + *": () => constArray('components/AdminLists.jsx', 'OURS'),
  "'phone.status.' + *": () => [...readFileSync(join(src, 'lib/phone.js'), 'utf8').matchAll(/status: '([a-z_]+)'/g)].map((x) => x[1]),
  "'rec.' + *": () => ['number', 'agent', 'since'],
  "'rep.' + *": () => ['queue', 'start', 'offered', 'answered', 'abandoned', 'abandoned_short', 'sl', 'asa', 'aht', 'longest',
    'agent', 'logged_in', 'ready', 'talk', 'hold', 'wrap_up', 'not_ready', 'occupancy', 'handled'],
  "'rep.kind.' + *": () => ['interval', 'agent', 'disposition'],
  "'grid.' + *": () => ['listen', 'whisper', 'barge'].concat(constArray('components/Wallboard.jsx', 'COLS')),
  "'grid.' + * + '_agent'": () => ['listen', 'whisper', 'barge'],
  "'wb.limit.' + *": () => objectKeys('components/Wallboard.jsx', 'DEFAULT_LIMITS'),
  "'error.code.' + *": () => [...codes.keys()].filter((c) => !OWN_CODES.has(c)),
};
const dynamic = new Map();

const used = new Map();
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  // Keys built at run time: t('prefix.' + x), t('prefix.' + x + '_suffix').
  for (const m of text.matchAll(/\bt\(\s*'([a-z0-9_.]*)'\s*\+\s*(?:\([^()]*\)|[\w.]+)(?:\s*\+\s*'([a-z0-9_]*)')?\s*[,)]/g))
    dynamic.set(`'${m[1]}' + *` + (m[2] ? ` + '${m[2]}'` : ''), f);
  for (const m of text.matchAll(/\bt\(\s*'([a-z0-9_.]*[a-z0-9_])'\s*[,)]/g)) used.set(m[1], f);
  // Keys kept in tables ({ key: 'nav.agent' }).
  for (const m of text.matchAll(/\bkey:\s*'([a-z0-9_.]+)'/g)) used.set(m[1], f);
  if (!f.endsWith('.jsx')) continue;
  const code = text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
  // Text between a tag's end and the next tag or expression.
  for (const m of code.matchAll(/>([^<>{}]*)</g)) {
    const s = m[1].trim();
    if (/\p{L}/u.test(s) && !/^[\s\w.]*=>/.test(s) && !/[;=()]/.test(s))
      problems.push(`${f}: hard-coded text "${s}"`);
  }
  for (const m of code.matchAll(/\b(aria-label|title|placeholder|alt|label)="([^"]*)"/g))
    if (/\p{L}/u.test(m[2])) problems.push(`${f}: hard-coded ${m[1]}="${m[2]}"`);
}

for (const [fam, f] of dynamic) {
  if (!FAMILIES[fam]) {
    problems.push(`${f}: key built at run time from ${fam}: list its members in FAMILIES (web/tests/check-i18n.mjs)`);
    continue;
  }
}
for (const [fam, members] of Object.entries(FAMILIES)) {
  const [, pre, post] = /^'([^']*)' \+ \*(?: \+ '([^']*)')?$/.exec(fam);
  const list = members();
  if (!list.length) problems.push(`check-i18n: family ${fam} has no members`);
  for (const x of list) used.set(pre + x + (post || ''), `the family ${fam}`);
}
for (const [n, f] of timeline) if (!used.has('tl.' + n)) used.set('tl.' + n, f);

for (const [k, f] of used)
  for (const l of langs)
    if (!(k in cat[l])) problems.push(`${l}.json: missing key "${k}" (used in ${f})`);

const placeholders = (m) => new Set([...JSON.stringify(m).matchAll(/\{(\w+)\}/g)].map((x) => x[1]));
for (const l of langs) {
  const cats = new Intl.PluralRules(l).resolvedOptions().pluralCategories;
  for (const k of Object.keys(cat.en)) {
    if (!(k in cat[l])) {
      problems.push(`${l}.json: missing key "${k}" (in en.json)`);
      continue;
    }
    const m = cat[l][k];
    if (typeof cat.en[k] === 'object' !== (typeof m === 'object'))
      problems.push(`${l}.json: "${k}" must ${typeof cat.en[k] === 'object' ? '' : 'not '}be a plural message`);
    if (typeof m === 'object')
      for (const c of cats) if (!(c in m)) problems.push(`${l}.json: "${k}" lacks plural form "${c}"`);
    for (const p of placeholders(cat.en[k]))
      if (!placeholders(m).has(p)) problems.push(`${l}.json: "${k}" lacks placeholder {${p}}`);
  }
  for (const k of Object.keys(cat[l])) if (!(k in cat.en)) problems.push(`${l}.json: key "${k}" is not in en.json`);
}

if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`check-i18n: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`check-i18n: ${used.size} keys used (${dynamic.size} families built at run time, ${timeline.size} timeline events and ${codes.size} error codes of the server), ${Object.keys(cat.en).length} in each of ${langs.join(', ')}; no hard-coded text in ${files.length} files`);
