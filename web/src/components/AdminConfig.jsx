// Admin pages for the configuration objects the API opens: queues and users. A page
// whose endpoint the server does not offer says so instead of failing.
import { useEffect, useState } from 'preact/hooks';
import { get, post, put, del } from '../lib/api.js';
import { t, languages, catalogues } from '../lib/i18n.js';

const STRATEGIES = ['longest-idle', 'round-robin', 'least-calls', 'least-talk-time', 'ring-all', 'linear', 'random', 'weighted-random', 'best-skill'];
const ROLES = ['agent', 'supervisor', 'admin', 'qa'];

/* "support:5, polish:3" <-> {support: 5, polish: 3}. */
const pairs = (s) => Object.fromEntries(s.split(',').map((x) => x.trim()).filter(Boolean)
  .map((x) => { const [k, v] = x.split(':').map((y) => y.trim()); return [k, Number(v || 0)]; }));
const unpairs = (o) => Object.entries(o || {}).map(([k, v]) => k + ':' + v).join(', ');
const errorText = (err) => (err.status === 404 || err.status === 405) && !err.field
  ? t('admin.not_offered') : t('error.field', { field: err.field || '', message: err.message });

function useItems(path) {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const reload = () => get(path).then((r) => { setItems(r.items || []); setError(null); }, (err) => setError(errorText(err)));
  useEffect(() => { reload(); }, []);
  return [items, error, reload];
}

export function Queues() {
  const [items, error, reload] = useItems('/queues');
  const [edit, setEdit] = useState(null);
  const [msg, setMsg] = useState(null);
  const c = (edit && edit.config) || {};
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = { ...(edit ? c : {}), strategy: f.get('strategy'), skills: pairs(f.get('skills')) };
    for (const k of ['name', 'ring_timeout', 'wrap_up', 'max_wait', 'service_level']) {
      if (f.get(k)) body[k] = f.get(k);
      else delete body[k];
    }
    if (f.get('service_level_target')) body.service_level_target = Number(f.get('service_level_target'));
    if (f.get('overflow')) body.overflow = { queue: f.get('overflow') };
    else delete body.overflow;
    // Announcements to callers waiting: every so often, their position and the expected wait.
    if (f.get('announce_every'))
      body.announce = { every: f.get('announce_every'), position: f.get('announce_position') === 'on', ewt: f.get('announce_ewt') === 'on' };
    else delete body.announce;
    setMsg(null);
    try {
      if (edit) { delete body.id; await put('/queues/' + encodeURIComponent(edit.id), body); }
      else await post('/queues', { id: f.get('id'), ...body });
      setEdit(null);
      e.target.reset();
      reload();
      setMsg(t('admin.saved'));
    } catch (err) {
      setMsg(errorText(err));
    }
  };
  const remove = async (q) => {
    try { await del('/queues/' + encodeURIComponent(q.id)); reload(); } catch (err) { setMsg(errorText(err)); }
  };
  return (
    <section aria-label={t('admin.queues')}>
      <form class="inline-form" onSubmit={submit} aria-label={t('admin.queue_form')} key={edit ? edit.id : 'new'}>
        <label>{t('admin.id')}<input name="id" required disabled={!!edit} defaultValue={edit ? edit.id : ''} /></label>
        <label>{t('admin.name')}<input name="name" defaultValue={c.name || ''} /></label>
        <label>{t('admin.strategy')}
          <select name="strategy" aria-label={t('admin.strategy')}>{STRATEGIES.map((s) => <option value={s} selected={s === (c.strategy || 'longest-idle')}>{s}</option>)}</select>
        </label>
        <label>{t('admin.skills')}<input name="skills" defaultValue={unpairs(c.skills)} /></label>
        <label>{t('admin.ring_timeout')}<input name="ring_timeout" size="5" defaultValue={c.ring_timeout || ''} /></label>
        <label>{t('admin.wrap_up')}<input name="wrap_up" size="5" defaultValue={c.wrap_up || ''} /></label>
        <label>{t('admin.max_wait')}<input name="max_wait" size="5" defaultValue={c.max_wait || ''} /></label>
        <label>{t('admin.service_level')}<input name="service_level" size="5" defaultValue={c.service_level || ''} /></label>
        <label>{t('admin.sl_target')}<input name="service_level_target" type="number" min="1" max="100" defaultValue={c.service_level_target ?? ''} /></label>
        <label>{t('admin.overflow')}<input name="overflow" list="admin-queue-ids" defaultValue={(c.overflow && c.overflow.queue) || ''} /></label>
        <fieldset class="roles"><legend>{t('admin.announce')}</legend>
          <label>{t('admin.announce_every')}<input name="announce_every" size="5" defaultValue={(c.announce && c.announce.every) || ''} /></label>
          <label class="check"><input type="checkbox" name="announce_position" defaultChecked={c.announce ? c.announce.position : true} />{t('admin.announce_position')}</label>
          <label class="check"><input type="checkbox" name="announce_ewt" defaultChecked={c.announce ? c.announce.ewt : true} />{t('admin.announce_ewt')}</label>
        </fieldset>
        <datalist id="admin-queue-ids">{(items || []).map((q) => <option value={q.id} />)}</datalist>
        <button type="submit" class="primary">{t('admin.save')}</button>
        {edit && <button type="button" onClick={() => setEdit(null)}>{t('admin.cancel')}</button>}
        {msg && <span role="status">{msg}</span>}
      </form>
      <p class="muted small">{t('admin.duration_hint')}</p>
      {error && <p role="alert" class="error">{error}</p>}
      <table>
        <thead><tr><th>{t('admin.id')}</th><th>{t('admin.strategy')}</th><th>{t('admin.skills')}</th><th>{t('admin.wrap_up')}</th><th>{t('admin.service_level')}</th><th>{t('admin.source')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
        <tbody>{(items || []).map((q) => (
          <tr data-queue={q.id}><td>{q.id}</td><td>{q.config ? q.config.strategy : '–'}</td><td>{q.config ? unpairs(q.config.skills) : ''}</td>
            <td>{q.config ? q.config.wrap_up || '' : ''}</td><td>{q.config ? q.config.service_level || '' : q.service_level_s}</td>
            <td>{q.source ? t('admin.source.' + q.source) : '–'}</td>
            <td>{q.source === 'api' && <>
              <button type="button" class="small" onClick={() => setEdit(q)} aria-label={t('admin.edit_named', { name: q.id })}>{t('admin.edit')}</button>
              <button type="button" class="small danger" onClick={() => remove(q)} aria-label={t('admin.delete_named', { name: q.id })}>{t('admin.delete')}</button></>}</td></tr>
        ))}</tbody>
      </table>
    </section>
  );
}

export function Users() {
  const [items, error, reload] = useItems('/users');
  const [edit, setEdit] = useState(null);
  const [msg, setMsg] = useState(null);
  const u = edit || {};
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = {
      name: f.get('name') || undefined, roles: ROLES.filter((r) => f.get('role_' + r)),
      skills: pairs(f.get('skills')), queues: pairs(f.get('queues')), auto_ready: f.get('auto_ready') === 'on',
    };
    if (f.get('language')) body.language = f.get('language');
    if (f.get('password')) body.password = f.get('password');
    if (f.get('sip_user')) body.sip = { user: f.get('sip_user'), ...(f.get('sip_password') ? { password: f.get('sip_password') } : {}) };
    setMsg(null);
    try {
      if (edit) await put('/users/' + encodeURIComponent(edit.username), body);
      else await post('/users', { username: f.get('username'), ...body });
      setEdit(null);
      e.target.reset();
      reload();
      setMsg(t('admin.saved'));
    } catch (err) {
      setMsg(errorText(err));
    }
  };
  const remove = async (x) => {
    try { await del('/users/' + encodeURIComponent(x.username)); reload(); } catch (err) { setMsg(errorText(err)); }
  };
  return (
    <section aria-label={t('admin.users')}>
      <form class="inline-form" onSubmit={submit} aria-label={t('admin.user_form')} key={edit ? edit.username : 'new'}>
        <label>{t('login.username')}<input name="username" required disabled={!!edit} defaultValue={u.username || ''} /></label>
        <label>{t('admin.name')}<input name="name" defaultValue={u.name || ''} /></label>
        <label>{t('login.password')}<input name="password" type="password" autocomplete="new-password" required={!edit} /></label>
        <fieldset class="roles"><legend>{t('admin.roles')}</legend>
          {ROLES.map((r) => <label class="check"><input type="checkbox" name={'role_' + r} defaultChecked={(u.roles || []).includes(r)} />{t('role.' + r)}</label>)}
        </fieldset>
        <label>{t('admin.sip_user')}<input name="sip_user" defaultValue={(u.sip && u.sip.user) || ''} /></label>
        <label>{t('admin.sip_password')}<input name="sip_password" type="password" autocomplete="new-password" /></label>
        <label>{t('admin.skills')}<input name="skills" defaultValue={unpairs(u.skills)} /></label>
        <label>{t('admin.member_of')}<input name="queues" defaultValue={unpairs(u.queues)} /></label>
        <label>{t('app.language')}
          <select name="language" aria-label={t('app.language')}>
            <option value="">{t('admin.tenant_default')}</option>
            {languages.map((l) => <option value={l} lang={l} selected={l === u.language}>{catalogues[l]['lang.name']}</option>)}
          </select>
        </label>
        <label class="check"><input type="checkbox" name="auto_ready" defaultChecked={!!u.auto_ready} />{t('admin.auto_ready')}</label>
        <button type="submit" class="primary">{t('admin.save')}</button>
        {edit && <button type="button" onClick={() => setEdit(null)}>{t('admin.cancel')}</button>}
        {msg && <span role="status">{msg}</span>}
      </form>
      {error && <p role="alert" class="error">{error}</p>}
      <table>
        <thead><tr><th>{t('login.username')}</th><th>{t('admin.name')}</th><th>{t('admin.roles')}</th><th>{t('admin.sip_user')}</th><th>{t('admin.skills')}</th><th>{t('admin.member_of')}</th><th>{t('admin.source')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
        <tbody>{(items || []).map((x) => (
          <tr data-user={x.username}><td>{x.username}</td><td>{x.name || ''}</td><td>{(x.roles || []).map((r) => t('role.' + r)).join(', ')}</td>
            <td>{(x.sip && x.sip.user) || ''}</td><td>{unpairs(x.skills)}</td><td>{unpairs(x.queues)}</td><td>{t('admin.source.' + (x.source || 'file'))}</td>
            <td>{x.source === 'api' && <>
              <button type="button" class="small" onClick={() => setEdit(x)} aria-label={t('admin.edit_named', { name: x.username })}>{t('admin.edit')}</button>
              <button type="button" class="small danger" onClick={() => remove(x)} aria-label={t('admin.delete_named', { name: x.username })}>{t('admin.delete')}</button></>}</td></tr>
        ))}</tbody>
      </table>
    </section>
  );
}
