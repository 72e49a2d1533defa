import { describe, expect, it } from 'vitest';
import { channelParts, siteChannel } from './channels.js';
import { decodeData, decodeFrame } from './decode.js';

const SITE = 'c1947558-268d-4d31-9a5e-0f2b3c4d5e6f';
const CHANNEL = `/sites/${SITE}/stats/devices`;

describe('stream frames', () => {
  it('tells acknowledgements, data and other replies apart', () => {
    expect(decodeFrame(JSON.stringify({ event: 'channel_subscribed', channel: CHANNEL }))).toEqual({ type: 'subscribed', channel: CHANNEL });
    expect(decodeFrame(JSON.stringify({ event: 'channel_unsubscribed', channel: CHANNEL }))).toEqual({ type: 'unsubscribed', channel: CHANNEL });
    expect(decodeFrame(JSON.stringify({ event: 'data', channel: CHANNEL, data: '{"mac":"x"}' }))).toEqual({
      type: 'data',
      channel: CHANNEL,
      data: '{"mac":"x"}',
    });
    expect(decodeFrame(JSON.stringify({ event: 'subscribe_failed', channel: CHANNEL, detail: 'denied' }))).toEqual({
      type: 'other',
      event: 'subscribe_failed',
      channel: CHANNEL,
      detail: 'denied',
    });
    expect(decodeFrame(JSON.stringify({ event: 'error', detail: 'rate limited' }))).toEqual({
      type: 'other',
      event: 'error',
      channel: null,
      detail: 'rate limited',
    });
  });

  it('reports a frame that is not a JSON object with an event as malformed', () => {
    expect(decodeFrame('{"event":')).toMatchObject({ type: 'malformed', reason: expect.stringMatching(/^not JSON/) });
    expect(decodeFrame('[1,2]')).toEqual({ type: 'malformed', reason: 'not a JSON object' });
    expect(decodeFrame('{"channel":"/test"}')).toEqual({ type: 'malformed', reason: 'no "event" string' });
  });

  it('parses data given as a JSON string (as Mist sends it) or as an inline object', () => {
    expect(decodeData('{"mac":"5c5b35f15ed8","uptime":6259614}')).toEqual({ ok: true, document: { mac: '5c5b35f15ed8', uptime: 6259614 } });
    expect(decodeData({ mac: '5c5b35f15ed8' })).toEqual({ ok: true, document: { mac: '5c5b35f15ed8' } });
    expect(decodeData('1')).toEqual({ ok: true, document: 1 });
  });

  it('says why data cannot be decoded', () => {
    expect(decodeData('{"mac": ')).toMatchObject({ ok: false, reason: expect.stringMatching(/^data is not JSON/) });
    expect(decodeData(undefined)).toEqual({ ok: false, reason: 'data is missing, not a JSON string or an object' });
    expect(decodeData(null)).toEqual({ ok: false, reason: 'data is null, not a JSON string or an object' });
    expect(decodeData([1])).toEqual({ ok: false, reason: 'data is a list, not a JSON string or an object' });
    expect(decodeData(7)).toEqual({ ok: false, reason: 'data is a number, not a JSON string or an object' });
  });
});

describe('channel names', () => {
  it('take the site and kind from the channel', () => {
    expect(siteChannel(SITE, 'stats/clients')).toBe(`/sites/${SITE}/stats/clients`);
    expect(channelParts(CHANNEL)).toEqual({ siteId: SITE, kind: 'stats/devices' });
    expect(channelParts(`/sites/${SITE}/stats/maps/m1/clients`)).toEqual({ siteId: SITE, kind: 'stats/maps/m1/clients' });
    expect(channelParts('/orgs/o1/insights/summary')).toEqual({ siteId: null, kind: 'insights/summary' });
    expect(channelParts('/test')).toEqual({ siteId: null, kind: 'test' });
  });
});
