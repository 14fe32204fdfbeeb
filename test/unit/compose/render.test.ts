import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configHash } from '../../../src/compose/hash.js';
import { renderHashes, renderJson, renderYaml } from '../../../src/compose/render.js';
import { load, SHOP_FILE } from './helpers.js';

describe('compose config output', () => {
  it('YAML and JSON say the same, normalised, and load back to the same hashes', () => {
    const { project } = load({ 'compose.yaml': SHOP_FILE });
    const yaml = renderYaml(project);
    expect(parse(yaml)).toEqual(JSON.parse(renderJson(project)));
    const tree = parse(yaml) as { services: Record<string, Record<string, unknown>>; networks: unknown; volumes: unknown };
    expect(Object.keys(tree.services)).toEqual(['os', 'web']);
    expect(tree.services.web.healthcheck).toEqual({ test: ['CMD', 'curl', '-f', 'localhost'], interval: '30s', timeout: '1.5s', retries: 3, start_period: '1m0s' });
    expect(tree.services.web.stop_grace_period).toBe('1m30s');
    expect(tree.services.web.restart).toBe('unless-stopped');
    expect(tree.networks).toEqual({ default: { name: 'shop_default' }, front: { name: 'shop-front' } });
    expect(tree.volumes).toEqual({ data: { name: 'shop_data' } });
    // the normalised output is itself a compose file with the same meaning
    const again = load({ 'compose.yaml': yaml }).project;
    for (const s of ['web', 'os']) expect(configHash(again.services[s]), s).toBe(configHash(project.services[s]));
    expect(renderHashes(project, '*')).toBe(`os ${configHash(project.services.os)}\nweb ${configHash(project.services.web)}\n`);
  });
});
