/**
 * Bytes of request bodies held in memory at once, across every request. `server.maxBodyBytes`
 * bounds one body; this bounds them all, so thousands of connections each uploading a large body
 * slowly cannot add up to more memory than configured: past it, further bodies get 503.
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly max: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Take `bytes` if they fit; false (nothing taken) if not. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.max) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used -= bytes;
  }
}
