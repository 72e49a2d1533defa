#!/usr/bin/env node
/**
 * The entry point. Stack traces name the TypeScript lines of the bridge's own modules: their
 * source maps are read as they load, and only theirs. Node's `--enable-source-maps` reads every
 * package's too, sources included, and holds them for the life of the process, a fifth of an
 * idle bridge's heap (BENCHMARKS.md). Enabled before the CLI is imported, since a module's map is
 * read when the module loads.
 */
import { setSourceMapsSupport } from 'node:module';

setSourceMapsSupport(true, { nodeModules: false, generatedCode: false });
await import('./cli/run.js');
