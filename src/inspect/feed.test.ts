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

  it('keeps the last N of each source: a busy stream does not push a webhook delivery out', () => {
    const feed = feedOf(2);
    publish(feed, 'ping');
    for (let i = 1; i <= 5; i++) feed.begin({ source: 'stream', topic: `/sites/s/stats/devices`, events: 1 }).finish();
    publish(feed, 'alarms');
    expect(feed.dropped).toBe(3);
    expect(feed.get(1)?.topic).toBe('ping');
    expect([2, 3, 4].map((id) => feed.get(id))).toEqual([undefined, undefined, undefined]);
    // Read in the order of ids, across sources.
    const order: number[] = [];
    for (let e = feed.after(0); e; e = feed.after(e.id)) order.push(e.id);
    expect(order).toEqual([1, 5, 6, 7]);
    // The webhook's ring is full now: the next delivery pushes the ping out, not a stream message.
    publish(feed, 'device-updowns');
    expect(feed.get(1)).toBeUndefined();
    expect(feed.after(0)?.id).toBe(5);
    // Nor does a long replay from the journal push live deliveries out.
    for (let i = 0; i < 5; i++) feed.begin({ source: 'webhook', topic: 'alarms', events: 1, fromJournal: 'restart' }).finish();
    expect([7, 8].map((id) => feed.get(id)?.topic)).toEqual(['alarms', 'device-updowns']);
  });

  it('shows a batch when its source finishes it, with what each event became, as it was then', () => {
    const feed = feedOf();
    let told = 0;
    feed.watch(() => (told += 1));
    const inspection = feed.begin({ source: 'webhook', topic: 'ping', events: 2, sender: '192.0.2.7' });
    inspection.event({ name: 'test' }, { logs: [{ severityText: 'INFO', body: 'webhook test from test' }], metrics: [], trace: [] });
    inspection.eventFailed({ type: 'X' }, new Error('boom'));
    expect(feed.after(0)).toBeUndefined();
    inspection.finish({ status: 200, duplicates: 1 });
    expect(told).toBe(1);
    const entry = feed.get(1)!;
    expect(entry).toMatchObject({
      id: 1,
      topic: 'ping',
      status: 200,
      duplicates: 1,
      events: 2,
      sender: '192.0.2.7',
      refused: null,
      deferred: false,
      fromJournal: null,
    });
    expect(entry.became).toEqual([
      { label: 'test', logs: [{ severity: 'INFO', body: 'webhook test from test' }], metrics: [], sessions: [], omitted: 0 },
      { label: 'X', error: 'boom', logs: [], metrics: [], sessions: [], omitted: 0 },
    ]);

    // What the page was sent stays as it was: a second finish and later events change nothing.
    inspection.event({ type: 'late' }, NOTHING);
    inspection.finish({ status: 500 });
    expect(entry.status).toBe(200);
    expect(entry.became).toHaveLength(2);
    expect(told).toBe(1);
  });

  it('marks a batch handed on from the journal with why, keeping its time of arrival', () => {
    const feed = feedOf();
    const before = Date.now();
    feed.begin({ source: 'webhook', topic: 'alarms', events: 1, receivedAt: 1_700_000_000_000, fromJournal: 'restart' }).finish();
    const entry = feed.get(1)!;
    expect(entry.receivedAt).toBe(1_700_000_000_000);
    expect(entry.fromJournal?.reason).toBe('restart');
    expect(entry.fromJournal!.mappedAt).toBeGreaterThanOrEqual(before);
  });

  it('never keeps more of a batch than its share: bodies cut, events and records capped, strings cut', () => {
    const feed = feedOf(10, 16_384);
    const body = new Uint8Array(20_000).fill(0x61);
    const inspection = feed.begin({ source: 'webhook', topic: 'x'.repeat(1000), events: 5000, body });
    const metrics = Array.from({ length: 80 }, (_, i) => ({ name: `m${i}`, value: i, attributes: { long: 'v'.repeat(5000) } }));
    for (let i = 0; i < 5000; i++)
      inspection.event({ type: 'T', mac: String(i) }, { logs: [{ severityText: 'INFO', body: 'b'.repeat(10_000) }], metrics, trace: [] });
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

  it("shows a subject's attributes once when every point of an event carries them, and on each point otherwise", () => {
    const feed = feedOf();
    const device = { attributes: { 'mist.device_name': 'ap-lobby', 'mist.site_id': 's1' } };
    const other = { attributes: { 'mist.device_name': 'ap-hall', 'mist.site_id': 's1' } };
    const inspection = feed.begin({ source: 'stream', topic: '/sites/s1/stats/devices' });
    inspection.event(
      { mac: 'a' },
      {
        logs: [],
        metrics: [
          { name: 'cpu', value: 0.05, attributes: {}, subject: device },
          { name: 'radio', value: 0.3, attributes: { 'mist.band': '5' }, subject: device },
        ],
        trace: [],
      },
    );
    inspection.event(
      { mac: 'b' },
      {
        logs: [],
        metrics: [
          { name: 'cpu', value: 0.1, attributes: {}, subject: device },
          { name: 'cpu', value: 0.2, attributes: { 'mist.band': '5' }, subject: other },
        ],
        trace: [],
      },
    );
    inspection.finish();
    const [shared, mixed] = feed.get(1)!.became;
    expect(shared!.common).toEqual({ 'mist.device_name': 'ap-lobby', 'mist.site_id': 's1' });
    expect(shared!.metrics.map((m) => m.attributes)).toEqual([{}, { 'mist.band': '5' }]);
    expect(mixed!.common).toBeUndefined();
    expect(mixed!.metrics.map((m) => m.attributes)).toEqual([device.attributes, { ...other.attributes, 'mist.band': '5' }]);
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
  it('sends the ring from the oldest entry, then new entries as they happen', async () => {
    const feed = feedOf(3);
    for (const topic of ['a', 'b', 'c', 'd']) publish(feed, topic);
    const stream = messages(eventStream(feed, undefined));
    expect(await stream.next()).toEqual({ event: 'hello', data: { instance: feed.instance, maxEntries: 3, dropped: 1 } });
    expect((await stream.next())!.id).toBe(`${feed.instance}:2`);
    expect((await stream.next())!.id).toBe(`${feed.instance}:3`);
    expect((await stream.next())!.id).toBe(`${feed.instance}:4`);

    const next = stream.next();
    feed.begin({ source: 'webhook', topic: 'late', events: 1 }).finish({ status: 200, deferred: true });
    expect(await next).toMatchObject({ event: 'entry', id: `${feed.instance}:5`, data: { topic: 'late', deferred: true, became: [] } });
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
