/**
 * Docker Compose's variable interpolation, as the Compose specification defines it ("Interpolation"):
 * `$$` is a literal `$`; `${VAR}` and `$VAR` take the variable (empty when unset); `${VAR:-default}`
 * takes the default when VAR is unset or empty, `${VAR-default}` only when unset;
 * `${VAR:?message}` / `${VAR?message}` fail the whole command when VAR is unset or empty / unset;
 * `${VAR:+replacement}` / `${VAR+replacement}` give the replacement when VAR is set and non-empty /
 * set. Compose parses the YAML first and then interpolates every string value, for every command
 * (up, down, logs, ps), so a failing `?` fails them all and a value stays a string whatever it
 * holds. Nested expressions inside defaults are not needed by compose.yaml and are refused here
 * rather than guessed at.
 */

export interface Reference {
  name: string;
  /** The operator after the name: '' (plain), ':-', '-', ':?', '?', ':+', '+'. */
  operator: string;
  /** Default, error message or replacement text. */
  argument: string;
}

const EXPRESSION = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Every variable reference in `text`, in order (escaped `$$` skipped). */
export function references(text: string): Reference[] {
  const out: Reference[] = [];
  for (const m of text.matchAll(EXPRESSION)) {
    if (m[0] === '$$') continue;
    const name = m[1] ?? m[4]!;
    if ((m[3] ?? '').includes('$')) throw new Error(`nested interpolation in ${m[0]} is not supported here`);
    out.push({ name, operator: m[2] ?? '', argument: m[3] ?? '' });
  }
  return out;
}

/** `text` with every reference resolved against `env`; throws as Compose does for `?`. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(EXPRESSION, (whole, braced: string | undefined, operator: string | undefined, argument: string | undefined, bare: string | undefined) => {
    if (whole === '$$') return '$';
    const name = braced ?? bare!;
    const value = env[name];
    const set = value !== undefined;
    const nonEmpty = set && value !== '';
    switch (operator ?? '') {
      case '':
        return value ?? '';
      case ':-':
        return nonEmpty ? value! : argument!;
      case '-':
        return set ? value! : argument!;
      case ':?':
        if (!nonEmpty) throw new Error(`required variable ${name} is missing a value: ${argument}`);
        return value!;
      case '?':
        if (!set) throw new Error(`required variable ${name} is missing a value: ${argument}`);
        return value!;
      case ':+':
        return nonEmpty ? argument! : '';
      case '+':
        return set ? argument! : '';
      default:
        throw new Error(`unsupported operator ${operator}`);
    }
  });
}

/** A parsed compose file with every string value interpolated, as Compose does after parsing. */
export function interpolateTree<T>(tree: T, env: Record<string, string | undefined>): T {
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return interpolate(node, env);
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return walk(tree) as T;
}

/**
 * The assignments of a .env file, including commented-out ones (`# NAME=value`, an example the
 * user may enable). Values keep their quotes off: single quotes are literal, as Compose reads them.
 */
export function dotenvAssignments(text: string): { name: string; value: string; active: boolean }[] {
  const out: { name: string; value: string; active: boolean }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(#\s*)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const raw = m[3]!.trim();
    const value = /^'.*'$/.test(raw) || /^".*"$/.test(raw) ? raw.slice(1, -1) : raw;
    out.push({ name: m[2]!, value, active: m[1] === undefined });
  }
  return out;
}
