// The wallboard under load (bench/web.sh starts the server): a supervisor's wallboard
// in headless Chromium at 1366x768 while this script forces RATE agent state changes
// per second through the API; measures the page's frame intervals with
// requestAnimationFrame, its long tasks, and counts the event frames it received.
import { launch, close, newPage, login, api, apiLogin } from '../tests/browser/lib.mjs';

const secs = Number(process.env.SECONDS_RUN || 20), rate = Number(process.env.RATE || 50);
const nAgents = Number(process.env.AGENTS || 2000), nQueues = Number(process.env.QUEUES || 200);
const browser = await launch();
try {
  const page = await newPage(browser, 'en');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  let frames = 0;
  cdp.on('Network.webSocketFrameReceived', () => frames++);
  const t0 = Date.now();
  await login(page, { tenant: 'bench', username: 'sup', password: 'bench-secret-1', lang: 'en' });
  await page.goto(page.url().split('#')[0] + '#/wallboard');
  await page.locator('article.tile').nth(nQueues - 1).waitFor({ timeout: 60000 });
  await page.locator('.gridbox tbody tr[data-agent]').first().waitFor();
  const loaded = Date.now() - t0;

  await page.evaluate((ms) => {
    window.__frames = [];
    window.__long = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(e.duration))).observe({ entryTypes: ['longtask'] });
    let last = performance.now();
    const end = last + ms;
    const f = (now) => {
      window.__frames.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(f);
    };
    requestAnimationFrame(f);
  }, secs * 1000);

  const token = await apiLogin('bench', 'sup', 'bench-secret-1');
  const start = Date.now();
  frames = 0;
  let sent = 0, failed = 0, issued = 0;
  while (Date.now() - start < secs * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    // At most 200 requests in flight: a slower server slows the rate, never piles up.
    while (issued < due && issued - sent - failed < 200) {
      const a = 'a' + String(issued % nAgents).padStart(4, '0');
      const body = Math.floor(issued / nAgents) % 2 ? { state: 'logged_out' } : { state: 'not_ready', reason: 'break' };
      issued++;
      api('PUT', '/agents/' + a + '/state', token, body).then(() => sent++, () => failed++);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 1500));
  const { fr, lt } = await page.evaluate(() => ({ fr: window.__frames.slice(1), lt: window.__long }));
  fr.sort((a, b) => a - b);
  const pc = (p) => fr[Math.min(fr.length - 1, Math.floor((p / 100) * fr.length))].toFixed(1);
  console.log(`  load: login to ${nQueues} tiles and the agent grid drawn in ${loaded} ms`);
  console.log(`  state changes sent ${sent} (${(sent / secs).toFixed(1)}/s), failed ${failed}; event frames received ${frames} (${(frames / secs).toFixed(1)}/s)`);
  console.log(`  frame interval ms: p50 ${pc(50)}, p95 ${pc(95)}, p99 ${pc(99)}, max ${fr[fr.length - 1].toFixed(1)} over ${fr.length} frames; frames missed (interval over 20 ms): ${fr.filter((x) => x > 20).length}`);
  console.log(`  long tasks (>50 ms): ${lt.length}, longest ${lt.length ? Math.max(...lt).toFixed(0) : 0} ms`);
} finally {
  await close(browser);
}
