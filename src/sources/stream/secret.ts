import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A credential that only `reveal()` gives out: logging, JSON-serialising or inspecting the
 * configuration that holds it shows "[redacted]", so a stray `log.info('config', config)` cannot
 * leak it.
 */
export class Secret {
  // An ES private field, not a TypeScript one: spreading or Object.entries cannot reach it either.
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}
