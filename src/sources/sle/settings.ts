import type { BridgeConfig } from '../../config/schema.js';

/** The poller's settings: the `sle` section, with the org and the data directory it needs. */
export interface SleSettings {
  enabled: boolean;
  intervalMs: number;
  classifiers: boolean;
  backfillSeconds: number;
  /** From `mist.orgId`; null: the token's only org (GET /self). */
  orgId: string | null;
  /** Where the state file is kept (`durability.dir`); null: in memory only. */
  dataDir: string | null;
}

export function sleSettings(config: Pick<BridgeConfig, 'mist' | 'sle' | 'durability'>): SleSettings {
  const { mist, sle, durability } = config;
  return {
    enabled: (sle.enabled ?? mist.apiToken !== null) && mist.apiToken !== null,
    intervalMs: sle.intervalMs,
    classifiers: sle.classifiers,
    backfillSeconds: sle.backfillHours * 3600,
    orgId: mist.orgId,
    dataDir: durability.dir,
  };
}
