// The agent desktop's first load as the browser receives it (tests/browser/t-web-gzip.sh
// starts the server): a fresh browser logs in and opens the desktop; every static file
// of the application arrives gzip-compressed and the bytes received for them (bodies as
// sent, with headers) come to at most 300 KB.
import { launch, close, newPage, login, step, assert, failed } from './lib.mjs';

const browser = await launch();
let page;
try {
  page = await newPage(browser, 'en');
  const files = [];
  page.on('requestfinished', async (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) return;
    const resp = await r.response();
    const sizes = await r.sizes();
    files.push({ path: u.pathname, enc: (await resp.allHeaders())['content-encoding'] || '', bytes: sizes.responseBodySize + sizes.responseHeadersSize });
  });
  await login(page, { tenant: 'acme', username: 'alice', password: 'alice-secret', lang: 'en' });
  await page.getByTestId('agent-state').waitFor();
  await page.waitForLoadState('networkidle');
  const total = files.reduce((n, f) => n + f.bytes, 0);
  step('first load: ' + files.map((f) => `${f.path} ${f.bytes} B${f.enc ? ' ' + f.enc : ''}`).join(', ') + ` = ${(total / 1024).toFixed(1)} KB`);
  for (const p of ['/', '/main.js', '/main.css']) assert(files.some((f) => f.path === p), p + ' loaded');
  for (const f of files) assert(f.enc === 'gzip', f.path + ' arrived without gzip');
  assert(total <= 300 * 1024, `the first load is ${(total / 1024).toFixed(1)} KB received, over 300 KB`);
  console.log('first load: ok');
} catch (err) {
  await failed(page, 'first-load');
  throw err;
} finally {
  await close(browser);
}
