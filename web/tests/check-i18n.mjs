// The catalogues' check, run by `make test`: fails when
//  - a key the components use (t('key')) is missing from any catalogue;
//  - a catalogue has a key English lacks, or lacks one English has;
//  - a plural message lacks a form its language's plural rules need (Intl.PluralRules);
//  - a placeholder ({name}) of the English message is missing from a translation;
//  - a component has visible text not taken from the catalogues: text between JSX tags,
//    or a literal aria-label, title, placeholder, alt or label attribute.
// usage: node tests/check-i18n.mjs
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
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

const used = new Map();
for (const f of files) {
  const text = readFileSync(f, 'utf8');
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
console.log(`check-i18n: ${used.size} keys used, ${Object.keys(cat.en).length} in each of ${langs.join(', ')}; no hard-coded text in ${files.length} files`);
