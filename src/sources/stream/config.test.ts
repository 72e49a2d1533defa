import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/load.js';
import { deriveStreamUrl, loadStreamSettings } from './config.js';

const TOKEN = 'tok-3f9c-very-secret';
const SITE_A = '4ac1dcf4-9d8b-7211-65c4-057819f0862b';
const SITE_B = 'f5fcbee5-fbca-45b3-8bf1-1619ede87879';

describe('stream configuration', () => {
  it('is off without a token and on with one, with the documented defaults', () => {
    expect(loadStreamSettings({}).enabled).toBe(false);
    const s = loadStreamSettings({ MIST_API_TOKEN: TOKEN });
    expect(s.enabled).toBe(true);
    expect(s.token?.reveal()).toBe(TOKEN);
    expect(s).toMatchObject({
      apiUrl: 'https://api.mist.com',
      wsUrl: 'wss://api-ws.mist.com/api-ws/v1/stream',
      orgId: null,
      siteIds: null,
      sitesRefreshMs: 600_000,
      channels: ['stats/devices', 'stats/clients'],
      idleTimeoutMs: 90_000,
      maxChannelsPerConnection: 1_000,
    });
  });

  it('waits minutes after a refused token and at least 30 s after a 429, by default', () => {
    const s = loadStreamSettings({ MIST_API_TOKEN: TOKEN });
    expect(s.authFailureRetryMs).toBeGreaterThanOrEqual(120_000);
    expect(s.rateLimitRetryMs).toBeGreaterThanOrEqual(30_000);
    expect(s.pingIntervalMs).toBeLessThan(s.idleTimeoutMs);
    expect(s.reconnectMaxMs).toBeGreaterThan(s.reconnectInitialMs);
    expect(s.maxChannelsPerConnection).toBeLessThanOrEqual(1_000);
  });

  it('reads every documented variable', () => {
    const s = loadStreamSettings({
      MIST_API_TOKEN: TOKEN,
      MIST_API_URL: 'https://api.eu.mist.com',
      MIST_ORG_ID: '9777c1a0-6ef6-11e6-8bbf-02e208b2d34f',
      MIST_SITE_IDS: ` ${SITE_A}, ${SITE_B} `,
      MIST_STREAM_SITES_REFRESH_MS: '60000',
      MIST_STREAM_CHANNELS: 'stats/devices,/devices',
      MIST_STREAM_IDLE_TIMEOUT_MS: '45000',
    });
    expect(s).toMatchObject({
      wsUrl: 'wss://api-ws.eu.mist.com/api-ws/v1/stream',
      orgId: '9777c1a0-6ef6-11e6-8bbf-02e208b2d34f',
      siteIds: [SITE_A, SITE_B],
      sitesRefreshMs: 60_000,
      channels: ['stats/devices', 'devices'],
      idleTimeoutMs: 45_000,
    });
  });

  it('derives the stream host of each cloud from its REST host, unless MIST_WS_URL says otherwise', () => {
    expect(deriveStreamUrl('https://api.gc4.mist.com')).toBe('wss://api-ws.gc4.mist.com/api-ws/v1/stream');
    expect(deriveStreamUrl('https://api.ac5.mist.com/')).toBe('wss://api-ws.ac5.mist.com/api-ws/v1/stream');
    expect(deriveStreamUrl('http://api.localhost:8080')).toBe('ws://api-ws.localhost:8080/api-ws/v1/stream');
    expect(deriveStreamUrl('http://127.0.0.1:8080')).toBeNull();
    const s = loadStreamSettings({ MIST_API_TOKEN: TOKEN, MIST_API_URL: 'http://127.0.0.1:1', MIST_WS_URL: 'ws://127.0.0.1:2/api-ws/v1/stream' });
    expect(s.wsUrl).toBe('ws://127.0.0.1:2/api-ws/v1/stream');
  });

  it('MIST_BRIDGE_STREAM=false turns the stream off even with a token; =true without a token is an error', () => {
    expect(loadStreamSettings({ MIST_API_TOKEN: TOKEN, MIST_BRIDGE_STREAM: 'false' }).enabled).toBe(false);
    expect(() => loadStreamSettings({ MIST_BRIDGE_STREAM: 'true' })).toThrow(
      /MIST_BRIDGE_STREAM \(stream\.enabled\): .*no API token is set: set MIST_API_TOKEN/,
    );
  });

  it('names the variable or key of each mistake', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ MIST_STREAM_IDLE_TIMEOUT_MS: 'soon' }, /MIST_STREAM_IDLE_TIMEOUT_MS \(stream\.idleTimeoutMs\): expected an integer/],
      [{ MIST_BRIDGE_STREAM: 'perhaps' }, /MIST_BRIDGE_STREAM \(stream\.enabled\): expected true or false/],
      [{ MIST_SITE_IDS: 'lobby' }, /MIST_SITE_IDS \(stream\.siteIds\.0\): expected a Mist id/],
      [{ MIST_ORG_ID: 'acme' }, /MIST_ORG_ID \(mist\.orgId\): expected a Mist id/],
      [{ MIST_API_URL: 'ftp://api.mist.com' }, /MIST_API_URL \(mist\.apiUrl\): /],
      [{ MIST_WS_URL: 'https://api-ws.mist.com/api-ws/v1/stream' }, /MIST_WS_URL \(stream\.wsUrl\): .* must start with wss:\/\/ or ws:\/\//],
      [{ MIST_API_URL: 'https://mist.example.com' }, /MIST_API_URL \(mist\.apiUrl\): cannot derive the stream URL .*set stream\.wsUrl \(MIST_WS_URL\)/],
      [{ MIST_STREAM_CHANNELS: 'stats devices' }, /MIST_STREAM_CHANNELS \(stream\.channels\.0\): expected a per-site channel/],
      [{ MIST_STREAM_CHANNELS: ' , ' }, /MIST_STREAM_CHANNELS \(stream\.channels\): /],
      [{ MIST_STREAM_IDLE_TIMEOUT_MS: '20000' }, /stream\.pingIntervalMs \(30000\) must be shorter than stream\.idleTimeoutMs/],
      [{ MIST_STREAM_SITES_REFRESH_MS: '0' }, /MIST_STREAM_SITES_REFRESH_MS \(stream\.sitesRefreshMs\): /],
    ];
    for (const [env, message] of cases) {
      expect(() => loadStreamSettings({ MIST_API_TOKEN: TOKEN, ...env }), JSON.stringify(env)).toThrow(message);
    }
  });

  it('never shows the token: not in errors, not when the settings are logged or inspected', () => {
    let error: unknown;
    try {
      loadStreamSettings({ MIST_API_TOKEN: TOKEN, MIST_STREAM_CHANNELS: '??', MIST_API_URL: 'x' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).not.toContain(TOKEN);
    const s = loadStreamSettings({ MIST_API_TOKEN: TOKEN });
    expect(JSON.stringify(s)).not.toContain(TOKEN);
    expect(JSON.stringify(s)).toContain('"token":"[redacted]"');
    expect(inspect(s, { depth: 5 })).not.toContain(TOKEN);
    expect(`${s.token}`).not.toContain(TOKEN);
  });
});
