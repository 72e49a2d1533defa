import { untrusted } from './untrusted.js';

/**
 * The bridge's own diagnostics: one JSON object per line on stderr, so they stay apart from the
 * telemetry it forwards. Callers never pass secrets; request bodies are not logged either.
 */
export type Level = 'error' | 'warn' | 'info' | 'debug';

const ORDER: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  /** Lines of one kind (level and message) written per interval; the rest are only counted. */
  linesPerKind?: number;
  intervalMs?: number;
}

const DEFAULT_LINES_PER_KIND = 10;
const DEFAULT_LOG_INTERVAL_MS = 10_000;
/** A string field longer than this is cut: no line is the size of what a caller was handed. */
const FIELD_MAX_CHARS = 1024;
/** Kinds tracked at once; messages are constants in the code, so this is only a backstop. */
const MAX_KINDS = 1000;
const OVERFLOW_KIND = '\u0000other';

interface Window {
  level: Level;
  msg: string;
  start: number;
  written: number;
  suppressed: number;
  timer?: NodeJS.Timeout;
}

function render(level: Level, msg: string, fields: Record<string, unknown> | undefined): string {
  const entry: Record<string, unknown> = { time: new Date().toISOString(), level, msg: untrusted(msg, FIELD_MAX_CHARS) };
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      entry[key] = typeof value === 'string' && value.length > FIELD_MAX_CHARS ? untrusted(value, FIELD_MAX_CHARS) : value;
    }
  }
  // JSON leaves U+2028/U+2029 raw, and some log readers break lines there.
  return JSON.stringify(entry).replace(/[\u2028\u2029]/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029')) + '\n';
}

/**
 * Every kind of line (a level and a message) is written at most `linesPerKind` times per
 * interval; past that the lines are counted, and when the interval ends one line of the same
 * level says how many were suppressed. Whatever anyone sends, the log then grows by a bounded
 * amount per kind and interval, and the first lines of a burst still say what happened.
 */
export function createLogger(level: Level, write: (line: string) => void = (l) => process.stderr.write(l), options: LoggerOptions = {}): Logger {
  const max = ORDER[level];
  const linesPerKind = options.linesPerKind ?? DEFAULT_LINES_PER_KIND;
  const intervalMs = options.intervalMs ?? DEFAULT_LOG_INTERVAL_MS;
  const windows = new Map<string, Window>();

  const close = (key: string, w: Window): void => {
    clearTimeout(w.timer);
    if (windows.get(key) === w) windows.delete(key);
    if (w.suppressed > 0) {
      const kind = key === OVERFLOW_KIND ? 'other messages' : w.msg;
      write(render(w.level, 'log lines suppressed', { kind, suppressed: w.suppressed, intervalMs }));
    }
  };

  const windowFor = (lvl: Level, msg: string, now: number): [string, Window] => {
    let key = `${lvl}\u0000${msg}`;
    let w = windows.get(key);
    if (w && now - w.start >= intervalMs) {
      close(key, w);
      w = undefined;
    }
    if (w) return [key, w];
    if (windows.size >= MAX_KINDS) {
      for (const [k, old] of windows) if (now - old.start >= intervalMs) close(k, old);
      if (windows.size >= MAX_KINDS) {
        key = OVERFLOW_KIND;
        w = windows.get(key);
        if (w) return [key, w];
      }
    }
    w = { level: lvl, msg, start: now, written: 0, suppressed: 0 };
    windows.set(key, w);
    return [key, w];
  };

  const at =
    (lvl: Level) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (ORDER[lvl] > max) return;
      const now = Date.now();
      const [key, w] = windowFor(lvl, msg, now);
      if (w.written < linesPerKind) {
        w.written += 1;
        write(render(lvl, msg, fields));
        return;
      }
      if (w.suppressed++ === 0) {
        // Reported when the interval ends even if no further line of this kind comes.
        w.timer = setTimeout(() => close(key, w), w.start + intervalMs - now);
        w.timer.unref();
      }
    };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
