import { writeSync } from 'node:fs';

/** Lines are written out once this many characters are buffered... */
const MIN_LENGTH = 8192;
/** ...or this long after the first of them, whichever comes first. */
const MAX_DELAY_MS = 100;
/** How long to wait before retrying a write to a full non-blocking pipe. */
const BUSY_WAIT_MS = 1;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * A log destination that batches lines and writes them with one synchronous `write(2)` per
 * batch: at most {@link MIN_LENGTH} characters or {@link MAX_DELAY_MS} ms of lines wait in
 * memory. A request line then costs a string append instead of a system call. Nothing is ever in
 * flight (every write is synchronous), so {@link flushSync} on exit or on a fatal error writes
 * everything, in order. Write errors are swallowed: logging never throws into the application
 * (a closed pipe, `EPIPE`, stops the writes).
 * @internal
 */
export class BufferedDestination {
  private buffer = '';
  private timer: NodeJS.Timeout | undefined;
  private broken = false;
  /** Once closed, each line is written at once (a shutdown's last lines are not held). */
  private direct = false;
  private readonly flushLater = (): void => {
    this.timer = undefined;
    this.flushSync();
  };

  /** @param fd the file descriptor written to (standard output by default) */
  constructor(private readonly fd: number = 1) {}

  /** Buffers one line (pino calls it). */
  write(line: string): void {
    this.buffer += line;
    if (this.direct || this.buffer.length >= MIN_LENGTH) {
      this.flushSync();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(this.flushLater, MAX_DELAY_MS);
      // A pending batch never keeps the process alive: `exit` flushes it.
      this.timer.unref();
    }
  }

  /** Writes out what is buffered, synchronously. */
  flushSync(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buffer.length === 0) return;
    const data = Buffer.from(this.buffer, 'utf8');
    this.buffer = '';
    if (!this.broken) this.writeAll(data);
  }

  /** pino's `logger.flush(callback)`. */
  flush(callback?: (error?: Error) => void): void {
    this.flushSync();
    callback?.();
  }

  /** Flushes, then writes each later line at once. */
  close(): void {
    this.direct = true;
    this.flushSync();
  }

  private writeAll(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) {
      try {
        offset += writeSync(this.fd, data, offset, data.length - offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EBUSY') {
          // A non-blocking pipe is full: wait for the reader, as a blocking write would.
          Atomics.wait(sleeper, 0, 0, BUSY_WAIT_MS);
          continue;
        }
        // EPIPE (the reader is gone) or worse: stop logging rather than break the app.
        if (code === 'EPIPE') this.broken = true;
        return;
      }
    }
  }
}
