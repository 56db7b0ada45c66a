/** Writes docs/cli.md from the command schemas (`npm run docs:cli`); a test fails when it is stale. */
import { writeFileSync } from 'node:fs';
import { cliReference } from '../src/options/reference.js';

writeFileSync(new URL('../docs/cli.md', import.meta.url), cliReference());
