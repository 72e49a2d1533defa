import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/load.js';
import { resolveToken, startLine } from './config.js';
import { createInspectPage } from './index.js';

const DEFAULTS = { enabled: false, token: null, maxEntries: 200, maxBodyBytes: 65_536 };
const inspectOf = (env: Record<string, string>, overrides: Record<string, unknown> = {}) =>
  loadConfig({ env: { MIST_BRIDGE_WEBHOOK: 'false', ...env }, overrides }).inspect;

describe('the inspect configuration section', () => {
  it('is off by default', () => {
    expect(inspectOf({})).toEqual(DEFAULTS);
    expect(inspectOf({}, { inspect: { enabled: true } })).toEqual({ ...DEFAULTS, enabled: true });
  });

  it('is set by MIST_BRIDGE_INSPECT and MIST_BRIDGE_INSPECT_TOKEN (an empty token means generate one)', () => {
    expect(inspectOf({ MIST_BRIDGE_INSPECT: 'true', MIST_BRIDGE_INSPECT_TOKEN: 'a-long-enough-token', MIST_BRIDGE_INSPECT_MAX_ENTRIES: '50' })).toEqual({
      enabled: true,
      token: 'a-long-enough-token',
      maxEntries: 50,
      maxBodyBytes: 65_536,
    });
    expect(inspectOf({ MIST_BRIDGE_INSPECT_TOKEN: '' }).token).toBeNull();
    expect(() => inspectOf({ MIST_BRIDGE_INSPECT: 'maybe' })).toThrow('MIST_BRIDGE_INSPECT (inspect.enabled): expected true or false, got "maybe"');
  });

  it('refuses a weak token, and says why without repeating it', () => {
    for (const token of ['short-secret', 'has spaces in the middle', 'tab\tinside-the-token-value']) {
      let error: unknown;
      try {
        inspectOf({ MIST_BRIDGE_INSPECT_TOKEN: token });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^MIST_BRIDGE_INSPECT_TOKEN \(inspect\.token\): /);
      expect((error as Error).message).not.toContain(token);
    }
    expect(() => inspectOf({ MIST_BRIDGE_INSPECT_MAX_ENTRIES: '0' })).toThrow(/inspect\.maxEntries/);
    expect(() => inspectOf({}, { inspect: { tokn: 'x' } })).toThrow(/inspect\.tokn/);
  });

  it('generates a new crypto-strong token at every start unless one is configured', () => {
    const a = resolveToken({ token: null });
    const b = resolveToken({ token: null });
    expect(a.generated).toBe(true);
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a.token).not.toBe(b.token);
    expect(resolveToken({ token: 'configured-token-value' })).toEqual({ token: 'configured-token-value', generated: false });
  });

  it('prints the URL with a generated token, and never a configured one', () => {
    const generated = resolveToken({ token: null });
    expect(startLine('http://127.0.0.1:4320', generated)).toBe(
      `Inspector: http://127.0.0.1:4320/inspect?token=${generated.token} (token generated for this run; set MIST_BRIDGE_INSPECT_TOKEN to keep one across restarts)`,
    );
    const line = startLine('http://127.0.0.1:4320', { token: 'configured-token-value', generated: false });
    expect(line).toBe('Inspector: http://127.0.0.1:4320/inspect?token=<MIST_BRIDGE_INSPECT_TOKEN> (or Authorization: Bearer)');
    expect(line).not.toContain('configured-token-value');
  });

  it('builds nothing when off', () => {
    expect(createInspectPage(DEFAULTS)).toBeUndefined();
    const page = createInspectPage({ ...DEFAULTS, enabled: true })!;
    expect(page.startLine('http://127.0.0.1:4320')).toMatch(/^Inspector: http:\/\/127\.0\.0\.1:4320\/inspect\?token=[A-Za-z0-9_-]{32} /);
    page.close();
  });
});
