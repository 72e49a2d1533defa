/** `npm run docs:mappings`: regenerate README.md's telemetry reference from mappings/. */
import { readFileSync, writeFileSync } from 'node:fs';
import { packagePath } from '../package-root.js';
import { builtinTable, withTable } from './table.js';

const readmePath = packagePath('README.md');
writeFileSync(readmePath, withTable(readFileSync(readmePath, 'utf8'), builtinTable()));
process.stdout.write('README.md: telemetry reference regenerated from mappings/\n');
