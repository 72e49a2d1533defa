import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { sign } from '../../mist-payloads/sign.mjs';
import { startTestBridge } from '../support/bridge-harness.js';
import { useMemoryOtlp } from '../support/memory-otlp.js';
import { postDelivery } from '../support/mist-client.js';
import type { OtlpReceiver } from '../support/otlp-receiver.js';
import { useReceiver } from '../support/use-receiver.js';

// A topic no mapping file knows: the bridge must still export each event as a log record.
const TOPIC = 'custom-probe';
const delivery = {
  topic: TOPIC,
  events: [
    { org_id: 'o-1', site_id: 's-1', type: 'PROBE_A', text: 'first probe', timestamp: 1717574400.123456, detail: { port: 'ge-0/0/1', n: 2 } },
    { org_id: 'o-1', site_id: 's-2', type: 'PROBE_B', timestamp: 1749084229888 },
    { org_id: 'o-1', site_id: 's-3', type: 'PROBE_C' },
  ],
};

// The wire format (protocols, compression) is shown against the OTLP receiver; everything else
// here is about the webhook, and reads the telemetry from in-memory exporters.
let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));
const memory = useMemoryOtlp();

const logsOf = (topic: string) => memory.logs.filter((l) => l.attributes['mist.topic'] === topic);
const receivedLogsOf = (topic: string) => receiver.logs.filter((l) => l.attributes['mist.topic'] === topic);

describe.each(['http/protobuf', 'http/json'])('a signed multi-event delivery over %s', (protocol) => {
  it('arrives as one log record per event with the event time and mist.* attributes', async () => {
    const compression = protocol === 'http/json' ? 'gzip' : 'none';
    const bridge = await startTestBridge(receiver, {
      env: { MIST_WEBHOOK_SECRET: 'k1', OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_EXPORTER_OTLP_COMPRESSION: compression },
    });
    try {
      const res = await postDelivery(bridge.webhook, delivery, { secret: 'k1' });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ status: 'accepted', topic: TOPIC, events: 3, failed_events: 0 });
      await receiver.waitFor(() => receivedLogsOf(TOPIC).length === 3);

      const expectedType = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
      expect(receiver.requests.filter((r) => r.signal === 'logs').every((r) => r.contentType.startsWith(expectedType))).toBe(true);
      if (protocol === 'http/json') expect(receiver.requests.some((r) => r.contentEncoding === 'gzip')).toBe(true);

      const [a, b, c] = ['PROBE_A', 'PROBE_B', 'PROBE_C'].map((t) => receivedLogsOf(TOPIC).find((l) => l.attributes['mist.type'] === t)!);
      expect(a!.timeUnixNano).toBe(1717574400_123456000n);
      expect(a!.body).toBe('first probe');
      expect(a!.attributes).toMatchObject({ 'mist.topic': TOPIC, 'mist.org_id': 'o-1', 'mist.site_id': 's-1', 'mist.detail': { port: 'ge-0/0/1', n: 2 } });
      expect(a!.resource).toMatchObject({
        'service.name': 'mist-ai',
        source: 'juniper-mist',
        'service.instance.id': hostname(),
        'telemetry.sdk.language': 'nodejs',
      });
      expect(typeof a!.resource['service.version']).toBe('string');
      expect(b!.timeUnixNano).toBe(1749084229_888000000n);
      // No time in the event: receipt time, marked as such.
      expect(c!.attributes['mist.timestamp_source']).toBe('receipt');
      expect(c!.timeUnixNano).toBe(c!.observedTimeUnixNano);
      for (const l of [a!, b!, c!]) {
        expect(l.observedTimeUnixNano).toBeGreaterThan(BigInt(Date.now() - 60_000) * 1_000_000n);
        expect(l.severityNumber).toBeGreaterThan(0);
      }
    } finally {
      await bridge.stop();
    }
  });
});

describe('signatures', () => {
  it('accepts v2 under either secret of a rotation and refuses wrong or missing ones, exporting nothing for them', async () => {
    const bridge = await startTestBridge(memory, { env: { MIST_WEBHOOK_SECRET: 'old-secret,new-secret' } });
    try {
      const body = (n: string) => ({ topic: 'sig-check', events: [{ n, timestamp: 1700000000 }] });
      expect((await postDelivery(bridge.webhook, body('old'), { secret: 'old-secret' })).status).toBe(200);
      expect((await postDelivery(bridge.webhook, body('new'), { secret: 'new-secret' })).status).toBe(200);

      const wrong = await postDelivery(bridge.webhook, body('wrong'), { secret: 'guess' });
      expect(wrong.status).toBe(401);
      expect(wrong.json.error).toBe('signature_invalid');
      const missing = await postDelivery(bridge.webhook, body('missing'));
      expect(missing.status).toBe(401);
      expect(missing.json.error).toBe('signature_missing');
      const sha1 = await postDelivery(bridge.webhook, body('sha1'), { secret: 'old-secret', sha1Only: true });
      expect(sha1.status).toBe(401);
      expect(sha1.json.error).toBe('signature_sha1_not_allowed');
      // A body altered after signing no longer matches.
      const tampered = await postDelivery(bridge.webhook, JSON.stringify(body('tampered')) + ' ', {
        headers: { 'x-mist-signature-v2': sign(JSON.stringify(body('tampered')), 'old-secret') },
      });
      expect(tampered.status).toBe(401);

      await bridge.stop();
      const ns = logsOf('sig-check')
        .map((l) => l.attributes['mist.n'])
        .sort();
      expect(ns).toEqual(['new', 'old']);
    } finally {
      await bridge.stop();
    }
  });

  it('accepts SHA-1 alone only when allowed', async () => {
    const bridge = await startTestBridge(memory, { env: { MIST_WEBHOOK_SECRET: 'k', MIST_BRIDGE_ALLOW_SHA1: 'true' } });
    try {
      const ok = await postDelivery(bridge.webhook, { topic: 'sha1-check', events: [{ timestamp: 1700000000 }] }, { secret: 'k', sha1Only: true });
      expect(ok.status).toBe(200);
      const bad = await postDelivery(bridge.webhook, { topic: 'sha1-check', events: [{}] }, { secret: 'x', sha1Only: true });
      expect(bad.status).toBe(401);
      await memory.waitFor(() => logsOf('sha1-check').length === 1);
    } finally {
      await bridge.stop();
    }
  });

  it('accepts unsigned deliveries in unsigned mode', async () => {
    const bridge = await startTestBridge(memory);
    try {
      expect((await postDelivery(bridge.webhook, { topic: 'unsigned-check', events: [{ a: 1 }] })).status).toBe(200);
      await memory.waitFor(() => logsOf('unsigned-check').length === 1);
    } finally {
      await bridge.stop();
    }
  });
});

describe('bad input', () => {
  it('answers each with a clear JSON 4xx and exports nothing for it', async () => {
    const bridge = await startTestBridge(memory, { overrides: { server: { host: '127.0.0.1', port: 0, maxBodyBytes: 4096 } } });
    try {
      const cases: Array<[string, Parameters<typeof postDelivery>[1], Parameters<typeof postDelivery>[2], number, string]> = [
        ['invalid JSON', '{"topic":"alarms","events":[', {}, 400, 'invalid_json'],
        ['no events array', { topic: 'alarms' }, {}, 400, 'no_events'],
        ['events not an array', { topic: 'alarms', events: { a: 1 } }, {}, 400, 'no_events'],
        ['no topic', { events: [] }, {}, 400, 'no_topic'],
        ['top-level array', [{ topic: 'alarms' }], {}, 400, 'not_an_object'],
        ['oversize', { topic: 'alarms', events: [{ pad: 'x'.repeat(5000) }] }, {}, 413, 'body_too_large'],
        ['oversize once decompressed', { topic: 'alarms', events: [{ pad: ' '.repeat(50_000) }] }, { gzip: true }, 413, 'body_too_large'],
        ['bad gzip', '{"topic":"alarms","events":[]}', { headers: { 'content-encoding': 'gzip' } }, 400, 'bad_gzip'],
        ['unknown encoding', '{}', { headers: { 'content-encoding': 'br' } }, 415, 'unsupported_encoding'],
      ];
      for (const [name, body, opts, status, error] of cases) {
        const res = await postDelivery(bridge.webhook, body, opts);
        expect({ name, status: res.status, error: res.json.error }).toEqual({ name, status, error });
        expect(typeof res.json.message).toBe('string');
      }
      const nonUtf8 = await fetch(bridge.webhook, { method: 'POST', body: Uint8Array.from([0x7b, 0xc3, 0x28, 0x7d]) });
      expect(nonUtf8.status).toBe(400);
      expect(((await nonUtf8.json()) as { error: string }).error).toBe('not_utf8');

      const wrongMethod = await fetch(bridge.webhook);
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('POST');
      const wrongPath = await fetch(bridge.address.url + '/nope', { method: 'POST', body: '{}' });
      expect(wrongPath.status).toBe(404);
      expect(((await wrongPath.json()) as { error: string }).error).toBe('not_found');

      // The bridge is still healthy and a good delivery after all that still goes through.
      expect((await fetch(bridge.address.url + '/healthz')).status).toBe(200);
      const good = await postDelivery(bridge.webhook, { topic: 'after-bad', events: [{ timestamp: 1700000000 }] }, { gzip: true });
      expect(good.status).toBe(200);
      await memory.waitFor(() => logsOf('after-bad').length === 1);
      expect(memory.logs.filter((l) => l.attributes['mist.topic'] === 'alarms')).toEqual([]);
    } finally {
      await bridge.stop();
    }
  });

  it('exports a malformed event without losing its siblings, and treats _ and - spellings as one topic', async () => {
    const bridge = await startTestBridge(memory);
    try {
      const res = await postDelivery(bridge.webhook, { topic: 'Custom_Spelled', events: [{ type: 'GOOD', timestamp: 1700000000 }, 42, 'text', null] });
      expect(res.status).toBe(200);
      await memory.waitFor(() => logsOf('custom-spelled').length === 4);
      const logs = logsOf('custom-spelled');
      expect(logs.filter((l) => l.attributes['mist.malformed_event'] === true)).toHaveLength(3);
      expect(logs.find((l) => l.attributes['mist.type'] === 'GOOD')).toBeDefined();
    } finally {
      await bridge.stop();
    }
  });
});

describe('probes', () => {
  it('serves /healthz and /readyz while running', async () => {
    const bridge = await startTestBridge(memory);
    try {
      expect(await (await fetch(bridge.address.url + '/healthz')).json()).toEqual({ status: 'ok' });
      expect((await fetch(bridge.address.url + '/readyz')).status).toBe(200);
    } finally {
      await bridge.stop();
    }
  });

  it('records ping (the portal Test button) and answers 200', async () => {
    const bridge = await startTestBridge(memory, { env: { MIST_WEBHOOK_SECRET: 's' } });
    try {
      const res = await postDelivery(
        bridge.webhook,
        { topic: 'ping', events: [{ site_id: 's-1', id: 'w-1', name: 'otel', timestamp: 1461220784 }] },
        { secret: 's' },
      );
      expect(res.status).toBe(200);
      await memory.waitFor(() => logsOf('ping').length === 1);
      expect(logsOf('ping')[0]!.timeUnixNano).toBe(1461220784_000_000_000n);
    } finally {
      await bridge.stop();
    }
  });
});
