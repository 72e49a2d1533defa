import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ORG_TOPICS, SITE_ONLY_TOPICS } from './support/mist-rest/fixtures.js';
import { type MistRest, startMistRest } from './support/mist-rest/server.js';
import type { OtlpReceiver } from './support/otlp-receiver.js';
import { type CliRun, runCli } from './support/run-cli.js';
import { spawnBridge } from './support/spawn-bridge.js';
import { useReceiver } from './support/use-receiver.js';

/**
 * `mist-otel-bridge webhook …` as a user runs it: the real CLI process against the stand-in of
 * Mist's REST API, and for ping a real bridge receiving what "Mist" sends.
 */

const URL_ = 'https://bridge.example.com/mist/webhook';
const SECRET = 'a-webhook-secret-from-the-env';

let mist: MistRest;
const tokens: string[] = [];
let receiver: OtlpReceiver;
useReceiver((r) => (receiver = r));

beforeEach(async () => {
  mist = await startMistRest();
  tokens.push(mist.token);
});
afterEach(async () => {
  await mist.close();
});

async function webhook(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await runCli(['webhook', ...args], { MIST_API_URL: mist.url, MIST_API_TOKEN: mist.token, ...env });
  // Whatever a command prints, success or failure, no API token is part of it.
  for (const token of tokens) expect(run.stdout + run.stderr).not.toContain(token);
  return run;
}

const writes = () => mist.calls.filter((c) => c.method !== 'GET');

describe('webhook setup', () => {
  it('creates one org webhook with the org-level topics, the secret from MIST_WEBHOOK_SECRET and verify_cert, and a second run changes nothing', async () => {
    const first = await webhook(['setup', '--url', URL_], { MIST_WEBHOOK_SECRET: SECRET });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/org 6a1c2d3e-\S+: webhook "mist-otel-bridge" created/);
    expect(first.stdout).not.toContain(SECRET);

    const [hook] = mist.webhooks();
    expect(mist.webhooks()).toHaveLength(1);
    expect(hook).toMatchObject({
      name: 'mist-otel-bridge',
      url: URL_,
      type: 'http-post',
      enabled: true,
      secret: SECRET,
      verify_cert: true,
      org_id: mist.orgId,
    });
    expect(hook!.site_id).toBeUndefined();
    expect([...hook!.topics].sort()).toEqual([...ORG_TOPICS].sort());
    // The topics only a site webhook can take are named, with how to set them up.
    expect(first.stdout).toMatch(/only a site webhook can take, not set up: .*client-latency.*site-sle/);
    expect(first.stdout).toContain('--site ID|NAME');

    const writesBefore = writes().length;
    const second = await webhook(['setup', '--url', URL_], { MIST_WEBHOOK_SECRET: SECRET });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('webhook "mist-otel-bridge" unchanged');
    expect(writes()).toHaveLength(writesBefore);
    expect(mist.webhooks()).toEqual([hook]);
  });

  it('updates the webhook of that name in place with PUT (same id), changing only what differs', async () => {
    await webhook(['setup', '--url', URL_], { MIST_WEBHOOK_SECRET: SECRET });
    const [before] = mist.webhooks();
    const run = await webhook(['setup', '--url', 'https://other.example.com/mist/webhook', '--insecure', '--json'], { MIST_WEBHOOK_SECRET: SECRET });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('verify_cert false');
    const doc = JSON.parse(run.stdout);
    expect(doc.webhooks).toEqual([expect.objectContaining({ action: 'updated', changed: ['url', 'verify_cert'], id: before!.id, verify_cert: false })]);
    const put = mist.calls.filter((c) => c.method === 'PUT');
    expect(put).toHaveLength(1);
    expect(put[0]!.path).toBe(`/orgs/${mist.orgId}/webhooks/${before!.id}`);
    expect(mist.webhooks()).toEqual([
      expect.objectContaining({ id: before!.id, url: 'https://other.example.com/mist/webhook', verify_cert: false, secret: SECRET }),
    ]);
  });

  it('generates a strong secret when none is given, prints it once, and keeps it on the next run', async () => {
    const first = await webhook(['setup', '--url', URL_]);
    expect(first.code, first.stderr).toBe(0);
    const secret = mist.webhooks()[0]!.secret!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.stdout).toContain(`shown only this once): ${secret}`);
    expect(first.stdout).toContain(`MIST_WEBHOOK_SECRET='${secret}'`);

    // Sites added later get the secret the org webhook already has, and nothing is printed again.
    const second = await webhook(['setup', '--url', URL_, '--site', 'HQ']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).not.toContain(secret);
    expect(mist.webhooks().map((w) => w.secret)).toEqual([secret, secret]);
  });

  it('splits topics by for_org: the org webhook takes org topics, each --site (id or name) a webhook for the site-only ones', async () => {
    const [hq, branch] = mist.orgs[0]!.sites;
    const run = await webhook(['setup', '--url', URL_, '--site', 'HQ', '--site', branch!.id, '--json'], { MIST_WEBHOOK_SECRET: SECRET });
    expect(run.code, run.stderr).toBe(0);
    const hooks = mist.webhooks();
    expect(hooks).toHaveLength(3);
    const org = hooks.find((w) => !w.site_id)!;
    const sites = hooks.filter((w) => w.site_id);
    expect([...org.topics].sort()).toEqual([...ORG_TOPICS].sort());
    expect(sites.map((w) => w.site_id).sort()).toEqual([hq!.id, branch!.id].sort());
    for (const s of sites) {
      expect([...s.topics].sort()).toEqual([...SITE_ONLY_TOPICS].sort());
      expect(s).toMatchObject({ for_site: true, org_id: mist.orgId, secret: SECRET, verify_cert: true });
      // No topic at both levels: Mist would deliver it twice.
      expect(s.topics.filter((t) => org.topics.includes(t))).toEqual([]);
    }
    const doc = JSON.parse(run.stdout);
    expect(doc.site_only_topics_not_set_up).toEqual([]);
    expect(doc.webhooks.map((w: { scope: string; site_name?: string }) => w.site_name ?? w.scope)).toEqual(['org', 'HQ', 'Branch 1']);
  });

  it('takes --topics, sent as Mist spells them, and refuses a topic Mist does not offer', async () => {
    const ok = await webhook(['setup', '--url', URL_, '--topics', 'device_updowns,alarms', '--topics', 'site_sle', '--site', 'HQ'], {
      MIST_WEBHOOK_SECRET: SECRET,
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(mist.webhooks().map((w) => w.topics)).toEqual([['device-updowns', 'alarms'], ['site-sle']]);

    const bad = await webhook(['setup', '--url', URL_, '--topics', 'alarms,no-such-topic'], { MIST_WEBHOOK_SECRET: SECRET });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Mist offers no topic "no-such-topic"');
    const nowhere = await webhook(['setup', '--url', URL_, '--topics', 'client-latency'], { MIST_WEBHOOK_SECRET: SECRET });
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain('nothing to set up: client-latency can only go to a site webhook; give --site ID|NAME or --all-sites');
  });

  it('warns when the URL is not https, and refuses what is not a URL', async () => {
    const plain = await webhook(['setup', '--url', 'http://bridge.example.com/mist/webhook'], { MIST_WEBHOOK_SECRET: SECRET });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/^warning: http:\/\/bridge\.example\.com\/mist\/webhook is not https/m);

    const bad = await webhook(['setup', '--url', 'bridge.example.com'], { MIST_WEBHOOK_SECRET: SECRET });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--url "bridge.example.com" is not a URL');
    const missing = await webhook(['setup']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('webhook setup needs --url');
    expect(missing.stderr).toContain('usage: mist-otel-bridge webhook setup');
  });
});

describe('the org to work on', () => {
  it('comes from GET /self when the token has one org, else the command lists the orgs', async () => {
    await mist.close();
    mist = await startMistRest({
      orgs: [
        { id: 'org-a', name: 'Org A', sites: [] },
        { id: 'org-b', name: 'Org B', sites: [] },
      ],
    });
    tokens.push(mist.token);
    const ambiguous = await webhook(['list']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(
      'the API token has privileges on 2 orgs; give --org <org id> or set MIST_ORG_ID to one of:\n  org-a  Org A\n  org-b  Org B',
    );

    const byEnv = await webhook(['list', '--json'], { MIST_ORG_ID: 'org-b' });
    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(JSON.parse(byEnv.stdout)).toMatchObject({ ok: true, org_id: 'org-b', org_from: 'MIST_ORG_ID', webhooks: [] });
    const byFlag = await webhook(['list', '--json', '--org', 'org-a'], { MIST_ORG_ID: 'org-b' });
    expect(JSON.parse(byFlag.stdout)).toMatchObject({ org_id: 'org-a', org_from: '--org' });
  });
});

describe("Mist's refusals reach the user verbatim, with exit codes", () => {
  it('401 for a token Mist does not accept: exit 3', async () => {
    const run = await webhook(['list'], { MIST_API_TOKEN: 'not-the-right-token' });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('mist-otel-bridge webhook: Mist answered 401 to GET /api/v1/self: Authentication credentials were not provided.\n');
    expect(run.stderr).not.toContain('not-the-right-token');
  });

  it('403 for an org the token has no privilege on, and --json says it too', async () => {
    const run = await webhook(['list', '--org', 'someone-elses-org', '--json']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('Mist answered 403 to GET /api/v1/orgs/someone-elses-org/webhooks: You do not have permission to perform this action.');
    expect(JSON.parse(run.stdout)).toEqual({
      ok: false,
      error: {
        kind: 'denied',
        exit_code: 3,
        status: 403,
        message: 'Mist answered 403 to GET /api/v1/orgs/someone-elses-org/webhooks: You do not have permission to perform this action.',
      },
    });
  });

  it('waits out a 429 and goes on', async () => {
    mist.fail({ path: '/const/webhook_topics', status: 429, times: 1 });
    const run = await webhook(['setup', '--url', URL_], { MIST_WEBHOOK_SECRET: SECRET });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /Mist answered 429 to GET \/api\/v1\/const\/webhook_topics: Too Many Request\. The API Token used for the request reached the 5000 API Calls per hour threshold; waiting \d s before trying again/,
    );
    expect(mist.calls.filter((c) => c.path === '/const/webhook_topics').map((c) => c.status)).toEqual([429, 200]);
    expect(mist.webhooks()).toHaveLength(1);
  });

  it('no token, or a bad MIST_API_URL: exit 2 before any call', async () => {
    const noToken = await webhook(['list'], { MIST_API_TOKEN: '' });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('MIST_API_TOKEN is not set');
    const plainHttp = await webhook(['list'], { MIST_API_URL: 'http://api.example.com' });
    expect(plainHttp.code).toBe(2);
    expect(plainHttp.stderr).toContain('plain http to api.example.com would send the API token unencrypted');
    expect(mist.calls).toEqual([]);
  });
});

describe('webhook list, ping and delete', () => {
  it('list --json shows every webhook of the org and the sites given, never the secret', async () => {
    await webhook(['setup', '--url', URL_, '--site', 'HQ'], { MIST_WEBHOOK_SECRET: SECRET });
    const run = await webhook(['list', '--site', 'HQ', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain(SECRET);
    const doc = JSON.parse(run.stdout);
    expect(doc.webhooks).toHaveLength(2);
    expect(doc.webhooks[0]).toMatchObject({
      scope: 'org',
      scope_id: mist.orgId,
      name: 'mist-otel-bridge',
      url: URL_,
      enabled: true,
      verify_cert: true,
      secret: 'set',
      type: 'http-post',
    });
    expect(doc.webhooks[1]).toMatchObject({ scope: 'site', site_name: 'HQ', secret: 'set', topics: expect.arrayContaining(['site-sle']) });

    const human = await webhook(['list', '--all-sites']);
    expect(human.stdout).toMatch(/^org \S+: 1 webhook\n {2}mist-otel-bridge {2}id \S+ {2}enabled {2}https:\/\/bridge\.example\.com\/mist\/webhook\n/);
    expect(human.stdout).toContain('site "HQ" (5b000000-0000-4000-8000-000000000001): 1 webhook');
    expect(human.stdout).toContain('site "Branch 2" (5b000000-0000-4000-8000-000000000003): no webhooks');
  });

  it('ping makes Mist post the ping topic to a running bridge, which accepts its signature and exports it', async () => {
    const bridge = await spawnBridge({ MIST_WEBHOOK_SECRET: SECRET, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BLRP_SCHEDULE_DELAY: '100' });
    try {
      const url = `${bridge.url}/mist/webhook`;
      expect((await webhook(['setup', '--url', url], { MIST_WEBHOOK_SECRET: SECRET })).code).toBe(0);
      const run = await webhook(['ping', 'mist-otel-bridge']);
      expect(run.code, run.stderr).toBe(0);
      const [hook] = mist.webhooks();
      expect(run.stdout).toContain(`pinged "mist-otel-bridge" (id ${hook!.id}); Mist now posts the ping topic to ${url}`);

      const [delivery] = await mist.waitForDeliveries(1);
      expect(delivery!.headers['x-mist-signature-v2']).toMatch(/^[0-9a-f]{64}$/);
      expect(delivery!.status).toBe(200);
      expect(JSON.parse(delivery!.response)).toMatchObject({ status: 'accepted', topic: 'ping', events: 1 });
      await receiver.waitFor(() => receiver.logs.some((l) => l.eventName === 'mist.webhook.ping'));
      const log = receiver.logs.find((l) => l.eventName === 'mist.webhook.ping')!;
      expect(log.body).toBe('webhook test from mist-otel-bridge');

      // The same ping signed with another secret is refused: the bridge really checked it.
      expect((await webhook(['setup', '--url', url], { MIST_WEBHOOK_SECRET: 'not-the-bridges-secret' })).code).toBe(0);
      expect((await webhook(['ping', hook!.id])).code).toBe(0);
      const [, refused] = await mist.waitForDeliveries(2);
      expect(refused!.status).toBe(401);
      expect(JSON.parse(refused!.response)).toMatchObject({ error: 'signature_invalid' });
    } finally {
      bridge.child.kill('SIGTERM');
      await bridge.exit();
    }
  });

  it('delete removes the webhooks of that name (org and the sites given); a name that is gone exits 4', async () => {
    await webhook(['setup', '--url', URL_, '--site', 'HQ'], { MIST_WEBHOOK_SECRET: SECRET });
    await webhook(['setup', '--url', URL_, '--name', 'keep-me'], { MIST_WEBHOOK_SECRET: SECRET });
    expect(mist.webhooks()).toHaveLength(3);
    const run = await webhook(['delete', 'mist-otel-bridge', '--site', 'HQ', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).deleted.map((d: { scope: string }) => d.scope)).toEqual(['org', 'site']);
    expect(mist.webhooks().map((w) => w.name)).toEqual(['keep-me']);

    const again = await webhook(['delete', 'mist-otel-bridge']);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('no webhook named or with id "mist-otel-bridge"');
    const ping = await webhook(['ping', 'mist-otel-bridge', '--json']);
    expect(ping.code).toBe(4);
    expect(JSON.parse(ping.stdout).error.kind).toBe('notFound');
  });
});
