import { loadMappings, MappingError } from './loader.js';

/** `check-mappings`: validate the built-in and custom files without starting anything. */
export function checkMappings(customDir: string | null | undefined): { ok: boolean; report: string } {
  try {
    const { sources, metrics } = loadMappings({ customDir });
    const custom = sources.filter((s) => s.origin === 'custom');
    const lines = [
      `mappings OK: ${sources.length} topic files (${custom.length} custom${customDir ? ` from ${customDir}` : ''}), ${metrics.length} metrics`,
      ...custom.map((s) => `  ${s.spec.topic}: ${s.file}`),
    ];
    return { ok: true, report: lines.join('\n') };
  } catch (err) {
    if (err instanceof MappingError) return { ok: false, report: err.message };
    throw err;
  }
}
