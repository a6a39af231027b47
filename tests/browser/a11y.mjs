// Accessibility of the main screens (tests/browser/t-web-a11y.sh starts the server):
// axe-core, injected by Playwright, on the login page, the agent desktop, contacts, the
// wallboard, reports, recordings and the admin console's tabs, failing on serious and
// critical violations (colour contrast is one of axe's rules); the agent desktop again
// in every language; and a walk with Tab through the desktop's main controls: every one
// reached, in the order they are on screen, each with a visible focus indicator.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { launch, close, newPage, login, step, assert, catalogues, failed, TOP, BASE, apiLogin, api } from './lib.mjs';

const require = createRequire(join(TOP, 'web', 'package.json'));
const AXE = require.resolve('axe-core/axe.min.js');
const T = 'acme';
const browser = await launch();
let page;
const problems = [];
async function audit(where) {
  if (!(await page.evaluate(() => !!window.axe))) await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(() => window.axe.run(document));
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  // Contrast was checked, on the text of this screen (not skipped for want of any).
  const contrast = r.passes.find((x) => x.id === 'color-contrast');
  if (!contrast || contrast.nodes.length < 3) problems.push(`${where}: colour contrast not checked (${contrast ? contrast.nodes.length : 0} texts)`);
  for (const v of bad) {
    problems.push(`${where}: ${v.id} (${v.impact}): ${v.help}\n    ` +
      v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 160)).join('\n    '));
  }
  step(`axe: ${where}: ${bad.length} serious or critical; contrast of ${contrast ? contrast.nodes.length : 0} texts passed` +
    (r.violations.length ? '; lesser: ' + r.violations.filter((v) => !bad.includes(v)).map((v) => v.id + ' (' + v.impact + ')').join(', ') : ''));
}
try {
  page = await newPage(browser, 'en');
  const c = catalogues.en;
  await page.goto(BASE + '/');
  await page.locator('input[name=tenant]').waitFor();
  await audit('login');
  await login(page, { tenant: T, username: 'bob', password: 'bob-secret', lang: 'en' });
  await page.getByTestId('agent-state').waitFor();
  await audit('agent desktop');
  await page.getByRole('link', { name: c['nav.contacts'] }).click();
  await page.getByRole('search').waitFor();
  await audit('contacts');
  await page.getByRole('link', { name: c['nav.wallboard'] }).click();
  await page.locator('article.tile').first().waitFor();
  await page.locator('tr[data-agent=alice]').waitFor();
  await audit('wallboard');
  await page.getByRole('link', { name: c['nav.reports'] }).click();
  await page.getByRole('button', { name: c['rep.run'] }).click();
  await page.getByRole('button', { name: c['rep.csv'] }).waitFor();
  await audit('reports');
  await page.getByRole('link', { name: c['nav.recordings'] }).click();
  await page.locator('table').first().waitFor();
  await audit('recordings');
  await page.getByRole('link', { name: c['nav.admin'] }).click();
  for (const tab of ['numbers', 'queues', 'users', 'flows', 'calendars', 'trunks', 'reasons', 'dispositions', 'webhooks', 'keys', 'audit']) {
    await page.getByRole('tab', { name: c['admin.' + tab] }).click();
    await page.locator('[role=tabpanel] table').first().waitFor();
    await audit('admin ' + tab);
  }
  // The agent desktop in every language (alice, an agent only).
  await page.context().close();
  for (const lang of ['pl', 'es', 'ru']) {
    page = await newPage(browser, lang);
    await login(page, { tenant: T, username: 'alice', password: 'alice-secret', lang });
    await page.getByTestId('agent-state').waitFor();
    await audit('agent desktop (' + lang + ')');
    await page.context().close();
  }

  // Tab through alice's desktop (not ready: every state button enabled).
  const at = await apiLogin(T, 'alice', 'alice-secret');
  await api('PUT', '/agents/me/state', at, { state: 'not_ready' });
  page = await newPage(browser, 'en');
  await login(page, { tenant: T, username: 'alice', password: 'alice-secret', lang: 'en' });
  await page.getByTestId('agent-state').filter({ hasText: c['state.not_ready'] }).waitFor();
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  const walk = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const cs = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      return {
        name: (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '').trim().split('\n')[0],
        tag: el.tagName.toLowerCase(), y: Math.round(r.top), x: Math.round(r.left),
        ring: (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none',
      };
    });
    if (!f) break;
    if (walk.length && walk[0].name === f.name && walk[0].tag === f.tag && walk[0].x === f.x && walk[0].y === f.y) break;
    walk.push(f);
  }
  step('Tab order: ' + walk.map((f) => f.name || f.tag).join(' → '));
  const want = [c['nav.agent'], c['nav.contacts'], c['nav.recordings'], c['app.language'], c['app.logout'],
    c['agent.go_ready'], c['agent.reason'], c['agent.go_not_ready'], c['agent.go_logged_out']];
  let pos = -1;
  for (const w of want) {
    const i = walk.findIndex((f, k) => k > pos && f.name === w);
    assert(i > pos, `"${w}" reached by Tab after "${pos >= 0 ? walk[pos].name : 'the start'}": ` + walk.map((f) => f.name).join(' | '));
    assert(walk[i].ring, `"${w}" shows where the focus is (outline or ring)`);
    pos = i;
  }
  // Reading order: the walk goes down the page (and along a row), never back up to an
  // earlier row among the header's and the state bar's controls.
  const main = walk.slice(0, pos + 1);
  for (let k = 1; k < main.length; k++)
    assert(main[k].y > main[k - 1].y - 4 || (Math.abs(main[k].y - main[k - 1].y) <= 4 && main[k].x > main[k - 1].x),
      `focus goes back up from "${main[k - 1].name}" to "${main[k].name}"`);
  for (const f of walk) assert(f.ring, `"${f.name || f.tag}" shows where the focus is`);
  step('Tab order of the desktop\'s main controls as on screen, every one with a focus ring');
  assert(problems.length === 0, 'serious or critical accessibility violations:\n  ' + problems.join('\n  '));
  console.log('accessibility: ok');
} catch (err) {
  await failed(page, 'a11y');
  throw err;
} finally {
  await close(browser);
}
