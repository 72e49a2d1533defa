import { z } from 'zod';
import { deriveStreamUrl } from '../mist-api/clouds.js';
import { dedup } from './sections/dedup.js';
import { durability } from './sections/durability.js';
import { exportSection } from './sections/export.js';
import { exporters } from './sections/exporters.js';
import { inspect } from './sections/inspect.js';
import { log } from './sections/log.js';
import { mappings } from './sections/mappings.js';
import { mist } from './sections/mist.js';
import { OTLP_SIGNALS, otlp, timeoutKey } from './sections/otlp.js';
import { resource } from './sections/resource.js';
import { security } from './sections/security.js';
import { server } from './sections/server.js';
import { sessions } from './sections/sessions.js';
import { sle } from './sections/sle.js';
import { stream } from './sections/stream.js';
import { webhook } from './sections/webhook.js';
import { withRules } from './setting.js';

/**
 * The whole configuration: one section per concern, each declared in src/config/sections/.
 * Adding a section: write src/config/sections/<name>.ts with `section({ key: setting(…) })`,
 * add it below, run `npm run docs:config` (config/default.yaml and the README table follow).
 * The order here is the order of default.yaml and of the README table.
 */
const sections = z
  .object({
    webhook,
    server,
    security,
    mappings,
    export: exportSection,
    otlp,
    exporters,
    resource,
    durability,
    dedup,
    sessions,
    mist,
    stream,
    sle,
    inspect,
    log,
  })
  .strict();

export const configSchema = withRules(sections, [
  {
    keys: ['security.secrets', 'security.allowUnsigned', 'webhook.enabled'],
    check: (c) =>
      !c.webhook.enabled || c.security.secrets.length > 0 || c.security.allowUnsigned
        ? undefined
        : 'no webhook secret configured: set MIST_WEBHOOK_SECRET to the secret entered in the Mist ' +
          'webhook settings (comma-separate several during a rotation), or set ' +
          'MIST_BRIDGE_ALLOW_UNSIGNED=true to accept unsigned deliveries (not recommended), ' +
          'or MIST_BRIDGE_WEBHOOK=false for a bridge that takes no webhooks',
  },
  {
    keys: ['stream.enabled', 'mist.apiToken'],
    check: (c) =>
      c.stream.enabled !== true || c.mist.apiToken !== null
        ? undefined
        : 'the stream is enabled (stream.enabled, MIST_BRIDGE_STREAM) but no API token is set: set MIST_API_TOKEN, or MIST_BRIDGE_STREAM=false',
  },
  {
    keys: ['sle.enabled', 'mist.apiToken'],
    check: (c) =>
      c.sle.enabled !== true || c.mist.apiToken !== null
        ? undefined
        : 'the SLE poller is enabled (sle.enabled, MIST_BRIDGE_SLE) but no API token is set: set MIST_API_TOKEN, or MIST_BRIDGE_SLE=false',
  },
  {
    keys: ['stream.wsUrl', 'mist.apiUrl', 'stream.enabled'],
    check: (c) =>
      c.stream.wsUrl !== null || (c.stream.enabled ?? c.mist.apiToken !== null) === false || deriveStreamUrl(c.mist.apiUrl) !== null
        ? undefined
        : `cannot derive the stream URL from mist.apiUrl (${c.mist.apiUrl}): its host does not start with "api."; set stream.wsUrl (MIST_WS_URL)`,
  },
  {
    keys: ['exporters.prometheusPort', 'exporters.metrics', 'server.port'],
    check: (c) =>
      c.exporters.metrics !== 'prometheus' || c.exporters.prometheusPort === 0 || c.exporters.prometheusPort !== c.server.port
        ? undefined
        : `exporters.prometheusPort (OTEL_EXPORTER_PROMETHEUS_PORT) and server.port (MIST_BRIDGE_PORT) are both ${c.server.port}: the metrics for scraping need a port of their own`,
  },
  {
    keys: ['server.shutdownTimeoutMs', 'otlp', 'durability.dir'],
    check: (c) => {
      if (c.durability.dir !== null) return undefined;
      const longest = OTLP_SIGNALS.reduce((a, b) => ((c.otlp[b].timeoutMs ?? c.otlp.timeoutMs) > (c.otlp[a].timeoutMs ?? c.otlp.timeoutMs) ? b : a));
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
