/**
 * Which sites to stream: the configured list, or every site of the org, listed again every
 * refresh period so new sites are picked up and removed ones dropped.
 */
import type { Logger } from '../../log/logger.js';

/**
 * Every site id of the org (all pages of GET /api/v1/orgs/{org_id}/sites). Provided by the
 * shared Mist REST client; rejects when the listing fails.
 */
export type ListSites = () => Promise<string[]>;

export interface SiteDiscoveryOptions {
  /** Fixed sites (MIST_SITE_IDS): listed once, never refreshed. */
  siteIds: string[] | null;
  listSites: ListSites;
  refreshMs: number;
  retryMs: number;
  log: Logger;
  /** Called with the full current list each time it changes. */
  onSites: (siteIds: string[]) => void;
}

export class SiteDiscovery {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private current: string[] | null = null;

  constructor(private readonly options: SiteDiscoveryOptions) {}

  start(): void {
    const { siteIds } = this.options;
    if (siteIds !== null) {
      this.apply([...new Set(siteIds)]);
      return;
    }
    void this.list();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async list(): Promise<void> {
    const { listSites, refreshMs, retryMs, log } = this.options;
    let next = refreshMs;
    try {
      const sites = await listSites();
      if (this.stopped) return;
      this.apply([...new Set(sites)]);
    } catch (err) {
      if (this.stopped) return;
      next = Math.min(retryMs, refreshMs);
      log.error("cannot list the org's sites for the stream; keeping the sites already streamed", {
        error: (err as Error).message,
        retryInMs: next,
      });
    }
    this.timer = setTimeout(() => void this.list(), next);
  }

  private apply(sites: string[]): void {
    const before = new Set(this.current ?? []);
    const added = sites.filter((s) => !before.has(s));
    const now = new Set(sites);
    const removed = [...before].filter((s) => !now.has(s));
    if (this.current !== null && added.length === 0 && removed.length === 0) return;
    if (sites.length === 0) this.options.log.warn('the org has no site to stream');
    else this.options.log.info('stream sites', { sites: sites.length, added: added.length, removed: removed.length });
    this.current = sites;
    this.options.onSites(sites);
  }
}
