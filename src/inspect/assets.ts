/**
 * The page's script, style and icon, served by the sub-app as same-origin files (the CSP allows
 * nothing inline and nothing from elsewhere). They live in a module rather than beside it because
 * the build ships only compiled modules (dist/), and a few hundred lines of plain script need no
 * bundler. The script is checked by test/inspect/assets.test.ts (it parses, and it never hands
 * data to an HTML sink) and driven in a real browser by test/inspect/browser.test.ts.
 *
 * Keep the script free of backquotes and dollar-brace: it sits in a template literal.
 */

// biome-ignore lint/complexity/noUselessStringRaw: the page's code stays as the browser runs it, a backslash added later included
export const PAGE_SCRIPT = String.raw`'use strict';
(() => {
  const base = document.body.dataset.base;
  const list = document.getElementById('entries');
  const empty = document.getElementById('empty');
  const statusEl = document.getElementById('status');
  const topicFilter = document.getElementById('topic-filter');
  const verdictFilter = document.getElementById('verdict-filter');
  const pauseButton = document.getElementById('pause');
  const countsEl = document.getElementById('counts');

  let maxEntries = 200;
  let instance = null;
  // Per bridge start (feed instance): the highest entry id seen. Ids count every entry the feed
  // made, so what was made but is not on the page is the sum of these minus what is shown.
  const highest = new Map();
  const shown = new Map();
  // Entries shown, per group (see groupOf).
  const perGroup = new Map();
  const topics = new Set();
  let paused = false;
  let held = [];
  let source = null;
  let greeted = false;

  // Every node is built here; data only ever reaches textContent, never markup.
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function pad(n, width) {
    return String(n).padStart(width, '0');
  }

  function clock(ms) {
    const d = new Date(ms);
    return pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2) + '.' + pad(d.getMilliseconds(), 3);
  }

  function plural(n, one, many) {
    return n + ' ' + (n === 1 ? one : many);
  }

  function bytes(n) {
    return n < 1024 ? plural(n, 'byte', 'bytes') : (n / 1024).toFixed(n < 10240 ? 1 : 0) + ' KiB';
  }

  function verdictOf(entry) {
    if (entry.fromJournal) return 'journal';
    return entry.signature ? entry.signature.verdict : 'none';
  }

  function verdictText(entry) {
    if (entry.fromJournal) return 'from the journal';
    const s = entry.signature;
    if (!s) return entry.source === 'webhook' ? 'signature not checked' : 'no signature (' + entry.source + ')';
    switch (s.verdict) {
      case 'good': {
        let text = 'signature good';
        if (s.scheme === 'sha1') text += ' (SHA-1)';
        if (typeof s.secretIndex === 'number') text += ' · secret #' + (s.secretIndex + 1);
        return text;
      }
      case 'wrong': return 'signature wrong' + (s.scheme === 'sha1' ? ' (SHA-1)' : '');
      case 'missing': return 'signature missing';
      case 'sha1_refused': return 'SHA-1 only: refused';
      case 'unsigned': return 'unsigned (allowed)';
      default: return 'signature ' + s.verdict;
    }
  }

  function attrs(map) {
    const parts = Object.keys(map).map((k) => k + '=' + map[k]);
    return el('span', 'attrs', parts.length ? '{' + parts.join(', ') + '}' : '');
  }

  function record(kind, label) {
    const li = el('li', 'rec ' + kind);
    li.append(el('span', 'kind', label));
    return li;
  }

  function renderEvent(view, index) {
    const li = el('li', 'event');
    li.append(el('div', 'label', '#' + (index + 1) + (view.label ? '  ' + view.label : '')));
    const records = el('ul', 'records');
    if (view.error) {
      const r = record('error', 'failed');
      r.append(el('span', 'text', view.error));
      records.append(r);
    }
    for (const log of view.logs) {
      const r = record('log', 'log');
      r.append(el('span', 'sev sev-' + log.severity.toLowerCase().replace(/[^a-z]/g, ''), log.severity), el('span', 'text', log.body));
      records.append(r);
    }
    if (view.common) {
      const r = record('common', 'every point');
      r.append(attrs(view.common));
      records.append(r);
    }
    for (const metric of view.metrics) {
      const r = record('metric', 'metric');
      r.append(el('span', 'name', metric.name), el('span', 'value', '= ' + metric.value), attrs(metric.attributes));
      records.append(r);
    }
    for (const fact of view.sessions) {
      const r = record('session', 'session');
      r.append(el('span', 'name', fact.role), attrs(fact.values));
      records.append(r);
    }
    if (view.omitted > 0) records.append(el('li', 'omitted', plural(view.omitted, 'more record', 'more records') + ' not shown'));
    if (!records.firstChild) records.append(el('li', 'rec none', 'no records'));
    li.append(records);
    return li;
  }

  function renderEvents(entry) {
    if (entry.became.length === 0 && entry.becameOmitted === 0) return null;
    const ol = el('ol', 'events');
    entry.became.forEach((view, i) => ol.append(renderEvent(view, i)));
    if (entry.becameOmitted > 0) ol.append(el('li', 'omitted', plural(entry.becameOmitted, 'more event', 'more events') + ' not shown'));
    if (entry.became.length <= 6) return ol;
    const details = el('details', 'many');
    details.append(el('summary', null, plural(entry.became.length, 'event', 'events') + ' and what they became'), ol);
    return details;
  }

  function bodyText(entry) {
    // A refused body is shown exactly as it came, never interpreted.
    if (entry.refused !== null || entry.body.truncated) return entry.body.text;
    try {
      return JSON.stringify(JSON.parse(entry.body.text), null, 2);
    } catch (e) {
      return entry.body.text;
    }
  }

  function renderBody(entry) {
    const details = el('details', 'raw');
    let label = (entry.refused !== null ? 'raw body, as text' : 'raw JSON') + ' · ' + bytes(entry.body.bytes);
    if (entry.body.truncated) label += ' · the first ' + bytes(entry.body.text.length) + ' kept';
    const pre = el('pre', 'body');
    details.append(el('summary', null, label), pre);
    let filled = false;
    details.addEventListener('toggle', () => {
      if (details.open && !filled) {
        filled = true;
        pre.textContent = bodyText(entry);
      }
    });
    return details;
  }

  function renderEntry(entry) {
    const verdict = verdictOf(entry);
    const li = el('li', 'entry verdict-' + verdict + (entry.refused !== null ? ' refused' : ''));
    li.dataset.topic = entry.topic === null ? '' : entry.topic;
    li.dataset.verdict = verdict;
    const head = el('div', 'head');
    const when = el('time', 'when', clock(entry.receivedAt));
    when.dateTime = new Date(entry.receivedAt).toISOString();
    when.title = new Date(entry.receivedAt).toString();
    head.append(
      when,
      el('span', 'badge source', entry.source),
      el('span', 'topic', entry.topic === null ? '(topic not read)' : entry.topic),
      el('span', 'badge verdict', verdictText(entry)),
    );
    if (entry.status !== null) head.append(el('span', 'badge status s' + Math.floor(entry.status / 100) + 'xx', 'HTTP ' + entry.status));
    const counts = [];
    if (entry.events !== null) counts.push(plural(entry.events, 'event', 'events'));
    if (entry.duplicates > 0) counts.push(plural(entry.duplicates, 'duplicate', 'duplicates') + ' dropped');
    if (counts.length) head.append(el('span', 'meta', counts.join(' · ')));
    if (entry.sender !== null) head.append(el('span', 'sender', 'from ' + entry.sender));
    li.append(head);
    if (entry.refused !== null) li.append(el('p', 'why', 'refused: ' + entry.refused));
    if (entry.deferred) li.append(el('p', 'note', 'accepted and kept in the journal while the export backlog is full: its events are mapped as it drains, and show then in an entry from the journal'));
    if (entry.fromJournal) {
      const why = entry.fromJournal.reason === 'restart' ? 'kept in the journal through a restart of the bridge' : 'kept in the journal while the export backlog was full';
      li.append(el('p', 'note', 'received at ' + clock(entry.receivedAt) + ', ' + why + '; mapped from it at ' + clock(entry.fromJournal.mappedAt) + ' (its signature was checked on arrival)'));
    }
    const events = renderEvents(entry);
    if (events) li.append(events);
    if (entry.body) li.append(renderBody(entry));
    return li;
  }

  function visible(node) {
    const topic = topicFilter.value;
    const verdict = verdictFilter.value;
    return (!topic || node.dataset.topic === topic) && (!verdict || node.dataset.verdict === verdict);
  }

  function noteTopic(topic) {
    if (topic === null || topics.has(topic)) return;
    topics.add(topic);
    const option = new Option(topic, topic);
    const after = Array.from(topicFilter.options).find((o) => o.value && o.value > topic);
    topicFilter.insertBefore(option, after || null);
  }

  // Like the bridge, the page keeps the last maxEntries of each source, and of each source's
  // batches from the journal: a busy stream does not push a webhook delivery out of view.
  function groupOf(entry) {
    return entry.fromJournal ? entry.source + ' from the journal' : entry.source;
  }

  function trim() {
    for (const [group, count] of perGroup) {
      let over = count - maxEntries;
      let node = list.lastElementChild;
      while (over > 0 && node) {
        const before = node.previousElementSibling;
        if (node.dataset.group === group) {
          shown.delete(node.dataset.key);
          node.remove();
          over -= 1;
        }
        node = before;
      }
      perGroup.set(group, Math.min(count, maxEntries));
    }
    while (list.lastElementChild && list.lastElementChild.classList.contains('divider')) list.lastElementChild.remove();
  }

  function updateCounts() {
    let made = 0;
    for (const n of highest.values()) made += n;
    let hidden = 0;
    for (const node of shown.values()) if (node.hidden) hidden += 1;
    const parts = [shown.size - hidden + ' shown'];
    if (hidden > 0) parts.push(hidden + ' hidden by filters');
    parts.push(made - shown.size + ' dropped from view');
    countsEl.textContent = parts.join(' · ');
    pauseButton.textContent = paused ? 'Resume' + (held.length ? ' (' + held.length + ' new)' : '') : 'Pause';
    empty.hidden = !greeted || shown.size > 0 || held.length > 0;
  }

  function place(feed, entry) {
    const key = feed + ':' + entry.id;
    // A page that reconnected without its place in the stream gets the whole ring again.
    if (shown.has(key)) return;
    const node = renderEntry(entry);
    node.dataset.key = key;
    node.dataset.feed = feed;
    node.dataset.id = String(entry.id);
    const group = groupOf(entry);
    node.dataset.group = group;
    perGroup.set(group, (perGroup.get(group) || 0) + 1);
    node.hidden = !visible(node);
    // Newest first: usually the top; entries it had dropped, older, further down.
    let at = list.firstElementChild;
    while (at && at.dataset.feed === feed && Number(at.dataset.id) > entry.id) at = at.nextElementSibling;
    list.insertBefore(node, at);
    shown.set(key, node);
    highest.set(feed, Math.max(highest.get(feed) || 0, entry.id));
    noteTopic(entry.topic);
  }

  function receive(entry) {
    if (paused) {
      held.push([instance, entry]);
      // Bounded like the page: what is pushed out shows later as dropped from view.
      const group = groupOf(entry);
      if (held.filter((h) => groupOf(h[1]) === group).length > maxEntries) held.splice(held.findIndex((h) => groupOf(h[1]) === group), 1);
    } else {
      place(instance, entry);
      trim();
    }
    updateCounts();
  }

  function setStatus(state, text) {
    statusEl.className = 'conn ' + state;
    statusEl.textContent = text;
  }

  function hello(info) {
    if (instance !== null && info.instance !== instance) {
      const divider = el('li', 'divider', 'the bridge restarted · ' + clock(Date.now()));
      list.prepend(divider);
    }
    instance = info.instance;
    maxEntries = info.maxEntries;
    greeted = true;
    setStatus('live', 'live');
    updateCounts();
  }

  function connect() {
    source = new EventSource(base + '/events');
    source.addEventListener('hello', (m) => hello(JSON.parse(m.data)));
    source.addEventListener('entry', (m) => receive(JSON.parse(m.data)));
    source.addEventListener('error', () => {
      // The browser reconnects by itself after a network error (the bridge restarting); it gives
      // up on an HTTP error, such as a 401 from a bridge that generated a new token.
      if (source.readyState === EventSource.CONNECTING) {
        setStatus('reconnecting', 'reconnecting…');
        return;
      }
      source.close();
      probe();
    });
  }

  function probe() {
    fetch(base, { method: 'HEAD', cache: 'no-store', credentials: 'same-origin', redirect: 'manual' }).then(
      (res) => {
        if (res.status === 401) {
          setStatus('denied', 'token not accepted: the bridge restarted with a new one; open the URL it printed');
          setTimeout(probe, 5000);
        } else {
          setStatus('reconnecting', 'reconnecting…');
          setTimeout(connect, 1000);
        }
      },
      () => {
        setStatus('reconnecting', 'reconnecting…');
        setTimeout(probe, 2000);
      },
    );
  }

  topicFilter.addEventListener('change', applyFilters);
  verdictFilter.addEventListener('change', applyFilters);
  function applyFilters() {
    for (const node of shown.values()) node.hidden = !visible(node);
    updateCounts();
  }

  pauseButton.addEventListener('click', () => {
    paused = !paused;
    pauseButton.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      const pending = held;
      held = [];
      for (const [feed, entry] of pending) place(feed, entry);
      trim();
    }
    updateCounts();
  });

  connect();
})();
`;

// biome-ignore lint/complexity/noUselessStringRaw: as PAGE_SCRIPT
export const PAGE_STYLE = String.raw`:root {
  color-scheme: light dark;
  --bg: #f4f6f8;
  --card: #ffffff;
  --ink: #1c2430;
  --muted: #5d6b7a;
  --line: #dde3ea;
  --bar: #14202c;
  --bar-ink: #e8eef5;
  --good: #1a7f4b;
  --good-bg: #e3f5ea;
  --bad: #b42318;
  --bad-bg: #fde8e6;
  --warn: #a15c07;
  --warn-bg: #fdf1dc;
  --info: #1d5fa8;
  --info-bg: #e4eefa;
  --plain-bg: #eceff3;
  --mono: ui-monospace, 'SFMono-Regular', 'DejaVu Sans Mono', Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f151c;
    --card: #18212b;
    --ink: #e3e9f0;
    --muted: #93a1b0;
    --line: #2a3643;
    --bar: #0a1016;
    --good: #5fd394;
    --good-bg: #173325;
    --bad: #ff8a80;
    --bad-bg: #3a1c1a;
    --warn: #f5b454;
    --warn-bg: #3a2a12;
    --info: #7cb4f2;
    --info-bg: #172a40;
    --plain-bg: #243040;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif; }
.top { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; padding: 14px 24px; background: var(--bar); color: var(--bar-ink); }
.top h1 { margin: 0; font-size: 17px; font-weight: 600; }
.top .brand { font-family: var(--mono); font-weight: 700; }
.top .subtitle { margin: 0; color: #9fb0c2; font-size: 13px; flex: 1; }
.conn { padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; background: #2b3a4a; color: #cfd9e3; }
.conn::before { content: '●'; margin-right: 6px; }
.conn.live { background: #143d2a; color: #7ee2a8; }
.conn.reconnecting, .conn.connecting { background: #453312; color: #f7c66b; }
.conn.denied { background: #4a1c19; color: #ffaaa2; }
.toolbar { position: sticky; top: 0; z-index: 1; display: flex; align-items: center; gap: 18px; flex-wrap: wrap; padding: 10px 24px; background: var(--card); border-bottom: 1px solid var(--line); }
.toolbar label { display: flex; align-items: center; gap: 8px; color: var(--muted); font-size: 13px; }
.toolbar select, .toolbar button { font: inherit; color: var(--ink); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
.toolbar select { max-width: 22em; }
.toolbar button { cursor: pointer; min-width: 6em; font-weight: 600; }
.toolbar button[aria-pressed='true'] { background: var(--warn-bg); color: var(--warn); border-color: var(--warn); }
.counts { margin-left: auto; color: var(--muted); font-size: 13px; }
main { padding: 16px 24px 40px; max-width: 1280px; }
.empty { color: var(--muted); padding: 24px; text-align: center; }
.empty code { font-family: var(--mono); color: var(--ink); }
.entries { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 10px; }
.entry { background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--muted); border-radius: 8px; padding: 10px 14px; }
.entry.verdict-good { border-left-color: var(--good); }
.entry.verdict-wrong, .entry.verdict-missing, .entry.verdict-sha1_refused, .entry.refused { border-left-color: var(--bad); }
.entry.verdict-unsigned { border-left-color: var(--warn); }
.entry.verdict-none { border-left-color: var(--info); }
.entry.verdict-journal { border-left-color: var(--warn); }
.head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.when { font-family: var(--mono); color: var(--muted); font-size: 12.5px; }
.topic { font-family: var(--mono); font-weight: 700; overflow-wrap: anywhere; }
.badge { font-size: 12px; padding: 1px 8px; border-radius: 999px; background: var(--plain-bg); white-space: nowrap; }
.badge.source { text-transform: uppercase; letter-spacing: .04em; font-size: 11px; font-weight: 700; color: var(--muted); }
.verdict-good .badge.verdict { background: var(--good-bg); color: var(--good); }
.verdict-wrong .badge.verdict, .verdict-missing .badge.verdict, .verdict-sha1_refused .badge.verdict { background: var(--bad-bg); color: var(--bad); }
.verdict-unsigned .badge.verdict { background: var(--warn-bg); color: var(--warn); }
.verdict-none .badge.verdict { background: var(--info-bg); color: var(--info); }
.verdict-journal .badge.verdict { background: var(--warn-bg); color: var(--warn); }
.badge.status { font-family: var(--mono); }
.badge.s2xx { background: var(--good-bg); color: var(--good); }
.badge.s4xx { background: var(--bad-bg); color: var(--bad); }
.badge.s5xx { background: var(--warn-bg); color: var(--warn); }
.meta, .sender { color: var(--muted); font-size: 13px; }
.sender { margin-left: auto; font-family: var(--mono); font-size: 12px; overflow-wrap: anywhere; }
.why { margin: 8px 0 0; color: var(--bad); font-weight: 600; overflow-wrap: anywhere; }
.note { margin: 8px 0 0; color: var(--muted); font-style: italic; }
.events { list-style: none; margin: 8px 0 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
.event { border-top: 1px dashed var(--line); padding-top: 6px; }
.event .label { font-family: var(--mono); font-size: 12.5px; color: var(--muted); margin-bottom: 2px; overflow-wrap: anywhere; }
.records { list-style: none; margin: 0; padding: 0 0 0 14px; }
/* One line per record; a long one wraps under its text, past the kind column (a hanging indent). */
.rec { font-family: var(--mono); font-size: 12.5px; padding: 1px 0 1px 5.6rem; text-indent: -5.6rem; overflow-wrap: anywhere; }
.rec > * { text-indent: 0; margin-right: .6em; }
.rec .kind { display: inline-block; width: 5.6rem; margin-right: 0; font-family: system-ui, sans-serif; font-size: 11px; font-weight: 700; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.rec.log .kind { color: var(--info); }
.rec.metric .kind { color: var(--good); }
.rec.session .kind { color: #7a4fc4; }
.rec.common .kind { color: var(--good); }
.rec.error .kind, .rec.error .text { color: var(--bad); }
.rec .name { font-weight: 700; }
.rec .attrs { color: var(--muted); }
.rec.none { color: var(--muted); font-style: italic; }
.sev { display: inline-block; font-size: 11px; font-weight: 700; padding: 0 6px; border-radius: 4px; background: var(--plain-bg); }
.sev-warn, .sev-warning { background: var(--warn-bg); color: var(--warn); }
.sev-error, .sev-fatal, .sev-critical { background: var(--bad-bg); color: var(--bad); }
.sev-info { background: var(--info-bg); color: var(--info); }
.omitted { color: var(--muted); font-style: italic; font-size: 12.5px; }
details { margin-top: 8px; }
summary { cursor: pointer; color: var(--info); font-size: 13px; user-select: none; }
details.many > summary { color: var(--ink); }
pre.body { margin: 6px 0 0; padding: 10px 12px; max-height: 28em; overflow: auto; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; font: 12.5px/1.45 var(--mono); white-space: pre-wrap; overflow-wrap: anywhere; }
.divider { text-align: center; color: var(--warn); font-size: 12.5px; font-weight: 600; padding: 4px; border-top: 2px dashed var(--warn); }
`;

export const PAGE_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#14202c"/><path d="M5 17h6l3-8 4 14 3-6h6" fill="none" stroke="#5fd394" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
