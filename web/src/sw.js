// A service worker with one job: the <audio> element's requests for a recording carry
// the session's token (an element cannot send headers), so the browser streams the file
// with Range requests and seeks without loading it whole. The token is kept in Cache
// Storage, which outlives the worker between its runs; logging out removes it.
const STORE = 'centrala-session';
const KEY = '/centrala-token';
const RECORDING = /^\/api\/v1\/interactions\/[^/]+\/recording$/;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('message', (e) => {
  const token = e.data && e.data.token;
  e.waitUntil(caches.open(STORE)
    .then((c) => (token ? c.put(KEY, new Response(token)) : c.delete(KEY)))
    .then(() => e.ports[0] && e.ports[0].postMessage('stored')));
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (url.origin !== self.location.origin || !RECORDING.test(url.pathname) || e.request.headers.has('Authorization'))
    return;
  e.respondWith((async () => {
    const r = await (await caches.open(STORE)).match(KEY);
    const headers = new Headers(e.request.headers);
    if (r) headers.set('Authorization', 'Bearer ' + (await r.text()));
    return fetch(url.href, { headers, credentials: 'omit' });
  })());
});
