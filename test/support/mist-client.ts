import { gzipSync } from 'node:zlib';
import { signatureHeaders } from '../../mist-payloads/sign.mjs';

export interface PostOptions {
  secret?: string;
  /** Sign with SHA-1 only (X-Mist-Signature), as old integrations do. */
  sha1Only?: boolean;
  gzip?: boolean;
  headers?: Record<string, string>;
  method?: string;
}

export interface PostResult {
  status: number;
  json: Record<string, unknown>;
  headers: Headers;
}

/** POSTs a body the way Mist does: JSON, signed over the exact bytes sent. */
export async function postDelivery(url: string, body: unknown, options: PostOptions = {}): Promise<PostResult> {
  const text = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const raw = typeof text === 'string' ? Buffer.from(text) : text;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Mist-webhook', ...options.headers };
  if (options.secret !== undefined) Object.assign(headers, signatureHeaders(raw, options.secret, { sha1Only: options.sha1Only ?? false }));
  let payload: Uint8Array = raw;
  if (options.gzip) {
    payload = gzipSync(raw);
    headers['content-encoding'] = 'gzip';
  }
  const res = await fetch(url, { method: options.method ?? 'POST', headers, body: payload });
  const textBody = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(textBody) as Record<string, unknown>;
  } catch {
    json = { text: textBody };
  }
  return { status: res.status, json, headers: res.headers };
}
