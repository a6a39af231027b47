// The screen pop's alert: a short two-tone chime made in the page (no sound file to
// load) and a browser notification when the user allowed them.
let ctx = null;

export function askPermission() {
  try {
    if ('Notification' in window && Notification.permission === 'default')
      Notification.requestPermission();
  } catch {
    /* notifications are optional */
  }
}

export function chime() {
  try {
    ctx = ctx || new AudioContext();
    const t0 = ctx.currentTime;
    [880, 660].forEach((hz, i) => {
      const o = ctx.createOscillator(), g = ctx.createGain();
      o.frequency.value = hz;
      g.gain.setValueAtTime(0.15, t0 + i * 0.2);
      g.gain.exponentialRampToValueAtTime(0.001, t0 + i * 0.2 + 0.18);
      o.connect(g).connect(ctx.destination);
      o.start(t0 + i * 0.2);
      o.stop(t0 + i * 0.2 + 0.2);
    });
  } catch {
    /* no audio output */
  }
}

export function notify(title, body) {
  try {
    if ('Notification' in window && Notification.permission === 'granted')
      new Notification(title, { body, tag: 'centrala-offer' });
  } catch {
    /* notifications are optional */
  }
}
