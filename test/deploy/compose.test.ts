/**
 * compose.yaml without a Docker engine: valid YAML whose services, ports, mounted files, volumes and
 * the addresses the services give each other all exist and agree with the files they point at;
 * interpolated as Compose interpolates it for every command, with and without the user's .env.
 */
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STREAM_PATH } from '../../deploy/demo/mist-stand-in.mjs';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { buildResource } from '../../src/signals/providers.js';
import { streamSettings } from '../../src/sources/stream/config.js';
import { dotenvAssignments, interpolate, interpolateTree, references } from './compose-env.js';
import { dockerfileInstructions } from './dockerfile.js';
import { parseYamlStrict, readRepoText, readRepoYaml, repoFileExists, repoPath } from './repo.js';

interface Service {
  profiles?: string[];
  command?: string[];
  entrypoint?: string[];
  user?: string;
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  stop_grace_period?: string;
  network_mode?: string;
  healthcheck?: { test: string[] };
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const composeText = readRepoText('compose.yaml');
const envExample = dotenvAssignments(readRepoText('.env.example'));
/** compose.yaml as written (variables not interpolated). */
const raw = parseYamlStrict<Compose>(composeText);
/** compose.yaml as Compose reads it with no variable set: what `down`, `logs`, `ps` see without a .env. */
const compose = interpolateTree(raw, {});
const services = compose.services;
const collectorConfig = readRepoYaml<{
  receivers: { otlp: { protocols: { http: { endpoint: string } } } };
  extensions: Record<string, { directory?: string }>;
}>('otel-collector.yaml');
const defaults = readRepoYaml<{ server: { port: number; path: string; shutdownTimeoutMs: number } }>('config/default.yaml');

/** "host:container[:mode]" split; a host part without ./ or / is a named volume. */
function mounts(service: Service) {
  return (service.volumes ?? []).map((spec) => {
    const [source, target, mode] = spec.split(':') as [string, string, string | undefined];
    return { source, target, mode, bind: source.startsWith('./') || source.startsWith('/') };
  });
}

/** The repository file a service's command runs: its last argument, inside one of its bind mounts. */
/** Where a path in the service's container comes from in the repository, through its bind mounts. */
function hostPath(service: Service, path: string): string | undefined {
  const mount = mounts(service).find((m) => m.bind && (path === m.target || path.startsWith(`${m.target}/`)));
  return mount && posix.join(mount.source, path.slice(mount.target.length));
}

function scriptOf(service: Service): string | undefined {
  return hostPath(service, service.command!.at(-1)!);
}

/**
 * The repository files a service's script imports, followed import by import (relative ones), each
 * checked to be mounted where the import looks for it, from the file the repository has there.
 */
function importsMounted(service: Service): string[] {
  const found: string[] = [];
  const visit = (inContainer: string, inRepository: string | undefined) => {
    const file = hostPath(service, inContainer);
    expect(file, `${inContainer} is mounted`).toBeDefined();
    if (inRepository !== undefined) expect(file, inContainer).toBe(inRepository);
    if (found.includes(file!)) return;
    expect(repoFileExists(file!), file).toBe(true);
    found.push(file!);
    for (const m of readRepoText(file!).matchAll(/^import .* from '(\.{1,2}\/[^']+)';$/gm))
      visit(posix.join(posix.dirname(inContainer), m[1]!), posix.join(posix.dirname(file!), m[1]!));
  };
  visit(service.command!.at(-1)!, undefined);
  return found.slice(1);
}

const dependencies = (service: Service): string[] => [
  ...(Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {})),
  // network_mode: service:<name> needs that service running too.
  ...(service.network_mode?.startsWith('service:') ? [service.network_mode.slice('service:'.length)] : []),
];

/** Container ports a service publishes ("[ip:]host:container"). */
const publishedContainerPorts = (service: Service): number[] => (service.ports ?? []).map((p) => Number(p.split(':').at(-1)));

const portOf = (endpoint: string): number => Number(endpoint.split(':').at(-1));

function seconds(duration: string): number {
  const m = /^(\d+)(s|m)$/.exec(duration);
  if (!m) throw new Error(`unsupported duration ${duration}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

/** The collector image's user (USER ${USER_UID} in open-telemetry/opentelemetry-collector-releases distributions/otelcol-contrib/Dockerfile, v0.159.0). */
const COLLECTOR_IMAGE_UID = '10001';

describe('compose.yaml', () => {
  it('runs the bridge, the collector (after its queue volume is handed over) and the Grafana stack; the demo only on request', () => {
    const always = Object.entries(services)
      .filter(([, s]) => s.profiles === undefined)
      .map(([n]) => n);
    expect(always.sort()).toEqual(['bridge', 'collector-queue-init', 'lgtm', 'otel-collector']);
    const demo = Object.entries(services).filter(([, s]) => s.profiles !== undefined);
    expect(demo.map(([n]) => n).sort()).toEqual(['demo', 'demo-mist', 'demo-stream-bridge']);
    for (const [, s] of demo) expect(s.profiles).toEqual(['demo']);
  });

  it("builds the bridge from this repository's Dockerfile", () => {
    const build = services.bridge!.build;
    const context = typeof build === 'string' ? build : build!.context;
    const dockerfile = typeof build === 'string' ? 'Dockerfile' : (build!.dockerfile ?? 'Dockerfile');
    expect(repoFileExists(`${context}/${dockerfile}`)).toBe(true);
  });

  it('mounts only files and folders that exist, named volumes it declares', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const m of mounts(service)) {
        if (m.bind) {
          expect(repoFileExists(m.source), `${name}: ${m.source}`).toBe(true);
          // A file mounted where a file is expected, a folder where a folder is.
          const isFile = statSync(repoPath(m.source)).isFile();
          expect(isFile, `${name}: ${m.source} → ${m.target}`).toBe(/\.(ya?ml|json|mjs)$/.test(m.target));
          expect(m.mode, `${name}: ${m.source} should be read-only`).toBe('ro');
        } else {
          expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${m.source}`).toContain(m.source);
        }
      }
    }
  });

  it('depends only on services it defines', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const d of dependencies(service)) expect(Object.keys(services), `${name} depends on ${d}`).toContain(d);
    }
  });

  it('publishes the bridge on the port it listens on and Grafana on 3000, on this machine only', () => {
    expect(publishedContainerPorts(services.bridge!)).toEqual([defaults.server.port]);
    expect(publishedContainerPorts(services.lgtm!)).toEqual([3000]);
    expect(services.lgtm!.ports).toEqual(['127.0.0.1:3000:3000']);
  });

  it("points the bridge at the collector's OTLP/HTTP receiver", () => {
    const url = new URL(services.bridge!.environment!.OTEL_EXPORTER_OTLP_ENDPOINT!);
    expect(url.hostname).toBe('otel-collector');
    expect(Number(url.port)).toBe(portOf(collectorConfig.receivers.otlp.protocols.http.endpoint));
  });

  it("points the collector at otel-lgtm's OTLP/HTTP port by default and sets every variable its config reads", () => {
    const env = services['otel-collector']!.environment!;
    const url = new URL(env.OTLP_BACKEND_ENDPOINT!);
    expect(url.hostname).toBe('lgtm');
    expect(url.port).toBe('4318');
    // Empty: the collector parses it as no header map at all.
    expect(env.OTLP_BACKEND_HEADERS).toBe('');
    const read = [...readRepoText('otel-collector.yaml').matchAll(/\$\{env:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
    expect(read.length).toBeGreaterThan(0);
    for (const v of read) expect(Object.keys(env), v).toContain(v);
  });

  it("gives the collector otel-collector.yaml at the contrib image's default config path", () => {
    expect(mounts(services['otel-collector']!)).toContainEqual(
      expect.objectContaining({ source: './otel-collector.yaml', target: '/etc/otelcol-contrib/config.yaml' }),
    );
  });

  it("keeps the collector's persistent queue in a volume at the file_storage directory, owned by the collector's user", () => {
    const directories = Object.entries(collectorConfig.extensions)
      .filter(([id]) => id.split('/')[0] === 'file_storage')
      .map(([, e]) => e.directory!);
    expect(directories).toHaveLength(1);
    const queue = mounts(services['otel-collector']!).find((m) => m.target === directories[0]);
    expect(queue, `a mount at ${directories[0]}`).toBeDefined();
    expect(queue!.bind, 'a named volume').toBe(false);
    // A new named volume belongs to root; the collector runs as 10001 and could not write to it.
    const init = services['collector-queue-init']!;
    expect(mounts(init)).toContainEqual(expect.objectContaining({ source: queue!.source, target: queue!.target }));
    expect(init.user).toBe('0:0');
    expect(init.entrypoint).toEqual(['chown', '-R', `${COLLECTOR_IMAGE_UID}:${COLLECTOR_IMAGE_UID}`, queue!.target]);
    expect(services['otel-collector']!.depends_on).toMatchObject({ 'collector-queue-init': { condition: 'service_completed_successfully' } });
  });

  it('provisions the dashboards where the provider file looks for them', () => {
    const lgtm = mounts(services.lgtm!);
    const provider = lgtm.find((m) => m.target.startsWith('/otel-lgtm/grafana/conf/provisioning/dashboards/'));
    expect(provider, 'dashboard provider mount').toBeDefined();
    const providers = readRepoYaml<{ providers: { options: { path: string } }[] }>(provider!.source.slice(2)).providers;
    for (const p of providers) {
      const folder = lgtm.find((m) => m.target === p.options.path);
      expect(folder, `mount for ${p.options.path}`).toBeDefined();
      expect(statSync(repoPath(folder!.source)).isDirectory()).toBe(true);
    }
  });

  it("lets anonymous visitors view Grafana but not administer it (otel-lgtm's run-grafana.sh makes them Admin unless told)", () => {
    const env = services.lgtm!.environment!;
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toBe('admin');
    expect(interpolateTree(raw, { GRAFANA_ADMIN_PASSWORD: 's3cret' }).services.lgtm!.environment!.GF_SECURITY_ADMIN_PASSWORD).toBe('s3cret');
  });

  it("keeps the bridge's durable data in a volume at the image's data directory", () => {
    const instructions = dockerfileInstructions(readRepoText('Dockerfile'));
    const finalStage = instructions.slice(instructions.map((i) => i.keyword).lastIndexOf('FROM'));
    const volume = finalStage.find((i) => i.keyword === 'VOLUME')!;
    const dataDir = (JSON.parse(volume.args) as string[])[0]!;
    const target = mounts(services.bridge!).find((m) => !m.bind)?.target;
    expect(target).toBe(dataDir);
  });

  it('gives the bridge a service.instance.id that survives re-creating its container', () => {
    const attributes = services.bridge!.environment!.OTEL_RESOURCE_ATTRIBUTES!;
    const id = /(?:^|,)service\.instance\.id=([^,]+)/.exec(attributes)?.[1];
    expect(id, 'a fixed service.instance.id').toBeTruthy();
    // The bridge's resource really takes it over its host-name default.
    const config = loadConfig({ env: { MIST_BRIDGE_ALLOW_UNSIGNED: 'true', OTEL_RESOURCE_ATTRIBUTES: attributes } });
    expect(buildResource(config.resource).attributes['service.instance.id']).toBe(id);
  });

  it('passes the webhook secret through without requiring it, and the bridge refuses to run without one', () => {
    expect(raw.services.bridge!.environment!.MIST_WEBHOOK_SECRET).toBe('${MIST_WEBHOOK_SECRET:-}');
    expect(raw.services.demo!.environment!.MIST_WEBHOOK_SECRET).toBe(raw.services.bridge!.environment!.MIST_WEBHOOK_SECRET);
    expect(() => loadConfig({ env: { MIST_WEBHOOK_SECRET: '' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { MIST_WEBHOOK_SECRET: '' } })).toThrow(/set MIST_WEBHOOK_SECRET/);
  });

  it('interpolates for every command with no variable set (down, logs and ps need no secret)', () => {
    expect(() => interpolateTree(raw, {})).not.toThrow();
    for (const r of references(composeText)) expect(r.operator, `\${${r.name}${r.operator}…} fails every command while unset`).not.toMatch(/\?/);
    // The check sees a required variable for what it is.
    expect(() => interpolate('a: ${X:?set X}', {})).toThrow(/X/);
    expect(references('a: ${X:?set X} $$ $Y')).toEqual([
      { name: 'X', operator: ':?', argument: 'set X' },
      { name: 'Y', operator: '', argument: '' },
    ]);
  });

  it('.env.example names every variable compose.yaml reads, and only those', () => {
    const read = new Set(references(composeText).map((r) => r.name));
    const named = new Set(envExample.map((a) => a.name));
    expect([...named].sort()).toEqual([...read].sort());
    // Copied as it is, it leaves only the secret to fill in, and interpolates cleanly.
    expect(envExample.filter((a) => a.active).map((a) => a.name)).toEqual(['MIST_WEBHOOK_SECRET']);
    const env = Object.fromEntries(envExample.filter((a) => a.active).map((a) => [a.name, a.value]));
    const filled = interpolateTree(raw, { ...env, MIST_WEBHOOK_SECRET: 'from-env-file' });
    expect(filled.services.bridge!.environment!.MIST_WEBHOOK_SECRET).toBe('from-env-file');
  });

  it('the commented examples in .env.example are values the services accept', () => {
    const example = Object.fromEntries(envExample.map((a) => [a.name, a.value]));
    const filled = interpolateTree(raw, example);
    const env = filled.services['otel-collector']!.environment!;
    expect(new URL(env.OTLP_BACKEND_ENDPOINT!).protocol).toBe('https:');
    // The collector parses the variable as YAML: it must be a map of header names to strings.
    const headers = parseYamlStrict<unknown>(env.OTLP_BACKEND_HEADERS!);
    expect(headers).toEqual({ Authorization: expect.stringMatching(/^Basic /) });
  });

  it("runs the demo sender against the bridge's webhook, once the bridge is healthy", () => {
    const demo = services.demo!;
    const url = new URL(demo.environment!.BRIDGE_URL!);
    expect(url.hostname).toBe('bridge');
    expect(Number(url.port)).toBe(defaults.server.port);
    expect(url.pathname).toBe(defaults.server.path);
    expect(demo.depends_on).toEqual({ bridge: { condition: 'service_healthy' } });
    expect(scriptOf(demo)).toBe('deploy/demo/send-deliveries.mjs');
    // The demo's organisation, the project's payload generator and signer.
    expect(importsMounted(demo)).toEqual(expect.arrayContaining(['deploy/demo/demo-org.mjs', 'mist-payloads/sign.mjs', 'mist-payloads/webhook.mjs']));
  });

  it("passes the stream's settings through from .env, and leaves the stream off while they are empty", () => {
    const env = services.bridge!.environment!;
    for (const v of ['MIST_API_TOKEN', 'MIST_API_URL', 'MIST_ORG_ID']) expect(raw.services.bridge!.environment![v], v).toBe(`\${${v}:-}`);
    const off = loadConfig({ env: { ...env, MIST_WEBHOOK_SECRET: 's' } });
    expect(streamSettings(off).enabled).toBe(false);
    const example = Object.fromEntries(envExample.map((a) => [a.name, a.value]));
    const on = loadConfig({ env: { ...interpolateTree(raw, example).services.bridge!.environment!, MIST_WEBHOOK_SECRET: 's' } });
    expect(streamSettings(on)).toMatchObject({ enabled: true, apiUrl: 'https://api.eu.mist.com', wsUrl: 'wss://api-ws.eu.mist.com/api-ws/v1/stream' });
  });

  it("runs the demo's stand-in of Mist from the bridge's image, where the WebSocket library it imports is installed", () => {
    const standIn = services['demo-mist']!;
    // The image the bridge service builds, not one to pull.
    expect(standIn.image).toBe(services.bridge!.image);
    expect(standIn.build).toBeUndefined();
    expect(scriptOf(standIn)).toBe('deploy/demo/mist-stand-in.mjs');
    // Node resolves `ws` from /app/demo/… in /app/node_modules: the final stage's WORKDIR and node_modules copy.
    const instructions = dockerfileInstructions(readRepoText('Dockerfile'));
    const finalStage = instructions.slice(instructions.map((i) => i.keyword).lastIndexOf('FROM'));
    expect(finalStage.find((i) => i.keyword === 'WORKDIR')?.args).toBe('/app');
    expect(finalStage.some((i) => i.keyword === 'COPY' && /\/app\/node_modules \.\/node_modules$/.test(i.args))).toBe(true);
    expect(mounts(standIn).find((m) => m.source === './deploy/demo')?.target).toBe('/app/deploy/demo');
    // Its statistics are the project's payload generator's.
    expect(importsMounted(standIn)).toEqual(expect.arrayContaining(['deploy/demo/mist-stats.mjs', 'mist-payloads/stream.mjs']));
    const pkg = JSON.parse(readRepoText('package.json')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toContain('ws');
    expect(readRepoText('deploy/demo/mist-stand-in.mjs')).toMatch(/from 'ws';/);
    // Its own health check asks the port it listens on (the image's would ask for a bridge).
    const port = standIn.environment!.PORT!;
    expect(standIn.healthcheck!.test.join(' ')).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(standIn.environment!.HOST).toBe('127.0.0.1');
  });

  it('streams the stand-in with a second bridge in its network namespace, exporting to the collector', () => {
    const standIn = services['demo-mist']!;
    const streamer = services['demo-stream-bridge']!;
    expect(streamer.image).toBe(services.bridge!.image);
    expect(streamer.network_mode).toBe('service:demo-mist');
    expect(streamer.depends_on).toMatchObject({ 'demo-mist': { condition: 'service_healthy' } });
    const env = streamer.environment!;
    expect(env.MIST_API_TOKEN).toBe(standIn.environment!.MIST_API_TOKEN);
    const api = new URL(env.MIST_API_URL!);
    const ws = new URL(env.MIST_WS_URL!);
    for (const url of [api, ws]) {
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.port).toBe(standIn.environment!.PORT);
    }
    expect(ws.pathname).toBe(STREAM_PATH);
    expect(new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT!).hostname).toBe('otel-collector');
    // Its own series: a service.instance.id that is not the main bridge's.
    expect(env.OTEL_RESOURCE_ATTRIBUTES).toMatch(/service\.instance\.id=/);
    expect(env.OTEL_RESOURCE_ATTRIBUTES).not.toBe(services.bridge!.environment!.OTEL_RESOURCE_ATTRIBUTES);
    // The bridge takes this configuration as it is: no webhook (so no secret), the stream on.
    const config = loadConfig({ env });
    expect(config.webhook.enabled).toBe(false);
    expect(streamSettings(config)).toMatchObject({ enabled: true, apiUrl: api.origin, wsUrl: ws.href });
    expect(seconds(streamer.stop_grace_period!) * 1000).toBeGreaterThan(defaults.server.shutdownTimeoutMs);
  });

  it('lets the bridge finish its shutdown flush before docker stop kills it', () => {
    expect(seconds(services.bridge!.stop_grace_period!) * 1000).toBeGreaterThan(defaults.server.shutdownTimeoutMs);
  });
});
