/** An in-memory log destination: every JSON line written, parsed, plus the raw text. */
export class LogCapture {
  readonly raw: string[] = [];

  write(line: string): void {
    this.raw.push(line);
  }

  /** Every line parsed as JSON (throws on a line that is not JSON). */
  get lines(): Array<Record<string, any>> {
    return this.raw.flatMap((chunk) =>
      chunk
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    );
  }

  /** The lines whose `msg` equals `message`. */
  withMessage(message: string): Array<Record<string, any>> {
    return this.lines.filter((line) => line.msg === message);
  }

  /** Everything written, as one string (to assert that a secret never appears). */
  get text(): string {
    return this.raw.join('');
  }
}
