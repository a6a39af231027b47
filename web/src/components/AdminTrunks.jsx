// Admin page for the tenant's SIP trunks: the file's are listed as such; the API's may be
// made, changed and removed. The password is write-only (the server answers only whether
// one is set): left empty on a change, the trunk keeps its own.
import { useEffect, useState } from 'preact/hooks';
import { get, post, put, del } from '../lib/api.js';
import { t } from '../lib/i18n.js';

const SRTP = ['off', 'optional', 'required'];
const errorText = (err) => (err.status === 404 || err.status === 405) && !err.field
  ? t('admin.not_offered') : t('error.field', { field: err.field || '', message: err.message });
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

export function Trunks() {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const [edit, setEdit] = useState(null);
  const [msg, setMsg] = useState(null);
  const reload = () => get('/trunks').then((r) => { setItems(r.items || []); setError(null); }, (err) => setError(errorText(err)));
  useEffect(() => { reload(); }, []);
  const x = edit || {};

  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = { uri: f.get('uri'), srtp: f.get('srtp'), register: f.get('register') === 'on' };
    for (const k of ['username', 'password', 'caller_id', 'register_expires']) if (f.get(k)) body[k] = f.get(k);
    if (f.get('inbound_from')) body.inbound_from = list(f.get('inbound_from'));
    setMsg(null);
    try {
      if (edit) await put('/trunks/' + encodeURIComponent(edit.id), body);
      else await post('/trunks', { id: f.get('id'), ...body });
      setEdit(null);
      e.target.reset();
      reload();
      setMsg(t('admin.saved'));
    } catch (err) {
      setMsg(errorText(err));
    }
  };
  const remove = async (tr) => {
    setMsg(null);
    try { await del('/trunks/' + encodeURIComponent(tr.id)); reload(); } catch (err) { setMsg(errorText(err)); }
  };

  return (
    <section aria-label={t('admin.trunks')}>
      <form class="inline-form" onSubmit={submit} aria-label={t('admin.trunk_form')} key={edit ? edit.id : 'new'}>
        <label>{t('admin.id')}<input name="id" required disabled={!!edit} defaultValue={x.id || ''} /></label>
        <label class="wide">{t('admin.trunk_uri')}<input name="uri" required defaultValue={x.uri || ''} /></label>
        <label>{t('admin.trunk_username')}<input name="username" autocomplete="off" defaultValue={x.username || ''} /></label>
        <label>{t('login.password')}<input name="password" type="password" autocomplete="new-password"
          aria-describedby="trunk-password-hint" /></label>
        <label>{t('admin.caller_id')}<input name="caller_id" defaultValue={x.caller_id || ''} /></label>
        <label>{t('admin.inbound_from')}<input name="inbound_from" defaultValue={(x.inbound_from || []).join(', ')} /></label>
        <label>{t('admin.srtp')}
          <select name="srtp" aria-label={t('admin.srtp')}>{SRTP.map((s) => <option value={s} selected={s === (x.srtp || 'off')}>{t('admin.srtp.' + s)}</option>)}</select>
        </label>
        <label class="check"><input type="checkbox" name="register" defaultChecked={!!x.register} />{t('admin.register')}</label>
        <label>{t('admin.register_expires')}<input name="register_expires" size="5" defaultValue={x.register_expires ? x.register_expires + 's' : ''} /></label>
        <button type="submit" class="primary">{t('admin.save')}</button>
        {edit && <button type="button" onClick={() => setEdit(null)}>{t('admin.cancel')}</button>}
        {msg && <span role="status">{msg}</span>}
      </form>
      <p class="muted small" id="trunk-password-hint">{t('admin.trunk_password_hint')}</p>
      {error && <p role="alert" class="error">{error}</p>}
      <table>
        <thead><tr><th>{t('admin.id')}</th><th>{t('admin.trunk_uri')}</th><th>{t('admin.trunk_username')}</th><th>{t('admin.register')}</th><th>{t('admin.srtp')}</th><th>{t('admin.source')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
        <tbody>{(items || []).map((tr) => (
          <tr data-trunk={tr.id}><td>{tr.id}</td><td class="break">{tr.uri}</td><td>{tr.username || ''}</td>
            <td>{tr.register ? (tr.registered ? t('admin.registered') : t('admin.not_registered')) : '–'}</td>
            <td>{t('admin.srtp.' + (tr.srtp || 'off'))}</td>
            <td>{t('admin.source.' + (tr.source || 'file'))}</td>
            <td>{tr.source === 'api' && <>
              <button type="button" class="small" onClick={() => setEdit(tr)} aria-label={t('admin.edit_named', { name: tr.id })}>{t('admin.edit')}</button>
              <button type="button" class="small danger" onClick={() => remove(tr)} aria-label={t('admin.delete_named', { name: tr.id })}>{t('admin.delete')}</button></>}</td></tr>
        ))}</tbody>
      </table>
    </section>
  );
}
