/**
 * deploy/demo/send-deliveries.mjs (compose profile `demo`) fills every dashboard: run against a real
 * bridge, its signed deliveries are all accepted, and every metric the dashboards query, the logs
 * they filter and the session traces they list come out of it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { beforeAll, describe, expect, it } from 'vitest';
import { dashboardFiles, queriesOf, readDashboard } from './dashboards.js';
import { emittedBy, type Emitted } from './emitted.js';
import { promRefs } from './queries.js';
import { repoPath } from './repo.js';

const SECRET = 'demo-secret';

let emitted: Emitted;
let output = '';
let exitCode: number | null = null;
beforeAll(async () => {
  emitted = await emittedBy(
    async (webhook) => {
      const child = spawn(process.execPath, [repoPath('deploy/demo/send-deliveries.mjs')], {
        env: { PATH: process.env.PATH ?? '', BRIDGE_URL: webhook, MIST_WEBHOOK_SECRET: SECRET, DEMO_ROUNDS: '2', DEMO_INTERVAL_SECONDS: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      [exitCode] = (await once(child, 'exit')) as [number | null];
    },
    { env: { MIST_WEBHOOK_SECRET: SECRET, MIST_BRIDGE_ALLOW_UNSIGNED: 'false' } },
  );
}, 60_000);

describe('the demo sender', () => {
  it('sends signed deliveries the bridge accepts, round after round', () => {
    expect(exitCode, output).toBe(0);
    expect(output).toMatch(/^round 1: (\d+)\/\1 accepted$/m);
    expect(output).toMatch(/^round 2: (\d+)\/\1 accepted$/m);
  });

  it('produces every metric the dashboards query', () => {
    const known = [...emitted.series.keys()];
    for (const file of dashboardFiles()) {
      for (const q of queriesOf(readDashboard(file)).filter((x) => x.language === 'promql')) {
        for (const m of promRefs(q.text).metrics) expect(known, `${file} ${q.where}: ${m}`).toContain(m);
      }
    }
  });

  it('produces the audit and alarm logs and the session traces the dashboards list', () => {
    const topics = new Set(emitted.logs.map((l) => l.attributes['mist.topic']));
    expect([...topics]).toEqual(expect.arrayContaining(['audits', 'alarms']));
    const roots = emitted.spans.filter((s) => s.name === 'client-session');
    expect(roots.some((s) => s.status.code === 2), 'a denied session').toBe(true);
    expect(roots.some((s) => s.status.code !== 2), 'a good session').toBe(true);
    expect(emitted.spans.map((s) => s.name)).toEqual(expect.arrayContaining(['nac-auth', 'dhcp', 'connected']));
  });
});
