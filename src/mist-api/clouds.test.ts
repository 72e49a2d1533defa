import { describe, expect, it } from 'vitest';
import { resolveBaseUrl } from './clouds.js';

describe('MIST_API_URL', () => {
  it('defaults to Global 01 and takes a cloud by name, a host or a URL', () => {
    expect(resolveBaseUrl(undefined)).toBe('https://api.mist.com');
    expect(resolveBaseUrl(' ')).toBe('https://api.mist.com');
    expect(resolveBaseUrl('EMEA 01')).toBe('https://api.eu.mist.com');
    expect(resolveBaseUrl('global04')).toBe('https://api.gc2.mist.com');
    expect(resolveBaseUrl('apac-3')).toBe('https://api.gc7.mist.com');
    expect(resolveBaseUrl('api.ac2.mist.com')).toBe('https://api.ac2.mist.com');
    expect(resolveBaseUrl('https://api.gc1.mist.com/api/v1/')).toBe('https://api.gc1.mist.com');
    expect(resolveBaseUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
  });

  it('refuses what would send the token in clear, or is not a URL', () => {
    expect(() => resolveBaseUrl('http://api.mist.com')).toThrow('plain http to api.mist.com would send the API token unencrypted; use https');
    expect(() => resolveBaseUrl('EMEA 09')).toThrow(/is neither a URL nor one of Mist's clouds \(Global 01, .*EMEA 01, .*APAC 03\)/);
    expect(() => resolveBaseUrl('ftp://x')).toThrow('ftp: is not http or https');
  });
});
