import { z } from 'zod';
import { withRules } from './setting.js';
import { dedup } from './sections/dedup.js';
import { durability } from './sections/durability.js';
import { exportSection } from './sections/export.js';
import { log } from './sections/log.js';
import { mappings } from './sections/mappings.js';
import { OTLP_SIGNALS, otlp, timeoutKey } from './sections/otlp.js';
import { resource } from './sections/resource.js';
import { security } from './sections/security.js';
import { server } from './sections/server.js';
import { sessions } from './sections/sessions.js';

/**
 * The whole configuration: one section per concern, each declared in src/config/sections/.
 * Adding a section: write src/config/sections/<name>.ts with `section({ key: setting(…) })`,
 * add it below, run `npm run docs:config` (config/default.yaml and the README table follow).
 * The order here is the order of default.yaml and of the README table.
 */
const sections = z
  .object({
    server,
    security,
    mappings,
    export: exportSection,
    otlp,
    resource,
    durability,
    dedup,
    sessions,
    log,
  })
  .strict();

export const configSchema = withRules(sections, [
  {
    keys: ['server.shutdownTimeoutMs', 'otlp', 'durability.dir'],
    check: (c) => {
      if (c.durability.dir !== null) return undefined;
      const longest = OTLP_SIGNALS.reduce((a, b) => (c.otlp[b].timeoutMs ?? c.otlp.timeoutMs) > (c.otlp[a].timeoutMs ?? c.otlp.timeoutMs) ? b : a);
      const timeout = c.otlp[longest].timeoutMs ?? c.otlp.timeoutMs;
      if (c.server.shutdownTimeoutMs >= timeout) return undefined;
      const { key, env } = timeoutKey(c.otlp, longest);
      return (
        `server.shutdownTimeoutMs (${c.server.shutdownTimeoutMs} ms) is shorter than one OTLP export attempt (${key}, ${env}: ${timeout} ms) ` +
        'while durability.dir is unset, so a stop that gives up on an export loses its records: make server.shutdownTimeoutMs at least the ' +
        'export timeout, lower the timeout, or keep a journal (durability.dir, MIST_BRIDGE_DATA_DIR)'
      );
    },
  },
]);

export type BridgeConfig = z.output<typeof configSchema>;
export type { OtlpExportConfig, OtlpSettings, OtlpTarget } from './sections/otlp.js';
export type ResourceSettings = BridgeConfig['resource'];
