import { type Bridge, startBridge } from '../../src/bridge.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { MemoryOtlp } from './memory-otlp.js';
import type { OtlpReceiver } from './otlp-receiver.js';

export interface HarnessOptions {
  env?: Record<string, string>;
  overrides?: Record<string, unknown>;
}

/** The OTEL_* variables of this process: tests that set them there keep working. */
function otelFromProcess(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('OTEL_') && e[1] !== undefined));
}

/**
 * A real bridge on an ephemeral port, with short export delays so tests see records quickly,
 * exporting to `sink`: the OTLP receiver over HTTP (its URL the OTLP endpoint), or in memory
 * (./memory-otlp.ts) where the test is about the telemetry and not how it travels. Its
 * configuration is read from `options.env` over the process's OTEL_* variables, never written
 * into process.env.
 */
export async function startTestBridge(sink: OtlpReceiver | MemoryOtlp, options: HarnessOptions = {}): Promise<Bridge & { webhook: string }> {
  const endpoint = sink instanceof MemoryOtlp ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url };
  const config = loadConfig({
    env: { ...otelFromProcess(), ...endpoint, MIST_BRIDGE_ALLOW_UNSIGNED: 'true', ...options.env },
    overrides: {
      server: { host: '127.0.0.1', port: 0 },
      export: { logsScheduleDelayMs: 20, spansScheduleDelayMs: 20, metricsIntervalMs: 200, retryInitialMs: 50, retryMaxMs: 500 },
      log: { level: 'error' },
      // Test bridges run in parallel: each keeps its journal in memory unless a test gives it a directory.
      durability: { dir: null },
      ...options.overrides,
    },
  });
  const bridge = await startBridge(config, createLogger(config.log.level), sink instanceof MemoryOtlp ? { exporters: sink.exporters() } : {});
  return Object.assign(bridge, { webhook: bridge.address.url + config.server.path });
}
