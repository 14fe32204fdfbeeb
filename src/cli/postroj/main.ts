import { createProgram, main } from '../context.js';
import * as listImages from './list-images.js';
import * as pull from './pull.js';
import * as selftest from './selftest.js';
import * as pkgprobe from './pkgprobe.js';

/** postroj: curated OS images, package probes and self tests, on top of racker's store. */
const program = createProgram('postroj', 'OS containers for testing packages across distributions');
for (const verb of [listImages, pull, pkgprobe, selftest]) verb.register(program);
await main(program, process.argv.slice(2));
