import { Messages } from '../observability.messages';

/** Registers of one HyperLogLog sketch: 2^12 = 4096, a standard error of 1.04/sqrt(4096) = 1.6%. */
const PRECISION = 12;
const REGISTERS = 1 << PRECISION;
const ALPHA = 0.7213 / (1 + 1.079 / REGISTERS);
/** Sub-windows the sliding window is cut into; the window slides in steps of window/SLOTS. */
const SLOTS = 10;

/** MurmurHash3 (x86, 32-bit) of a string's UTF-16 code units. */
function murmur3(key: string, seed = 0x9747b28c): number {
  let h = seed;
  const length = key.length;
  let i = 0;
  for (; i + 1 < length; i += 2) {
    let k = (key.charCodeAt(i) & 0xffff) | ((key.charCodeAt(i + 1) & 0xffff) << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < length) {
    let k = key.charCodeAt(i) & 0xffff;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= length * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The state of an {@link ActiveUsersTracker}'s window, as {@link ActiveUsersTracker.snapshot}
 * returns it: plain JSON, so it crosses process boundaries (cluster IPC) as is.
 */
export interface ActiveUsersSnapshot {
  /** HyperLogLog precision `p`: the sketch has `2^p` registers. Always 12 today. */
  readonly precision: number;
  /** The `2^p` one-byte registers, base64-encoded (5.4 KB). */
  readonly registers: string;
}

/** HyperLogLog estimate of the number of distinct values of a sketch. */
function cardinality(registers: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (let r = 0; r < REGISTERS; r++) {
    sum += 2 ** -registers[r];
    if (registers[r] === 0) zeros++;
  }
  const raw = (ALPHA * REGISTERS * REGISTERS) / sum;
  const estimate =
    raw <= 2.5 * REGISTERS && zeros > 0 ? REGISTERS * Math.log(REGISTERS / zeros) : raw;
  return Math.round(estimate);
}

/** The registers of `snapshot`; throws when it is not a snapshot of this tracker's format. */
function decodeRegisters(snapshot: ActiveUsersSnapshot): Uint8Array {
  const registers =
    snapshot?.precision === PRECISION && typeof snapshot.registers === 'string'
      ? Buffer.from(snapshot.registers, 'base64')
      : undefined;
  if (registers?.length !== REGISTERS) {
    throw new Error(Messages.activeUsersSnapshotInvalid(PRECISION, REGISTERS));
  }
  return registers;
}

/**
 * Counts distinct users over a sliding time window in constant memory (10 HyperLogLog
 * sketches of 4 KiB each, whatever the number of users).
 *
 * The estimate is exact in practice for small counts (linear counting: up to a few hundred
 * users the error is below one user) and within about 1.6% (one standard error) for large ones.
 * The window slides in steps of a tenth of its width, so a user is counted for between 90% and
 * 100% of the window after their last activity.
 */
export class ActiveUsersTracker {
  private readonly slots: Uint8Array[] = Array.from(
    { length: SLOTS },
    () => new Uint8Array(REGISTERS),
  );
  private readonly slotStart: number[] = new Array<number>(SLOTS).fill(-Infinity);
  private readonly slotMs: number;

  constructor(
    windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.slotMs = (windowSeconds * 1000) / SLOTS;
  }

  /** Records activity of `userId` now. */
  add(userId: string): void {
    const index = this.currentSlot();
    const hash = murmur3(userId);
    const register = hash >>> (32 - PRECISION);
    // Rank of the first set bit in the remaining 20 bits (1-based); 21 when they are all zero.
    const rest = (hash << PRECISION) | (1 << (PRECISION - 1));
    const rank = Math.clz32(rest) + 1;
    const sketch = this.slots[index];
    if (rank > sketch[register]) sketch[register] = rank;
  }

  /** Estimated number of distinct users active within the window. */
  estimate(): number {
    const merged = this.liveRegisters();
    return merged ? cardinality(merged) : 0;
  }

  /**
   * The sketch of the users active within the window, to merge with the snapshots of other
   * processes (cluster workers) with {@link ActiveUsersTracker.mergeSnapshots}: the estimate of
   * a merge counts a user seen by several processes once.
   */
  snapshot(): ActiveUsersSnapshot {
    const merged = this.liveRegisters() ?? new Uint8Array(REGISTERS);
    return { precision: PRECISION, registers: Buffer.from(merged).toString('base64') };
  }

  /**
   * The union of several snapshots: each register keeps its highest value, which is exactly
   * the sketch of one tracker that saw every user of every snapshot. Throws on a snapshot that
   * is not one of {@link snapshot} (another precision or a truncated register array).
   */
  static mergeSnapshots(snapshots: readonly ActiveUsersSnapshot[]): ActiveUsersSnapshot {
    const merged = new Uint8Array(REGISTERS);
    for (const snapshot of snapshots) {
      const registers = decodeRegisters(snapshot);
      for (let r = 0; r < REGISTERS; r++) if (registers[r] > merged[r]) merged[r] = registers[r];
    }
    return { precision: PRECISION, registers: Buffer.from(merged).toString('base64') };
  }

  /** Estimated number of distinct users of a snapshot (or of a merge of snapshots). */
  static estimateSnapshot(snapshot: ActiveUsersSnapshot): number {
    return cardinality(decodeRegisters(snapshot));
  }

  /** The registers of the live slots, max-merged; `undefined` when no slot is live. */
  private liveRegisters(): Uint8Array | undefined {
    const now = this.now();
    const oldest = now - this.slotMs * SLOTS;
    const merged = new Uint8Array(REGISTERS);
    let live = false;
    for (let s = 0; s < SLOTS; s++) {
      if (this.slotStart[s] <= oldest) continue;
      live = true;
      const sketch = this.slots[s];
      for (let r = 0; r < REGISTERS; r++) if (sketch[r] > merged[r]) merged[r] = sketch[r];
    }
    return live ? merged : undefined;
  }

  /** The slot for the current time step, cleared when it is reused for a new step. */
  private currentSlot(): number {
    const step = Math.floor(this.now() / this.slotMs);
    const index = step % SLOTS;
    const start = step * this.slotMs;
    if (this.slotStart[index] !== start) {
      this.slots[index].fill(0);
      this.slotStart[index] = start;
    }
    return index;
  }
}
