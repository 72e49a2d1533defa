import type { MistClient } from './client.js';
import { MistConfigError } from './errors.js';

export interface ResolvedOrg {
  orgId: string;
  source: '--org' | 'MIST_ORG_ID' | 'GET /self';
}

/**
 * The org to work on: `--org`, else MIST_ORG_ID, else the token's only org privilege (GET /self).
 * A token with none or several says which, so the user can pick one.
 */
export async function resolveOrg(client: MistClient, flag: string | undefined, env: string | undefined): Promise<ResolvedOrg> {
  if (flag?.trim()) return { orgId: flag.trim(), source: '--org' };
  if (env?.trim()) return { orgId: env.trim(), source: 'MIST_ORG_ID' };
  const self = await client.self();
  const orgs = new Map<string, string | undefined>();
  for (const p of self.privileges) if (p.scope === 'org' && p.org_id) orgs.set(p.org_id, p.name ?? p.org_name);
  const [only, ...others] = [...orgs];
  if (only && others.length === 0) return { orgId: only[0], source: 'GET /self' };
  if (!only) {
    const siteOrgs = [...new Set(self.privileges.filter((p) => p.org_id).map((p) => p.org_id!))];
    throw new MistConfigError(
      `the API token has no org privilege${siteOrgs.length ? ` (only site or MSP privileges, in org ${siteOrgs.join(', ')})` : ''}; ` +
        'give --org <org id> or set MIST_ORG_ID',
    );
  }
  const list = [...orgs].map(([id, name]) => `  ${id}${name ? `  ${name}` : ''}`).join('\n');
  throw new MistConfigError(`the API token has privileges on ${orgs.size} orgs; give --org <org id> or set MIST_ORG_ID to one of:\n${list}`);
}
