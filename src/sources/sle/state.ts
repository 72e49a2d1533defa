import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import type { Logger } from '../../log/logger.js';
import type { SleFamily } from '../../mist-api/types.js';
import { bucketsBetween, SLE_BUCKET_SECONDS } from './buckets.js';

/** What the poller fetches per bucket: a family's site SLEs, or the classifiers of every site. */
export type SleTrack = SleFamily | 'classifiers';

/** Where a track stands: the buckets whose every signal was exported. */
export interface TrackMark {
  /** Start (epoch s) of the bucket through which all are done. */
  through: number;
  /** Buckets after `through` done before an older one (a bucket with nothing to export settles at once). */
  later: number[];
}

export const SLE_STATE_FILE = 'sle-poller.json';

const fileSchema = z.object({
  version: z.literal(1),
  orgs: z.record(z.string(), z.record(z.string(), z.object({ through: z.number().int(), later: z.array(z.number().int()).default([]) }))),
});

type StateFile = z.infer<typeof fileSchema>;

/** The buckets of a track still to fetch, and the range given up for being older than the backfill window. */
export interface ToFetch {
  buckets: number[];
  skipped?: { from: number; to: number };
}

/**
 * Which buckets the poller has exported, per org and track, so that a restart neither exports a
 * bucket again nor forgets the ones it missed. Kept in `sle-poller.json` in the data directory,
 * written whole to a temporary file and renamed (write-file-atomic), so a crash leaves the old
 * file or the new one; without a data directory, in memory only.
 *
 * Written synchronously when a bucket is done: that happens when a metric collection is exported
 * (a few times per bucket at most), and a stop that has just exported the last collection must
 * find the file written before the process exits.
 */
export class SleState {
  private constructor(
    /** Undefined: memory only. */
    readonly file: string | undefined,
    private data: StateFile,
    private readonly log: Logger,
  ) {}

  /**
   * The state kept in `dir` (null: memory only). A missing file is an empty state; one that
   * cannot be read as a state is moved aside (`.damaged`) with a warning, and the poller starts
   * as on a first start rather than not at all.
   */
  static open(dir: string | null, log: Logger): SleState {
    const empty = (): StateFile => ({ version: 1, orgs: {} });
    if (dir === null) return new SleState(undefined, empty(), log);
    const file = join(dir, SLE_STATE_FILE);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new SleState(file, empty(), log);
      throw new Error(`${file}: cannot read the SLE poller's state: ${(err as Error).message}`);
    }
    let parsed: z.ZodSafeParseResult<StateFile>;
    try {
      parsed = fileSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = { success: false } as z.ZodSafeParseResult<StateFile>;
    }
    if (parsed.success) return new SleState(file, parsed.data, log);
    renameSync(file, `${file}.damaged`);
    log.warn('the SLE poller state file is damaged; moved aside, the poller starts afresh (the newest bucket only, no backfill)', {
      file,
      movedTo: `${file}.damaged`,
    });
    return new SleState(file, empty(), log);
  }

  mark(orgId: string, track: SleTrack): TrackMark | undefined {
    return this.data.orgs[orgId]?.[track];
  }

  /**
   * The buckets of `track` from the one after its mark to `newest`, oldest first, except those
   * already done. A track seen for the first time starts at `newest` (a first start has no outage
   * to make up for); buckets older than `oldest` are given up.
   */
  toFetch(orgId: string, track: SleTrack, oldest: number, newest: number): ToFetch {
    const org = (this.data.orgs[orgId] ??= {});
    let mark = org[track];
    if (mark === undefined) {
      // Written at once: a crash before this first bucket is exported must not make the next
      // start, perhaps buckets later, take its own newest bucket for the first.
      mark = org[track] = { through: newest - SLE_BUCKET_SECONDS, later: [] };
      this.write();
    }
    let skipped: ToFetch['skipped'];
    if (mark.through + SLE_BUCKET_SECONDS < oldest) {
      skipped = { from: mark.through + SLE_BUCKET_SECONDS, to: oldest - SLE_BUCKET_SECONDS };
      mark.through = oldest - SLE_BUCKET_SECONDS;
      mark.later = mark.later.filter((b) => b > mark.through);
      this.advance(mark);
    }
    const done = new Set(mark.later);
    const buckets = bucketsBetween(mark.through + SLE_BUCKET_SECONDS, newest).filter((b) => !done.has(b));
    return skipped ? { buckets, skipped } : { buckets };
  }

  /** Every signal of `bucket` was exported: it is never fetched again. */
  done(orgId: string, track: SleTrack, bucket: number): void {
    const mark = this.data.orgs[orgId]?.[track];
    if (!mark || bucket <= mark.through || mark.later.includes(bucket)) return;
    mark.later.push(bucket);
    mark.later.sort((a, b) => a - b);
    this.advance(mark);
    this.write();
  }

  private advance(mark: TrackMark): void {
    while (mark.later[0] === mark.through + SLE_BUCKET_SECONDS) mark.through = mark.later.shift()!;
  }

  private write(): void {
    if (this.file === undefined) return;
    try {
      writeFileAtomic.sync(this.file, JSON.stringify(this.data, null, 2) + '\n');
    } catch (err) {
      // Kept in memory: the next bucket done writes the whole state again.
      this.log.error('cannot write the SLE poller state; a restart before the next write would fetch its buckets again', {
        file: this.file,
        error: (err as Error).message,
      });
    }
  }
}
