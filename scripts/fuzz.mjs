#!/usr/bin/env node
/**
 * `npm run fuzz`: the fuzz tests of test/fuzz at a larger size than `npm test` runs them.
 *
 *   node scripts/fuzz.mjs [--scale 50] [--seed N]
 *
 * --scale multiplies the property runs and flood sizes (FUZZ_SCALE, test/fuzz/scale.ts);
 * --seed replays a failure fast-check reported (FUZZ_SEED). Needs dist/ (npm run build).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '50' }, seed: { type: 'string' } } });
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const env = { ...process.env, FUZZ_SCALE: values.scale, ...(values.seed === undefined ? {} : { FUZZ_SEED: values.seed }) };
console.log(`fuzz: scale ${values.scale}${values.seed === undefined ? '' : `, seed ${values.seed}`}`);
const child = spawn(process.execPath, [vitest, 'run', 'test/fuzz'], { stdio: 'inherit', env });
child.on('exit', (code, signal) => { process.exitCode = code ?? (signal ? 1 : 0); });
