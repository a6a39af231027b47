// The login form (DESIGN.md contract 7: inputs named tenant, username and password).
import { useState } from 'preact/hooks';
import { post, get, setToken } from '../lib/api.js';
import { t } from '../lib/i18n.js';
import { askPermission } from '../lib/notify.js';
import { LanguagePicker } from './LanguagePicker.jsx';

export function Login({ onLogin }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    setBusy(true);
    setError(null);
    askPermission();
    try {
      const s = await post('/login', {
        tenant: f.get('tenant'), username: f.get('username'), password: f.get('password'),
      });
      setToken(s.token);
      localStorage.setItem('centrala.tenant', f.get('tenant'));
      localStorage.setItem('centrala.phone', f.get('browser_phone') ? 'browser' : 'sip');
      onLogin(await get('/me'));
    } catch (err) {
      setError(err.status === 429 ? t('login.blocked') : err.status === 401 || err.status === 403
        ? t('login.failed') : t('error.generic', { message: err.message }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <div class="login-head">
          <h1 id="login-title">{t('login.title')}</h1>
          <LanguagePicker />
        </div>
        <label>{t('login.tenant')}
          <input name="tenant" autocomplete="organization" required
            defaultValue={localStorage.getItem('centrala.tenant') || ''} />
        </label>
        <label>{t('login.username')}
          <input name="username" autocomplete="username" required />
        </label>
        <label>{t('login.password')}
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <label class="check">
          <input name="browser_phone" type="checkbox"
            defaultChecked={localStorage.getItem('centrala.phone') === 'browser'} />
          {t('login.browser_phone')}
        </label>
        {error && <p role="alert" class="error">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{t('login.submit')}</button>
      </form>
    </main>
  );
}
