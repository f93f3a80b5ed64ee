/**
 * The outbox page's script, served inline (and allowed by its hash: outbox-page.ts). Every 1.5 seconds it asks for the
 * page again, as it is now and for the same filter, and puts in the entries that are new or changed (each carries a
 * digest of itself), so a bounce appears without a reload and an email nobody touched keeps its frame. It builds no
 * HTML from data: everything it shows, the server rendered and escaped. It also writes times as "2 minutes ago" and
 * filters by user as one types. Plain JavaScript in a string: the browser runs it as written, untranspiled.
 */
export const OUTBOX_PAGE_SCRIPT = `
(() => {
  'use strict';
  const POLL_MS = 1500;
  const HIDDEN_POLL_MS = 10000;
  const entries = document.getElementById('entries');
  const filter = document.getElementById('filter');
  const userInput = filter.elements.user;
  const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  const UNITS = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];

  function describeTimes() {
    for (const time of document.querySelectorAll('time[datetime]')) {
      const at = new Date(time.dateTime);
      if (Number.isNaN(at.getTime())) continue;
      const seconds = (at.getTime() - Date.now()) / 1000;
      const [unit, size] = UNITS.find(([, length]) => Math.abs(seconds) >= length) || UNITS[UNITS.length - 1];
      time.textContent = relative.format(Math.round(seconds / size), unit);
      time.title = at.toLocaleString() + ' (' + time.dateTime + ')';
    }
  }

  // Keyed by id: an entry whose digest is unchanged stays the same node (moving or replacing a frame reloads it).
  function showEntries(fresh) {
    const current = new Map(Array.from(entries.children, (node) => [node.id, node]));
    // A copy first: adopting a node takes it out of the live list being read.
    const wanted = Array.from(fresh.children).map((node) => {
      const old = current.get(node.id);
      return old && old.dataset.version === node.dataset.version ? old : document.adoptNode(node);
    });
    const kept = new Set(wanted);
    for (const node of current.values()) if (!kept.has(node)) node.remove();
    wanted.forEach((node, index) => {
      if (entries.children[index] !== node) entries.insertBefore(node, entries.children[index] || null);
    });
  }

  let asked = 0;
  let timer;
  async function refresh() {
    clearTimeout(timer);
    const mine = ++asked;
    let page;
    try {
      const response = await fetch(location.href, { headers: { Accept: 'text/html' }, cache: 'no-store' });
      if (response.ok) page = new DOMParser().parseFromString(await response.text(), 'text/html');
    } catch {
      // The platform stopped or is restarting: say so, and keep asking.
    }
    if (mine !== asked) return; // a newer question (another filter) is on its way
    document.body.classList.toggle('offline', !page);
    if (page) {
      showEntries(page.getElementById('entries'));
      document.getElementById('summary').replaceWith(document.adoptNode(page.getElementById('summary')));
      document.getElementById('texts').replaceWith(document.adoptNode(page.getElementById('texts')));
      document.getElementById('webhooks').replaceWith(document.adoptNode(page.getElementById('webhooks')));
    }
    describeTimes();
    timer = setTimeout(refresh, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
  }

  filter.addEventListener('submit', (event) => {
    event.preventDefault();
    const url = new URL(location.href);
    const user = userInput.value.trim();
    if (user) url.searchParams.set('user', user);
    else url.searchParams.delete('user');
    history.replaceState(null, '', url);
    refresh();
  });
  let typing;
  userInput.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => filter.requestSubmit(), 300);
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refresh();
  });

  describeTimes();
  timer = setTimeout(refresh, POLL_MS);
})();
`;
