// Admin pages for IVR flows and calendars. A flow is edited as the file's flow in JSON;
// the server's validator answers an error with the path of the field at fault
// (nodes.menu.options.1), which is shown at the node it belongs to in the graph view: a
// card per node with its type and its exits (each a link to the node it leads to).
// Saving publishes (new calls run it) or keeps a draft; any version can be published
// again (a rollback). Calendars: time zone, weekly hours and holidays.
import { useEffect, useState } from 'preact/hooks';
import { get, post, put, del } from '../lib/api.js';
import { t, fmtDateTime } from '../lib/i18n.js';

const errorText = (err) => t('error.field', { field: err.field || '', message: err.message });
const enc = encodeURIComponent;

/* The exits of node n: [label, target] for every value naming another node. */
export function exits(n, nodes) {
  const out = [];
  for (const [k, v] of Object.entries(n || {})) {
    if (k === 'type') continue;
    if (typeof v === 'string' && v in nodes) out.push([k, v]);
    else if (v && typeof v === 'object' && !Array.isArray(v))
      for (const [k2, v2] of Object.entries(v)) if (typeof v2 === 'string' && v2 in nodes) out.push([k + ' ' + k2, v2]);
  }
  return out;
}

function Graph({ flow, error }) {
  const nodes = (flow && flow.nodes) || {};
  const bad = error && /^nodes\.([^.]+)/.exec(error.field || '');
  const badNode = bad ? bad[1] : null;
  return (
    <ol class="flow-graph" aria-label={t('flows.graph')}>
      {Object.entries(nodes).map(([name, n]) => (
        <li id={'node-' + name} data-node={name} class={name === badNode ? 'node bad' : 'node'} tabindex="-1">
          <strong>{name}</strong> <span class="muted">{(n && n.type) || '?'}</span>
          {name === flow.start && <span class="badge">{t('flows.start')}</span>}
          {name === badNode && <p role="alert" class="error" data-testid="node-error">{error.message}</p>}
          <ul class="plain">{exits(n, nodes).map(([label, to]) => (
            <li>{label} → <a href={'#node-' + to} onClick={(e) => { e.preventDefault(); document.getElementById('node-' + to).focus(); }}>{to}</a></li>
          ))}</ul>
        </li>
      ))}
      {error && !badNode && <li role="alert" class="error" data-testid="node-error">{errorText(error)}</li>}
    </ol>
  );
}

export function Flows() {
  const [items, setItems] = useState(null);
  const [sel, setSel] = useState(null);
  const [text, setText] = useState('');
  const [versions, setVersions] = useState([]);
  const [error, setError] = useState(null);
  const [msg, setMsg] = useState(null);
  const reload = () => get('/flows').then((r) => setItems(r.items || []), (err) => setMsg(errorText(err)));
  useEffect(() => { reload(); }, []);
  const open = async (name) => {
    setError(null);
    setMsg(null);
    try {
      const f = await get('/flows/' + enc(name));
      setSel(f);
      setText(JSON.stringify(f.flow, null, 2));
      setVersions((await get('/flows/' + enc(name) + '/versions')).items || []);
    } catch (err) {
      setMsg(errorText(err));
    }
  };
  let parsed = null;
  try { parsed = JSON.parse(text); } catch { parsed = null; }
  const save = async (publish) => {
    setError(null);
    setMsg(null);
    if (!parsed) return setError({ field: '', message: t('flows.bad_json') });
    try {
      if (sel.new) await post('/flows' + (publish ? '' : '?publish=false'), { name: sel.name, ...parsed });
      else await put('/flows/' + enc(sel.name) + (publish ? '' : '?publish=false'), parsed);
      reload();
      await open(sel.name);
      setMsg(publish ? t('flows.published') : t('flows.drafted'));
    } catch (err) {
      setError(err);
    }
  };
  const publishVersion = async (v) => {
    try {
      await post('/flows/' + enc(sel.name) + '/versions/' + v + '/publish');
      open(sel.name);
      reload();
    } catch (err) {
      setMsg(errorText(err));
    }
  };
  const remove = async () => {
    try { await del('/flows/' + enc(sel.name)); setSel(null); reload(); } catch (err) { setMsg(errorText(err)); }
  };
  const create = (e) => {
    e.preventDefault();
    const name = new FormData(e.target).get('name').trim();
    setError(null);
    setSel({ name, new: true, source: 'api' });
    setText(JSON.stringify({ start: 'bye', nodes: { bye: { type: 'hangup' } } }, null, 2));
    setVersions([]);
  };
  const ro = sel && sel.source === 'file';
  return (
    <section aria-label={t('admin.flows')} class="flows">
      <form class="inline-form" onSubmit={create} aria-label={t('flows.new')}>
        <label>{t('admin.name')}<input name="name" required pattern="[A-Za-z0-9._\-]+" /></label>
        <button type="submit">{t('flows.new')}</button>
        {msg && <span role="status">{msg}</span>}
      </form>
      <table>
        <thead><tr><th>{t('admin.name')}</th><th>{t('flows.version')}</th><th>{t('flows.latest')}</th><th>{t('admin.source')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
        <tbody>{(items || []).map((f) => (
          <tr data-flow={f.name}><td>{f.name}</td><td>{f.version}</td><td>{f.latest}</td><td>{t('admin.source.' + f.source)}</td>
            <td><button type="button" class="small" onClick={() => open(f.name)} aria-label={t('flows.open_named', { name: f.name })}>{t('flows.open')}</button></td></tr>
        ))}</tbody>
      </table>
      {sel && (
        <div class="flow-edit">
          <div>
            <h3>{sel.name}</h3>
            <label>{t('flows.body')}
              <textarea name="flow" rows="18" spellcheck={false} readOnly={ro} value={text} onInput={(e) => setText(e.target.value)} /></label>
            {ro ? <p class="muted small">{t('flows.file_owned')}</p> : (
              <div class="buttons">
                <button type="button" class="primary" onClick={() => save(true)}>{t('flows.publish')}</button>
                <button type="button" onClick={() => save(false)}>{t('flows.draft')}</button>
                {!sel.new && <button type="button" class="danger" onClick={remove}>{t('admin.delete')}</button>}
              </div>
            )}
            {versions.length > 0 && (
              <table class="versions">
                <thead><tr><th>{t('flows.version_n')}</th><th>{t('admin.time')}</th><th>{t('admin.actor')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
                <tbody>{versions.map((v) => (
                  <tr data-version={v.version}><td>{v.version}</td><td>{fmtDateTime(v.created)}</td><td>{v.by}</td>
                    <td>{v.published ? <span class="badge">{t('flows.live')}</span> : !ro && (
                      <button type="button" class="small" onClick={() => publishVersion(v.version)}
                        aria-label={t('flows.publish_version', { version: v.version })}>{t('flows.publish')}</button>)}</td></tr>
                ))}</tbody>
              </table>
            )}
          </div>
          <div>
            <h3>{t('flows.graph')}</h3>
            {parsed ? <Graph flow={parsed} error={error} /> : <p role="alert" class="error">{t('flows.bad_json')}</p>}
          </div>
        </div>
      )}
    </section>
  );
}

/* "mon-fri 08:00-18:00" lines <-> {"mon-fri": "08:00-18:00"}. */
const weeklyOf = (s) => Object.fromEntries(s.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
  const i = l.search(/\s/);
  return i < 0 ? [l, ''] : [l.slice(0, i), l.slice(i).trim()];
}));
const weeklyText = (w) => Object.entries(w || {}).map(([k, v]) => k + ' ' + (Array.isArray(v) ? v.join(', ') : v)).join('\n');

export function Calendars() {
  const [items, setItems] = useState(null);
  const [edit, setEdit] = useState(null);
  const [msg, setMsg] = useState(null);
  const reload = () => get('/calendars').then((r) => setItems(r.items || []), (err) => setMsg(errorText(err)));
  useEffect(() => { reload(); }, []);
  const c = (edit && edit.calendar) || {};
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = { timezone: f.get('timezone') || undefined, weekly: weeklyOf(f.get('weekly')),
      holidays: f.get('holidays').split(',').map((x) => x.trim()).filter(Boolean) };
    setMsg(null);
    try {
      if (edit) await put('/calendars/' + enc(edit.id), body);
      else await post('/calendars', { id: f.get('id'), ...body });
      setEdit(null);
      e.target.reset();
      reload();
      setMsg(t('admin.saved'));
    } catch (err) {
      setMsg(errorText(err));
    }
  };
  const openEdit = async (x) => { try { setEdit(await get('/calendars/' + enc(x.id))); } catch (err) { setMsg(errorText(err)); } };
  const remove = async (x) => { try { await del('/calendars/' + enc(x.id)); reload(); } catch (err) { setMsg(errorText(err)); } };
  return (
    <section aria-label={t('admin.calendars')}>
      <form class="inline-form" onSubmit={submit} aria-label={t('cal.form')} key={edit ? edit.id : 'new'}>
        <label>{t('admin.id')}<input name="id" required disabled={!!edit} defaultValue={edit ? edit.id : ''} /></label>
        <label>{t('cal.timezone')}<input name="timezone" defaultValue={c.timezone || ''} /></label>
        <label>{t('cal.weekly')}<textarea name="weekly" rows="3" defaultValue={weeklyText(c.weekly)} /></label>
        <label class="wide">{t('cal.holidays')}<input name="holidays" defaultValue={(c.holidays || []).map((h) => (typeof h === 'string' ? h : h.date || '')).join(', ')} /></label>
        <button type="submit" class="primary">{t('admin.save')}</button>
        {edit && <button type="button" onClick={() => setEdit(null)}>{t('admin.cancel')}</button>}
        {msg && <span role="status">{msg}</span>}
      </form>
      <p class="muted small">{t('cal.hint')}</p>
      <table>
        <thead><tr><th>{t('admin.id')}</th><th>{t('admin.source')}</th><th>{t('admin.time')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
        <tbody>{(items || []).map((x) => (
          <tr data-calendar={x.id}><td>{x.id}</td><td>{t('admin.source.' + x.source)}</td><td>{fmtDateTime(x.updated)}</td>
            <td>{x.source === 'api' && <>
              <button type="button" class="small" onClick={() => openEdit(x)} aria-label={t('admin.edit_named', { name: x.id })}>{t('admin.edit')}</button>
              <button type="button" class="small danger" onClick={() => remove(x)} aria-label={t('admin.delete_named', { name: x.id })}>{t('admin.delete')}</button></>}</td></tr>
        ))}</tbody>
      </table>
    </section>
  );
}
