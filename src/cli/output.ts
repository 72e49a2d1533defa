/**
 * Where the webhook commands write: people read lines on stdout; scripts (--json) get exactly
 * one JSON document on stdout. Warnings and progress go to stderr in both cases.
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: (text: string) => void = (t) => process.stdout.write(t),
    private readonly stderr: (text: string) => void = (t) => process.stderr.write(t),
  ) {}

  /** A line for people; nothing in --json mode (the document says it). */
  line(text: string): void {
    if (!this.json) this.stdout(text + '\n');
  }

  warn(text: string): void {
    this.stderr(`warning: ${text}\n`);
  }

  progress(text: string): void {
    this.stderr(`${text}\n`);
  }

  error(text: string): void {
    this.stderr(`mist-otel-bridge webhook: ${text}\n`);
  }

  /** The --json document; nothing for people. */
  document(doc: unknown): void {
    if (this.json) this.stdout(JSON.stringify(doc, null, 2) + '\n');
  }
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
