// One events connection per page, shared by every screen: screens register a handler
// and are told about each event, about going on or off line, and about a resync.
import { Events } from './events.js';

const handlers = new Set();
const direct = new Set();
let events = null;
let online = false;

export function startEvents(topics, onStatus) {
  stopEvents();
  events = new Events(topics, {
    onEvent: (m) => handlers.forEach((h) => h(m)),
    onStatus: (up) => {
      online = up;
      onStatus(up);
    },
    onResync: () => handlers.forEach((h) => h({ type: 'resync', data: {} })),
    onDirect: (m) => direct.forEach((h) => h(m)),
  });
}

export function stopEvents() {
  if (events) events.close();
  events = null;
  online = false;
}

export const isOnline = () => online;

/* Registers h for every event; returns the function that unregisters it. */
export function onEvent(h) {
  handlers.add(h);
  return () => handlers.delete(h);
}

/* Registers h for the browser phone's messages (phone.*); returns its unregistering. */
export function onDirect(h) {
  direct.add(h);
  return () => direct.delete(h);
}

/* Sends a message on the events socket; false when it is not open. */
export const sendEvent = (obj) => !!(events && events.send(obj));
