#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.js';
import { startBridge } from './bridge.js';
import { journalCommand, JOURNAL_USAGE } from './durability/journal-command.js';
import { JournalOpenError } from './durability/journal.js';
import { createLogger } from './log/logger.js';
import { checkMappings } from './mapping/check.js';
import { MappingError } from './mapping/loader.js';

const USAGE = `usage: mist-otel-bridge [start] [--config FILE]
       mist-otel-bridge check-mappings [DIR] [--config FILE]   validate mapping files (DIR: your mappings directory)
       ${JOURNAL_USAGE}

Receives Juniper Mist webhooks and exports them as OpenTelemetry logs, metrics and traces.
Configuration: config/default.yaml, overlaid by --config FILE, overlaid by environment variables.`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const command = positionals[0] ?? 'start';
  if (command !== 'start' && command !== 'check-mappings' && command !== 'journal') {
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }

  let config;
  try {
    // check-mappings starts nothing, so it needs no webhook secret.
    const overrides =
      command === 'check-mappings'
        ? { security: { allowUnsigned: true }, ...(positionals[1] ? { mappings: { dir: positionals[1] } } : {}) }
        : command === 'journal'
          ? { security: { allowUnsigned: true } }
          : undefined;
    config = loadConfig({ file: values.config, overrides });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mist-otel-bridge: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (command === 'check-mappings') {
    const { ok, report } = checkMappings(config.mappings.dir);
    (ok ? process.stdout : process.stderr).write(report + '\n');
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
  let bridge;
  try {
    bridge = await startBridge(config, log);
  } catch (err) {
    if (err instanceof MappingError || err instanceof JournalOpenError) {
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
