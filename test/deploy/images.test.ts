/**
 * Every image compose.yaml and the Dockerfile use is pinned to a version its upstream confirms
 * exists, never to a moving tag. CONFIRMED says where each was confirmed; bumping an image means
 * finding the same evidence for the new tag and updating this list with it.
 */
import { describe, expect, it } from 'vitest';
import { dockerfileInstructions } from './dockerfile.js';
import { readRepoText, readRepoYaml } from './repo.js';

const CONFIRMED: Record<string, { tag: string; evidence: string }> = {
  'otel/opentelemetry-collector-contrib': {
    tag: '0.159.0',
    evidence:
      'open-telemetry/opentelemetry-collector-releases tag v0.159.0: CHANGELOG.md "## v0.159.0", ' +
      'distributions/otelcol-contrib/.goreleaser.yaml image_templates otel/opentelemetry-collector-contrib:{{ .Version }}, ' +
      'manifest.yaml listing filestorage, spanmetricsconnector, otlphttpexporter, memorylimiterprocessor at v0.159.0',
  },
  'grafana/otel-lgtm': {
    tag: '0.30.2',
    evidence:
      'grafana/docker-otel-lgtm tag v0.30.2; its Renovate commit 8388f791 (docker datasource, grafana/otel-lgtm 0.30.1 → 0.30.2) ' +
      "pins grafana/otel-lgtm:0.30.2@sha256:069e79be… in the repository's own examples",
  },
  node: {
    tag: '24.19.0-trixie-slim',
    evidence: 'nodejs/docker-node 24/trixie-slim/Dockerfile ENV NODE_VERSION=24.19.0 (commit fd1bf45c); stackbrew.js tags it <full version>-<variant>',
  },
};

const compose = readRepoYaml<{ services: Record<string, { image?: string; build?: unknown }> }>('compose.yaml');
const dockerfile = dockerfileInstructions(readRepoText('Dockerfile'));
const nodeImageArg = /^NODE_IMAGE=(\S+)$/.exec(dockerfile.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='))!.args)![1]!;

function split(reference: string): { repository: string; tag: string } {
  const m = /^([^:@]+):([^@]+)(@sha256:[0-9a-f]{64})?$/.exec(reference);
  if (!m) throw new Error(`${reference} has no tag`);
  return { repository: m[1]!, tag: m[2]! };
}

/** Images compose.yaml builds here (and other services then run): never pulled. */
const built = new Set(
  Object.values(compose.services)
    .filter((s) => s.build !== undefined && s.image !== undefined)
    .map((s) => s.image!),
);

/** Every image reference, with where it is used. */
const references: [where: string, reference: string][] = [
  ...Object.entries(compose.services)
    .filter(([, s]) => s.image !== undefined && s.build === undefined && !built.has(s.image))
    .map(([name, s]) => [`compose.yaml ${name}`, s.image!] as [string, string]),
  ['Dockerfile ARG NODE_IMAGE', nodeImageArg],
];

describe('image versions', () => {
  it('are the confirmed tags, exactly', () => {
    expect(references.length).toBeGreaterThanOrEqual(4);
    for (const [where, reference] of references) {
      const { repository, tag } = split(reference);
      expect(Object.keys(CONFIRMED), `${where}: ${repository} has no confirmed version`).toContain(repository);
      expect(tag, `${where}: ${repository}`).toBe(CONFIRMED[repository]!.tag);
    }
  });

  it('never float: no latest, no major-only or minor-only tag', () => {
    for (const [where, reference] of references) {
      const { tag } = split(reference);
      expect(tag, where).not.toBe('latest');
      expect(tag, where).toMatch(/^\d+\.\d+\.\d+(-[a-z0-9-]+)?$/);
    }
  });

  it('the bridge image, the queue-volume helper and the demo sender run the same Node', () => {
    const nodeUsers = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('node:'));
    expect(nodeUsers.map(([n]) => n).sort()).toEqual(['collector-queue-init', 'demo']);
    for (const [, s] of nodeUsers) expect(s.image).toBe(nodeImageArg);
  });

  it('otel-collector.yaml names the collector version compose.yaml runs', () => {
    const header = readRepoText('otel-collector.yaml').split('\n').slice(0, 3).join(' ');
    expect(header).toContain(`otelcol-contrib ${CONFIRMED['otel/opentelemetry-collector-contrib']!.tag}`);
  });
});
