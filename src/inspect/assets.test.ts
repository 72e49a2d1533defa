import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PAGE_ICON, PAGE_SCRIPT, PAGE_STYLE } from './assets.js';

describe("the inspector page's assets", () => {
  it('is a script that parses', () => {
    expect(() => new Script(PAGE_SCRIPT, { filename: 'page.js' })).not.toThrow();
  });

  it('never hands a string to an HTML sink or to code evaluation', () => {
    // Trusted Types in the CSP would also stop the first three in the browser.
    for (const sink of [
      /innerHTML/,
      /outerHTML/,
      /insertAdjacentHTML/,
      /document\.write/,
      /\beval\(/,
      /new Function/,
      /setTimeout\(['"]/,
      /\.src\s*=/,
      /\.href\s*=/,
      /setAttribute\(\s*['"](on|src|href|style)/,
    ]) {
      expect(PAGE_SCRIPT).not.toMatch(sink);
    }
  });

  it('loads nothing from anywhere', () => {
    expect(PAGE_STYLE).not.toMatch(/url\(|@import|@font-face/);
    expect(PAGE_ICON.match(/https?:\/\/[^"]*/g)).toEqual(['http://www.w3.org/2000/svg']);
    expect(PAGE_SCRIPT).not.toMatch(/https?:\/\//);
  });
});
