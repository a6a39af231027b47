// Call controls for the call the agent is on: hold/resume, mute/unmute, transfer (blind or attended,
// with a directory of users, queues and numbers), conference, DTMF pad, recording
// pause/resume and hang-up, with keyboard shortcuts.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post } from '../lib/api.js';
import { t, fmtDur } from '../lib/i18n.js';
import { useNow, useShortcuts } from '../lib/hooks.js';

const KINDS = ['user', 'queue', 'number', 'flow'];
const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

export function CallControls({ call, me }) {
  const now = useNow();
  const [error, setError] = useState(null);
  const [kind, setKind] = useState('user');
  const [target, setTarget] = useState('');
  const [consulting, setConsulting] = useState(false);
  const [directory, setDirectory] = useState([]);
  const targetRef = useRef(null);
  const id = encodeURIComponent(call.interaction);

  // Users with presence, queues and numbers, for every role that takes calls.
  useEffect(() => { get('/directory').then((r) => setDirectory(r.items || []), () => {}); }, []);

  const run = async (path, body) => {
    setError(null);
    try {
      await post('/calls/' + id + path, body);
      return true;
    } catch (err) {
      setError(t('error.generic', { message: err.message }));
      return false;
    }
  };
  const party = () => ({ [kind]: target });
  const hold = () => run(call.held ? '/resume' : '/hold');
  const mute = () => run(call.muted ? '/unmute' : '/mute');
  const hangup = () => run('/hangup');
  const focusTransfer = () => targetRef.current && targetRef.current.focus();
  useShortcuts({ KeyH: hold, KeyM: mute, KeyX: hangup, KeyT: focusTransfer });

  const presence = (x) => (x.state ? t('state.' + x.state) : x.registered ? t('call.phone_on') : t('call.phone_off'));
  const options = kind === 'flow' ? [] : directory.filter((x) => x.kind === kind && !(kind === 'user' && x.id === me.username))
    .map((x) => ({ v: x.id, l: kind === 'user' ? (x.name || x.id) + ' · ' + presence(x) : x.name ? x.id + ' · ' + x.name : x.id }));

  return (
    <section class="controls" aria-label={t('call.title')}>
      <h2>{t('call.title')} <span class="clock">{fmtDur((now - Date.parse(call.answered)) / 1000)}</span>
        {call.held && <span class="badge warn" data-testid="held">{t('call.on_hold')}</span>}
        {call.muted && <span class="badge warn" data-testid="muted">{t('call.muted')}</span>}
        {call.recPaused && <span class="badge">{t('call.recording_paused')}</span>}
      </h2>
      <div class="buttons">
        <button type="button" onClick={hold} aria-pressed={call.held} aria-keyshortcuts="Alt+H">
          {call.held ? t('call.resume') : t('call.hold')}</button>
        <button type="button" onClick={mute} aria-pressed={!!call.muted} aria-keyshortcuts="Alt+M">
          {call.muted ? t('call.unmute') : t('call.mute')}</button>
        <button type="button" onClick={() => run(call.recPaused ? '/recording/resume' : '/recording/pause')}
          aria-pressed={call.recPaused}>
          {call.recPaused ? t('call.recording_resume') : t('call.recording_pause')}</button>
        <button type="button" class="danger" onClick={hangup} aria-keyshortcuts="Alt+X">{t('call.hangup')}</button>
      </div>
      <fieldset class="transfer">
        <legend>{t('call.transfer')}</legend>
        <select aria-label={t('call.target_kind')} value={kind} onChange={(e) => setKind(e.target.value)}>
          {KINDS.map((k) => <option value={k}>{t('call.kind.' + k)}</option>)}
        </select>
        <input ref={targetRef} aria-label={t('call.target')} list="call-directory" value={target}
          aria-keyshortcuts="Alt+T" onInput={(e) => setTarget(e.target.value)} />
        <datalist id="call-directory">{options.map((o) => <option value={o.v}>{o.l}</option>)}</datalist>
        <button type="button" disabled={!target} onClick={() => run('/transfer', party())}>{t('call.blind')}</button>
        {kind === 'user' || kind === 'number' ? (
          consulting ? (
            <>
              <button type="button" onClick={async () => (await run('/consult/complete')) && setConsulting(false)}>{t('call.complete')}</button>
              <button type="button" onClick={async () => (await run('/consult/cancel')) && setConsulting(false)}>{t('call.cancel')}</button>
            </>
          ) : (
            <>
              <button type="button" disabled={!target} onClick={async () => (await run('/consult', party())) && setConsulting(true)}>{t('call.attended')}</button>
              <button type="button" disabled={!target} onClick={() => run('/conference', party())}>{t('call.conference')}</button>
            </>
          )
        ) : null}
      </fieldset>
      <fieldset class="dtmf">
        <legend>{t('call.dtmf')}</legend>
        <div class="pad">
          {DIGITS.map((d) => (
            <button type="button" aria-label={t('call.dtmf_digit', { digit: d })} onClick={() => run('/dtmf', { digits: d })}>{d}</button>
          ))}
        </div>
      </fieldset>
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  );
}
