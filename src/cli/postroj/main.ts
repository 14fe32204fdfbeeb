import { createProgram, main } from '../context.js';

/** postroj: curated OS images, package probes and self tests, on top of racker's store. */
const program = createProgram('postroj', 'OS containers for testing packages across distributions');
await main(program, process.argv.slice(2));
