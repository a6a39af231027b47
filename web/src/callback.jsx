// The web callback page (/callback.html?tenant=ID&queue=ID[&lang=pl]): a visitor leaves a
// name, a number and a time, and centrala calls back (POST /api/v1/public/callbacks, no
// login). Made to be embedded in the company's own site in an iframe; its language is
// the `lang` parameter, else the browser's, with a picker.
import { render } from 'preact';
import { useState, useEffect } from 'preact/hooks';
import { t, setLanguage, initialLanguage, onLanguage, getLanguage } from './lib/i18n.js';
import { LanguagePicker } from './components/LanguagePicker.jsx';

const params = new URLSearchParams(location.search);
const tenant = params.get('tenant') || '';
const queue = params.get('queue') || '';

// The error's message for the visitor, by the code and field the server gave.
function explain(status, e) {
  if (status === 400 && e.field === 'number') return t('callback.err_number');
  if (status === 400 && e.field === 'at') return t('callback.err_at');
  if (status === 409) return t('callback.err_already');
  if (status === 429) return t('callback.err_rate');
  if (status === 404 || (status === 400 && e.field === 'queue')) return t('callback.err_config');
  return t('callback.err_unavailable');
}

// The earliest time a visitor may pick, as datetime-local wants it (local, to the minute).
function localNow() {
  const d = new Date(Date.now() + 5 * 60000);
  d.setSeconds(0, 0);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function CallbackForm() {
  const [, redraw] = useState(0);
  const [name, setName] = useState('');
  const [number, setNumber] = useState('');
  const [later, setLater] = useState(false);
  const [when, setWhen] = useState(localNow());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [done, setDone] = useState(null);
  useEffect(() => onLanguage(() => redraw((n) => n + 1)), []);

  if (!tenant || !queue) return <p role="alert">{t('callback.err_config')}</p>;
  if (done)
    return (
      <p role="status" class="callback-done">
        {t('callback.sent', {
          time: new Intl.DateTimeFormat(getLanguage(), { dateStyle: 'medium', timeStyle: 'short' })
            .format(new Date(done.due_ms)),
        })}
      </p>
    );

  const submit = async (ev) => {
    ev.preventDefault();
    setError('');
    setBusy(true);
    const body = { tenant, queue, number, language: getLanguage() };
    if (name.trim()) body.name = name.trim();
    // The browser's local time is the visitor's: sent with its offset (as UTC).
    if (later) body.at = new Date(when).toISOString();
    try {
      const r = await fetch('api/v1/public/callbacks', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const j = await r.json().catch(() => ({}));
      if (r.status === 202) setDone(j);
      else setError(explain(r.status, (j && j.error) || {}));
    } catch {
      setError(t('callback.err_unavailable'));
    }
    setBusy(false);
  };

  return (
    <form class="callback" onSubmit={submit}>
      <label>
        {t('callback.name')}
        <input name="name" autocomplete="name" maxLength={120} value={name}
          onInput={(e) => setName(e.target.value)} />
      </label>
      <label>
        {t('callback.number')}
        <input name="number" type="tel" autocomplete="tel" required maxLength={40} value={number}
          aria-invalid={error === t('callback.err_number')}
          onInput={(e) => setNumber(e.target.value)} />
      </label>
      <fieldset>
        <legend>{t('callback.when')}</legend>
        <label>
          <input type="radio" name="when" checked={!later} onChange={() => setLater(false)} />
          {t('callback.asap')}
        </label>
        <label>
          <input type="radio" name="when" checked={later} onChange={() => setLater(true)} />
          {t('callback.later')}
        </label>
        {later && (
          <label>
            {t('callback.time')}
            <input name="at" type="datetime-local" required min={localNow()} value={when}
              onInput={(e) => setWhen(e.target.value)} />
          </label>
        )}
      </fieldset>
      {error && <p role="alert" class="error">{error}</p>}
      <button type="submit" disabled={busy}>{t('callback.submit')}</button>
    </form>
  );
}

function Page() {
  return (
    <main class="callback-page">
      <header>
        <h1>{t('callback.title')}</h1>
        <LanguagePicker />
      </header>
      <CallbackForm />
    </main>
  );
}

const asked = params.get('lang');
setLanguage(asked && ['pl', 'es', 'ru', 'en'].includes(asked) ? asked : initialLanguage(), false);
document.title = t('callback.title');
onLanguage(() => {
  document.title = t('callback.title');
});
render(<Page />, document.getElementById('app'));
