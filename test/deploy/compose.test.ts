/**
 * compose.yaml without a Docker engine: valid YAML whose services, ports, mounted files and the
 * addresses the services give each other all exist and agree with the files they point at.
 */
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerfileInstructions } from './dockerfile.js';
import { readRepoText, readRepoYaml, repoFileExists, repoPath } from './repo.js';

interface Service {
  profiles?: string[];
  command?: string[];
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: string[] | Record<string, unknown>;
  stop_grace_period?: string;
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = readRepoYaml<Compose>('compose.yaml');
const services = compose.services;
const collectorConfig = readRepoYaml<{ receivers: { otlp: { protocols: { http: { endpoint: string } } } } }>('otel-collector.yaml');
const defaults = readRepoYaml<{ server: { port: number; path: string; shutdownTimeoutMs: number } }>('config/default.yaml');

/** "host:container[:mode]" split; a host part without ./ or / is a named volume. */
function mounts(service: Service) {
  return (service.volumes ?? []).map((spec) => {
    const [source, target, mode] = spec.split(':') as [string, string, string | undefined];
    return { source, target, mode, bind: source.startsWith('./') || source.startsWith('/') };
  });
}

/** Container ports a service publishes ("[ip:]host:container"). */
const publishedContainerPorts = (service: Service): number[] => (service.ports ?? []).map((p) => Number(p.split(':').at(-1)));

const portOf = (endpoint: string): number => Number(endpoint.split(':').at(-1));

function seconds(duration: string): number {
  const m = /^(\d+)(s|m)$/.exec(duration);
  if (!m) throw new Error(`unsupported duration ${duration}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

describe('compose.yaml', () => {
  it('runs the bridge, the collector and the Grafana stack, and the demo sender only on request', () => {
    const always = Object.entries(services).filter(([, s]) => s.profiles === undefined).map(([n]) => n);
    expect(always.sort()).toEqual(['bridge', 'lgtm', 'otel-collector']);
    expect(services.demo?.profiles).toEqual(['demo']);
    expect(services['otel-collector']!.image).toMatch(/^otel\/opentelemetry-collector-contrib:\d+\.\d+\.\d+$/);
    expect(services.lgtm!.image).toMatch(/^grafana\/otel-lgtm:\d+\.\d+\.\d+$/);
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
      const deps = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
      for (const d of deps) expect(Object.keys(services), `${name} depends on ${d}`).toContain(d);
    }
  });

  it('publishes the bridge on the port it listens on and Grafana on 3000', () => {
    expect(publishedContainerPorts(services.bridge!)).toEqual([defaults.server.port]);
    expect(publishedContainerPorts(services.lgtm!)).toEqual([3000]);
  });

  it("points the bridge at the collector's OTLP/HTTP receiver", () => {
    const url = new URL(services.bridge!.environment!.OTEL_EXPORTER_OTLP_ENDPOINT!);
    expect(url.hostname).toBe('otel-collector');
    expect(Number(url.port)).toBe(portOf(collectorConfig.receivers.otlp.protocols.http.endpoint));
  });

  it("points the collector at otel-lgtm's OTLP/HTTP port and sets every variable its config needs", () => {
    const env = services['otel-collector']!.environment!;
    const url = new URL(env.OTLP_BACKEND_ENDPOINT!);
    expect(url.hostname).toBe('lgtm');
    expect(url.port).toBe('4318');
    const required = [...readRepoText('otel-collector.yaml').matchAll(/\$\{env:([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!);
    for (const v of required) expect(Object.keys(env), v).toContain(v);
  });

  it("gives the collector otel-collector.yaml at the contrib image's default config path", () => {
    expect(mounts(services['otel-collector']!)).toContainEqual(
      expect.objectContaining({ source: './otel-collector.yaml', target: '/etc/otelcol-contrib/config.yaml' }),
    );
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

  it("keeps the bridge's durable data in a volume at the image's data directory", () => {
    const instructions = dockerfileInstructions(readRepoText('Dockerfile'));
    const finalStage = instructions.slice(instructions.map((i) => i.keyword).lastIndexOf('FROM'));
    const volume = finalStage.find((i) => i.keyword === 'VOLUME')!;
    const dataDir = (JSON.parse(volume.args) as string[])[0]!;
    const target = mounts(services.bridge!).find((m) => !m.bind)?.target;
    expect(target).toBe(dataDir);
  });

  it('requires the webhook secret instead of defaulting to a guessable one', () => {
    expect(services.bridge!.environment!.MIST_WEBHOOK_SECRET).toMatch(/^\$\{MIST_WEBHOOK_SECRET:\?.+\}$/);
    expect(services.demo!.environment!.MIST_WEBHOOK_SECRET).toBe(services.bridge!.environment!.MIST_WEBHOOK_SECRET);
  });

  it("runs the demo sender against the bridge's webhook, once the bridge is healthy", () => {
    const demo = services.demo!;
    const url = new URL(demo.environment!.BRIDGE_URL!);
    expect(url.hostname).toBe('bridge');
    expect(Number(url.port)).toBe(defaults.server.port);
    expect(url.pathname).toBe(defaults.server.path);
    expect(demo.depends_on).toEqual({ bridge: { condition: 'service_healthy' } });
    const script = mounts(demo).find((m) => m.target === demo.command!.at(-1));
    expect(script?.source).toBe('./deploy/demo/send-deliveries.mjs');
  });

  it('lets the bridge finish its shutdown flush before docker stop kills it', () => {
    expect(seconds(services.bridge!.stop_grace_period!) * 1000).toBeGreaterThan(defaults.server.shutdownTimeoutMs);
  });
});
