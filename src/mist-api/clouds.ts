/**
 * Mist runs twelve clouds, each with its own REST host; an org lives in exactly one. Users know
 * their cloud by the portal's name for it ("EMEA 01"), so MIST_API_URL accepts that name as well
 * as a host or a URL.
 */
export const MIST_CLOUDS: Readonly<Record<string, string>> = {
  'global 01': 'api.mist.com',
  'global 02': 'api.gc1.mist.com',
  'global 03': 'api.ac2.mist.com',
  'global 04': 'api.gc2.mist.com',
  'global 05': 'api.gc4.mist.com',
  'emea 01': 'api.eu.mist.com',
  'emea 02': 'api.gc3.mist.com',
  'emea 03': 'api.ac6.mist.com',
  'emea 04': 'api.gc6.mist.com',
  'apac 01': 'api.ac5.mist.com',
  'apac 02': 'api.gc5.mist.com',
  'apac 03': 'api.gc7.mist.com',
};

export const DEFAULT_BASE_URL = 'https://api.mist.com';

/** "EMEA 01", "emea01", "emea-01" and "EMEA_1" all name one cloud. */
function cloudKey(raw: string): string | undefined {
  const m = /^(global|emea|apac)[\s_-]*0?(\d)$/i.exec(raw.trim());
  return m ? `${m[1]!.toLowerCase()} 0${m[2]}` : undefined;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The REST base URL (scheme and host, no path) from MIST_API_URL: a cloud name, a host, or a URL
 * (a trailing /api/v1 is dropped, since every path the client sends starts with it). Plain http
 * is refused except to this machine: the token travels in a header.
 */
export function resolveBaseUrl(raw: string | undefined): string {
  const value = raw?.trim() ?? '';
  if (value === '') return DEFAULT_BASE_URL;
  const key = cloudKey(value);
  if (key && MIST_CLOUDS[key]) return `https://${MIST_CLOUDS[key]}`;
  if (key || /\s/.test(value)) throw new Error(`MIST_API_URL: "${value}" is neither a URL nor one of Mist's clouds (${cloudNames()})`);
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`);
  } catch {
    throw new Error(`MIST_API_URL: "${value}" is neither a URL nor one of Mist's clouds (${cloudNames()})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`MIST_API_URL: ${url.protocol} is not http or https`);
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    throw new Error(`MIST_API_URL: plain http to ${url.hostname} would send the API token unencrypted; use https`);
  }
  if (url.username || url.password) throw new Error('MIST_API_URL: credentials in the URL are not used; set MIST_API_TOKEN');
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

function cloudNames(): string {
  return Object.keys(MIST_CLOUDS)
    .map((k) => k.replace(/\b\w/g, (c) => c.toUpperCase()).replace(/^(Emea|Apac)/, (s) => s.toUpperCase()))
    .join(', ');
}

export const STREAM_PATH = '/api-ws/v1/stream';

/**
 * The WebSocket stream URL Mist serves beside a REST host: https://api.eu.mist.com →
 * wss://api-ws.eu.mist.com/api-ws/v1/stream. Null for a host that does not start with `api.`.
 */
export function deriveStreamUrl(apiUrl: string): string | null {
  const rest = new URL(apiUrl);
  if (!rest.hostname.startsWith('api.')) return null;
  const ws = new URL(STREAM_PATH, rest);
  ws.protocol = rest.protocol === 'http:' ? 'ws:' : 'wss:';
  ws.hostname = `api-ws.${rest.hostname.slice('api.'.length)}`;
  return ws.toString();
}
