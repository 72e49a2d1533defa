#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.js';
import { startBridge } from './bridge.js';
import { createLogger } from './log/logger.js';

const USAGE = `usage: mist-otel-bridge [start] [--config FILE]

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
  if (command !== 'start') {
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }

  let config;
  try {
    config = loadConfig({ file: values.config });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mist-otel-bridge: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const log = createLogger(config.log.level);
  // A stray rejection in a library callback is a bug to report, not a reason to drop what was
  // accepted: log it and keep serving.
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: String(reason) }));
  const bridge = await startBridge(config, log);

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info('shutting down', { signal });
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
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
