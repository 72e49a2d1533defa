import type { Webhook } from '../mist-api/types.js';
import { NotFoundError } from './exit-codes.js';
import { type Output, plural } from './output.js';
import { type NamedScope, orgScope, siteScope, type WebhookContext } from './webhook-context.js';

export interface ListedWebhook {
  scope: 'org' | 'site';
  scope_id: string;
  site_name?: string;
  id: string;
  name: string | null;
  url: string | null;
  type: string | null;
  enabled: boolean;
  verify_cert: boolean;
  /** Whether a secret is set; the secret itself is never shown. */
  secret: 'set' | 'none' | 'not shown by Mist';
  topics: string[];
}

function scopes(ctx: WebhookContext): NamedScope[] {
  return [orgScope(ctx.org.orgId), ...ctx.sites.map(siteScope)];
}

function describe(where: NamedScope, w: Webhook): ListedWebhook {
  return {
    scope: where.scope.kind,
    scope_id: where.scope.id,
    ...(where.siteName ? { site_name: where.siteName } : {}),
    id: w.id,
    name: w.name ?? null,
    url: w.url ?? null,
    type: w.type ?? null,
    enabled: w.enabled ?? true,
    verify_cert: w.verify_cert ?? true,
    secret: !('secret' in w) ? 'not shown by Mist' : w.secret ? 'set' : 'none',
    topics: w.topics,
  };
}

async function all(ctx: WebhookContext): Promise<{ where: NamedScope; hook: Webhook }[]> {
  const found: { where: NamedScope; hook: Webhook }[] = [];
  for (const where of scopes(ctx)) for (const hook of await ctx.client.webhooks(where.scope)) found.push({ where, hook });
  return found;
}

export async function listWebhooks(ctx: WebhookContext, out: Output): Promise<Record<string, unknown>> {
  const found = await all(ctx);
  const listed = found.map(({ where, hook }) => describe(where, hook));
  for (const where of scopes(ctx)) {
    const here = found.filter((f) => f.where.scope.id === where.scope.id && f.where.scope.kind === where.scope.kind);
    out.line(`${where.label}: ${here.length === 0 ? 'no webhooks' : plural(here.length, 'webhook')}`);
    for (const { hook } of here) {
      const d = describe(where, hook);
      out.line(`  ${d.name ?? '(no name)'}  id ${d.id}  ${d.enabled ? 'enabled' : 'disabled'}  ${d.url ?? ''}`);
      out.line(`    verify_cert ${d.verify_cert}, secret ${d.secret}, ${plural(d.topics.length, 'topic')}: ${d.topics.join(', ')}`);
    }
  }
  return { org_id: ctx.org.orgId, org_from: ctx.org.source, webhooks: listed };
}

/** The webhooks a NAME|ID names: an id matches one webhook, a name every webhook of that name. */
async function matching(ctx: WebhookContext, target: string): Promise<{ where: NamedScope; hook: Webhook }[]> {
  const found = await all(ctx);
  const byId = found.filter((f) => f.hook.id === target);
  const hits = byId.length > 0 ? byId : found.filter((f) => f.hook.name === target);
  if (hits.length === 0) {
    const where = scopes(ctx)
      .map((s) => s.label)
      .join(', ');
    throw new NotFoundError(
      `no webhook named or with id "${target}" in ${where}${ctx.sites.length === 0 ? ' (site webhooks are searched with --site or --all-sites)' : ''}`,
    );
  }
  return hits;
}

export async function pingWebhooks(ctx: WebhookContext, target: string, out: Output): Promise<Record<string, unknown>> {
  const pinged: ListedWebhook[] = [];
  for (const { where, hook } of await matching(ctx, target)) {
    await ctx.client.pingWebhook(where.scope, hook.id);
    pinged.push(describe(where, hook));
    out.line(`${where.label}: pinged "${hook.name ?? hook.id}" (id ${hook.id}); Mist now posts the ping topic to ${hook.url ?? 'its URL'}`);
  }
  return { org_id: ctx.org.orgId, pinged };
}

export async function deleteWebhooks(ctx: WebhookContext, target: string, out: Output): Promise<Record<string, unknown>> {
  const deleted: ListedWebhook[] = [];
  for (const { where, hook } of await matching(ctx, target)) {
    await ctx.client.deleteWebhook(where.scope, hook.id);
    deleted.push(describe(where, hook));
    out.line(`${where.label}: deleted "${hook.name ?? hook.id}" (id ${hook.id})`);
  }
  return { org_id: ctx.org.orgId, deleted };
}
