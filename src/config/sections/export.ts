import { z } from 'zod';
import { section, setting } from '../setting.js';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().min(0);

export const exportSection = section(
  {
    maxBatchSize: setting(positiveInt, 512, {
      doc: 'records per OTLP export request',
      why:
        'A batch is serialised in one go on the event loop: 512, the OpenTelemetry default, keeps that pause to a ' +
        'few ms, which bounds request latency (BENCHMARKS.md).',
    }),
    logsScheduleDelayMs: setting(nonNegativeInt, 1000, {
      env: 'OTEL_BLRP_SCHEDULE_DELAY',
      doc: 'longest wait before exporting a partial log batch',
    }),
    spansScheduleDelayMs: setting(nonNegativeInt, 1000, { env: 'OTEL_BSP_SCHEDULE_DELAY', doc: 'the same for spans' }),
    metricsIntervalMs: setting(positiveInt, 60000, { env: 'OTEL_METRIC_EXPORT_INTERVAL', doc: 'metric export interval' }),
    maxMetricPointsPerRequest: setting(positiveInt, 10000, {
      doc: 'metric data points per OTLP export request: a larger collection is sent in several requests',
      why:
        "A large organisation's stream collection holds ~150,000 points (~40 MiB as one request), over an OpenTelemetry " +
        "Collector receiver's default 20 MiB body limit; 10,000 points are about 3 MiB.",
    }),
    retryInitialMs: setting(positiveInt, 500, {
      doc: "first wait before retrying a failed export (after the exporter's own retries); at most `export.retryMaxMs`",
    }),
    retryMaxMs: setting(positiveInt, 30000, { doc: 'longest wait between retries of a failed export (the backoff doubles up to it)' }),
  },
  {
    rules: [
      {
        keys: ['retryInitialMs', 'retryMaxMs'],
        check: (s) =>
          s.retryInitialMs <= s.retryMaxMs
            ? undefined
            : `export.retryInitialMs (${s.retryInitialMs}) is longer than export.retryMaxMs (${s.retryMaxMs}); the first retry delay cannot exceed the longest`,
      },
    ],
  },
);
