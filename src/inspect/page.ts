import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/** The verdicts the filter offers, in the order the page lists them. */
export const VERDICT_CHOICES: readonly [value: string, label: string][] = [
  ['good', 'good'],
  ['wrong', 'wrong'],
  ['missing', 'missing'],
  ['sha1_refused', 'SHA-1 only, refused'],
  ['unsigned', 'unsigned (allowed)'],
  ['none', 'not signed: stream / poll'],
  ['journal', 'from the journal (mapped late)'],
];

/**
 * The page's shell. Entries are drawn by page.js from the event stream; `html` escapes every
 * interpolated value.
 */
export function pageHtml(options: { path: string; maxEntries: number }): HtmlEscapedString | Promise<HtmlEscapedString> {
  const { path, maxEntries } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Inspector · mist-otel-bridge</title>
<link rel="icon" href="${path}/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${path}/page.css">
<script src="${path}/page.js" defer></script>
</head>
<body data-base="${path}">
<header class="top">
  <h1><span class="brand">mist-otel-bridge</span> inspector</h1>
  <p class="subtitle">what arrives, and what it becomes · the last ${maxEntries} of each source</p>
  <span id="status" class="conn connecting" role="status">connecting…</span>
</header>
<nav class="toolbar" aria-label="Filters">
  <label>Topic / channel
    <select id="topic-filter"><option value="">all</option></select>
  </label>
  <label>Signature
    <select id="verdict-filter"><option value="">all</option>${VERDICT_CHOICES.map(([value, label]) => html`<option value="${value}">${label}</option>`)}</select>
  </label>
  <button id="pause" type="button" aria-pressed="false">Pause</button>
  <span id="counts" class="counts">0 shown</span>
</nav>
<main>
  <noscript><p class="empty">This page draws what arrives with its script (page.js, served by the bridge itself); enable JavaScript for this address.</p></noscript>
  <p id="empty" class="empty" hidden>Nothing has arrived yet. Press <b>Test</b> on the webhook in the Mist portal, or run <code>mist-otel-bridge webhook ping NAME</code>: the ping shows here with its signature verdict and the log record it became. Stream messages show as they come.</p>
  <ol id="entries" class="entries"></ol>
</main>
</body>
</html>
`;
}
