/**
 * A bridge in the trouble the "Failing now" panels of the Bridge dashboards are for, made by real
 * stand-ins rather than written into a metric:
 *
 * - its OTLP backend (./otlp-receiver) first answers later than the export timeout, then refuses
 *   logs as malformed (they are dropped), then is away (503 for logs and traces);
 * - a delivery comes with a wrong signature; deliveries then fill its small journal until it
 *   answers 503;
 * - Mist's REST API (test/support/mist-rest) resets the SLE poller's first call and answers every
 *   later one 503, while the poller's state file says its last exported bucket is three hours old;
 * - Mist's stream (test/support/mist-ws) refuses the first site's channels;
 * - on request (`streamDown`), the stream refuses every upgrade and cuts its connections.
 *
 * Metrics are not disturbed beyond the slow backend's minute: the bridge's own figures must still
 * reach whoever checks them (a Prometheus scrape, or the receiver's metric endpoint).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numbered } from '../../mist-payloads/webhook.mjs';
import { SLE_FAMILIES } from '../../src/mist-api/types.js';
import { SLE_BUCKET_SECONDS } from '../../src/sources/sle/buckets.js';
import { SLE_STATE_FILE } from '../../src/sources/sle/state.js';
import { postDelivery } from '../support/mist-client.js';
import { type MistRest, startMistRest } from '../support/mist-rest/server.js';
import { MistWsStandIn } from '../support/mist-ws/stand-in.js';
import { type OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver.js';

/** The bridge's counters of failures: a healthy bridge has none of these series, a troubled one has them all. */
export const FAILURE_COUNTERS = [
  'mist_bridge_dropped_total',
  'mist_bridge_signature_failures_total',
  'mist_bridge_export_failures_total',
  'mist_bridge_export_timeouts_total',
];

export const TROUBLE_SECRET = 'trouble-secret';
/** The export timeout the slow backend outlasts. */
const EXPORT_TIMEOUT_MS = 1000;
/** A journal a few dozen deliveries fill. */
const JOURNAL_MAX_BYTES = 64 * 1024;
/** How far behind the SLE poller's state file puts every track. */
export const SLE_BEHIND_SECONDS = 3 * 3600;

export interface SelfSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The bridge's own figures from its GET /metrics (Prometheus text; the scope labels left out). */
export async function selfSamples(bridgeUrl: string): Promise<SelfSample[]> {
  const text = await (await fetch(`${bridgeUrl}/metrics`)).text();
  const out: SelfSample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The sum of the samples of `name` whose labels match `labels` (0 when there are none). */
export function total(samples: SelfSample[], name: string, labels: (l: Record<string, string>) => boolean = () => true): number {
  return samples.filter((s) => s.name === name && labels(s.labels)).reduce((sum, s) => sum + s.value, 0);
}

async function until(what: string, bridgeUrl: string, holds: (samples: SelfSample[]) => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const samples = await selfSamples(bridgeUrl);
    if (holds(samples)) return;
    if (Date.now() > deadline) {
      const own = samples.filter((s) => s.name.startsWith('mist_bridge_')).map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`);
      throw new Error(`trouble: timed out waiting for ${what}; the bridge's /metrics:\n${own.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Trouble {
  receiver: OtlpReceiver;
  rest: MistRest;
  ws: MistWsStandIn;
  /** The troubled bridge's environment: Mist's stand-ins, the OTLP receiver, its secret and journal. */
  env: Record<string, string>;
  /** The same journal settings as configuration overrides (the in-process harness's own take precedence over env). */
  durability: { dir: string; maxBytes: number };
  /** Drives the bridge at `bridgeUrl` into trouble; resolves once its /metrics shows every fault. */
  provoke(bridgeUrl: string): Promise<void>;
  /** Takes Mist's stream down; resolves once the bridge has no open stream connection. */
  streamDown(bridgeUrl: string): Promise<void>;
  /** The backend back, so that a stopping bridge is not held up by it. */
  recover(): void;
  close(): Promise<void>;
}

export async function startTrouble(): Promise<Trouble> {
  const receiver = await startOtlpReceiver();
  const rest = await startMistRest();
  const ws = await MistWsStandIn.start({ token: rest.token });
  const dir = mkdtempSync(join(tmpdir(), 'mist-trouble-'));

  // The poller's last exported bucket, three hours ago, for every family of the stand-in's org.
  const through = Math.floor(Date.now() / 1000 / SLE_BUCKET_SECONDS) * SLE_BUCKET_SECONDS - SLE_BEHIND_SECONDS - SLE_BUCKET_SECONDS;
  const tracks = Object.fromEntries(SLE_FAMILIES.map((family) => [family, { through, later: [] }]));
  writeFileSync(join(dir, SLE_STATE_FILE), JSON.stringify({ version: 1, orgs: { [rest.orgId]: tracks } }));
  rest.fail({ path: /\/insights\/sites-sle$/, reset: true, times: 1 });
  rest.fail({ path: /\/insights\/sites-sle$/, status: 503 });
  const refusedSite = rest.orgs[0]!.sites[0]!.id;
  ws.refuseSubscriptions((channel) => channel.startsWith(`/sites/${refusedSite}/`));

  const env = {
    MIST_WEBHOOK_SECRET: TROUBLE_SECRET,
    MIST_API_TOKEN: rest.token,
    MIST_API_URL: rest.url,
    MIST_WS_URL: ws.url,
    MIST_BRIDGE_DATA_DIR: dir,
    MIST_BRIDGE_DATA_MAX_BYTES: String(JOURNAL_MAX_BYTES),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_TIMEOUT: String(EXPORT_TIMEOUT_MS),
  };

  let n = 0;
  const delivery = () => numbered('trouble', n++, 1, { text: 'x'.repeat(1500) });

  return {
    receiver,
    rest,
    ws,
    env,
    durability: { dir, maxBytes: JOURNAL_MAX_BYTES },
    async provoke(bridgeUrl) {
      const webhook = `${bridgeUrl}/mist/webhook`;
      const post = async (secret = TROUBLE_SECRET) => (await postDelivery(webhook, delivery(), { secret })).status;

      const wrong = await post('not-the-secret');
      if (wrong !== 401) throw new Error(`trouble: a wrongly signed delivery was answered ${wrong}`);

      receiver.slowDown(EXPORT_TIMEOUT_MS * 1.5);
      if ((await post()) !== 200) throw new Error('trouble: a delivery was refused before the backend slowed down');
      await until('an export timeout', bridgeUrl, (s) => total(s, 'mist_bridge_export_timeouts_total') > 0);
      receiver.slowDown(null);

      receiver.failWith(400, {}, ['logs']);
      if ((await post()) !== 200) throw new Error('trouble: a delivery was refused before the backend refused logs');
      await until('logs dropped as rejected', bridgeUrl, (s) => total(s, 'mist_bridge_dropped_total', (l) => l.reason === 'rejected_by_backend') > 0);

      receiver.failWith(503, {}, ['logs', 'traces']);
      for (let status = 200; status === 200; ) {
        status = await post();
        if (status !== 200 && status !== 503) throw new Error(`trouble: a delivery to a filling journal was answered ${status}`);
        if (n > 1000) throw new Error('trouble: the journal never filled');
      }
      await until(
        'a full journal, exports failing, the SLE poller behind, its calls failing, a stream channel refused',
        bridgeUrl,
        (s) =>
          total(s, 'mist_bridge_journal_size_bytes') / total(s, 'mist_bridge_journal_limit_bytes') > 0.9 &&
          total(s, 'mist_bridge_export_failing_seconds') > 2 &&
          total(s, 'mist_bridge_export_failures_total') > 0 &&
          total(s, 'mist_bridge_sle_behind_seconds') > SLE_BEHIND_SECONDS &&
          total(s, 'mist_bridge_mist_api_calls_total', (l) => l.error_type === 'unreachable') > 0 &&
          total(s, 'mist_bridge_mist_api_calls_total', (l) => l.http_response_status_code === '503') > 0 &&
          total(s, 'mist_bridge_stream_subscriptions', (l) => l.state === 'failed') > 0,
        60_000,
      );
    },
    async streamDown(bridgeUrl) {
      ws.refuseUpgrades(503);
      ws.dropConnections();
      await until(
        'no open stream connection',
        bridgeUrl,
        (s) =>
          total(s, 'mist_bridge_stream_connections', (l) => l.state === 'open') === 0 &&
          total(s, 'mist_bridge_stream_connections', (l) => l.state === 'connecting' || l.state === 'waiting') > 0,
      );
    },
    recover() {
      receiver.failWith(null);
      receiver.slowDown(null);
    },
    async close() {
      await Promise.all([receiver.close(), rest.close(), ws.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
