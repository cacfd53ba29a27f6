import type { AlertClock } from './alert-clock';

/** Clients remembered at most; past it the least recently seen one is forgotten. */
const MAX_CLIENTS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per client: each holds one minute's worth of requests and refills
 * continuously, so a client may burst up to `perMinute` requests, then one every
 * `60 s / perMinute`. Framework-free; the admin guard feeds it client IPs.
 * @internal
 */
export class AdminRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perMinute: number,
    private readonly clock: AlertClock,
  ) {}

  /** Takes one token for `client`: 0 when it may proceed, else the milliseconds to wait. */
  take(client: string): number {
    const now = this.clock.now();
    const refill = this.perMinute / 60_000;
    let bucket = this.buckets.get(client);
    if (bucket) {
      this.buckets.delete(client);
      bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * refill);
      bucket.at = now;
    } else {
      if (this.buckets.size >= MAX_CLIENTS) {
        this.buckets.delete(this.buckets.keys().next().value as string);
      }
      bucket = { tokens: this.perMinute, at: now };
    }
    // Re-inserted, so the map stays ordered from least to most recently seen.
    this.buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / refill);
  }
}
