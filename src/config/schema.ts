import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1),
        port,
        path: z.string().startsWith('/', { message: 'must start with "/"' }),
        maxBodyBytes: positiveInt,
        headersTimeoutMs: positiveInt,
        requestTimeoutMs: positiveInt,
        keepAliveTimeoutMs: positiveInt,
        idleSocketTimeoutMs: positiveInt,
        maxConnections: positiveInt,
        maxInflightBodyBytes: positiveInt,
        shutdownTimeoutMs: positiveInt,
      })
      .strict(),
    security: z
      .object({
        secrets: z.array(z.string().min(1, { message: 'an empty secret is not a secret' })),
        allowSha1: z.boolean(),
        allowUnsigned: z.boolean(),
      })
      .strict(),
    mappings: z.object({ dir: z.string().min(1).nullable() }).strict(),
    export: z
      .object({
        maxBatchSize: positiveInt,
        logsScheduleDelayMs: z.number().int().min(0),
        spansScheduleDelayMs: z.number().int().min(0),
        metricsIntervalMs: positiveInt,
        retryInitialMs: positiveInt,
        retryMaxMs: positiveInt,
      })
      .strict(),
    durability: z
      .object({
        dir: z.string().min(1).nullable(),
        maxBytes: positiveInt,
        synchronous: z.enum(['normal', 'full']),
        maxQueuedRecords: positiveInt,
      })
      .strict(),
    dedup: z
      .object({
        windowSeconds: z.number().int().min(0),
        maxEntries: positiveInt,
        ignoreFields: z.array(z.string().min(1)),
      })
      .strict(),
    sessions: z
      .object({
        enabled: z.boolean(),
        maxSessions: positiveInt,
        maxAgeMs: positiveInt,
        settleMs: z.number().int().min(0),
        stitchWindowMs: z.number().int().min(0),
        retainEndedMs: z.number().int().min(0),
        maxPendingFacts: positiveInt,
        sweepIntervalMs: positiveInt,
      })
      .strict(),
    log: z.object({ level: z.enum(['error', 'warn', 'info', 'debug']) }).strict(),
  })
  .strict();

export type BridgeConfig = z.infer<typeof configSchema>;
