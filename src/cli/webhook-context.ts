import { CallBudget } from '../mist-api/budget.js';
import type { MistClient } from '../mist-api/client.js';
import { createMistClient } from '../mist-api/create.js';
import { type ResolvedOrg, resolveOrg } from '../mist-api/org.js';
import { readMistApiSettings } from '../mist-api/settings.js';
import type { Site, WebhookScope } from '../mist-api/types.js';
import { UsageError } from './exit-codes.js';
import type { Output } from './output.js';

export interface WebhookContext {
  client: MistClient;
  org: ResolvedOrg;
  /** The sites named with --site, or every site with --all-sites. */
  sites: Site[];
}

/** A webhook scope with the words to show it by. */
export interface NamedScope {
  scope: WebhookScope;
  label: string;
  siteName?: string;
}

export function orgScope(orgId: string): NamedScope {
  return { scope: { kind: 'org', id: orgId }, label: `org ${orgId}` };
}

export function siteScope(site: Site): NamedScope {
  return {
    scope: { kind: 'site', id: site.id },
    label: `site ${site.name ? `"${site.name}" (${site.id})` : site.id}`,
    ...(site.name ? { siteName: site.name } : {}),
  };
}

export async function openContext(env: NodeJS.ProcessEnv, args: { org?: string; sites: string[]; allSites: boolean }, out: Output): Promise<WebhookContext> {
  const settings = readMistApiSettings(env);
  const budget = new CallBudget({
    share: settings.budgetShare,
    onWait: (until) => out.progress(`this process used its share of Mist's API calls for the hour; waiting until ${new Date(until).toISOString()}`),
  });
  const client = createMistClient(settings, budget, {
    onRetry: (n) => out.progress(`${n.reason}; ${n.delayMs !== undefined ? `waiting ${Math.ceil(n.delayMs / 1000)} s before trying again` : 'trying again'}`),
  });
  const org = await resolveOrg(client, args.org, settings.orgId);
  const sites = args.allSites || args.sites.length > 0 ? await pickSites(client, org.orgId, args.sites, args.allSites) : [];
  return { client, org, sites };
}

/** --site takes an id or a name; every one must be a site of the org. */
async function pickSites(client: MistClient, orgId: string, wanted: string[], all: boolean): Promise<Site[]> {
  const sites = await client.sites(orgId);
  if (all) return sites;
  const picked: Site[] = [];
  for (const w of wanted) {
    const byId = sites.find((s) => s.id === w);
    const byName = sites.filter((s) => s.name === w);
    if (byId) picked.push(byId);
    else if (byName.length === 1) picked.push(byName[0]!);
    else if (byName.length > 1)
      throw new UsageError(`${byName.length} sites of org ${orgId} are named "${w}"; give its id: ${byName.map((s) => s.id).join(', ')}`);
    else throw new UsageError(`org ${orgId} has no site with id or name "${w}" (it has ${sites.length} sites)`);
  }
  return [...new Map(picked.map((s) => [s.id, s])).values()];
}
