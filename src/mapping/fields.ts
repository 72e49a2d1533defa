/**
 * Field references: how a mapping file points into an event.
 *
 *   site_id                  a top-level field
 *   details.status           a nested field
 *   alert_events.0.zone_id   an array element by index
 *   ["sys_info.usage"].severity   a key that itself contains dots (mxedge-events sends one)
 *   $.site_id                the event itself, from inside a metric's `each:` element
 *   $context.site_id         a value from outside the event (a stream message's site, from its channel)
 *   $key                     the key of the current `each:` element (band_5, eth0, ge-0/0/1.0, "0")
 *   $parent.fpc_idx          a reference one `each:` level up (`$parent.$key`: that level's key)
 *
 * A reference is parsed once, when the mapping file is loaded, into a getter closure.
 */

/** Where references are resolved: the element being mapped, inside its message and batch. */
export interface Scope {
  /** The event, or the current `each:` element. */
  item: unknown;
  /** The element's key in its object or index in its array (as text); undefined for the event. */
  key: string | undefined;
  /** The enclosing `each:` level; undefined for the event. */
  parent: Scope | undefined;
  /** The event (`$.`). */
  root: unknown;
  /** Values from outside the event (`$context.`). */
  context: Readonly<Record<string, string>> | undefined;
}

export type Getter = (scope: Scope) => unknown;

/** The scope of a whole event. */
export function eventScope(event: unknown, context?: Readonly<Record<string, string>>): Scope {
  return { item: event, key: undefined, parent: undefined, root: event, context };
}

export class FieldRefError extends Error {
  override name = 'FieldRefError';
}

export interface FieldRef {
  /** What the segments start from: the element, the event (`$.`), the context, or the element's key. */
  base: 'item' | 'root' | 'context' | 'key';
  /** `$parent.` levels to climb first. */
  up: number;
  segments: string[];
  /** The reference starts at the event (`$.`). */
  fromRoot: boolean;
}

const PLAIN_SEGMENT = /^[^.[\]"]+$/;

const PARENT = '$parent';

export function parseFieldRef(ref: string): FieldRef {
  let text = ref.trim();
  let up = 0;
  while (text === PARENT || text.startsWith(PARENT + '.')) {
    up++;
    text = text.slice(PARENT.length + 1);
    if (text === '') return { base: 'item', up, segments: [], fromRoot: false };
  }
  if (text === '$key') return { base: 'key', up, segments: [], fromRoot: false };
  let base: FieldRef['base'] = 'item';
  if (up === 0 && text === '$') return { base: 'root', up, segments: [], fromRoot: true };
  if (up === 0 && text.startsWith('$.')) {
    base = 'root';
    text = text.slice(2);
  } else if (up === 0 && text.startsWith('$context.')) {
    base = 'context';
    text = text.slice('$context.'.length);
  } else if (text.startsWith('$')) {
    const word = /^\$[^.[]*/.exec(text)![0];
    throw new FieldRefError(
      `unknown reference "${word}" in "${ref}": use $.field, $context.name, $key or $parent.${up > 0 ? ' ($. and $context. not after $parent.)' : ''}`,
    );
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
  if (base === 'context' && segments.length !== 1) throw new FieldRefError(`"${ref}": a context value has one name ($context.site_id)`);
  return { base, up, segments, fromRoot: base === 'root' };
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

type Step = (value: unknown) => unknown;

/** Reading one segment, decided once: an array index or not, a name Object.prototype has or not. */
function stepOf(segment: string): Step {
  const index = /^\d+$/.test(segment) ? Number(segment) : -1;
  // Own properties only: a body's "__proto__" or "constructor" must stay plain data. Only names
  // Object.prototype has can reach it from a parsed JSON object; others need no check.
  const inherited = segment in Object.prototype;
  return (value) => {
    if (typeof value !== 'object' || value === null) return undefined;
    if (Array.isArray(value)) return index >= 0 ? value[index] : undefined;
    if (inherited && !Object.hasOwn(value, segment)) return undefined;
    return (value as Record<string, unknown>)[segment];
  };
}

function climb(scope: Scope, up: number): Scope | undefined {
  let s: Scope | undefined = scope;
  for (let i = 0; i < up && s !== undefined; i++) s = s.parent;
  return s;
}

/** One reference → a getter. Specialised for the common short paths (no loop, no array). */
export function compileFieldRef(ref: string): Getter {
  const { base, up, segments } = parseFieldRef(ref);
  let pick: Getter;
  switch (base) {
    case 'root':
      pick = (s) => s.root;
      break;
    case 'context':
      pick = (s) => s.context;
      break;
    case 'key':
      return up === 0 ? (s) => s.key : (s) => climb(s, up)?.key;
    default:
      pick = up === 0 ? (s) => s.item : (s) => climb(s, up)?.item;
  }
  const steps = segments.map(stepOf);
  switch (steps.length) {
    case 0:
      return pick;
    case 1: {
      const [a] = steps as [Step];
      return (s) => a(pick(s));
    }
    case 2: {
      const [a, b] = steps as [Step, Step];
      return (s) => b(a(pick(s)));
    }
    default:
      return (s) => {
        let v = pick(s);
        for (const step of steps) {
          v = step(v);
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
  return (s) => {
    for (const g of getters) {
      const v = g(s);
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
