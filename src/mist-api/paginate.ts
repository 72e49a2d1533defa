import type { z } from 'zod';
import { MistApiError } from './errors.js';
import type { MistHttp, Query } from './http.js';
import { parseAnswer } from './parse.js';

/** A runaway server (a total that never ends) stops here rather than spending the whole budget. */
const MAX_PAGES = 1000;

function headerInt(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw.trim());
}

/**
 * Every item of a list endpoint that pages with `limit`/`page` and says where it is in
 * `X-Page-Limit`, `X-Page-Page` and `X-Page-Total`: the next page is asked for while
 * limit × page < total. The server's own limit counts (it may cap the one asked for).
 */
export async function getAllPages<S extends z.ZodType>(
  http: MistHttp,
  path: string,
  item: S,
  query: Query = {},
  pageSize = 100,
  signal?: AbortSignal,
): Promise<z.infer<S>[]> {
  const items: z.infer<S>[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const res = await http.request<unknown>('GET', path, { query: { ...query, limit: pageSize, page }, ...(signal ? { signal } : {}) });
    if (!Array.isArray(res.body)) throw new MistApiError(res.status, 'GET', `/api/v1${path}`, 'expected a JSON array');
    const batch = res.body.map((raw, i) => parseAnswer(item, raw, 'GET', path, `[${i}]`));
    items.push(...batch);
    const total = headerInt(res.headers, 'x-page-total');
    const limit = headerInt(res.headers, 'x-page-limit') ?? pageSize;
    const at = headerInt(res.headers, 'x-page-page') ?? page;
    if (total === undefined || batch.length === 0 || limit * at >= total) return items;
    page = at;
  }
  throw new MistApiError(200, 'GET', `/api/v1${path}`, `more than ${MAX_PAGES} pages; stopped`);
}

/** One page of a search or insight endpoint, which pages in its body instead of headers. */
export interface ResultsPage<T> {
  results: T[];
  total?: number;
  limit?: number;
  page?: number;
  next?: string | null;
  start?: number;
  end?: number;
}

/**
 * Every result of an endpoint answering `{results, next, limit, page, total, start, end}`: follow
 * `next` when Mist gives one (a path on the same API), else ask for the next page while
 * limit × page < total. Returns the results with the first page's other fields.
 */
export async function getAllResults<S extends z.ZodType>(
  http: MistHttp,
  path: string,
  item: S,
  query: Query = {},
  pageSize = 100,
  signal?: AbortSignal,
): Promise<Omit<ResultsPage<z.infer<S>>, 'next' | 'page'>> {
  const results: z.infer<S>[] = [];
  let first: ResultsPage<unknown> | undefined;
  let nextPath = path;
  let nextQuery: Query = { ...query, limit: pageSize, page: 1 };
  for (let n = 1; n <= MAX_PAGES; n++) {
    const res = await http.request<unknown>('GET', nextPath, { query: nextQuery, ...(signal ? { signal } : {}) });
    const body = res.body as ResultsPage<unknown> | null;
    if (body === null || typeof body !== 'object' || !Array.isArray(body.results)) {
      throw new MistApiError(res.status, 'GET', `/api/v1${nextPath}`, 'expected {"results": [...]}');
    }
    first ??= body;
    const batch = body.results.map((raw, i) => parseAnswer(item, raw, 'GET', path, `results[${i}]`));
    results.push(...batch);
    if (batch.length === 0) break;
    if (typeof body.next === 'string' && body.next !== '') {
      const next = new URL(body.next, `${http.baseUrl}/`);
      if (next.origin !== new URL(http.baseUrl).origin || !next.pathname.startsWith('/api/v1/')) {
        throw new MistApiError(res.status, 'GET', `/api/v1${nextPath}`, `"next" points outside the API: ${body.next}`);
      }
      nextPath = next.pathname.slice('/api/v1'.length);
      nextQuery = Object.fromEntries(next.searchParams);
      continue;
    }
    const total = typeof body.total === 'number' ? body.total : undefined;
    const limit = typeof body.limit === 'number' && body.limit > 0 ? body.limit : pageSize;
    const page = typeof body.page === 'number' && body.page > 0 ? body.page : Number(nextQuery.page ?? 1);
    if (total === undefined || limit * page >= total) break;
    nextQuery = { ...nextQuery, page: page + 1 };
  }
  const { next: _next, page: _page, results: _results, ...meta } = first ?? { results: [] };
  return { ...meta, results } as Omit<ResultsPage<z.infer<S>>, 'next' | 'page'>;
}
