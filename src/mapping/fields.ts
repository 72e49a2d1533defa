/**
 * Field references: how a mapping file points into an event.
 *
 *   site_id                  a top-level field
 *   details.status           a nested field
 *   alert_events.0.zone_id   an array element by index
 *   ["sys_info.usage"].severity   a key that itself contains dots (mxedge-events sends one)
 *   $.site_id                the event itself, from inside a metric's `each:` item
 *
 * A reference is parsed once, when the mapping file is loaded, into a getter closure.
 */

export type Getter = (item: unknown, root: unknown) => unknown;

export class FieldRefError extends Error {
  override name = 'FieldRefError';
}

const PLAIN_SEGMENT = /^[^.[\]"]+$/;

export function parseFieldRef(ref: string): { fromRoot: boolean; segments: string[] } {
  let text = ref.trim();
  let fromRoot = false;
  if (text === '$') return { fromRoot: true, segments: [] };
  if (text.startsWith('$.')) {
    fromRoot = true;
    text = text.slice(2);
  }
  if (text === '') throw new FieldRefError(`empty field reference "${ref}"`);
  const segments: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('["', i)) {
      const end = text.indexOf('"]', i + 2);
      if (end < 0) throw new FieldRefError(`unclosed ["…"] in field reference "${ref}"`);
      segments.push(text.slice(i + 2, end));
      i = end + 2;
    } else {
      let end = i;
      while (end < text.length && text[end] !== '.' && text[end] !== '[') end++;
      const segment = text.slice(i, end);
      if (!PLAIN_SEGMENT.test(segment)) throw new FieldRefError(`bad segment "${segment}" in field reference "${ref}"`);
      segments.push(segment);
      i = end;
    }
    if (i < text.length) {
      if (text[i] === '.') {
        i++;
        if (i >= text.length) throw new FieldRefError(`field reference "${ref}" ends with "."`);
      } else if (!text.startsWith('["', i)) {
        throw new FieldRefError(`unexpected "${text[i]}" in field reference "${ref}"`);
      }
    }
  }
  return { fromRoot, segments };
}

/** A log body template that does not parse; `index` is where in the template (from 0). */
export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}

/**
 * "text {field.ref} text" → the literal pieces around each placeholder and the references.
 * Braces must pair up: a lone "{" or "}" is almost always a typo that would otherwise print as
 * text (and hide the field meant).
 */
export function parseTemplate(text: string): { literals: string[]; refs: string[] } {
  const literals: string[] = [];
  const refs: string[] = [];
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '}') throw new TemplateError(`"}" at character ${i + 1} closes no "{"`, i);
    if (text[i] !== '{') continue;
    const close = text.indexOf('}', i + 1);
    const reopen = text.indexOf('{', i + 1);
    if (close < 0 || (reopen >= 0 && reopen < close)) throw new TemplateError(`"{" at character ${i + 1} is not closed`, i);
    const ref = text.slice(i + 1, close);
    try {
      parseFieldRef(ref);
    } catch (err) {
      if (err instanceof FieldRefError) throw new TemplateError(`placeholder {${ref}}: ${err.message}`, i);
      throw err;
    }
    literals.push(text.slice(last, i));
    refs.push(ref);
    last = close + 1;
    i = close;
  }
  literals.push(text.slice(last));
  return { literals, refs };
}

function step(value: unknown, segment: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    const index = /^\d+$/.test(segment) ? Number(segment) : -1;
    return index >= 0 ? value[index] : undefined;
  }
  // Own properties only: a body's "__proto__" or "constructor" must stay plain data.
  return Object.prototype.hasOwnProperty.call(value, segment) ? (value as Record<string, unknown>)[segment] : undefined;
}

/** One reference → a getter. Specialised for the common short paths (no loop, no array). */
export function compileFieldRef(ref: string): Getter {
  const { fromRoot, segments } = parseFieldRef(ref);
  const pick = fromRoot ? (_item: unknown, root: unknown) => root : (item: unknown) => item;
  switch (segments.length) {
    case 0:
      return pick;
    case 1: {
      const [a] = segments as [string];
      return (item, root) => step(pick(item, root), a);
    }
    case 2: {
      const [a, b] = segments as [string, string];
      return (item, root) => step(step(pick(item, root), a), b);
    }
    default:
      return (item, root) => {
        let v = pick(item, root);
        for (const s of segments) {
          v = step(v, s);
          if (v === undefined) return undefined;
        }
        return v;
      };
  }
}

/** Present = neither missing, null nor an empty string. */
export function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** Several references as alternatives: the first present value wins. */
export function compileAlternatives(refs: string | readonly string[]): Getter {
  const list = typeof refs === 'string' ? [refs] : refs;
  const getters = list.map(compileFieldRef);
  if (getters.length === 1) return getters[0]!;
  return (item, root) => {
    for (const g of getters) {
      const v = g(item, root);
      if (isPresent(v)) return v;
    }
    return undefined;
  };
}

/**
 * A value as a metric number: finite numbers, numeric strings ("12.5"), booleans and the
 * strings "true"/"false" (1/0). Anything else is no number, never NaN.
 */
export function toNumber(value: unknown): number | undefined {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'boolean':
      return value ? 1 : 0;
    case 'string': {
      const t = value.trim();
      if (t === '') return undefined;
      const lower = t.toLowerCase();
      if (lower === 'true') return 1;
      if (lower === 'false') return 0;
      const n = Number(t);
      return Number.isFinite(n) ? n : undefined;
    }
    default:
      return undefined;
  }
}

/** A scalar as the text conditions compare (case-insensitively). */
export function toText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return undefined;
  }
}
