// Admin pages for the tenant's reason codes (not ready) and dispositions (wrap-up): the
// file's codes are listed and left alone; the API's may be added, renamed and removed.
// A code is only its name, so a rename adds the new code and then removes the old one
// (an agent already in the old reason keeps it until its next change).
import { useEffect, useState } from 'preact/hooks';
import { get, post, del } from '../lib/api.js';
import { t } from '../lib/i18n.js';

const errorText = (err) => t('error.field', { field: err.field || '', message: err.message });

/* kind: 'reason-codes' or 'dispositions' (the API's path and the catalogue's keys). */
export function Codes({ kind }) {
  const path = '/' + kind;
  const k = kind === 'reason-codes' ? 'reasons' : 'dispositions';
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const [msg, setMsg] = useState(null);
  const [renaming, setRenaming] = useState(null);
  const reload = () => get(path).then((r) => { setItems(r.items || []); setError(null); }, (err) => setError(errorText(err)));
  useEffect(() => { setRenaming(null); setMsg(null); reload(); }, [kind]);

  const add = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    setMsg(null);
    try {
      await post(path, { code: f.get('code').trim() });
      e.target.reset();
      reload();
      setMsg(t('admin.saved'));
    } catch (err) {
      setMsg(errorText(err));
    }
  };
  const rename = async (e) => {
    e.preventDefault();
    const to = new FormData(e.target).get('code').trim();
    setMsg(null);
    try {
      if (to !== renaming) {
        await post(path, { code: to });
        await del(path + '/' + encodeURIComponent(renaming));
      }
      setRenaming(null);
      reload();
      setMsg(t('admin.saved'));
    } catch (err) {
      setMsg(errorText(err));
      reload();
    }
  };
  const remove = async (code) => {
    setMsg(null);
    try { await del(path + '/' + encodeURIComponent(code)); reload(); } catch (err) { setMsg(errorText(err)); }
  };
  const onKey = (e) => { if (e.key === 'Escape') setRenaming(null); };

  return (
    <section aria-label={t('admin.' + k)}>
      <form class="inline-form" onSubmit={add} aria-label={t('admin.' + k + '_form')}>
        <label>{t('admin.code')}<input name="code" required maxLength="31" pattern="[A-Za-z0-9._\-]+" /></label>
        <button type="submit" class="primary">{t('admin.add')}</button>
        {msg && <span role="status">{msg}</span>}
      </form>
      <p class="muted small">{t('admin.code_hint')}</p>
      {error && <p role="alert" class="error">{error}</p>}
      <table>
        <thead><tr><th>{t('admin.code')}</th><th>{t('admin.source')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
        <tbody>{(items || []).map((c) => (
          <tr data-code={c.code}>
            <td>{renaming === c.code ? (
              <form class="inline-form" onSubmit={rename} aria-label={t('admin.rename_named', { name: c.code })}>
                <input name="code" required maxLength="31" pattern="[A-Za-z0-9._\-]+" defaultValue={c.code}
                  aria-label={t('admin.new_name')} onKeyDown={onKey} ref={(el) => el && el.focus()} />
                <button type="submit" class="small primary">{t('admin.save')}</button>
                <button type="button" class="small" onClick={() => setRenaming(null)}>{t('admin.cancel')}</button>
              </form>
            ) : c.code}</td>
            <td>{t('admin.source.' + (c.source || 'file'))}</td>
            <td>{c.source === 'api' && renaming !== c.code && <>
              <button type="button" class="small" onClick={() => setRenaming(c.code)} aria-label={t('admin.rename_named', { name: c.code })}>{t('admin.rename')}</button>
              <button type="button" class="small danger" onClick={() => remove(c.code)} aria-label={t('admin.delete_named', { name: c.code })}>{t('admin.delete')}</button></>}</td>
          </tr>
        ))}</tbody>
      </table>
      {items && <p class="muted small" role="status">{t('admin.' + k + '_count', { count: items.length })}</p>}
    </section>
  );
}
