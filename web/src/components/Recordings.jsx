// Find an interaction and play its recording, with the interaction's timeline beside
// it (a click on a timeline entry seeks the player). The file is fetched with the
// user's token; the server checks the right to it and audits the download.
import { useEffect, useRef, useState } from 'preact/hooks';
import { getToken, get, qs } from '../lib/api.js';
import { t, has, fmtDateTime, fmtDur } from '../lib/i18n.js';
import { DialOnly } from './ContactCard.jsx';

/* Whether the service worker that adds the token to recording requests runs and has
 * the token (it answers once it stored it). */
async function streaming() {
  try {
    if (!('serviceWorker' in navigator) || !window.isSecureContext) return false;
    await navigator.serviceWorker.register('/sw.js');
    const reg = await navigator.serviceWorker.ready;
    for (let i = 0; i < 20 && !navigator.serviceWorker.controller; i++) await new Promise((ok) => setTimeout(ok, 50));
    if (!reg.active || !navigator.serviceWorker.controller) return false;
    const ch = new MessageChannel();
    const stored = new Promise((ok) => { ch.port1.onmessage = () => ok(true); setTimeout(() => ok(false), 2000); });
    reg.active.postMessage({ token: getToken() }, [ch.port2]);
    return await stored;
  } catch {
    return false;
  }
}

export function Recordings({ me }) {
  const canDial = me && me.roles.some((r) => r === 'agent' || r === 'supervisor');
  const [filters, setFilters] = useState({ number: '', agent: '', since: '' });
  const [items, setItems] = useState([]);
  const [sel, setSel] = useState(null);
  const [src, setSrc] = useState(null);
  const [error, setError] = useState(null);
  const audio = useRef(null);

  const search = async (e) => {
    if (e) e.preventDefault();
    setError(null);
    try {
      const r = await get('/interactions?' + qs({ number: filters.number, agent: filters.agent, since: filters.since ? new Date(filters.since).toISOString() : '', limit: 50 }));
      setItems(r.items);
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    }
  };
  useEffect(() => { search(); }, []);
  useEffect(() => () => src && src.startsWith('blob:') && URL.revokeObjectURL(src), [src]);

  const open = async (i) => {
    setSel(i);
    setSrc(null);
    setError(null);
    if (!i.recording) return;
    // Streamed through the service worker when the browser runs one here (a secure
    // context: HTTPS or this machine), else fetched whole.
    if (await streaming()) return setSrc('/api/v1/interactions/' + encodeURIComponent(i.id) + '/recording');
    try {
      const r = await fetch('/api/v1/interactions/' + encodeURIComponent(i.id) + '/recording', { headers: { Authorization: 'Bearer ' + getToken() } });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      setSrc(URL.createObjectURL(await r.blob()));
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    }
  };
  const base = sel && Date.parse(sel.answered || sel.created);
  const seek = (ts) => { if (audio.current && base) audio.current.currentTime = Math.max(0, (Date.parse(ts) - base) / 1000); };
  const field = (k, type) => (
    <label>{t('rec.' + k)}<input type={type || 'text'} value={filters[k]} onInput={(e) => setFilters({ ...filters, [k]: e.target.value })} /></label>
  );
  return (
    <div class="split">
      <section aria-label={t('rec.search')}>
        <form class="inline-form" onSubmit={search} role="search">
          {field('number')}{field('agent')}{field('since', 'datetime-local')}
          <button type="submit">{t('rec.search')}</button>
        </form>
        {error && <p role="alert" class="error">{error}</p>}
        <table>
          <thead><tr><th>{t('ix.created')}</th><th>{t('ix.from')}</th><th>{t('ix.queue')}</th><th>{t('ix.agent')}</th><th>{t('ix.talk')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
          <tbody>{items.map((i) => (
            <tr aria-selected={sel && sel.id === i.id} data-interaction={i.id}><td>{fmtDateTime(i.created)}</td><td>{i.from}{canDial && i.from && <> <DialOnly number={i.from} /></>}</td><td>{i.queue || '–'}</td><td>{i.agent || '–'}</td><td>{fmtDur(i.talk_s)}</td>
              <td><button type="button" class="small" onClick={() => open(i)}>{i.recording ? t('rec.play') : t('rec.details')}</button></td></tr>
          ))}</tbody>
        </table>
      </section>
      <section aria-label={t('rec.player')}>
        {sel && (
          <>
            <h2>{sel.from} → {sel.to}</h2>
            {sel.recording ? (src ? <audio ref={audio} controls src={src} aria-label={t('rec.player')} /> : <p class="muted">{t('app.loading')}</p>)
              : <p class="muted">{t('rec.none')}</p>}
            <h3>{t('rec.timeline')}</h3>
            <ol class="timeline">
              {(sel.timeline || []).map((e) => (
                <li><button type="button" class="link" onClick={() => seek(e.ts)}>{fmtDateTime(e.ts)}</button> <span>{has('tl.' + e.event) ? t('tl.' + e.event) : e.event}</span>
                  {e.event === 'monitor' && e.mode && has('grid.' + e.mode) && <> <span class="muted" data-testid="tl-mode">{t('grid.' + e.mode)}</span></>}</li>
              ))}
            </ol>
          </>
        )}
      </section>
    </div>
  );
}
