/**
 * Client session traces through running bridges: a story's deliveries posted as Mist webhook
 * deliveries, the spans read from what the bridge exports. What each story makes is pinned by its
 * golden (./golden.test.ts); these tests show that a running bridge — its webhook source,
 * deduplication, journal, its own sweep timer, several instances, a crash — exports exactly that.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { packagePath } from '../../src/package-root.js';
import { DIMENSIONS } from '../../src/sessions/session.js';
import { startTestBridge } from '../support/bridge-harness.js';
import { type MemoryOtlp, useMemoryOtlp } from '../support/memory-otlp.js';
import { postDelivery } from '../support/mist-client.js';
import { type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.js';
import { spawnBridge } from '../support/spawn-bridge.js';
import { type Delivery, deliveriesOf, goldenPath, renderTraces } from './stories.js';

const PERMIT = 'permit-join-info-disconnect';
const PERMIT_STORY = deliveriesOf(PERMIT);
const SESSION_SPANS = new Set(['client-session', 'connected', 'nac-auth', 'dhcp']);
const sinceNs = BigInt(Date.now()) * 1_000_000n;
const ns = (seconds: string) => {
  const [whole, frac = ''] = seconds.split('.');
  return BigInt(whole!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
};

const memory = useMemoryOtlp();
const bridges: { stop(): Promise<boolean> }[] = [];
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.stop()));
});

/** A bridge whose session table waits `settleMs` before placing events, sweeping often. */
async function bridge(settleMs = 10_000, sink: MemoryOtlp = memory) {
  const b = await startTestBridge(sink, { overrides: { sessions: { settleMs, sweepIntervalMs: 20 } } });
  bridges.push(b);
  return b;
}

async function post(url: string, deliveries: Delivery[]) {
  for (const d of deliveries) {
    const res = await postDelivery(url, d);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
  }
}

const sessionSpans = (spans: ReceivedSpan[]) => spans.filter((s) => SESSION_SPANS.has(s.name));
const golden = (name: string) => readFileSync(goldenPath(name), 'utf8');

function only<T>(items: T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0]!;
}

/** One trace, one root, every other span its child: returns the root and the children by name. */
function assertOneTrace(spans: ReceivedSpan[]) {
  expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
  const root = only(
    spans.filter((s) => s.parentSpanId === undefined),
    'roots',
  );
  expect(root.name).toBe('client-session');
  const children = spans.filter((s) => s !== root);
  for (const c of children) expect(c.parentSpanId, c.name).toBe(root.spanId);
  return { root, children: (name: string) => children.filter((c) => c.name === name) };
}

describe('client session traces from a running bridge', () => {
  it("exports a story's spans on its own sweep once the settle time after the disconnect is over: its golden, exactly", async () => {
    const b = await bridge(300);
    await post(b.webhook, PERMIT_STORY);
    await memory.waitFor(() => sessionSpans(memory.spans).some((s) => s.name === 'client-session'));
    expect(sessionSpans(memory.spans)).toHaveLength(4);
    expect(renderTraces(memory.requests, sinceNs)).toBe(golden(PERMIT));
  });

  it('split across two bridge instances: each exports its part, together the same spans', async () => {
    const first = await bridge();
    const second = await bridge();
    await post(first.webhook, PERMIT_STORY.slice(0, 3));
    await post(second.webhook, PERMIT_STORY.slice(3));
    await Promise.all([first.stop(), second.stop()]);
    expect(renderTraces(memory.requests, sinceNs)).toBe(golden(PERMIT));
  });

  it('a crash inside the settle time loses no session span: the journal keeps those deliveries', async () => {
    const receiver = await startOtlpReceiver();
    const dir = mkdtempSync(joinPath(tmpdir(), 'mist-bridge-sessions-'));
    const env = {
      MIST_BRIDGE_ALLOW_UNSIGNED: 'true',
      MIST_BRIDGE_DATA_DIR: dir,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BLRP_SCHEDULE_DELAY: '20',
      OTEL_BSP_SCHEDULE_DELAY: '20',
    };
    try {
      const first = await spawnBridge(env);
      await post(`${first.url}/mist/webhook`, PERMIT_STORY);
      // Every log is exported (so the journal would release the deliveries for logs), the
      // session's events still wait for their settle time: kill it there.
      await receiver.waitFor(() => receiver.logs.length >= 6);
      await new Promise((r) => setTimeout(r, 600));
      first.child.kill('SIGKILL');
      await first.exit();
      expect(sessionSpans(receiver.spans)).toHaveLength(0);

      const second = await spawnBridge(env);
      second.child.kill('SIGTERM');
      expect((await second.exit()).code).toBe(0);
      const { root, children } = assertOneTrace(sessionSpans(receiver.spans));
      expect([root.startTimeUnixNano, root.endTimeUnixNano]).toEqual([ns('1763712000.403'), ns('1763716500.75')]);
      expect(['nac-auth', 'dhcp', 'connected'].map((n) => children(n).length)).toEqual([1, 1, 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await receiver.close();
    }
  });

  it('MIST_BRIDGE_SESSIONS=false turns session traces off; the events are still logged', async () => {
    const b = await startTestBridge(memory, { env: { MIST_BRIDGE_SESSIONS: 'false' } });
    bridges.push(b);
    await post(b.webhook, PERMIT_STORY);
    await b.stop();
    expect(memory.logs.filter((l) => l.attributes['mist.topic'] !== undefined).length).toBeGreaterThanOrEqual(6);
    expect(sessionSpans(memory.spans)).toHaveLength(0);
  });

  it('the collector groups session spans by exactly the dimensions the bridge puts on them', () => {
    const collector = parseYaml(readFileSync(packagePath('otel-collector.yaml'), 'utf8')) as {
      connectors: Record<string, { namespace: string; dimensions: { name: string }[] }>;
    };
    const spanmetrics = collector.connectors.span_metrics!;
    expect(spanmetrics.namespace).toBe('mist.session');
    expect(spanmetrics.dimensions.map((d) => d.name)).toEqual([...DIMENSIONS]);
  });
});

// A real pair from the public corpus: one client's client-join and its client-sessions record
// (termination 1), as Mist delivered them, with connect_float a millisecond apart.
const corpus = joinPath(packagePath(), '..', 'shared', 'mist-corpus');
const corpusPresent = existsSync(corpus);
if (!corpusPresent) console.warn(`session corpus test skipped: ${corpus} not found`);

describe.skipIf(!corpusPresent)('a real join and session record from the Mist corpus', () => {
  it("come out as one session trace spanning Mist's own connect and disconnect times", async () => {
    const read = (path: string) => JSON.parse(readFileSync(joinPath(corpus, path), 'utf8')) as Delivery;
    const b = await bridge();
    await post(b.webhook, [read('client-join/gaddeblog-1.json'), read('client-sessions/gaddeblog-1.json')]);
    await b.stop();
    const { root, children } = assertOneTrace(sessionSpans(memory.spans));
    expect([root.startTimeUnixNano, root.endTimeUnixNano]).toEqual([ns('1695172665.083'), ns('1695189374.476')]);
    expect(root.status.code).toBe(1);
    expect(root.attributes).toMatchObject({
      'mist.ap': 'xx2316ed6axx',
      'mist.client_os': 'Windows 10',
      'mist.wlan_id': '77ed81d2-4fab-4df7-807a-0b679900d8f7',
    });
    expect(only(children('connected'), 'connected').endTimeUnixNano).toBe(ns('1695189374.476'));
  });
});
