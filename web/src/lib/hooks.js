// Small hooks shared by the screens.
import { useEffect, useRef, useState } from 'preact/hooks';
import { onEvent } from './bus.js';

/* Calls h for every event while the component is mounted (h may change each render). */
export function useEvents(h) {
  const r = useRef(h);
  r.current = h;
  useEffect(() => onEvent((m) => r.current(m)), []);
}

/* The current time, updated every second: for clocks on screen, not for fetching. */
export function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}

/* Keyboard shortcuts: Alt+key → action, while mounted. */
export function useShortcuts(m) {
  const map = useRef(m);
  map.current = m;
  useEffect(() => {
    const f = (e) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const a = map.current[e.code];
      if (a) {
        e.preventDefault();
        a();
      }
    };
    window.addEventListener('keydown', f);
    return () => window.removeEventListener('keydown', f);
  }, []);
}
