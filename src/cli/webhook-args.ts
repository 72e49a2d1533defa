import { parseArgs } from 'node:util';
import { UsageError } from './exit-codes.js';

export const WEBHOOK_USAGE = `usage: mist-otel-bridge webhook setup --url URL [--org ID] [--site ID|NAME]... [--all-sites] [--topics T,T...] [--name NAME] [--insecure] [--json]
       mist-otel-bridge webhook list [--org ID] [--site ID|NAME]... [--all-sites] [--json]
       mist-otel-bridge webhook ping NAME|ID [--org ID] [--site ID|NAME]... [--all-sites] [--json]
       mist-otel-bridge webhook delete NAME|ID [--org ID] [--site ID|NAME]... [--all-sites] [--json]

Sets up the Mist webhook that feeds this bridge, over Mist's REST API.
  setup     create the webhook, or update the one of that name in place (default name: mist-otel-bridge).
            Topics default to every topic the bridge maps; an org webhook takes those Mist allows at
            org level, and each --site gets a site webhook for the others.
  list      the org's webhooks (and those of the sites given)
  ping      make Mist post the "ping" topic to the webhook(s) of that name or id
  delete    delete the webhook(s) of that name or id (org, and the sites given)

  --org ID          the org (default: MIST_ORG_ID, else the token's only org)
  --site ID|NAME    a site, repeatable; --all-sites for every site of the org
  --topics T,T      topics instead of the default (comma-separated, repeatable)
  --insecure        verify_cert false (a lab bridge with a self-signed certificate)
  --json            one JSON document on stdout

Environment: MIST_API_TOKEN (required), MIST_API_URL (default https://api.mist.com, or a cloud
name such as "EMEA 01"), MIST_ORG_ID, MIST_WEBHOOK_SECRET (the secret to set; generated if unset).
Exit codes: 0 done, 1 Mist failed or was unreachable, 2 bad arguments or configuration,
3 Mist refused the token or permission (401/403), 4 no webhook of that name or id.`;

export type Subcommand = 'setup' | 'list' | 'ping' | 'delete';

export interface WebhookArgs {
  command: Subcommand;
  /** NAME|ID of ping and delete. */
  target?: string;
  url?: string;
  org?: string;
  sites: string[];
  allSites: boolean;
  topics?: string[];
  name: string;
  insecure: boolean;
  json: boolean;
  help: boolean;
}

export const DEFAULT_WEBHOOK_NAME = 'mist-otel-bridge';

function parseOptions(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        org: { type: 'string' },
        site: { type: 'string', multiple: true },
        'all-sites': { type: 'boolean' },
        topics: { type: 'string', multiple: true },
        name: { type: 'string' },
        insecure: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function parseWebhookArgs(argv: string[]): WebhookArgs {
  const { values, positionals } = parseOptions(argv);
  const help = values.help === true;
  const [command, target, ...extra] = positionals;
  const base = {
    sites: (values.site ?? []).map((s) => s.trim()).filter(Boolean),
    allSites: values['all-sites'] === true,
    name: values.name?.trim() || DEFAULT_WEBHOOK_NAME,
    insecure: values.insecure === true,
    json: values.json === true,
    help,
    ...(values.org !== undefined ? { org: values.org } : {}),
  };
  if (help && command === undefined) return { ...base, command: 'list' };
  if (command !== 'setup' && command !== 'list' && command !== 'ping' && command !== 'delete') {
    throw new UsageError(command === undefined ? 'which webhook command? setup, list, ping or delete' : `unknown webhook command "${command}"`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (base.allSites && base.sites.length > 0) throw new UsageError('give --site or --all-sites, not both');
  if (command === 'setup' || command === 'list') {
    if (target !== undefined) throw new UsageError(`unexpected argument "${target}"`);
  } else if (target === undefined && !help) throw new UsageError(`webhook ${command} needs the webhook's name or id`);

  const topics = values.topics
    ?.flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  if (values.topics && topics!.length === 0) throw new UsageError('--topics is empty');
  if (command === 'setup' && !help) {
    if (values.url === undefined)
      throw new UsageError('webhook setup needs --url, the public URL Mist posts to (e.g. https://bridge.example.com/mist/webhook)');
  }
  return {
    ...base,
    command,
    ...(target !== undefined ? { target } : {}),
    ...(values.url !== undefined ? { url: values.url } : {}),
    ...(topics ? { topics } : {}),
  };
}
