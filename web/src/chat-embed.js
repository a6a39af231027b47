// The web chat's embeddable script (/chat.js): one tag on the company's site,
//   <script src="https://centrala.example/chat.js" data-tenant="acme" data-queue="support"
//           data-topics="support,sales" data-lang="pl"></script>
// puts a button in the page's corner that opens the chat (/chat.html from the same server
// as this script) in an iframe. Nothing of the visitor's or the agent's text ever touches
// the host page: the conversation lives inside the iframe, on centrala's origin, which
// also keeps the visitor's token across reloads of the host page.
(function () {
  const me = document.currentScript;
  if (!me) return;
  const base = new URL('.', me.src);
  const d = me.dataset;
  const q = new URLSearchParams();
  for (const k of ['tenant', 'queue', 'topics', 'lang']) if (d[k]) q.set(k, d[k]);
  const labels = { pl: 'Czat', es: 'Chat', ru: 'Чат', en: 'Chat' };
  const lang = (d.lang || navigator.language || 'en').slice(0, 2).toLowerCase();
  const key = 'centrala.chat.open.' + (d.tenant || '');

  const frame = document.createElement('iframe');
  frame.src = new URL('chat.html?' + q.toString(), base).href;
  frame.title = labels[lang] || labels.en;
  frame.setAttribute('data-centrala-chat', '');
  frame.style.cssText = 'position:fixed;right:1rem;bottom:4.5rem;width:22rem;max-width:calc(100vw - 2rem);' +
    'height:32rem;max-height:calc(100vh - 6rem);border:1px solid #ccc;border-radius:.5rem;' +
    'box-shadow:0 4px 16px rgba(0,0,0,.2);background:#fff;z-index:2147483646;display:none';
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = labels[lang] || labels.en;
  button.setAttribute('data-centrala-chat-button', '');
  button.setAttribute('aria-expanded', 'false');
  button.style.cssText = 'position:fixed;right:1rem;bottom:1rem;z-index:2147483647;padding:.75rem 1.25rem;' +
    'border:0;border-radius:2rem;background:#0b5cad;color:#fff;font:inherit;cursor:pointer';
  const show = (open) => {
    frame.style.display = open ? 'block' : 'none';
    button.setAttribute('aria-expanded', String(open));
    try { sessionStorage.setItem(key, open ? '1' : ''); } catch { /* storage refused */ }
  };
  button.addEventListener('click', () => show(frame.style.display === 'none'));
  const add = () => {
    document.body.appendChild(frame);
    document.body.appendChild(button);
    let open = false;
    try { open = sessionStorage.getItem(key) === '1'; } catch { /* storage refused */ }
    show(open);
  };
  if (document.body) add();
  else document.addEventListener('DOMContentLoaded', add);
})();
