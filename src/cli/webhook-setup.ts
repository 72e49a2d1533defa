import type { MistClient } from '../mist-api/client.js';
import type { Webhook, WebhookInput } from '../mist-api/types.js';
import { bridgeTopics } from './bridge-topics.js';
import { UsageError } from './exit-codes.js';
import { type Output, plural } from './output.js';
import { sameTopics, splitTopics } from './topic-split.js';
import { type NamedScope, orgScope, siteScope, type WebhookContext } from './webhook-context.js';
import { generateSecret, secretFromEnv } from './webhook-secret.js';

export interface SetupRequest {
  url: string;
  name: string;
  topics?: string[];
  insecure: boolean;
}

export interface SetupResult {
  scope: 'org' | 'site';
  scope_id: string;
  site_name?: string;
  id: string;
  name: string;
  action: 'created' | 'updated' | 'unchanged';
  /** Fields a PUT changed (updated only). */
  changed: string[];
  topics: string[];
  url: string;
  verify_cert: boolean;
}

/**
 * One secret for every webhook of one run: the one from the environment, else the one the
 * existing webhooks already have (when Mist shows it), else one generated when first needed.
 */
class SecretSource {
  private adopted: string | undefined;
  private generated: string | undefined;
  constructor(readonly fromEnv: string | undefined) {}
  adopt(existing: Webhook): void {
    if (!this.fromEnv && !this.adopted && typeof existing.secret === 'string' && existing.secret !== '') this.adopted = existing.secret;
  }
  get(): string {
    const known = this.fromEnv ?? this.adopted;
    if (known) return known;
    this.generated ??= generateSecret();
    return this.generated;
  }
  get generatedValue(): string | undefined {
    return this.generated;
  }
}

function checkUrl(raw: string, out: Output): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url "${raw}" is not a URL (e.g. https://bridge.example.com/mist/webhook)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--url must be http or https, got ${url.protocol}`);
  if (url.protocol === 'http:') out.warn(`${raw} is not https: Mist will send events and their signatures unencrypted; put the bridge behind TLS`);
  return raw;
}

/**
 * `webhook setup`: one webhook of the given name per scope, created or updated in place. The org
 * webhook takes the topics Mist allows at org level; each site given gets one for the rest.
 */
export async function setupWebhooks(ctx: WebhookContext, req: SetupRequest, env: NodeJS.ProcessEnv, out: Output): Promise<Record<string, unknown>> {
  const url = checkUrl(req.url, out);
  const verifyCert = !req.insecure;
  if (req.insecure) out.warn("--insecure: Mist will not verify the bridge's certificate (verify_cert false)");

  const offered = await ctx.client.webhookTopics();
  const split = splitTopics(req.topics ?? bridgeTopics(), offered);
  if (req.topics && split.notOffered.length > 0) {
    throw new UsageError(
      `Mist offers no topic ${split.notOffered.map((t) => `"${t}"`).join(', ')}; it offers: ${offered
        .filter((t) => !t.internal)
        .map((t) => t.key)
        .join(', ')}`,
    );
  }
  if (split.notOffered.length > 0) out.warn(`the bridge maps topics Mist does not offer here, left out: ${split.notOffered.join(', ')}`);

  const plans: { where: NamedScope; want: Desired }[] = [];
  if (split.org.length > 0) plans.push({ where: orgScope(ctx.org.orgId), want: { url, verifyCert, topics: split.org } });
  if (split.siteOnly.length > 0) for (const site of ctx.sites) plans.push({ where: siteScope(site), want: { url, verifyCert, topics: split.siteOnly } });

  if (plans.length === 0) {
    throw new UsageError(`nothing to set up: ${split.siteOnly.join(', ')} can only go to a site webhook; give --site ID|NAME or --all-sites`);
  }
  // Every scope is read before anything is written, so webhooks created now take the secret
  // the existing ones have.
  const secrets = new SecretSource(secretFromEnv(env.MIST_WEBHOOK_SECRET));
  const existing: Webhook[][] = [];
  for (const plan of plans) {
    const named = (await ctx.client.webhooks(plan.where.scope)).filter((w) => w.name === req.name);
    for (const w of named) secrets.adopt(w);
    existing.push(named);
  }
  const results: SetupResult[] = [];
  for (const [i, plan] of plans.entries()) results.push(await ensureWebhook(ctx.client, plan.where, req.name, plan.want, existing[i]!, secrets, out));
  const siteOnlyNotSetUp = ctx.sites.length === 0 ? split.siteOnly : [];
  if (siteOnlyNotSetUp.length > 0) {
    out.line(`Topics only a site webhook can take, not set up: ${siteOnlyNotSetUp.join(', ')}`);
    out.line('  give --site ID|NAME (repeatable) or --all-sites to create site webhooks for them');
  }

  const generated = secrets.generatedValue;
  const keptUnseen = results.filter((r) => r.action !== 'created' && !r.changed.includes('secret'));
  if (generated && keptUnseen.length > 0) {
    out.warn(
      `Mist does not show the secret of the existing webhook(s) ${keptUnseen.map((r) => r.id).join(', ')}, so the new ones got a new secret: ` +
        'give the bridge both (MIST_WEBHOOK_SECRET=new,old), or run setup again with MIST_WEBHOOK_SECRET set to put one secret everywhere',
    );
  }
  if (generated) {
    out.line('');
    out.line(`Generated webhook secret (shown only this once): ${generated}`);
    out.line(`Start the bridge with it: MIST_WEBHOOK_SECRET='${generated}' (or security.secrets in its config file)`);
  }
  return {
    org_id: ctx.org.orgId,
    org_from: ctx.org.source,
    webhooks: results,
    site_only_topics_not_set_up: siteOnlyNotSetUp,
    topics_not_offered: split.notOffered,
    secret: generated ? { source: 'generated', value: generated } : { source: secrets.fromEnv ? 'MIST_WEBHOOK_SECRET' : 'kept' },
  };
}

interface Desired {
  url: string;
  verifyCert: boolean;
  topics: string[];
}

async function ensureWebhook(
  client: MistClient,
  where: NamedScope,
  name: string,
  want: Desired,
  existing: Webhook[],
  secrets: SecretSource,
  out: Output,
): Promise<SetupResult> {
  const [current, ...others] = existing;
  if (others.length > 0) {
    out.warn(
      `${where.label} has ${existing.length} webhooks named "${name}"; updating ${current!.id}, leaving ${others.map((w) => w.id).join(', ')} (remove them with: webhook delete <id>)`,
    );
  }
  let hook: Webhook;
  let action: SetupResult['action'];
  let changed: string[] = [];
  if (!current) {
    const input: WebhookInput = {
      name,
      type: 'http-post',
      url: want.url,
      enabled: true,
      topics: want.topics,
      secret: secrets.get(),
      verify_cert: want.verifyCert,
    };
    hook = await client.createWebhook(where.scope, input);
    action = 'created';
  } else {
    const input = changes(current, want, secrets);
    changed = Object.keys(input);
    if (changed.length === 0) {
      hook = current;
      action = 'unchanged';
    } else {
      hook = await client.updateWebhook(where.scope, current.id, input);
      action = 'updated';
    }
  }
  const shown = changed.length > 0 ? ` (${changed.join(', ')})` : '';
  out.line(`${where.label}: webhook "${name}" ${action}${shown}, id ${hook.id}`);
  out.line(`  ${plural(want.topics.length, 'topic')}: ${want.topics.join(', ')}`);
  return {
    scope: where.scope.kind,
    scope_id: where.scope.id,
    ...(where.siteName ? { site_name: where.siteName } : {}),
    id: hook.id,
    name,
    action,
    changed,
    topics: hook.topics,
    url: hook.url ?? want.url,
    verify_cert: hook.verify_cert ?? want.verifyCert,
  };
}

/** Only what differs, since a PUT changes only the fields it is given. */
function changes(current: Webhook, want: Desired, secrets: SecretSource): WebhookInput {
  const input: WebhookInput = {};
  if (current.url !== want.url) input.url = want.url;
  if (current.type !== undefined && current.type !== 'http-post') input.type = 'http-post';
  if (current.enabled === false) input.enabled = true;
  if (!sameTopics(current.topics, want.topics)) input.topics = want.topics;
  if ((current.verify_cert ?? true) !== want.verifyCert) input.verify_cert = want.verifyCert;
  // Mist may not show the secret back: then one from the environment is sent, and without one
  // the webhook keeps whatever it has. A webhook known to have none gets one.
  const hasSecret = typeof current.secret === 'string' && current.secret !== '';
  const shown = 'secret' in current;
  if (secrets.fromEnv ? !shown || current.secret !== secrets.fromEnv : shown && !hasSecret) input.secret = secrets.get();
  return input;
}
