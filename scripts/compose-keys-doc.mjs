#!/usr/bin/env node
// Writes the compose key tables of docs/compose.md from src/compose/keys.ts (run `npm run build` first).
import { readFileSync, writeFileSync } from 'node:fs';
import { withKeyTables } from '../dist/compose/keys-doc.js';

const file = new URL('../docs/compose.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = withKeyTables(before);
if (after !== before) writeFileSync(file, after);
process.stdout.write(after === before ? 'docs/compose.md: key tables up to date\n' : 'docs/compose.md: key tables rewritten\n');
