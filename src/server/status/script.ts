// The status page's only script (run under a per-response CSP nonce):
// every 5 s it fetches the page again and swaps the live part in place,
// keeping the scroll position, the open <details> and the filter; the
// filter narrows the pulls as one types. Without JavaScript the page is
// whole and the filter form submits (?q=) instead.
export const SCRIPT = `(() => {
  const LIVE = ['live-top', 'live-pulls'];
  const input = document.getElementById('q');
  const applyFilter = () => {
    const q = input.value.trim().toLowerCase();
    for (const d of document.querySelectorAll('details.pull')) d.hidden = q !== '' && !d.dataset.text.includes(q);
  };
  input.addEventListener('input', applyFilter);
  document.getElementById('filter').addEventListener('submit', (e) => { e.preventDefault(); applyFilter(); });
  const stamp = document.getElementById('refreshed');
  async function refresh() {
    if (document.hidden || document.getElementById('pause').checked) return;
    try {
      const url = new URL(location.href);
      url.searchParams.delete('q');
      const res = await fetch(url, { cache: 'no-store', headers: { accept: 'text/html' } });
      if (!res.ok) throw new Error(String(res.status));
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const open = new Set([...document.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key));
      const x = scrollX, y = scrollY;
      for (const id of LIVE) {
        const next = doc.getElementById(id);
        if (!next) throw new Error('no ' + id + ' section');
        for (const d of next.querySelectorAll('details[data-key]')) d.open = open.has(d.dataset.key);
        document.getElementById(id).replaceWith(document.adoptNode(next));
      }
      applyFilter();
      scrollTo(x, y);
      stamp.textContent = 'updated ' + new Date().toISOString().slice(11, 19) + ' UTC';
      stamp.classList.remove('bad');
    } catch (err) {
      stamp.textContent = 'refresh failed: ' + err.message;
      stamp.classList.add('bad');
    }
  }
  document.getElementById('pausing').hidden = false;
  setInterval(refresh, 5000);
  applyFilter();
})();`;
