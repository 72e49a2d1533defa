/** `npm run docs:config`: regenerate config/default.yaml and README.md's configuration table. */
import { readFileSync, writeFileSync } from 'node:fs';
import { packagePath } from '../package-root.js';
import { renderConfigTable, renderDefaultYaml, withConfigTable } from './docs.js';

writeFileSync(packagePath('config', 'default.yaml'), renderDefaultYaml());
const readmePath = packagePath('README.md');
writeFileSync(readmePath, withConfigTable(readFileSync(readmePath, 'utf8'), renderConfigTable()));
process.stdout.write('config/default.yaml and the README configuration table regenerated from src/config/sections/\n');
