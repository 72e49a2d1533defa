/** A Dockerfile as a list of instructions: continuation lines joined, comments and blanks dropped. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export function dockerfileInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (pending === undefined && (line.trim() === '' || line.trim().startsWith('#'))) return;
    // Comment lines inside a continued instruction are skipped by Docker too.
    if (pending !== undefined && line.trim().startsWith('#')) return;
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1) : line;
    pending = pending === undefined ? { text: body.trim(), line: i + 1 } : { text: `${pending.text} ${body.trim()}`, line: pending.line };
    if (continued) return;
    const m = /^(\S+)\s*(.*)$/.exec(pending.text)!;
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: pending.line });
    pending = undefined;
  });
  return out;
}

/** The JSON array of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD, or undefined for shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trimStart().startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? (parsed as string[]) : undefined;
}
