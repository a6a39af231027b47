// The browser phone's panel on the agent desktop: its status, answer and reject while a
// call rings, hold/resume and hang-up while talking, a keypad (RFC 4733 from the
// browser), microphone and speaker selection, level meters both ways and a warning when
// no audio arrives on a call.
import { useEffect, useState } from 'preact/hooks';
import { t } from '../lib/i18n.js';
import { onPhone, phoneState, getPhone, startPhone, audioDevices } from '../lib/phone.js';

const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

function Meter({ label, value, testid }) {
  const pct = Math.min(100, Math.round(Math.sqrt(value) * 140));
  return (
    <div class="meter">
      <span>{label}</span>
      <div class="bar" role="meter" aria-label={label} aria-valuemin="0" aria-valuemax="100"
        aria-valuenow={pct} data-testid={testid}><i style={{ width: pct + '%' }} /></div>
    </div>
  );
}

export function Phone() {
  const [st, setSt] = useState(phoneState());
  const [lv, setLv] = useState({ mic: 0, speaker: 0 });
  const [devs, setDevs] = useState({ mics: [], speakers: [] });
  useEffect(() => onPhone(setSt), []);
  useEffect(() => {
    const id = setInterval(() => { const p = getPhone(); if (p) setLv(p.levels()); }, 200);
    return () => clearInterval(id);
  }, []);
  useEffect(() => { if (st.status === 'ready') audioDevices().then(setDevs); }, [st.status]);
  if (st.status === 'off') return null;
  const p = getPhone();
  const act = (a) => p && p.send(a);
  const status = t('phone.status.' + st.status);
  return (
    <section class="phone" aria-label={t('phone.title')}>
      <h2>{t('phone.title')} <span class={'badge ph-' + st.status} data-testid="phone-status">{status}</span>
        {st.held && <span class="badge warn">{t('call.on_hold')}</span>}</h2>
      {st.error && <p class="error" role="alert">{t('phone.error', { reason: st.error })}</p>}
      {st.noAudio && <p class="error" role="alert" data-testid="phone-no-audio">{t('phone.no_audio')}</p>}
      {st.ring && <p>{t('phone.caller', { from: st.ring.from || '–' })}</p>}
      <div class="buttons">
        {st.status === 'ringing' && <>
          <button type="button" class="primary" data-testid="phone-answer" onClick={() => act('accept')}>{t('phone.answer')}</button>
          <button type="button" data-testid="phone-reject" onClick={() => act('reject')}>{t('phone.reject')}</button>
        </>}
        {st.status === 'talking' && <>
          <button type="button" data-testid="phone-hold" aria-pressed={st.held}
            onClick={() => act(st.held ? 'resume' : 'hold')}>{st.held ? t('call.resume') : t('call.hold')}</button>
          <button type="button" data-testid="phone-hangup" onClick={() => act('hangup')}>{t('call.hangup')}</button>
        </>}
        {st.status === 'failed' && <button type="button" onClick={() => startPhone()}>{t('phone.retry')}</button>}
      </div>
      {st.status === 'talking' && (
        <div class="keypad" role="group" aria-label={t('call.dtmf')}>
          {DIGITS.map((d) => <button type="button" onClick={() => p && p.dtmf(d)}
            aria-label={t('call.dtmf_digit', { digit: d })}>{d}</button>)}
        </div>
      )}
      <Meter label={t('phone.mic_level')} value={lv.mic} testid="phone-mic-level" />
      <Meter label={t('phone.speaker_level')} value={lv.speaker} testid="phone-speaker-level" />
      <label>{t('phone.mic')}
        <select name="phone-mic" value={st.mic} onChange={(e) => p && p.setMic(e.target.value)}>
          <option value="">{t('phone.default_device')}</option>
          {devs.mics.map((d) => <option value={d.deviceId}>{d.label || d.deviceId.slice(0, 8)}</option>)}
        </select>
      </label>
      <label>{t('phone.speaker')}
        <select name="phone-speaker" value={st.speaker} onChange={(e) => p && p.setSpeaker(e.target.value)}>
          <option value="">{t('phone.default_device')}</option>
          {devs.speakers.map((d) => <option value={d.deviceId}>{d.label || d.deviceId.slice(0, 8)}</option>)}
        </select>
      </label>
    </section>
  );
}
