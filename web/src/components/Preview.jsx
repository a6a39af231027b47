// The agent desktop's side of the dialer: the preview card of a preview campaign (take
// the next lead, see its fields, its history and the campaign's script with the lead's
// fields put in, then dial or skip it before the campaign's preview_timeout runs out),
// and the lead shown in the screen pop of any campaign's call. Scripts are shown as
// text: nothing from the data is ever rendered as HTML.
import { useEffect, useState } from 'preact/hooks';
import { get, post, qs } from '../lib/api.js';
import { t, fmtDur } from '../lib/i18n.js';
import { useNow } from '../lib/hooks.js';
import { fillScript, later, shown } from '../lib/campaign.js';
import { History } from './ContactCard.jsx';

/* The lead's number, name, list, attempt and extra fields. */
export function LeadFacts({ lead }) {
  const fields = Object.entries(lead.fields || {});
  return (
    <>
      <p class="caller">
        <span class="label">{t('lead.title')}</span>
        <strong data-testid="lead-name">{lead.name || lead.phone}</strong>
        <span data-testid="lead-phone">{lead.phone}</span>
      </p>
      <dl class="facts" data-testid="lead-fields">
        <div><dt>{t('lead.campaign')}</dt><dd>{lead.campaign || '–'}</dd></div>
        <div><dt>{t('lead.list')}</dt><dd>{lead.list || '–'}</dd></div>
        <div><dt>{t('lead.attempt')}</dt><dd>{lead.attempt ?? '–'}</dd></div>
        {fields.map(([k, v]) => <div><dt>{k}</dt><dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd></div>)}
      </dl>
    </>
  );
}

export function Script({ script, lead }) {
  if (!script) return null;
  return (
    <>
      <h3>{t('lead.script')}</h3>
      <p class="script" data-testid="lead-script">{fillScript(script, lead)}</p>
    </>
  );
}

/* The lead's history: the latest interactions of the contact with the lead's number
 * (an agent sees the calls it handled). */
function LeadHistory({ phone }) {
  const [items, setItems] = useState(null);
  useEffect(() => {
    setItems(null);
    get('/contacts?' + qs({ phone, limit: 1 })).then(async (r) => {
      const c = r.items && r.items[0];
      setItems(c ? ((await get('/contacts/' + c.id + '?history=5').catch(() => ({}))).interactions || []) : []);
    }, () => setItems([]));
  }, [phone]);
  return (
    <div data-testid="lead-history">
      <h3>{t('lead.history')}</h3>
      {items == null ? <p class="muted">{t('app.loading')}</p> : <History items={items} />}
    </div>
  );
}

function Card({ held, onDial, onSkip, busy }) {
  const now = useNow(250);
  const left = Math.max(0, (held.expires - now) / 1000);
  const lead = { ...held.lead, campaign: held.campaign };
  useEffect(() => { if (left <= 0) onSkip(true); }, [left <= 0]);
  return (
    <div class="preview-card" data-testid="preview-card">
      <LeadFacts lead={lead} />
      <p class="countdown" data-testid="preview-countdown" aria-live="off">
        {t('preview.left', { time: fmtDur(left) })}
      </p>
      <div class="buttons">
        <button type="button" class="go" onClick={onDial} disabled={busy}>{t('preview.dial')}</button>
        <button type="button" onClick={() => onSkip(false)} disabled={busy}>{t('preview.skip')}</button>
      </div>
      <Script script={held.script} lead={lead} />
      <LeadHistory phone={lead.phone} />
    </div>
  );
}

/* The preview campaigns the agent may take leads from (GET /api/v1/campaigns answers an
 * agent those), the card of the lead held for the agent. */
export function PreviewPanel({ busyOnCall }) {
  const [campaigns, setCampaigns] = useState(null);
  const [pick, setPick] = useState('');
  const [held, setHeld] = useState(null);
  const [msg, setMsg] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    get('/campaigns').then((r) => {
      const v = (r.items || []).filter((c) => c.mode === 'preview');
      setCampaigns(v);
      if (v.length) setPick(v[0].id);
    }, () => setCampaigns([]));
  }, []);
  if (!campaigns || !campaigns.length) return null;
  const path = (x) => '/campaigns/' + encodeURIComponent(held ? held.campaign : pick) + '/preview' + (x || '');
  const fail = (err) => setMsg({ error: true, text: later(() => (err.code === 'no_lead' ? t('preview.no_lead')
    : err.code === 'not_running' ? t('preview.not_running') : t('error.generic', { message: err.message }))) });
  const next = async () => {
    setMsg(null);
    setBusy(true);
    try {
      const r = await post(path());
      setHeld({ ...r, expires: Date.now() + r.expires_s * 1000 });
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };
  const dial = async () => {
    setBusy(true);
    try {
      await post(path('/dial'));
      const phone = held.lead.phone;
      setMsg({ text: later(() => t('preview.dialling', { number: phone })) });
      setHeld(null);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };
  const skip = async (expired) => {
    setBusy(true);
    try {
      if (!expired) await post(path('/skip'));
      setMsg({ text: later(() => (expired ? t('preview.expired') : t('preview.skipped'))) });
    } catch (err) {
      if (err.status !== 404) fail(err);
    } finally {
      setHeld(null);
      setBusy(false);
    }
  };
  const c = campaigns.find((x) => x.id === pick);
  return (
    <section class="pop preview" aria-label={t('preview.title')}>
      <h2>{t('preview.title')}</h2>
      {!held && (
        <div class="inline-form">
          <label>{t('preview.campaign')}
            <select value={pick} onChange={(e) => setPick(e.target.value)}>
              {campaigns.map((x) => <option value={x.id}>{x.name || x.id}</option>)}
            </select>
          </label>
          <button type="button" class="primary" onClick={next} disabled={busy || busyOnCall}>{t('preview.next')}</button>
          {c && c.preview_timeout_s != null && <span class="muted small">{t('preview.timeout', { time: fmtDur(c.preview_timeout_s) })}</span>}
        </div>
      )}
      {msg && <p role={msg.error ? 'alert' : 'status'} class={msg.error ? 'error' : 'muted'}>{shown(msg.text)}</p>}
      {held && <Card held={held} onDial={dial} onSkip={skip} busy={busy} />}
    </section>
  );
}
