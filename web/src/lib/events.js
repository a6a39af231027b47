// The events WebSocket: subscribes to topics, hands every event on once in order, and
// reconnects after a loss with ?since= the last sequence number seen, so nothing is
// missed; when the server's ring no longer holds that number it says "resync" and the
// page reloads its state through REST. No polling: this is the only live source.
// When the browser says it is offline the socket is dropped at once (the server then
// knows the page is gone, and the browser phone riding on it with it), and it is opened
// again as soon as the browser is back online.
import { getToken } from './api.js';

export class Events {
  constructor(topics, { onEvent, onStatus, onResync, onDirect }) {
    this.topics = topics;
    this.onEvent = onEvent;
    this.onDirect = onDirect || (() => {});
    this.onStatus = onStatus || (() => {});
    this.onResync = onResync || (() => {});
    this.seq = null;
    this.backoff = 500;
    this.closed = false;
    this.timer = null;
    this.offline = () => this.drop();
    this.online = () => {
      if (this.closed || this.ws) return;
      clearTimeout(this.timer);
      this.backoff = 500;
      this.connect();
    };
    window.addEventListener('offline', this.offline);
    window.addEventListener('online', this.online);
    this.connect();
  }

  /* Lets the socket go without waiting for a closing handshake a lost network cannot
   * carry; the page reconnects when it is online again. */
  drop() {
    const ws = this.ws;
    if (!ws) return;
    ws.onclose = null;
    ws.onmessage = null;
    ws.close();
    this.closedSocket();
  }

  closedSocket() {
    this.ws = null;
    this.onStatus(false);
    if (this.closed || !navigator.onLine) return;
    this.timer = setTimeout(() => this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, 10000);
  }

  connect() {
    this.timer = null;
    if (this.closed || this.ws) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let url = proto + '//' + location.host + '/api/v1/events?token=' + encodeURIComponent(getToken());
    if (this.seq != null) url += '&since=' + this.seq;
    const ws = (this.ws = new WebSocket(url));
    ws.onopen = () => ws.send(JSON.stringify({ subscribe: this.topics }));
    ws.onmessage = (e) => {
      let m;
      try {
        m = JSON.parse(e.data);
      } catch {
        return;
      }
      if (m.type === 'subscribed') {
        if (this.seq == null) this.seq = m.data.seq;
        this.backoff = 500;
        this.onStatus(true);
      } else if (m.type === 'resync') {
        this.seq = m.data.seq;
        this.onResync();
      } else if (typeof m.type === 'string' && m.type.startsWith('phone.')) {
        // The browser phone's signalling: to this socket only, not numbered.
        this.onDirect(m);
      } else if (typeof m.seq === 'number') {
        if (this.seq != null && m.seq <= this.seq) return;
        this.seq = m.seq;
        this.onEvent(m);
      }
    };
    ws.onclose = () => this.closedSocket();
  }

  /* Sends a message on the socket; false when it is not open. */
  send(obj) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    window.removeEventListener('offline', this.offline);
    window.removeEventListener('online', this.online);
    if (this.ws) this.ws.close();
  }
}
