// Summarises a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, the
// same time rolled up by area (our code, each dependency, Node internals, GC), and the
// inclusive time of our own pipeline stages. Usable alone:
//   node bench/profile-summary.mjs FILE.cpuprofile [top]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function area(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)' || functionName === '(program)') return functionName;
    return 'native/V8';
  }
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const src = url.indexOf('/dist/src/');
  if (src >= 0) return 'bridge ' + url.slice(src + '/dist/src/'.length).replace(/\.js$/, '');
  return url;
}

const shortUrl = (url) => {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const src = url.indexOf('/dist/');
  return src >= 0 ? url.slice(src + 1) : url;
};

export function summarizeProfile(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const areas = new Map();
  const inclusive = new Map();
  const inclusiveFn = new Map();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += dt;
      continue;
    }
    total += dt;
    const key = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? ':' + (lineNumber + 1) : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    // Inclusive time per area of our own code: each sample counted once per area on its stack.
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id).callFrame;
      const ar = area(f.url, f.functionName);
      if (ar.startsWith('bridge ') && !seen.has(ar)) {
        seen.add(ar);
        inclusive.set(ar, (inclusive.get(ar) ?? 0) + dt);
      }
      const fk = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}${f.url ? ':' + (f.lineNumber + 1) : ''}`;
      if (!seen.has(fk)) {
        seen.add(fk);
        inclusiveFn.set(fk, (inclusiveFn.get(fk) ?? 0) + dt);
      }
    }
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    busyMs: total / 1000,
    idleMs: idle / 1000,
    self: sorted(self)
      .slice(0, top)
      .map(([k, us]) => [k, us / 1000, (100 * us) / total]),
    areas: sorted(areas).map(([k, us]) => [k, us / 1000, (100 * us) / total]),
    inclusive: sorted(inclusive).map(([k, us]) => [k, us / 1000, (100 * us) / total]),
    inclusiveFunctions: sorted(inclusiveFn)
      .filter(([k]) => !k.startsWith('(root)'))
      .slice(0, top)
      .map(([k, us]) => [k, us / 1000, (100 * us) / total]),
  };
}

export function formatSummary(s, { functions = false } = {}) {
  const rows = (list) => list.map(([k, ms, pct]) => `${pct.toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${k}`).join('\n');
  return [
    `busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms`,
    '-- self time by area',
    rows(s.areas.slice(0, 15)),
    '-- inclusive time of bridge modules (share of busy time)',
    rows(s.inclusive.slice(0, 15)),
    '-- top functions by self time',
    rows(s.self),
    ...(functions ? ['-- top functions by inclusive time', rows(s.inclusiveFunctions)] : []),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bench/profile-summary.mjs FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), Number(top ?? 25));
  process.stdout.write(formatSummary(summary, { functions: true }) + '\n');
}
