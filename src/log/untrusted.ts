// C0 and C1 controls and the two Unicode line separators: JSON escapes the controls, but a reader
// of the raw text (or a log shipper splitting on U+2028) should still see one line per entry.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this expression's purpose
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** How many characters of a value a sender controls are kept in a log field. */
const UNTRUSTED_MAX_CHARS = 160;

/**
 * A value anyone can send (a header, a path, a topic, a parser's message quoting the body), made
 * fit for a log field: one line, at most `max` characters, saying how much was cut. A request can
 * then add at most a few hundred bytes to a log line however large its headers are.
 */
export function untrusted(value: string | undefined, max = UNTRUSTED_MAX_CHARS): string | undefined {
  if (value === undefined) return undefined;
  const cut = value.length > max;
  const kept = (cut ? value.slice(0, max) : value).replace(LINE_BREAKING, ' ');
  return cut ? `${kept}…(+${value.length - max} chars)` : kept;
}
