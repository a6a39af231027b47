// Admin page of the lead lists and do-not-call numbers: a CSV of leads imported into a
// list with the file's columns mapped to ours (POST /api/v1/lists/{id}/leads), the
// import's report (every bad row with its line and column, the duplicates), the lists
// the campaigns call with their results' export, and do-not-call numbers listed
// (GET /api/v1/dnc), added one by one or from a CSV (POST /api/v1/dnc) and removed
// (DELETE /api/v1/dnc/{phone}), for the tenant or one campaign.
import { useEffect, useState } from 'preact/hooks';
import { get, post, del, qs } from '../lib/api.js';
import { t, fmtNum, fmtDateTime } from '../lib/i18n.js';
import { postCsv, downloadCsv, csvHeader, guessSep, splitReport, later, shown } from '../lib/campaign.js';

const OURS = ['phone', 'name', 'timezone', 'priority'];
const SEPS = [[',', 'comma'], [';', 'semicolon'], ['\t', 'tab']];
const errorText = (err) => (err.status === 404 || err.status === 405) && !err.field
  ? t('admin.not_offered') : t('error.field', { field: err.field || '', message: err.message });

const readFile = (file) => new Promise((ok, fail) => {
  const r = new FileReader();
  r.onload = () => ok(String(r.result));
  r.onerror = () => fail(r.error);
  r.readAsText(file);
});

/* The import's report: the counts, the bad rows (line, column and its header, message),
 * the duplicates, and anything else the server said. */
export function ImportReport({ report, header }) {
  const b = report.body;
  const { bad, dups, other } = splitReport(b.messages);
  const ok = report.status === 200;
  return (
    <div class="import-report" data-testid="import-report" aria-label={t('lists.report')} role="region">
      <h3>{t('lists.report')}</h3>
      <p role="status" class={ok ? 'ok-text' : 'error'}>
        {ok ? t('lists.imported', { count: b.imported || 0, rows: b.rows || 0 })
          : b.code === 'bad_rows' ? t('lists.nothing_imported', { count: b.bad || 0 }) : t('lists.bad_header')}
      </p>
      <dl class="facts">
        <div><dt>{t('lists.rows')}</dt><dd>{fmtNum(b.rows)}</dd></div>
        <div><dt>{t('lists.imported_n')}</dt><dd>{fmtNum(b.imported)}</dd></div>
        <div><dt>{t('lists.bad')}</dt><dd>{fmtNum(b.bad)}</dd></div>
        <div><dt>{t('lists.dup_list')}</dt><dd>{fmtNum(b.duplicates_in_list)}</dd></div>
        <div><dt>{t('lists.dup_other')}</dt><dd>{fmtNum(b.duplicates_in_other_lists)}</dd></div>
      </dl>
      {bad.length > 0 && (
        <table class="bad-rows">
          <caption>{t('lists.bad_rows')}</caption>
          <thead><tr><th>{t('lists.line')}</th><th>{t('lists.column')}</th><th>{t('lists.problem')}</th></tr></thead>
          <tbody>{bad.map((r) => (
            <tr data-line={r.line}><td>{fmtNum(r.line)}</td>
              <td>{header && header[r.col - 1] ? t('lists.column_named', { n: r.col, name: header[r.col - 1] }) : fmtNum(r.col)}</td>
              <td class="break">{r.message}</td></tr>
          ))}</tbody>
        </table>
      )}
      {dups.length > 0 && (
        <>
          <h4>{t('lists.duplicates')}</h4>
          <ul class="plain small">{dups.map((d) => <li>{t('lists.at_line', { line: d.line, message: d.message })}</li>)}</ul>
        </>
      )}
      {other.length > 0 && <ul class="plain small">{other.map((m) => <li class="break">{m}</li>)}</ul>}
    </div>
  );
}

function ImportLeads({ lists, onImported }) {
  const [text, setText] = useState(null);
  const [sep, setSep] = useState(',');
  const [map, setMap] = useState({});
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const header = text != null ? csvHeader(text, sep) : [];
  const pick = async (e) => {
    const file = e.target.files[0];
    setReport(null);
    setError(null);
    if (!file) return setText(null);
    const s = await readFile(file);
    const g = guessSep(s);
    const h = csvHeader(s, g);
    setSep(g);
    setText(s);
    // Our fields map to the file's column of the same name when there is one.
    setMap(Object.fromEntries(OURS.map((k) => [k, h.find((c) => c.toLowerCase() === k) || ''])));
  };
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const list = f.get('list').trim();
    const m = OURS.filter((k) => map[k] && map[k] !== k).map((k) => k + '=' + map[k]).join(',');
    setBusy(true);
    setError(null);
    try {
      const r = await postCsv('/lists/' + encodeURIComponent(list) + '/leads?' + qs({
        map: m, sep: sep === ',' ? '' : sep, country: f.get('country').trim(), skip_bad: f.get('skip_bad') === 'on' ? 'true' : '',
      }), text);
      setReport({ ...r, header });
      if (r.status === 200) onImported(list);
    } catch (err) {
      setError(later(() => errorText(err)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-label={t('lists.import')}>
      <h2>{t('lists.import')}</h2>
      <form class="inline-form" onSubmit={submit} aria-label={t('lists.import')}>
        <label>{t('lists.list')}<input name="list" required pattern="[A-Za-z0-9_\-]+" list="lists-known" /></label>
        <datalist id="lists-known">{lists.map((l) => <option value={l.id} />)}</datalist>
        <label>{t('lists.file')}<input name="file" type="file" accept=".csv,text/csv,text/plain" required onChange={pick} /></label>
        <label>{t('lists.separator')}
          <select name="sep" value={sep} onChange={(e) => setSep(e.target.value)}>
            {SEPS.map(([v, k]) => <option value={v}>{t('lists.sep.' + k)}</option>)}
          </select>
        </label>
        <label>{t('camp.country')}<input name="country" size="3" maxLength="2" /></label>
        <label class="check"><input type="checkbox" name="skip_bad" />{t('lists.skip_bad')}</label>
        {text != null && (
          <fieldset class="roles" aria-label={t('lists.mapping')}><legend>{t('lists.mapping')}</legend>
            {OURS.map((k) => (
              <label>{t('lists.field.' + k)}
                <select name={'map_' + k} value={map[k] || ''} required={k === 'phone'}
                  onChange={(e) => setMap({ ...map, [k]: e.target.value })}>
                  <option value="">{k === 'phone' ? t('lists.choose_column') : t('lists.no_column')}</option>
                  {header.map((c) => <option value={c}>{c}</option>)}
                </select>
              </label>
            ))}
          </fieldset>
        )}
        <button type="submit" class="primary" disabled={busy || text == null}>{t('lists.upload')}</button>
      </form>
      <p class="muted small">{t('lists.fields_hint')}</p>
      {error && <p role="alert" class="error">{shown(error)}</p>}
      {report && <ImportReport report={report} header={report.header} />}
      <AddLead onAdded={onImported} />
    </section>
  );
}

/* One lead added to a list (POST /api/v1/lists/{id}/leads with JSON); the server's
 * message is shown at the field it names. */
function AddLead({ onAdded }) {
  const [err, setErr] = useState(null);
  const [msg, setMsg] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const list = f.get('list').trim();
    const body = { phone: f.get('phone').trim() };
    if (f.get('name').trim()) body.name = f.get('name').trim();
    const fields = Object.fromEntries(String(f.get('fields')).split(',').map((x) => x.split('=').map((y) => y.trim()))
      .filter((x) => x[0] && x.length === 2));
    if (Object.keys(fields).length) body.fields = fields;
    setErr(null);
    setMsg(null);
    try {
      await post('/lists/' + encodeURIComponent(list) + '/leads', body);
      setMsg(later(() => t('lists.lead_added', { number: body.phone, name: list })));
      e.target.reset();
      onAdded(list);
    } catch (x) {
      setErr({ field: x.field === 'phone' || x.field === 'name' ? x.field : x.field ? 'fields' : null,
        text: later(() => (x.code === 'duplicate' ? t('lists.lead_duplicate') : errorText(x))) });
    }
  };
  const at = (name) => (err && err.field === name
    ? <span role="alert" class="error field-error">{shown(err.text)}</span> : null);
  return (
    <form class="inline-form" onSubmit={submit} aria-label={t('lists.add_lead')}>
      <label>{t('lists.list')}<input name="list" required pattern="[A-Za-z0-9_\-]+" list="lists-known" /></label>
      <label>{t('lists.field.phone')}<input name="phone" required aria-invalid={err && err.field === 'phone' ? 'true' : undefined} />{at('phone')}</label>
      <label>{t('lists.field.name')}<input name="name" />{at('name')}</label>
      <label class="wide">{t('lists.fields')}<input name="fields" placeholder={t('lists.fields_placeholder')} />{at('fields')}</label>
      <button type="submit">{t('lists.add_lead')}</button>
      {err && !err.field && <span role="alert" class="error">{shown(err.text)}</span>}
      {msg && <span role="status">{shown(msg)}</span>}
    </form>
  );
}

function Lists({ lists, error }) {
  const [msg, setMsg] = useState(null);
  const exp = (l) => downloadCsv('/lists/' + encodeURIComponent(l.id) + '/leads', l.id + '-results.csv')
    .then(() => setMsg(null), (err) => setMsg(later(() => errorText(err))));
  return (
    <section aria-label={t('lists.lists')}>
      <h2>{t('lists.lists')}</h2>
      {error && <p role="alert" class="error">{shown(error)}</p>}
      {msg && <p role="alert" class="error">{shown(msg)}</p>}
      <table class="lists">
        <thead><tr><th>{t('lists.list')}</th><th>{t('lists.leads')}</th><th>{t('lists.open')}</th><th>{t('lists.campaigns')}</th>
          <th>{t('lists.updated')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
        <tbody>{lists.map((l) => (
          <tr key={l.id} data-list={l.id}><td>{l.id}</td><td data-testid="list-leads">{fmtNum(l.leads)}</td>
            <td data-testid="list-open">{fmtNum(l.open)}</td><td>{l.campaigns.join(', ') || '–'}</td>
            <td>{l.updated ? fmtDateTime(l.updated) : '–'}</td>
            <td><button type="button" class="small" onClick={() => exp(l)}
              aria-label={t('lists.export_named', { name: l.id })}>{t('lists.export')}</button></td></tr>
        ))}</tbody>
      </table>
      {!lists.length && <p class="muted">{t('lists.none')}</p>}
    </section>
  );
}

function Dnc({ campaigns }) {
  const [report, setReport] = useState(null);
  const [list, setList] = useState(''); // '' the tenant's, else a campaign's
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [msg, setMsg] = useState(null);
  const load = async (cursor) => {
    try {
      const r = await get('/dnc?' + qs({ campaign: list, limit: 50, cursor }));
      setItems((v) => (cursor ? [...(v || []), ...r.items] : r.items));
      setNext(r.next);
      setError(null);
    } catch (err) {
      setItems([]);
      setError(later(() => errorText(err)));
    }
  };
  useEffect(() => { load(); }, [list]);
  const send = async (text, one) => {
    setError(null);
    setMsg(null);
    try {
      const r = await postCsv('/dnc?' + qs({ campaign: list }), text);
      setReport(one && r.status === 200 ? null : { ...r, header: ['phone'] });
      if (one && r.status === 200) setMsg(later(() => t('dnc.added_one', { number: one })));
      load();
    } catch (err) {
      setError(later(() => errorText(err)));
    }
  };
  const addOne = (e) => {
    e.preventDefault();
    const n = new FormData(e.target).get('phone').trim().replace(/"/g, '');
    send('phone\n"' + n + '"\n', n).then(() => e.target.reset());
  };
  const upload = async (e) => {
    e.preventDefault();
    const file = new FormData(e.target).get('file');
    if (file && file.size !== undefined) send(await readFile(file));
  };
  const remove = async (phone) => {
    setMsg(null);
    try {
      await del('/dnc/' + encodeURIComponent(phone) + '?' + qs({ campaign: list }));
      setItems((v) => v.filter((x) => x.phone !== phone));
      setMsg(later(() => t('dnc.removed', { number: phone })));
    } catch (err) {
      setError(later(() => errorText(err)));
    }
  };
  return (
    <section aria-label={t('dnc.title')}>
      <h2>{t('dnc.title')}</h2>
      <label class="inline">{t('dnc.whose')}
        <select name="dnc_list" value={list} onChange={(e) => { setReport(null); setMsg(null); setList(e.target.value); }}>
          <option value="">{t('dnc.tenant_list')}</option>
          {campaigns.map((c) => <option value={c.id}>{t('dnc.campaign_list', { name: c.id })}</option>)}
        </select>
      </label>
      <form class="inline-form" onSubmit={addOne} aria-label={t('dnc.add')}>
        <label>{t('dnc.number')}<input name="phone" required /></label>
        <button type="submit" class="primary">{t('dnc.add')}</button>
      </form>
      <form class="inline-form" onSubmit={upload} aria-label={t('dnc.upload')}>
        <label>{t('lists.file')}<input name="file" type="file" accept=".csv,text/csv,text/plain" required /></label>
        <button type="submit">{t('dnc.upload')}</button>
      </form>
      <p class="muted small">{t('dnc.hint')}</p>
      {error && <p role="alert" class="error">{shown(error)}</p>}
      {msg && <p role="status" class="muted">{shown(msg)}</p>}
      {report && <ImportReport report={report} header={report.header} />}
      <table class="dnc" aria-label={t('dnc.numbers')}>
        <thead><tr><th>{t('dnc.number')}</th><th><span class="sr-only">{t('grid.actions')}</span></th></tr></thead>
        <tbody>{(items || []).map((x) => (
          <tr key={x.phone} data-phone={x.phone}><td>{x.phone}</td>
            <td><button type="button" class="small danger" onClick={() => remove(x.phone)}
              aria-label={t('dnc.remove_named', { number: x.phone })}>{t('dnc.remove')}</button></td></tr>
        ))}</tbody>
      </table>
      {items && !items.length && !error && <p class="muted">{t('dnc.empty')}</p>}
      {next && <button type="button" onClick={() => load(next)}>{t('admin.more')}</button>}
    </section>
  );
}

/* The tenant's lists (GET /api/v1/lists) with the campaigns that call each (from each
 * campaign's `lists`). */
export function LeadLists() {
  const [campaigns, setCampaigns] = useState([]);
  const [lists, setLists] = useState([]);
  const [error, setError] = useState(null);
  const load = async () => {
    try {
      const [cs, ls] = await Promise.all([get('/campaigns').then((r) => r.items || [], () => []), get('/lists')]);
      setCampaigns(cs);
      const full = await Promise.all(cs.map((c) => get('/campaigns/' + encodeURIComponent(c.id)).catch(() => c)));
      const m = new Map((ls.items || []).map((l) => [l.id, { ...l, campaigns: [] }]));
      for (const c of full)
        for (const l of c.lists || []) {
          const x = m.get(l.id) || { id: l.id, leads: null, open: null, campaigns: [] };
          m.set(l.id, { ...x, campaigns: [...x.campaigns, c.id] });
        }
      setLists([...m.values()].sort((a, b) => a.id.localeCompare(b.id)));
      setError(null);
    } catch (err) {
      setError(later(() => errorText(err)));
    }
  };
  useEffect(() => { load(); }, []);
  return (
    <div class="lead-lists">
      <ImportLeads lists={lists} onImported={load} />
      <div class="split">
        <Lists lists={lists} error={error} />
        <Dnc campaigns={campaigns} />
      </div>
    </div>
  );
}
