// The reports page over a generated history (tests/browser/t-web-reports.sh seeds it):
// sue, in a browser whose time zone is not the tenant's, runs the interval report over
// yesterday by 15, 30 and 60 minutes and over both days by 60, the agent report and the
// disposition report over both days, and downloads each CSV for the shell to compare
// with the export; the table shows as many rows as the CSV has, the chart is drawn.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, close, login, step, assert, catalogues, failed, SHOTS } from './lib.mjs';

const T = 'acme';
const DAY1 = process.env.REPORT_DAY1, DAY2 = process.env.REPORT_DAY2;
const browser = await launch();
let page;
try {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en', timezoneId: 'America/Sao_Paulo', acceptDownloads: true });
  page = await ctx.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => step('page error: ' + e.message));
  const c = catalogues.en;
  await login(page, { tenant: T, username: 'sue', password: 'sue-secret', lang: 'en' });
  await page.getByRole('link', { name: c['nav.reports'] }).click();
  const form = page.getByRole('form', { name: c['rep.title'] });
  const run = async ({ kind, from, to, minutes, file }) => {
    await form.getByRole('combobox', { name: c['rep.kind'], exact: true }).selectOption(kind);
    await form.getByLabel(c['rep.from'], { exact: true }).fill(from);
    await form.getByLabel(c['rep.to'], { exact: true }).fill(to);
    if (minutes) await form.getByRole('combobox', { name: c['rep.interval'], exact: true }).selectOption(String(minutes));
    await form.getByRole('button', { name: c['rep.run'] }).click();
    const rows = page.locator('table.report tbody tr');
    await rows.first().waitFor();
    await until(async () => !(await form.getByRole('button', { name: c['rep.run'] }).isDisabled()));
    const [dl] = await Promise.all([page.waitForEvent('download'), form.getByRole('button', { name: c['rep.csv'] }).click()]);
    const path = join(process.env.TEST_WORK, file);
    await dl.saveAs(path);
    const lines = readFileSync(path, 'utf8').trim().split(/\r\n/).length - 1;
    const shown = await rows.count();
    assert(shown === lines && lines > 0, `${file}: ${shown} rows on the page, ${lines} in the CSV`);
    step(`${kind} ${from}..${to}${minutes ? ' by ' + minutes + ' min' : ''}: ${lines} rows`);
    return lines;
  };
  const until = async (f) => { for (let i = 0; i < 300; i++) { if (await f()) return; await new Promise((r) => setTimeout(r, 100)); } throw new Error('timed out'); };
  const n15 = await run({ kind: 'interval', from: DAY2, to: DAY2, minutes: 15, file: 'interval-15.csv' });
  const n30 = await run({ kind: 'interval', from: DAY2, to: DAY2, minutes: 30, file: 'interval-30.csv' });
  const n60 = await run({ kind: 'interval', from: DAY2, to: DAY2, minutes: 60, file: 'interval-60.csv' });
  assert(n15 > n30 && n30 > n60, `finer intervals, more rows: ${n15} ${n30} ${n60}`);
  // The chart of offered and answered per interval is drawn (a canvas with pixels on it).
  const drawn = await page.locator('.reports canvas').first().evaluate((cv) => {
    const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    return n;
  });
  assert(drawn > 500, 'the chart has ' + drawn + ' pixels drawn');
  const days = await run({ kind: 'interval', from: DAY1, to: DAY2, minutes: 60, file: 'interval-days.csv' });
  assert(days > n60, `two days have more hours than one: ${days} ${n60}`);
  await page.screenshot({ path: join(SHOTS, 'reports-day-en.png') });
  await run({ kind: 'agent', from: DAY1, to: DAY2, file: 'agents.csv' });
  await run({ kind: 'disposition', from: DAY1, to: DAY2, file: 'dispositions.csv' });
  // Around the end of summer time: 24 and 25 hours.
  const D1 = process.env.REPORT_DST1, D2 = process.env.REPORT_DST2;
  await run({ kind: 'interval', from: D1, to: D2, minutes: 60, file: 'interval-dst.csv' });
  await run({ kind: 'interval', from: D2, to: D2, minutes: 15, file: 'interval-dst-15.csv' });
  await run({ kind: 'agent', from: D1, to: D2, file: 'agents-dst.csv' });
  console.log('reports: ok');
} catch (err) {
  await failed(page, 'reports');
  throw err;
} finally {
  await close(browser);
}
