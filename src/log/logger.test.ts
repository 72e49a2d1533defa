import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './logger.js';
import { untrusted } from './untrusted.js';

const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('createLogger', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes one JSON object per line, at the configured level and above', () => {
    const lines: string[] = [];
    const log = createLogger('warn', (l) => lines.push(l));
    log.info('not shown');
    log.warn('shown', { n: 1 });
    log.error('also shown');
    expect(lines.every((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
    expect(parsed(lines).map((e) => [e.level, e.msg, e.n])).toEqual([
      ['warn', 'shown', 1],
      ['error', 'also shown', undefined],
    ]);
  });

  it('writes at most linesPerKind lines of a kind per interval, then one line with how many it suppressed', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l), { linesPerKind: 3, intervalMs: 1000 });
    for (let i = 0; i < 50; i++) log.warn('delivery refused: signature', { i });
    log.warn('another kind');
    log.error('delivery refused: signature'); // another level is another kind
    expect(parsed(lines).map((e) => [e.msg, e.i])).toEqual([
      ['delivery refused: signature', 0],
      ['delivery refused: signature', 1],
      ['delivery refused: signature', 2],
      ['another kind', undefined],
      ['delivery refused: signature', undefined],
    ]);

    // The count comes when the interval ends, although no further line of the kind arrives.
    vi.advanceTimersByTime(1000);
    expect(parsed(lines.slice(5))).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'log lines suppressed', kind: 'delivery refused: signature', suppressed: 47, intervalMs: 1000 }),
    ]);

    // A new interval writes again.
    log.warn('delivery refused: signature', { i: 50 });
    expect(parsed(lines.slice(6))).toEqual([expect.objectContaining({ msg: 'delivery refused: signature', i: 50 })]);
    vi.advanceTimersByTime(5000);
    expect(lines).toHaveLength(7); // nothing suppressed, nothing to report
  });

  it('bounds what 10,000 lines of one kind with huge fields can write', () => {
    let bytes = 0;
    const log = createLogger('info', (l) => (bytes += Buffer.byteLength(l)));
    const huge = 'x'.repeat(15_000);
    for (let i = 0; i < 10_000; i++) log.warn('flood', { remote: huge });
    vi.advanceTimersByTime(10_000);
    // 10 lines with the field cut to 1,024 characters, and the count.
    expect(bytes).toBeLessThan(12 * 1200);
  });

  it('cuts long string fields and keeps every entry on one line', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    log.warn('odd fields', { long: 'y'.repeat(5000), breaks: 'a\nb\r\nc\u2028d\u2029e' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split(/[\n\r\u2028\u2029]/)).toHaveLength(2); // the text, then the final newline
    const [entry] = parsed(lines);
    expect(entry!.long).toBe('y'.repeat(1024) + '…(+3976 chars)');
    // Escaped, not altered: the value survives a JSON reader unchanged.
    expect(entry!.breaks).toBe('a\nb\r\nc\u2028d\u2029e');
  });
});

describe('untrusted', () => {
  it('keeps a short value as it is, and cuts a long one saying how much went', () => {
    expect(untrusted(undefined)).toBeUndefined();
    expect(untrusted('10.0.0.1, 192.0.2.7')).toBe('10.0.0.1, 192.0.2.7');
    expect(untrusted('a'.repeat(200), 10)).toBe('aaaaaaaaaa…(+190 chars)');
    expect(untrusted('curl\r\n\tX-Injected: 1')).toBe('curl   X-Injected: 1');
  });
});
