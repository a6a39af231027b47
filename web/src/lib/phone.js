// The browser phone: the desktop as the agent's phone (docs/webrtc.md). One
// RTCPeerConnection with one audio transceiver; its offer goes to the server on the events
// socket (phone.offer) and the server's answer (ICE-lite, DTLS-SRTP) comes back on it.
// The connection stays up for the login: calls offered to the agent ring it (phone.ring)
// and are answered, rejected, held and hung up with phone.* messages. Microphone and
// speaker can be chosen (the choice is kept in the browser and used at the next
// start), levels are measured both ways, and a call on which no audio arrives is
// flagged. One instance per page.
import { onDirect, onEvent, sendEvent } from './bus.js';

const listeners = new Set();
let phone = null;

/* The phone's state for the screens: status is off | connecting | ready | ringing |
 * talking | failed; ring is the phone.ring data while ringing or talking. */
const MIC_KEY = 'centrala.phone.mic';
const SPEAKER_KEY = 'centrala.phone.speaker';
const saved = (k) => {
  try {
    return localStorage.getItem(k) || '';
  } catch {
    return '';
  }
};
const keep = (k, v) => {
  try {
    if (v) localStorage.setItem(k, v);
    else localStorage.removeItem(k);
  } catch {
    /* private mode: the choice lasts for the page only */
  }
};
const state = { status: 'off', ring: null, held: false, noAudio: false, error: null, mic: saved(MIC_KEY), speaker: saved(SPEAKER_KEY) };

function set(patch) {
  Object.assign(state, patch);
  listeners.forEach((h) => h({ ...state }));
}

export const phoneState = () => ({ ...state });
export function onPhone(h) {
  listeners.add(h);
  return () => listeners.delete(h);
}

/* Levels (0..1, RMS) of an analyser. */
function level(an, buf) {
  an.getFloatTimeDomainData(buf);
  let s = 0;
  for (let i = 0; i < buf.length; i++) s += buf[i] * buf[i];
  return Math.sqrt(s / buf.length);
}

class Phone {
  constructor() {
    this.pc = null;
    this.stream = null;
    this.audio = new Audio();
    this.audio.autoplay = true;
    if (state.speaker && this.audio.setSinkId) this.audio.setSinkId(state.speaker).catch(() => {});
    this.ctx = null;
    this.off = onDirect((m) => this.message(m));
    // Hold and resume from the call controls (REST) show here too.
    this.offEvents = onEvent((m) => {
      if ((m.type === 'call.held' || m.type === 'call.resumed') && state.status === 'talking' &&
          state.ring && m.data && m.data.interaction === state.ring.interaction)
        set({ held: m.type === 'call.held' });
    });
    this.retry = null;
    this.retryMs = 2000;
    this.lastPackets = 0;
    this.silentSince = null;
    this.timer = setInterval(() => this.watch(), 1000);
  }

  async start() {
    this.stopMedia();
    set({ status: 'connecting', error: null });
    try {
      this.stream = await this.microphone(state.mic);
      const pc = (this.pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' }));
      const track = this.stream.getAudioTracks()[0];
      this.tx = pc.addTransceiver(track, { direction: 'sendrecv', streams: [this.stream] });
      pc.ontrack = (e) => {
        const remote = e.streams && e.streams[0] ? e.streams[0] : new MediaStream([e.track]);
        this.audio.srcObject = remote;
        this.audio.play().catch(() => {});
        this.analyse(remote, 'remote');
      };
      pc.oniceconnectionstatechange = () => {
        // A path that broke (a network change): ask for an ICE restart, keeping the call.
        if (pc === this.pc && pc.iceConnectionState === 'disconnected') this.restartIce();
      };
      pc.onconnectionstatechange = () => {
        if (pc !== this.pc) return;
        if (pc.connectionState === 'connected' && state.status === 'connecting') set({ status: 'ready' });
        if (pc.connectionState === 'failed') set({ status: 'failed', error: 'media' });
      };
      this.analyse(this.stream, 'local');
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      // The server is ICE-lite: it never checks towards us, so our candidates are not
      // needed and the offer goes at once.
      if (!sendEvent({ type: 'phone.offer', sdp: pc.localDescription.sdp })) throw new Error('offline');
    } catch (err) {
      set({ status: 'failed', error: err.name === 'NotAllowedError' ? 'microphone' : err.message });
    }
  }

  /* The chosen microphone, or the default one when it is gone (unplugged). */
  async microphone(id) {
    if (id) {
      const s = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: { exact: id } } }).catch(() => null);
      if (s) return s;
    }
    return navigator.mediaDevices.getUserMedia({ audio: true });
  }

  /* The events socket went: so did the phone on the server. Media stops too (no
   * consent checks keep a half of it alive); the phone starts again with the socket. */
  suspend() {
    this.stopMedia();
    set({ status: 'connecting', ring: null, held: false, noAudio: false });
  }

  /* ICE restart (RFC 8445 9): new credentials offered on the same connection; the
   * server keeps the session, its DTLS keys and any call on it. */
  async restartIce() {
    const pc = this.pc;
    if (!pc || !pc.remoteDescription) return false;
    pc.restartIce();
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    return sendEvent({ type: 'phone.offer', sdp: pc.localDescription.sdp });
  }

  analyse(stream, which) {
    if (!this.ctx) this.ctx = new AudioContext();
    this.ctx.resume().catch(() => {});
    const an = this.ctx.createAnalyser();
    an.fftSize = 2048;
    this.ctx.createMediaStreamSource(stream).connect(an);
    this[which] = { an, buf: new Float32Array(an.fftSize), freq: new Float32Array(an.frequencyBinCount) };
  }

  /* Input and output levels, 0..1. */
  levels() {
    return {
      mic: this.local ? level(this.local.an, this.local.buf) : 0,
      speaker: this.remote ? level(this.remote.an, this.remote.buf) : 0,
    };
  }

  /* The strongest frequency (Hz) of what is received, or 0: for the audio check. */
  peakHz() {
    const r = this.remote;
    if (!r || !this.ctx) return 0;
    r.an.getFloatFrequencyData(r.freq);
    let best = 0;
    for (let i = 1; i < r.freq.length; i++) if (r.freq[i] > r.freq[best]) best = i;
    return r.freq[best] > -90 ? (best * this.ctx.sampleRate) / r.an.fftSize : 0;
  }

  /* During a call, no RTP received for 5 s is flagged (a firewall, a dead route). */
  async watch() {
    if (!this.pc || state.status !== 'talking') {
      if (state.noAudio) set({ noAudio: false });
      this.silentSince = null;
      return;
    }
    let packets = 0;
    const stats = await this.pc.getStats().catch(() => null);
    if (stats) stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') packets = s.packetsReceived || 0; });
    const now = Date.now();
    if (packets > this.lastPackets) this.silentSince = null;
    else if (this.silentSince == null) this.silentSince = now;
    this.lastPackets = packets;
    const quiet = this.silentSince != null && now - this.silentSince >= 5000;
    if (quiet !== state.noAudio) set({ noAudio: quiet });
  }

  async message(m) {
    const d = m.data || {};
    switch (m.type) {
      case 'phone.answer':
        if (this.pc) await this.pc.setRemoteDescription({ type: 'answer', sdp: d.sdp }).catch((err) => set({ status: 'failed', error: err.message }));
        break;
      case 'phone.state':
        if (d.media === 'connected') this.retryMs = 2000;
        if (d.media === 'connected' && state.status === 'connecting') set({ status: 'ready' });
        break;
      case 'phone.ring':
        set({ status: 'ringing', ring: d, held: false });
        if (d.auto_answer) this.send('accept'); // click-to-dial: the agent asked for it
        break;
      case 'phone.hangup':
        set({ status: 'ready', ring: null, held: false, noAudio: false });
        break;
      case 'phone.closed':
        // Another page took the phone over ("replaced"), or the media failed: consent
        // or RTP lost (a network that went), a failed handshake. Those are tried again
        // by themselves, sooner or later (2 s doubling to a minute), so that the agent,
        // made not ready by the loss, is ready again without a click.
        set({ status: 'failed', error: d.reason, ring: null, held: false, noAudio: false });
        if (d.reason !== 'replaced') {
          clearTimeout(this.retry);
          this.retry = setTimeout(() => { if (state.status === 'failed') this.start(); }, this.retryMs);
          this.retryMs = Math.min(this.retryMs * 2, 60000);
        }
        break;
      case 'phone.error':
        set({ error: (d.message || d.code || 'error') });
        if (state.status === 'connecting') set({ status: 'failed' });
        break;
    }
  }

  send(action) {
    sendEvent({ type: 'phone.' + action });
    if (action === 'accept') set({ status: 'talking', held: false });
    if (action === 'reject' || action === 'hangup') set({ status: 'ready', ring: null, held: false, noAudio: false });
    if (action === 'hold' || action === 'resume') set({ held: action === 'hold' });
  }

  dtmf(digits) {
    if (this.tx && this.tx.sender.dtmf) this.tx.sender.dtmf.insertDTMF(digits, 120, 70);
  }

  async setSpeaker(id) {
    set({ speaker: id });
    keep(SPEAKER_KEY, id);
    if (this.audio.setSinkId) await this.audio.setSinkId(id).catch(() => {});
  }

  async setMic(id) {
    set({ mic: id });
    keep(MIC_KEY, id);
    if (!this.tx) return;
    const s = await this.microphone(id).catch(() => null);
    if (!s) return;
    await this.tx.sender.replaceTrack(s.getAudioTracks()[0]);
    if (this.stream) this.stream.getTracks().forEach((x) => x.stop());
    this.stream = s;
    this.analyse(s, 'local');
  }

  stopMedia() {
    if (this.pc) this.pc.close();
    this.pc = null;
    this.tx = null;
    if (this.stream) this.stream.getTracks().forEach((x) => x.stop());
    this.stream = null;
    this.remote = null;
    this.local = null;
  }

  stop() {
    sendEvent({ type: 'phone.close' });
    this.stopMedia();
    clearInterval(this.timer);
    clearTimeout(this.retry);
    this.off();
    this.offEvents();
    set({ status: 'off', ring: null, held: false, noAudio: false });
  }
}

/* Starts (or restarts, after the events socket came back) the browser phone. */
export function startPhone() {
  if (!phone) phone = new Phone();
  window.centralaPhone = phone; // for the desktop's checks and the browser tests
  return phone.start();
}

/* The events socket is down: the phone waits for it. */
export function suspendPhone() {
  if (phone) phone.suspend();
}

export function stopPhone() {
  if (phone) phone.stop();
  phone = null;
}

export const getPhone = () => phone;

/* The audio devices the browser names (labels once the microphone was allowed). */
export async function audioDevices() {
  const all = await navigator.mediaDevices.enumerateDevices().catch(() => []);
  return { mics: all.filter((d) => d.kind === 'audioinput'), speakers: all.filter((d) => d.kind === 'audiooutput') };
}
