import { describe, expect, it } from 'vitest';
import { eventStream } from './events.js';
import { InspectFeed, type SignatureCheck } from './feed.js';
import type { Became } from './views.js';

const NOTHING: Became = { logs: [], metrics: [], trace: [] };

function feedOf(maxEntries = 10, maxBodyBytes = 1024): InspectFeed {
  return new InspectFeed({ maxEntries, maxBodyBytes });
}

function publish(feed: InspectFeed, topic: string): void {
  feed.begin({ source: 'webhook', topic, events: 0 }).finish({ status: 200 });
}

/** The stream's messages as parsed SSE blocks. */
function messages(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  return {
    async next(): Promise<{ event?: string; id?: string; data?: unknown; comment?: string } | undefined> {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return undefined;
        const text = decoder.decode(value);
        if (text.startsWith('retry:')) continue;
        if (text.startsWith(':')) return { comment: text.slice(1).trim() };
        const fields = Object.fromEntries(
          text
            .trim()
            .split('\n')
            .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
        ) as Record<string, string>;
        return { event: fields.event, id: fields.id, data: JSON.parse(fields.data!) };
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe('the inspector feed', () => {
  it('keeps the last N entries, counts what it pushed out, and finds entries by id', () => {
    const feed = feedOf(3);
    for (const topic of ['a', 'b', 'c', 'd', 'e']) publish(feed, topic);
    expect(feed.dropped).toBe(2);
    expect(feed.get(2)).toBeUndefined();
    expect([3, 4, 5].map((id) => feed.get(id)?.topic)).toEqual(['c', 'd', 'e']);
    expect(feed.after(0)?.id).toBe(3);
    expect(feed.after(4)?.id).toBe(5);
    expect(feed.after(5)).toBeUndefined();
  });

  it('shows a batch when its source finishes it, with what each event became before and after', () => {
    const feed = feedOf();
    const seen: (number | undefined)[] = [];
    feed.watch((id) => seen.push(id));
    const inspection = feed.begin({ source: 'webhook', topic: 'ping', events: 2, sender: '192.0.2.7' });
    inspection.event({ name: 'test' }, { logs: [{ severityText: 'INFO', body: 'webhook test from test' }], metrics: [], trace: [] });
    expect(feed.after(0)).toBeUndefined();
    inspection.finish({ status: 200, duplicates: 1 });
    expect(seen).toEqual([undefined]);
    const entry = feed.get(1)!;
    expect(entry).toMatchObject({ id: 1, topic: 'ping', status: 200, duplicates: 1, events: 2, sender: '192.0.2.7', refused: null });
    expect(entry.became).toEqual([{ label: 'test', logs: [{ severity: 'INFO', body: 'webhook test from test' }], metrics: [], sessions: [], omitted: 0 }]);

    // Mapped later (deferred): the page is told which entry changed.
    inspection.eventFailed({ type: 'X' }, new Error('boom'));
    expect(seen).toEqual([undefined, 1]);
    expect(entry.became[1]).toEqual({ label: 'X', error: 'boom', logs: [], metrics: [], sessions: [], omitted: 0 });
    inspection.finish({ status: 500 });
    expect(entry.status).toBe(200);
  });

  it('never keeps more of a batch than its share: bodies cut, events and records capped, strings cut', () => {
    const feed = feedOf(10, 16_384);
    const body = new Uint8Array(20_000).fill(0x61);
    const inspection = feed.begin({ source: 'webhook', topic: 'x'.repeat(1000), events: 5000, body });
    const metrics = Array.from({ length: 80 }, (_, i) => ({ name: `m${i}`, value: i, attributes: { long: 'v'.repeat(5000) } }));
    for (let i = 0; i < 5000; i++) inspection.event({ type: 'T', mac: String(i) }, { logs: [{ severityText: 'INFO', body: 'b'.repeat(10_000) }], metrics, trace: [] });
    inspection.finish({ status: 200 });
    const entry = feed.get(1)!;
    expect(entry.body).toEqual({ text: 'a'.repeat(16_384), bytes: 20_000, truncated: true });
    expect(entry.topic!.length).toBeLessThanOrEqual(201);
    expect(entry.became.length).toBeGreaterThan(0);
    expect(entry.became.length + entry.becameOmitted).toBe(5000);
    const first = entry.became[0]!;
    expect(first.metrics).toHaveLength(50);
    expect(first.omitted).toBe(30);
    expect(first.logs[0]!.body.length).toBeLessThanOrEqual(2001);
    expect(first.metrics[0]!.attributes.long!.length).toBeLessThanOrEqual(201);
    // What the events became never outgrows the body's limit, whatever the batch held.
    expect(JSON.stringify(entry.became).length).toBeLessThanOrEqual(16_384 + 2);

    // One event too large for the share is counted, and a later small one still shows.
    const big = feed.begin({ source: 'webhook', topic: 'big' });
    const wide = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(300)]));
    big.event({ type: 'huge' }, { logs: [], metrics: metrics.map((m) => ({ ...m, attributes: wide })), trace: [] });
    big.event({ type: 'small' }, NOTHING);
    big.finish();
    expect(feed.get(2)!.became.map((v) => v.label)).toEqual(['small']);
    expect(feed.get(2)!.becameOmitted).toBe(1);
  });

  it('keeps a body cut at a character boundary readable, and a multi-byte string body within its bytes', () => {
    const feed = feedOf(10, 300);
    const text = '€'.repeat(200); // 600 bytes
    feed.begin({ source: 'stream', topic: 'c', body: text }).finish();
    feed.begin({ source: 'stream', topic: 'c', body: Buffer.from(text) }).finish();
    for (const id of [1, 2]) {
      const view = feed.get(id)!.body!;
      expect(view.bytes).toBe(600);
      expect(view.truncated).toBe(true);
      expect(Buffer.byteLength(view.text)).toBeLessThanOrEqual(300);
      expect(view.text.startsWith('€'.repeat(100))).toBe(true);
    }
  });

  it('copies only the documented signature fields, and session values as text', () => {
    const feed = feedOf();
    const withSecret = { verdict: 'good', scheme: 'v2', secretIndex: 1, secret: 'do-not-show-me' } as SignatureCheck;
    const inspection = feed.begin({ source: 'webhook', topic: 'client-join', signature: withSecret });
    inspection.event(
      { type: 'join' },
      { logs: [], metrics: [{ name: 'm', value: Number.NaN, attributes: {} }], trace: [{ role: 'join', values: { connect: 1750004000n, ap: { id: 1 } } }] },
    );
    inspection.finish({ status: 200 });
    const json = JSON.stringify(feed.get(1));
    expect(json).not.toContain('do-not-show-me');
    expect(feed.get(1)!.signature).toEqual({ verdict: 'good', scheme: 'v2', secretIndex: 1 });
    expect(feed.get(1)!.became[0]!.sessions).toEqual([{ role: 'join', values: { connect: '1750004000', ap: '{"id":1}' } }]);
    expect(feed.get(1)!.became[0]!.metrics[0]!.value).toBe('NaN');
  });

  it('never throws into processing: an outcome it cannot show is shown as such', () => {
    const feed = feedOf();
    const inspection = feed.begin({ source: 'webhook', topic: 't' });
    const broken = { logs: [{ severityText: undefined as unknown as string, body: 'b' }], metrics: [], trace: [] };
    expect(() => inspection.event({ type: 'T' }, broken)).not.toThrow();
    inspection.finish();
    expect(feed.get(1)!.became[0]!.error).toMatch(/^the inspector could not show this event: /);
  });

  it('labels an event by what it is and what it is about', () => {
    const feed = feedOf();
    const inspection = feed.begin({ source: 'webhook', topic: 't' });
    inspection.event({ type: 'AP_DISCONNECTED', ap_name: 'ap-1', ap: '5c5b35000010' }, NOTHING);
    inspection.event({ mac: 'a0b1c2000001' }, NOTHING);
    inspection.event('not an object', NOTHING);
    inspection.event({}, NOTHING);
    inspection.finish();
    expect(feed.get(1)!.became.map((v) => v.label)).toEqual(['AP_DISCONNECTED · ap-1', 'a0b1c2000001', 'not an object', '']);
  });
});

describe('the inspector event stream', () => {
  it('sends the ring from the oldest entry, then new entries and updates as they happen', async () => {
    const feed = feedOf(3);
    for (const topic of ['a', 'b', 'c', 'd']) publish(feed, topic);
    const stream = messages(eventStream(feed, undefined));
    expect(await stream.next()).toEqual({ event: 'hello', data: { instance: feed.instance, maxEntries: 3, dropped: 1 } });
    expect((await stream.next())!.id).toBe(`${feed.instance}:2`);
    expect((await stream.next())!.id).toBe(`${feed.instance}:3`);
    expect((await stream.next())!.id).toBe(`${feed.instance}:4`);

    const late = feed.begin({ source: 'webhook', topic: 'late', events: 1 });
    late.finish({ status: 200, deferred: true });
    const entry = await stream.next();
    expect(entry).toMatchObject({ event: 'entry', id: `${feed.instance}:5`, data: { topic: 'late', deferred: true, became: [] } });
    late.event({ type: 'T' }, NOTHING);
    const update = await stream.next();
    expect(update).toMatchObject({ event: 'update', data: { id: 5, became: [{ label: 'T' }] } });
    expect(update!.id).toBeUndefined();
    await stream.cancel();
  });

  it('resumes after the last entry a reconnecting page saw, and from the start for a page of another bridge start', async () => {
    const feed = feedOf();
    for (const topic of ['a', 'b', 'c']) publish(feed, topic);
    const resumed = messages(eventStream(feed, `${feed.instance}:2`));
    await resumed.next();
    expect((await resumed.next())!.id).toBe(`${feed.instance}:3`);
    await resumed.cancel();
    for (const stale of ['another-instance:2', 'garbage', `${feed.instance}:-1`]) {
      const fresh = messages(eventStream(feed, stale));
      await fresh.next();
      expect((await fresh.next())!.id).toBe(`${feed.instance}:1`);
      await fresh.cancel();
    }
  });

  it('lets a page that does not read fall behind without holding anything for it: it skips to what is still in the ring', async () => {
    const feed = feedOf(10);
    const stream = messages(eventStream(feed, undefined));
    await stream.next();
    for (let i = 0; i < 10_000; i++) publish(feed, `t${i}`);
    const next = await stream.next();
    expect(next!.id).toBe(`${feed.instance}:9991`);
    await stream.cancel();
  });

  it('sends a keepalive comment on a quiet stream and ends when the feed closes', async () => {
    const feed = feedOf();
    const stream = messages(eventStream(feed, undefined, 20));
    await stream.next();
    expect(await stream.next()).toEqual({ comment: 'keepalive' });
    const end = stream.next();
    feed.close();
    expect(await end).toBeUndefined();
  });
});
