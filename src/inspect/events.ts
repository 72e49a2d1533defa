import type { InspectFeed } from './feed.js';

/**
 * GET /inspect/events: the feed as server-sent events.
 *
 *   event: hello    {instance, maxEntries, dropped}   first, on every connection
 *   event: entry    an InspectEntry, id `<instance>:<entry id>`, oldest first
 *
 * The stream is pulled: the next message is made only when the socket took the last one, read
 * from the ring at this page's cursor. A page that cannot keep up skips what left the ring
 * meanwhile (it sees the gap in ids) instead of queueing it here.
 */

/** Quiet connections still carry a comment this often, so proxies and dead peers are noticed. */
const KEEPALIVE_MS = 15_000;
/** Asked of EventSource: how soon to reconnect when the bridge goes away. */
const RETRY_MS = 1_000;

const encoder = new TextEncoder();

function message(event: string, data: unknown, id?: string): Uint8Array {
  // JSON.stringify never emits a line break, so the whole value is one data: line.
  return encoder.encode(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Where a reconnecting page left off: the entry id when it was this same feed, else 0 (all). */
function cursorFrom(feed: InspectFeed, lastEventId: string | undefined): number {
  if (lastEventId === undefined) return 0;
  const colon = lastEventId.lastIndexOf(':');
  if (colon < 0 || lastEventId.slice(0, colon) !== feed.instance) return 0;
  const id = Number(lastEventId.slice(colon + 1));
  return Number.isSafeInteger(id) && id > 0 ? id : 0;
}

export function eventStream(feed: InspectFeed, lastEventId: string | undefined, keepaliveMs = KEEPALIVE_MS): ReadableStream<Uint8Array> {
  let cursor = cursorFrom(feed, lastEventId);
  let greeted = false;
  let wake: (() => void) | undefined;
  let unwatch: (() => void) | undefined;
  let stopped = false;

  const stop = () => {
    stopped = true;
    unwatch?.();
    wake?.();
  };

  return new ReadableStream<Uint8Array>(
    {
      start() {
        unwatch = feed.watch(() => wake?.());
      },
      async pull(controller) {
        if (!greeted) {
          greeted = true;
          controller.enqueue(encoder.encode(`retry: ${RETRY_MS}\n`));
          controller.enqueue(message('hello', { instance: feed.instance, maxEntries: feed.maxEntries, dropped: feed.dropped }));
          return;
        }
        for (;;) {
          // The page went away while this pull waited: nothing more to send.
          if (stopped) return;
          if (feed.closed) {
            stop();
            controller.close();
            return;
          }
          const next = feed.after(cursor);
          if (next) {
            cursor = next.id;
            controller.enqueue(message('entry', next, `${feed.instance}:${next.id}`));
            return;
          }
          const woken = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), keepaliveMs);
            wake = () => {
              clearTimeout(timer);
              resolve(true);
            };
          });
          wake = undefined;
          if (!woken) {
            controller.enqueue(encoder.encode(': keepalive\n\n'));
            return;
          }
        }
      },
      cancel: stop,
    },
    // One message waiting at most: the next is read from the ring when this one is taken.
    { highWaterMark: 1 },
  );
}
