import { main } from '../context.js';
import { rackerProgram } from './program.js';

await main(rackerProgram(), process.argv.slice(2));
