// The admin console: numbers, queues, users, IVR flows, calendars, trunks, campaigns,
// lead lists and do-not-call numbers, reason codes, dispositions, webhooks, API keys and
// the audit log. Every write goes through the API (which audits it and applies it to
// the next call).
import { useEffect, useState } from 'preact/hooks';
import { get, post, put, del, qs } from '../lib/api.js';
import { t, fmtDateTime } from '../lib/i18n.js';
import { Queues, Users } from './AdminConfig.jsx';
import { Codes } from './AdminCodes.jsx';
import { Trunks } from './AdminTrunks.jsx';
import { Flows, Calendars } from './AdminFlows.jsx';
import { Campaigns } from './AdminCampaigns.jsx';
import { LeadLists } from './AdminLists.jsx';

const TABS = ['numbers', 'queues', 'users', 'flows', 'calendars', 'trunks', 'campaigns', 'lists', 'reasons', 'dispositions', 'webhooks', 'keys', 'audit'];
const ROLES = ['agent', 'supervisor', 'admin', 'qa'];

function useList(path) {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const reload = () => get(path).then((r) => { setItems(r.items); setError(null); },
    (err) => setError(t('error.generic', { message: err.message })));
  useEffect(() => { reload(); }, [path]);
  return [items, error, reload];
}

function Failure({ error }) {
  return error ? <p role="alert" class="error">{error}</p> : null;
}

function Numbers({ queues }) {
  const [items, error, reload] = useList('/numbers');
  const [kind, setKind] = useState('queue');
  const [msg, setMsg] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = { [kind]: f.get('target') };
    if (f.get('priority')) body.priority = Number(f.get('priority'));
    setMsg(null);
    try {
      const exists = (items || []).some((n) => n.number === f.get('number'));
      if (exists) await put('/numbers/' + encodeURIComponent(f.get('number')), body);
      else await post('/numbers', { number: f.get('number'), ...body });
      e.target.reset();
      reload();
      setMsg(t('admin.saved'));
    } catch (err) {
      setMsg(t('error.field', { field: err.field || '', message: err.message }));
    }
  };
  const remove = async (n) => {
    try {
      await del('/numbers/' + encodeURIComponent(n.number));
      reload();
    } catch (err) {
      setMsg(t('error.generic', { message: err.message }));
    }
  };
  return (
    <section aria-label={t('admin.numbers')}>
      <form class="inline-form" onSubmit={submit} aria-label={t('admin.number_form')}>
        <label>{t('admin.number')}<input name="number" required /></label>
        <label>{t('admin.routes_to')}
          <select name="kind" aria-label={t('admin.routes_to')} value={kind} onChange={(e) => setKind(e.target.value)}>
            {['queue', 'user', 'flow'].map((k) => <option value={k}>{t('call.kind.' + k)}</option>)}
          </select>
        </label>
        <label>{t('admin.target')}<input name="target" required list={kind === 'queue' ? 'admin-queues' : undefined} /></label>
        <datalist id="admin-queues">{queues.map((q) => <option value={q.id} />)}</datalist>
        <label>{t('admin.priority')}<input name="priority" type="number" min="0" /></label>
        <button type="submit" class="primary">{t('admin.save')}</button>
        {msg && <span role="status">{msg}</span>}
      </form>
      <Failure error={error} />
      <table>
        <thead><tr><th>{t('admin.number')}</th><th>{t('admin.routes_to')}</th><th>{t('admin.priority')}</th><th>{t('admin.source')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
        <tbody>
          {(items || []).map((n) => (
            <tr data-number={n.number}>
              <td>{n.number}</td>
              <td>{n.queue ? t('call.kind.queue') + ': ' + n.queue : n.user ? t('call.kind.user') + ': ' + n.user : n.flow ? t('call.kind.flow') + ': ' + n.flow : '–'}</td>
              <td>{n.priority ?? ''}</td><td>{t('admin.source.' + (n.source || 'file'))}</td>
              <td>{n.source === 'api' && <button type="button" class="small danger" onClick={() => remove(n)}
                aria-label={t('admin.delete_named', { name: n.number })}>{t('admin.delete')}</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Webhooks() {
  const [items, error, reload] = useList('/webhooks');
  const [msg, setMsg] = useState(null);
  const [secret, setSecret] = useState(null);
  const [log, setLog] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    setMsg(null);
    try {
      const w = await post('/webhooks', {
        ...(f.get('id') ? { id: f.get('id') } : {}), url: f.get('url'),
        events: f.get('events').split(',').map((x) => x.trim()).filter(Boolean),
      });
      setSecret(w.secret);
      e.target.reset();
      reload();
    } catch (err) {
      setMsg(t('error.field', { field: err.field || '', message: err.message }));
    }
  };
  const remove = async (w) => {
    try { await del('/webhooks/' + encodeURIComponent(w.id)); reload(); } catch (err) { setMsg(err.message); }
  };
  const deliveries = async (w) => setLog({ id: w.id, items: (await get('/webhooks/' + encodeURIComponent(w.id) + '/deliveries?limit=50')).items });
  return (
    <section aria-label={t('admin.webhooks')}>
      <form class="inline-form" onSubmit={submit}>
        <label>{t('admin.id')}<input name="id" /></label>
        <label class="wide">{t('admin.url')}<input name="url" type="url" required /></label>
        <label>{t('admin.events')}<input name="events" defaultValue="*" required /></label>
        <button type="submit" class="primary">{t('admin.create')}</button>
        {msg && <span role="alert" class="error">{msg}</span>}
      </form>
      {secret && <p role="status" class="secret">{t('admin.secret_once')} <code>{secret}</code></p>}
      <Failure error={error} />
      <table>
        <thead><tr><th>{t('admin.id')}</th><th>{t('admin.url')}</th><th>{t('admin.events')}</th><th>{t('admin.source')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
        <tbody>{(items || []).map((w) => (
          <tr data-webhook={w.id}><td>{w.id}</td><td class="break">{w.url}</td><td>{w.events.join(', ')}</td><td>{t('admin.source.' + w.source)}</td>
            <td><button type="button" class="small" onClick={() => deliveries(w)}>{t('admin.deliveries')}</button>
              {w.source === 'api' && <button type="button" class="small danger" onClick={() => remove(w)}
                aria-label={t('admin.delete_named', { name: w.id })}>{t('admin.delete')}</button>}</td></tr>
        ))}</tbody>
      </table>
      {log && (
        <>
          <h3>{t('admin.deliveries_of', { id: log.id })}</h3>
          <table><thead><tr><th>{t('admin.time')}</th><th>{t('admin.event')}</th><th>{t('admin.state')}</th><th>{t('admin.attempts')}</th><th>{t('admin.last_error')}</th></tr></thead>
            <tbody>{log.items.map((d) => <tr data-delivery={d.id}><td>{fmtDateTime(d.created)}</td><td>{d.type}</td><td>{d.state}</td><td>{d.attempts}</td><td class="break">{d.last_error || d.last_status || ''}</td></tr>)}</tbody></table>
        </>
      )}
    </section>
  );
}

function Keys() {
  const [items, error, reload] = useList('/keys');
  const [msg, setMsg] = useState(null);
  const [key, setKey] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    setMsg(null);
    try {
      const k = await post('/keys', { name: f.get('name'), roles: ROLES.filter((r) => f.get('role_' + r)) });
      setKey(k.key);
      e.target.reset();
      reload();
    } catch (err) {
      setMsg(t('error.field', { field: err.field || '', message: err.message }));
    }
  };
  const revoke = async (k) => {
    try { await del('/keys/' + encodeURIComponent(k.id)); reload(); } catch (err) { setMsg(err.message); }
  };
  return (
    <section aria-label={t('admin.keys')}>
      <form class="inline-form" onSubmit={submit}>
        <label>{t('admin.name')}<input name="name" required /></label>
        <fieldset class="roles"><legend>{t('admin.roles')}</legend>
          {ROLES.map((r) => <label class="check"><input type="checkbox" name={'role_' + r} />{t('role.' + r)}</label>)}
        </fieldset>
        <button type="submit" class="primary">{t('admin.create')}</button>
        {msg && <span role="alert" class="error">{msg}</span>}
      </form>
      {key && <p role="status" class="secret">{t('admin.key_once')} <code>{key}</code></p>}
      <Failure error={error} />
      <table>
        <thead><tr><th>{t('admin.name')}</th><th>{t('admin.roles')}</th><th>{t('admin.created')}</th><th>{t('admin.created_by')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
        <tbody>{(items || []).map((k) => (
          <tr data-key={k.id}><td>{k.name}</td><td>{k.roles.map((r) => t('role.' + r)).join(', ')}</td><td>{fmtDateTime(k.created)}</td><td>{k.created_by}</td>
            <td><button type="button" class="small danger" onClick={() => revoke(k)} aria-label={t('admin.revoke_named', { name: k.name })}>{t('admin.revoke')}</button></td></tr>
        ))}</tbody>
      </table>
    </section>
  );
}

const AUDIT_PAGE = 50;

function Audit() {
  const [items, setItems] = useState([]);
  const [next, setNext] = useState(null);
  const [since, setSince] = useState('');
  const [error, setError] = useState(null);
  const load = async (cursor) => {
    try {
      const r = await get('/audit?' + qs({ since: since ? new Date(since).toISOString() : '', limit: AUDIT_PAGE, cursor }));
      setItems(cursor ? [...items, ...r.items] : r.items);
      setNext(r.next);
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
    }
  };
  useEffect(() => { load(); }, [since]);
  return (
    <section aria-label={t('admin.audit')}>
      <label class="inline">{t('admin.since')}<input type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} /></label>
      <Failure error={error} />
      <table>
        <thead><tr><th>{t('admin.time')}</th><th>{t('admin.actor')}</th><th>{t('admin.object')}</th><th>{t('admin.key')}</th><th>{t('admin.action')}</th><th>{t('admin.detail')}</th></tr></thead>
        <tbody>{items.map((a) => <tr data-audit={a.id}><td>{fmtDateTime(a.time)}</td><td>{a.actor}</td><td>{a.object}</td><td>{a.key}</td><td>{a.action}</td><td class="break">{a.detail}</td></tr>)}</tbody>
      </table>
      {next && <button type="button" onClick={() => load(next)}>{t('admin.more')}</button>}
    </section>
  );
}

export function Admin() {
  const [tab, setTab] = useState('numbers');
  const [queues, setQueues] = useState([]);
  useEffect(() => { get('/queues').then((r) => setQueues(r.items || []), () => {}); }, []);
  return (
    <div class="admin">
      <div role="tablist" aria-label={t('nav.admin')} class="tabs">
        {TABS.map((x) => (
          <button type="button" role="tab" aria-selected={tab === x} onClick={() => setTab(x)}>{t('admin.' + x)}</button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === 'numbers' && <Numbers queues={queues} />}
        {tab === 'queues' && <Queues />}
        {tab === 'users' && <Users />}
        {tab === 'flows' && <Flows />}
        {tab === 'calendars' && <Calendars />}
        {tab === 'trunks' && <Trunks />}
        {tab === 'campaigns' && <Campaigns />}
        {tab === 'lists' && <LeadLists />}
        {tab === 'reasons' && <Codes kind="reason-codes" />}
        {tab === 'dispositions' && <Codes kind="dispositions" />}
        {tab === 'webhooks' && <Webhooks />}
        {tab === 'keys' && <Keys />}
        {tab === 'audit' && <Audit />}
      </div>
    </div>
  );
}
