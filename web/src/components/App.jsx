// The application's frame: login, the header with navigation, language picker and the
// connection indicator, and the screen the hash names (#/agent, #/wallboard, ...).
import { useEffect, useState } from 'preact/hooks';
import { get, post, setToken, getToken, setUnauthorizedHandler } from '../lib/api.js';
import { t, setLanguage, setTimeZone, onLanguage, getLanguage } from '../lib/i18n.js';
import { startEvents, stopEvents } from '../lib/bus.js';
import { startPhone, stopPhone, suspendPhone } from '../lib/phone.js';
import { Login } from './Login.jsx';
import { LanguagePicker } from './LanguagePicker.jsx';
import { Agent } from './Agent.jsx';
import { Contacts } from './Contacts.jsx';
import { Wallboard } from './Wallboard.jsx';
import { Admin } from './Admin.jsx';
import { Reports } from './Reports.jsx';
import { Recordings } from './Recordings.jsx';
import { Phone } from './Phone.jsx';

const has = (me, ...roles) => me && roles.some((r) => me.roles.includes(r));

/* The screens, who may open them, and their catalogue keys. */
const screens = [
  { id: 'agent', key: 'nav.agent', roles: ['agent', 'supervisor'], view: Agent },
  { id: 'contacts', key: 'nav.contacts', roles: ['agent', 'supervisor', 'admin', 'qa'], view: Contacts },
  { id: 'wallboard', key: 'nav.wallboard', roles: ['supervisor', 'admin'], view: Wallboard },
  { id: 'reports', key: 'nav.reports', roles: ['supervisor', 'admin'], view: Reports },
  { id: 'recordings', key: 'nav.recordings', roles: ['agent', 'supervisor', 'admin', 'qa'], view: Recordings },
  { id: 'admin', key: 'nav.admin', roles: ['admin'], view: Admin },
];

function topicsFor(me) {
  const topics = ['agent.me'];
  if (has(me, 'agent', 'supervisor', 'admin')) topics.push('queues');
  if (has(me, 'supervisor', 'admin')) topics.push('agents', 'campaigns');
  if (has(me, 'supervisor', 'admin', 'qa')) topics.push('interactions');
  return topics;
}

export function App() {
  const [, setLang] = useState(getLanguage());
  const [me, setMe] = useState(null);
  const [checked, setChecked] = useState(!getToken());
  const [online, setOnline] = useState(false);
  const [route, setRoute] = useState(location.hash.replace(/^#\/?/, ''));

  useEffect(() => onLanguage(setLang), []);
  useEffect(() => {
    const f = () => setRoute(location.hash.replace(/^#\/?/, ''));
    window.addEventListener('hashchange', f);
    return () => window.removeEventListener('hashchange', f);
  }, []);

  const signedIn = (m) => {
    setTimeZone(m.tenant_timezone);
    if (m.language && !localStorage.getItem('centrala.lang')) setLanguage(m.language.split('-')[0]);
    setMe(m);
    const browserPhone = has(m, 'agent', 'supervisor') && localStorage.getItem('centrala.phone') === 'browser';
    startEvents(topicsFor(m), (up) => {
      setOnline(up);
      // The phone's signalling rides on the socket: a new socket, a new phone.
      if (browserPhone && up) startPhone();
      if (browserPhone && !up) suspendPhone();
      // A socket that closes may mean the session is gone (a restarted server forgets
      // its sessions): a 401 here signs out and shows the login form.
      if (!up) get('/me').catch(() => {});
    });
  };
  const signOut = () => {
    stopPhone();
    stopEvents();
    // The recordings' service worker forgets the token too.
    if (navigator.serviceWorker && navigator.serviceWorker.controller)
      navigator.serviceWorker.controller.postMessage({ token: null });
    setToken(null);
    setMe(null);
  };
  useEffect(() => {
    setUnauthorizedHandler(signOut);
    if (getToken())
      get('/me').then(signedIn, () => setToken(null)).finally(() => setChecked(true));
    return stopEvents;
  }, []);

  if (!checked) return null;
  if (!me) return <Login onLogin={signedIn} />;

  const allowed = screens.filter((s) => has(me, ...s.roles));
  const screen = allowed.find((s) => s.id === route) || allowed[0];
  const View = screen ? screen.view : null;
  const logout = () => post('/logout').catch(() => {}).finally(signOut);

  return (
    <div class="app">
      <header class="top">
        <span class="brand">{t('app.name')}</span>
        <nav aria-label={t('nav.label')}>
          {allowed.map((s) => (
            <a href={'#/' + s.id} aria-current={s === screen ? 'page' : undefined}>{t(s.key)}</a>
          ))}
        </nav>
        <span class="spacer" />
        <span role="status" class={online ? 'conn on' : 'conn off'} data-testid="connection">
          {online ? t('app.online') : t('app.offline')}
        </span>
        <LanguagePicker />
        <span class="who" title={me.tenant}>{me.name || me.username}</span>
        <button type="button" onClick={logout}>{t('app.logout')}</button>
      </header>
      <main id="main">
        <Phone />
        {View ? <View me={me} online={online} /> : <p>{t('app.no_screen')}</p>}
      </main>
    </div>
  );
}
