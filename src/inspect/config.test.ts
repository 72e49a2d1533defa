import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envOverlay } from '../config/env.js';
import { INSPECT_ENV_VARIABLES, inspectConfigSchema, resolveToken, startLine } from './config.js';
import { createInspectPage } from './index.js';

const DEFAULTS = { enabled: false, token: null, maxEntries: 200, maxBodyBytes: 65_536 };

describe('the inspect configuration section', () => {
  it('is off by default, absent or empty', () => {
    const root = z.object({ inspect: inspectConfigSchema }).strict();
    expect(root.parse({}).inspect).toEqual(DEFAULTS);
    expect(root.parse({ inspect: {} }).inspect).toEqual(DEFAULTS);
    expect(root.parse({ inspect: { enabled: true } }).inspect).toEqual({ ...DEFAULTS, enabled: true });
  });

  it('is set by MIST_BRIDGE_INSPECT and MIST_BRIDGE_INSPECT_TOKEN (an empty token means generate one)', () => {
    const fail = (message: string) => new Error(message);
    const overlay = envOverlay(
      { MIST_BRIDGE_INSPECT: 'true', MIST_BRIDGE_INSPECT_TOKEN: 'a-long-enough-token', MIST_BRIDGE_INSPECT_MAX_ENTRIES: '50' },
      fail,
      INSPECT_ENV_VARIABLES,
    );
    expect(overlay).toEqual({ inspect: { enabled: true, token: 'a-long-enough-token', maxEntries: 50 } });
    expect(inspectConfigSchema.parse(overlay.inspect)).toEqual({ enabled: true, token: 'a-long-enough-token', maxEntries: 50, maxBodyBytes: 65_536 });
    expect(envOverlay({ MIST_BRIDGE_INSPECT_TOKEN: '' }, fail, INSPECT_ENV_VARIABLES)).toEqual({ inspect: { token: null } });
    expect(() => envOverlay({ MIST_BRIDGE_INSPECT: 'maybe' }, fail, INSPECT_ENV_VARIABLES)).toThrow('MIST_BRIDGE_INSPECT (inspect.enabled): expected true or false, got "maybe"');
  });

  it('refuses a weak token, and says why without repeating it', () => {
    for (const token of ['short-secret', 'has spaces in the middle', 'tab\tinside-the-token-value']) {
      const result = inspectConfigSchema.safeParse({ token });
      expect(result.success).toBe(false);
      expect(result.error!.issues.map((i) => i.path)).toEqual([['token']]);
      expect(JSON.stringify(result.error!.issues)).not.toContain(token);
    }
    expect(inspectConfigSchema.safeParse({ maxEntries: 0 }).success).toBe(false);
    expect(inspectConfigSchema.safeParse({ tokn: 'x' }).success).toBe(false);
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
