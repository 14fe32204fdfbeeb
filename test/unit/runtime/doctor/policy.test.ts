import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { policyCheck } from '../../../../src/runtime/doctor/policy.js';

let home: string;
beforeAll(async () => { home = await mkdtemp(path.join(tmpdir(), 'doctor-policy-')); await mkdir(path.join(home, 'containers')); });
afterAll(async () => { await rm(home, { recursive: true, force: true }); });

describe('doctor: signature-policy', () => {
  it('names the file in force and its default; fails for one that does not parse', async () => {
    const file = path.join(home, 'containers', 'policy.json');
    await writeFile(file, '{"default":[{"type":"reject"}],"transports":{"docker":{"r.example":[{"type":"insecureAcceptAnything"}]}}}');
    const v = await policyCheck({ XDG_CONFIG_HOME: home }).run();
    expect(v).toMatchObject({ status: 'ok', detail: `${file}: default reject, 1 scope(s) of their own` });
    await writeFile(file, '{"default":');
    expect(await policyCheck({ XDG_CONFIG_HOME: home }).run()).toMatchObject({ status: 'fail' });
  });
});
