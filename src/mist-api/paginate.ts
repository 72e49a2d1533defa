import type { z } from 'zod';
import { MistApiError } from './errors.js';
import type { MistHttp, MistResponse, Query } from './http.js';
import { parseAnswer } from './parse.js';

/** A runaway server (a total that never ends) stops here rather than spending the whole budget. */
const MAX_PAGES = 1000;

function headerInt(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw.trim());
}

/** How to ask for the pages: the endpoint's own query, the page size asked for, a signal to abort with. */
export interface Paging {
  query?: Query;
  pageSize: number;
  signal?: AbortSignal | undefined;
}

/** What one answer of a paged endpoint says: its items, and where it is in the whole. */
interface PageRead {
  items: unknown[];
  /** Where an item is in the answer, for errors (`[3]`, `results[3]`). */
  itemPath: (i: number) => string;
  total: number | undefined;
  limit: number | undefined;
  page: number | undefined;
  /** A path on the same API to ask next instead (with its query), when the answer gives one. */
  next?: { path: string; query: Query };
}

/**
 * Asks for page after page of `path` (`limit`/`page`, from page 1) and parses each item with
 * `item`: the next page while limit × page < total, the server's own limit and page counting (it
 * may cap the limit asked for), or the page `read` says is next. Calls `onPage` with each answer's
 * body; returns every item.
 */
async function walkPages<S extends z.ZodType>(
  http: MistHttp,
  path: string,
  item: S,
  paging: Paging,
  read: (res: MistResponse, path: string) => PageRead,
  onPage: (body: unknown) => void = () => {},
): Promise<z.infer<S>[]> {
  const items: z.infer<S>[] = [];
  let at = { path, query: { ...paging.query, limit: paging.pageSize, page: 1 } as Query };
  for (let n = 1; n <= MAX_PAGES; n++) {
    const res = await http.request<unknown>('GET', at.path, { query: at.query, ...(paging.signal ? { signal: paging.signal } : {}) });
    const answer = read(res, at.path);
    onPage(res.body);
    const batch = answer.items.map((raw, i) => parseAnswer(item, raw, 'GET', path, answer.itemPath(i)));
    items.push(...batch);
    if (batch.length === 0) return items;
    if (answer.next) {
      at = answer.next;
      continue;
    }
    const limit = answer.limit ?? paging.pageSize;
    const page = answer.page ?? Number(at.query.page ?? 1);
    if (answer.total === undefined || limit * page >= answer.total) return items;
    at = { path: at.path, query: { ...at.query, page: page + 1 } };
  }
  throw new MistApiError(200, 'GET', `/api/v1${path}`, `more than ${MAX_PAGES} pages; stopped`);
}

/**
 * Every item of a list endpoint that pages with `limit`/`page` and says where it is in
 * `X-Page-Limit`, `X-Page-Page` and `X-Page-Total`.
 */
export function getAllPages<S extends z.ZodType>(http: MistHttp, path: string, item: S, paging: Paging): Promise<z.infer<S>[]> {
  return walkPages(http, path, item, paging, (res, at) => {
    if (!Array.isArray(res.body)) throw new MistApiError(res.status, 'GET', `/api/v1${at}`, 'expected a JSON array');
    return {
      items: res.body,
      itemPath: (i) => `[${i}]`,
      total: headerInt(res.headers, 'x-page-total'),
      limit: headerInt(res.headers, 'x-page-limit'),
      page: headerInt(res.headers, 'x-page-page'),
    };
  });
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
 * `next` when Mist gives one (a path on the same API), else page as `getAllPages` does, by the
 * body's figures. Returns the results with the first page's other fields.
 */
export async function getAllResults<S extends z.ZodType>(
  http: MistHttp,
  path: string,
  item: S,
  paging: Paging,
): Promise<Omit<ResultsPage<z.infer<S>>, 'next' | 'page'>> {
  let first: ResultsPage<unknown> | undefined;
  const results = await walkPages(
    http,
    path,
    item,
    paging,
    (res, at) => {
      const body = res.body as ResultsPage<unknown> | null;
      if (body === null || typeof body !== 'object' || !Array.isArray(body.results)) {
        throw new MistApiError(res.status, 'GET', `/api/v1${at}`, 'expected {"results": [...]}');
      }
      return {
        items: body.results,
        itemPath: (i) => `results[${i}]`,
        total: typeof body.total === 'number' ? body.total : undefined,
        limit: typeof body.limit === 'number' && body.limit > 0 ? body.limit : undefined,
        page: typeof body.page === 'number' && body.page > 0 ? body.page : undefined,
        ...(typeof body.next === 'string' && body.next !== '' && { next: nextOnApi(http, at, res.status, body.next) }),
      };
    },
    (body) => {
      first ??= body as ResultsPage<unknown>;
    },
  );
  const { next: _next, page: _page, results: _results, ...meta } = first ?? { results: [] };
  return { ...meta, results } as Omit<ResultsPage<z.infer<S>>, 'next' | 'page'>;
}

/** A `next` link as a path and query on the same API; anything else is refused. */
function nextOnApi(http: MistHttp, at: string, status: number, link: string): { path: string; query: Query } {
  const next = new URL(link, `${http.baseUrl}/`);
  if (next.origin !== new URL(http.baseUrl).origin || !next.pathname.startsWith('/api/v1/')) {
    throw new MistApiError(status, 'GET', `/api/v1${at}`, `"next" points outside the API: ${link}`);
  }
  return { path: next.pathname.slice('/api/v1'.length), query: Object.fromEntries(next.searchParams) };
}
