import { parseArgs } from 'node:util';
import { type Bridge, startBridge } from '../bridge.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { BridgeConfig } from '../config/schema.js';
import { JournalOpenError } from '../durability/journal.js';
import { JOURNAL_USAGE, journalCommand } from '../durability/journal-command.js';
import { createLogger } from '../log/logger.js';
import { checkMappings } from '../mapping/check.js';
import { MappingError } from '../mapping/loader.js';
import { BudgetError } from '../mist-api/budget.js';
import { MistConfigError } from '../mist-api/errors.js';
import { checkHealth } from './healthcheck.js';

const USAGE = `usage: mist-otel-bridge [start] [--config FILE]
       mist-otel-bridge check-mappings [DIR] [--config FILE]   validate mapping files (DIR: your mappings directory)
       mist-otel-bridge healthcheck [--config FILE]   exit 0 when the bridge this configuration describes answers GET /healthz
       mist-otel-bridge webhook setup|list|ping|delete …      set up Mist's webhook over its API (webhook --help)
       ${JOURNAL_USAGE}

Receives Juniper Mist webhooks and exports them as OpenTelemetry logs, metrics and traces.
Configuration: config/default.yaml, overlaid by --config FILE (or the file MIST_BRIDGE_CONFIG names),
overlaid by environment variables.`;

/** A configuration or mapping problem: one line each, no stack trace. */
function reportProblems(err: ConfigError | MappingError): number {
  for (const line of err.problems) process.stderr.write(`mist-otel-bridge: ${line}\n`);
  return 1;
}

async function main(): Promise<number> {
  // `webhook` has options of its own, and needs no bridge configuration.
  if (process.argv[2] === 'webhook') return (await import('./webhook.js')).webhookCommand(process.argv.slice(3));
  const { values, positionals } = parseArgs({
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const command = positionals[0] ?? 'start';
  if (command !== 'start' && command !== 'check-mappings' && command !== 'healthcheck' && command !== 'journal') {
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }

  let config: BridgeConfig;
  try {
    // check-mappings, healthcheck and journal start nothing, so they need no webhook secret.
    const overrides =
      command === 'check-mappings'
        ? { security: { allowUnsigned: true }, ...(positionals[1] ? { mappings: { dir: positionals[1] } } : {}) }
        : command === 'healthcheck' || command === 'journal'
          ? { security: { allowUnsigned: true } }
          : undefined;
    // MIST_BRIDGE_CONFIG lets a probe started beside the bridge (the image's HEALTHCHECK) read the
    // same overlay file as the bridge, which it cannot learn from the bridge's command line.
    config = loadConfig({ file: values.config ?? (process.env.MIST_BRIDGE_CONFIG || undefined), overrides });
  } catch (err) {
    if (err instanceof ConfigError) return reportProblems(err);
    throw err;
  }
  if (command === 'check-mappings') {
    const { ok, report } = checkMappings(config.mappings.dir);
    (ok ? process.stdout : process.stderr).write(report + '\n');
    return ok ? 0 : 1;
  }
  if (command === 'healthcheck') {
    const { ok, message } = await checkHealth(config.server);
    (ok ? process.stdout : process.stderr).write(message + '\n');
    return ok ? 0 : 1;
  }
  const log = createLogger(config.log.level);
  if (command === 'journal') {
    const { code, out } = await journalCommand(positionals.slice(1), config, log);
    (code === 0 ? process.stdout : process.stderr).write(out + '\n');
    return code;
  }
  // A stray rejection in a library callback is a bug to report, not a reason to drop what was
  // accepted: log it and keep serving.
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: String(reason) }));
  // Listening before the bridge starts: a stop asked for during start-up (a long journal replay,
  // an orchestrator giving up) is a clean stop once it has started, not the default hard exit.
  const stopRequested = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info('shutting down', { signal });
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  let bridge: Bridge;
  try {
    bridge = await startBridge(config, log);
  } catch (err) {
    if (err instanceof MappingError || err instanceof ConfigError) return reportProblems(err);
    if (err instanceof JournalOpenError || err instanceof BudgetError || err instanceof MistConfigError) {
      process.stderr.write(`mist-otel-bridge: ${err.message}\n`);
      return 1;
    }
    throw err;
  }

  await stopRequested;
  const flushed = await bridge.stop();
  return flushed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`mist-otel-bridge: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
