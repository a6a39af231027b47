// Admin page of the outbound campaigns: the list with each campaign's state and live
// figures (GET /api/v1/campaigns once, then campaign.stats events), start, pause and
// stop, and the form that makes or changes a campaign with the fields of a `campaigns:`
// entry of the configuration. The server checks the campaign; its 400 names the field,
// and the message is shown at that field.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, put, del } from '../lib/api.js';
import { t, fmtNum, fmtPct } from '../lib/i18n.js';
import { useEvents } from '../lib/hooks.js';
import { fieldFor, later, shown } from '../lib/campaign.js';

const MODES = ['preview', 'progressive', 'predictive', 'agentless'];
const AMD = ['connect', 'hangup', 'message'];
const RESULTS = ['busy', 'no_answer', 'rejected', 'network', 'machine', 'abandoned'];
const FIELDS = ['id', 'name', 'mode', 'queue', 'flow', 'lines', 'trunk', 'caller_id', 'country', 'timezone',
  'holidays', 'window.from', 'window.to', 'ring_time', 'max_attempts', 'max_per_day', 'preview_timeout',
  ...RESULTS.map((r) => 'retry.' + r), 'close', 'dispositions', 'abandon_cap', 'abandon_window',
  'abandon_message', 'language', 'amd.action', 'amd.message', 'script', 'lists', 'paused'];
/* The keys of a `campaigns:` entry the form edits; others of an edited campaign are kept. */
const MANAGED = new Set(FIELDS.map((f) => f.split('.')[0]).concat(['retry', 'window', 'amd']));

const split = (s) => String(s || '').split(',').map((x) => x.trim()).filter(Boolean);
/* "nov, vip:10" <-> ["nov", {id: "vip", priority: 10}]. */
const listsIn = (s) => split(s).map((x) => {
  const [id, p] = x.split(':').map((y) => y.trim());
  return p ? { id, priority: Number(p) } : id;
});
const listsOut = (v) => (v || []).map((x) => (typeof x === 'string' ? x : x.priority ? x.id + ':' + x.priority : x.id)).join(', ');
/* "sale:close, later:callback" <-> {sale: "close", later: "callback"}. */
const mapIn = (s) => Object.fromEntries(split(s).map((x) => x.split(':').map((y) => y.trim())).filter((x) => x[0] && x[1]));
const mapOut = (o) => Object.entries(o || {}).map(([k, v]) => k + ':' + v).join(', ');
const pct = (x) => (x == null ? null : x / 100);

/* The request body from the form: only what is filled in, typed as the file's keys. */
function bodyOf(f) {
  const b = {};
  const s = (k) => (f.get(k) || '').trim();
  for (const k of ['name', 'mode', 'queue', 'flow', 'trunk', 'caller_id', 'country', 'timezone', 'holidays',
    'ring_time', 'preview_timeout', 'abandon_cap', 'abandon_window', 'abandon_message', 'language', 'script'])
    if (s(k)) b[k] = s(k);
  for (const k of ['lines', 'max_attempts', 'max_per_day']) if (s(k)) b[k] = Number(s(k));
  if (s('window.from') || s('window.to')) b.window = { from: s('window.from'), to: s('window.to') };
  const retry = Object.fromEntries(RESULTS.filter((r) => s('retry.' + r)).map((r) => [r, s('retry.' + r)]));
  if (Object.keys(retry).length) b.retry = retry;
  if (s('close')) b.close = split(s('close'));
  if (s('dispositions')) b.dispositions = mapIn(s('dispositions'));
  if (s('amd.action')) b.amd = { action: s('amd.action'), ...(s('amd.message') ? { message: s('amd.message') } : {}) };
  b.lists = listsIn(s('lists'));
  b.paused = f.get('paused') === 'on';
  return b;
}

function Field({ name, label, errors, children, wide }) {
  const id = 'camp-' + name.replace('.', '-');
  const err = errors[name];
  const input = children({ id, name, 'aria-invalid': err ? 'true' : undefined, 'aria-describedby': err ? id + '-err' : undefined });
  return (
    <label class={wide ? 'wide' : undefined} data-field={name}>{label}{input}
      {err && <span id={id + '-err'} role="alert" class="error field-error">{err}</span>}
    </label>
  );
}

function CampaignForm({ edit, queues, onSaved, onCancel }) {
  const c = edit || {};
  const [errors, setErrors] = useState({});
  const [msg, setMsg] = useState(null);
  const [mode, setMode] = useState(c.mode || 'progressive');
  const form = useRef(null);
  const submit = async (e) => {
    e.preventDefault();
    const kept = edit ? Object.fromEntries(Object.entries(edit).filter(([k]) => !MANAGED.has(k))) : {};
    const body = { ...kept, ...bodyOf(new FormData(e.target)) };
    setErrors({});
    setMsg(null);
    try {
      if (edit) await put('/campaigns/' + encodeURIComponent(edit.id), body);
      else await post('/campaigns', { id: new FormData(e.target).get('id').trim(), ...body });
      onSaved();
    } catch (err) {
      const at = fieldFor(err.field, FIELDS);
      if (at) {
        setErrors({ [at]: err.message });
        const el = form.current && form.current.querySelector('[name="' + at + '"]');
        if (el) el.focus();
      } else if ((err.status === 404 || err.status === 405) && !err.field) setMsg(later(() => t('admin.not_offered')));
      else setMsg(later(() => t('error.field', { field: err.field || '', message: err.message })));
    }
  };
  const F = (name, label, props = {}) => (
    <Field name={name} label={label} errors={errors} wide={props.wide}>
      {(a) => <input {...a} {...props} wide={undefined} defaultValue={props.value ?? ''} value={undefined} />}
    </Field>
  );
  return (
    <form class="campaign-form" onSubmit={submit} ref={form} aria-label={edit ? t('camp.edit_named', { name: edit.id }) : t('camp.new')}>
      <h3>{edit ? t('camp.edit_named', { name: edit.id }) : t('camp.new')}</h3>
      <fieldset><legend>{t('camp.general')}</legend>
        <Field name="id" label={t('admin.id')} errors={errors}>
          {(a) => <input {...a} required disabled={!!edit} defaultValue={c.id || ''} pattern="[a-z0-9_\-]+" />}
        </Field>
        {F('name', t('admin.name'), { value: c.name })}
        <Field name="mode" label={t('camp.mode')} errors={errors}>
          {(a) => <select {...a} value={mode} onChange={(e) => setMode(e.target.value)}>
            {MODES.map((m) => <option value={m}>{t('camp.mode.' + m)}</option>)}</select>}
        </Field>
        {mode !== 'agentless' ? (
          <Field name="queue" label={t('camp.queue')} errors={errors}>
            {(a) => <input {...a} list="camp-queues" defaultValue={c.queue || ''} />}
          </Field>
        ) : F('flow', t('camp.flow'), { value: c.flow })}
        <datalist id="camp-queues">{queues.map((q) => <option value={q.id} />)}</datalist>
        {F('lines', t('camp.lines'), { type: 'number', min: '1', value: c.lines })}
        {F('lists', t('camp.lists'), { value: listsOut(c.lists), wide: true, required: true })}
        <label class="check"><input type="checkbox" name="paused" defaultChecked={!!c.paused} />{t('camp.start_paused')}</label>
      </fieldset>
      <fieldset><legend>{t('camp.dialing')}</legend>
        {F('trunk', t('camp.trunk'), { value: c.trunk })}
        {F('caller_id', t('admin.caller_id'), { value: c.caller_id })}
        {F('country', t('camp.country'), { value: c.country, size: '3' })}
        {F('timezone', t('camp.timezone'), { value: c.timezone })}
        {F('holidays', t('camp.holidays'), { value: c.holidays })}
        {F('window.from', t('camp.window_from'), { value: c.window && c.window.from, placeholder: t('camp.time_placeholder'), size: '5' })}
        {F('window.to', t('camp.window_to'), { value: c.window && c.window.to, placeholder: t('camp.time_placeholder'), size: '5' })}
        {F('ring_time', t('camp.ring_time'), { value: c.ring_time, size: '5' })}
        {F('max_attempts', t('camp.max_attempts'), { type: 'number', min: '1', value: c.max_attempts })}
        {F('max_per_day', t('camp.max_per_day'), { type: 'number', min: '1', value: c.max_per_day })}
        {mode === 'preview' && F('preview_timeout', t('camp.preview_timeout'), { value: c.preview_timeout, size: '5' })}
      </fieldset>
      <fieldset><legend>{t('camp.retry')}</legend>
        {RESULTS.map((r) => F('retry.' + r, t('camp.result.' + r), { value: c.retry && c.retry[r], size: '5' }))}
        {F('close', t('camp.close'), { value: (c.close || []).join(', ') })}
        {F('dispositions', t('camp.dispositions'), { value: mapOut(c.dispositions), wide: true })}
      </fieldset>
      <fieldset><legend>{t('camp.abandonment')}</legend>
        {F('abandon_cap', t('camp.abandon_cap'), { value: c.abandon_cap, size: '5' })}
        {F('abandon_window', t('camp.abandon_window'), { value: c.abandon_window, size: '5' })}
        {F('abandon_message', t('camp.abandon_message'), { value: c.abandon_message, wide: true })}
        {F('language', t('camp.language'), { value: c.language, size: '5' })}
        <Field name="amd.action" label={t('camp.amd_action')} errors={errors}>
          {(a) => <select {...a}>{AMD.map((x) => <option value={x} selected={x === ((c.amd && c.amd.action) || 'connect')}>{t('camp.amd.' + x)}</option>)}</select>}
        </Field>
        {F('amd.message', t('camp.amd_message'), { value: c.amd && c.amd.message, wide: true })}
      </fieldset>
      <Field name="script" label={t('camp.script')} errors={errors} wide>
        {(a) => <textarea {...a} rows="3" defaultValue={c.script || ''} />}
      </Field>
      <p class="muted small">{t('camp.form_hint')}</p>
      <div class="buttons">
        <button type="submit" class="primary">{t('admin.save')}</button>
        <button type="button" onClick={onCancel}>{t('admin.cancel')}</button>
        {msg && <span role="alert" class="error">{shown(msg)}</span>}
      </div>
    </form>
  );
}

export function CampaignRow({ c, act }) {
  const today = c.today || {};
  const w = c.abandoned_window || {};
  const a = c.agents || {};
  return (
    <tr data-campaign={c.id}>
      <td>{c.id}{c.name && <div class="muted small">{c.name}</div>}</td>
      <td>{t('camp.mode.' + c.mode)}</td>
      <td><span class={'badge camp-' + c.state} data-testid="campaign-state">{t('camp.state.' + c.state)}</span></td>
      <td data-testid="leads-left">{fmtNum(c.leads_left)}</td>
      <td data-testid="dialing-now">{fmtNum(c.dialing_now)}</td>
      <td>{fmtNum(today.answered)}</td>
      <td>{fmtNum(today.human)} / {fmtNum(today.machine)}</td>
      <td>{fmtPct(pct(today.abandoned_pct), 1)} / {fmtPct(pct(w.pct), 1)}</td>
      <td>{t('camp.agents_short', { free: a.free || 0, talking: a.talking || 0 })}</td>
      <td>{fmtNum(c.dial_ratio, 1)}</td>
      <td><div class="actions">
        {c.state !== 'running' && <button type="button" class="small" onClick={() => act(c, 'start')}
          aria-label={t('camp.start_named', { name: c.id })}>{t('camp.start')}</button>}
        {c.state === 'running' && <button type="button" class="small" onClick={() => act(c, 'pause')}
          aria-label={t('camp.pause_named', { name: c.id })}>{t('camp.pause')}</button>}
        {c.state !== 'stopped' && <button type="button" class="small" onClick={() => act(c, 'stop')}
          aria-label={t('camp.stop_named', { name: c.id })}>{t('camp.stop')}</button>}
        {act.edit && c.source === 'api' && <button type="button" class="small" onClick={() => act(c, 'edit')}
          aria-label={t('admin.edit_named', { name: c.id })}>{t('admin.edit')}</button>}
        {act.edit && c.source === 'api' && <button type="button" class="small danger" onClick={() => act(c, 'delete')}
          aria-label={t('admin.delete_named', { name: c.id })}>{t('admin.delete')}</button>}
      </div></td>
    </tr>
  );
}

export function Campaigns() {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const [msg, setMsg] = useState(null);
  const [edit, setEdit] = useState(null); // null: no form; {}: new; a campaign: its edit
  const [queues, setQueues] = useState([]);
  const load = () => get('/campaigns').then((r) => { setItems(r.items || []); setError(null); },
    (err) => setError(later(() => (err.status === 404 ? t('admin.not_offered') : t('error.generic', { message: err.message })))));
  useEffect(() => { load(); get('/queues').then((r) => setQueues(r.items || []), () => {}); }, []);
  useEvents((m) => {
    if (m.type === 'resync') return load();
    if (m.type !== 'campaign.stats') return;
    const d = m.data || {};
    setItems((v) => {
      const list = v || [];
      const i = list.findIndex((x) => x.id === d.id);
      return i < 0 ? [...list, d] : list.map((x, k) => (k === i ? { ...x, ...d } : x));
    });
  });
  const act = async (c, what) => {
    setMsg(null);
    try {
      if (what === 'edit') {
        const full = await get('/campaigns/' + encodeURIComponent(c.id));
        setEdit(full.config ? { ...full.config, id: c.id } : full);
        return;
      }
      if (what === 'delete') {
        await del('/campaigns/' + encodeURIComponent(c.id));
        setItems((v) => v.filter((x) => x.id !== c.id));
        setMsg(later(() => t('admin.saved')));
        return;
      }
      const r = await post('/campaigns/' + encodeURIComponent(c.id) + '/' + what);
      setItems((v) => v.map((x) => (x.id === c.id ? { ...x, ...r } : x)));
    } catch (err) {
      setMsg(later(() => (err.status === 404 || err.status === 405 ? t('admin.not_offered') : t('error.generic', { message: err.message }))));
    }
  };
  act.edit = true;
  return (
    <section aria-label={t('admin.campaigns')}>
      <div class="gridbar">
        <h2>{t('admin.campaigns')}</h2>
        {!edit && <button type="button" class="primary" onClick={() => setEdit({})}>{t('camp.new')}</button>}
        {msg && <span role="status">{shown(msg)}</span>}
      </div>
      {edit && <CampaignForm key={edit.id || 'new'} edit={edit.id ? edit : null} queues={queues}
        onSaved={() => { setEdit(null); setMsg(later(() => t('admin.saved'))); load(); }} onCancel={() => setEdit(null)} />}
      {error && <p role="alert" class="error">{shown(error)}</p>}
      <table class="campaigns">
        <thead><tr><th>{t('admin.id')}</th><th>{t('camp.mode')}</th><th>{t('admin.state')}</th><th>{t('camp.leads_left')}</th>
          <th>{t('camp.dialing_now')}</th><th>{t('camp.answered')}</th><th>{t('camp.human_machine')}</th>
          <th>{t('camp.abandoned_today_window')}</th><th>{t('camp.agents')}</th><th>{t('camp.dial_ratio')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
        <tbody>{(items || []).map((c) => <CampaignRow key={c.id} c={c} act={act} />)}</tbody>
      </table>
      {items && !items.length && <p class="muted">{t('camp.none')}</p>}
    </section>
  );
}
