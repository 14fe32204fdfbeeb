import { describe, expect, it } from 'vitest';
import { selectServices } from '../../../src/compose/up.js';
import { load } from './helpers.js';

describe('the services up brings up', () => {
  const FILE = 'name: p\nservices:\n  web: {image: x, depends_on: [api]}\n  api: {image: x, depends_on: {db: {condition: service_healthy}, mig: {condition: service_completed_successfully}}}\n  db: {image: x}\n  mig: {image: x, depends_on: [db]}\n  tool: {image: x}\n';

  it('all of them in dependency order, or the named ones with what they depend on', () => {
    const { project } = load({ 'compose.yaml': FILE });
    expect(selectServices(project)).toEqual(['db', 'mig', 'api', 'tool', 'web']);
    expect(selectServices(project, ['api'])).toEqual(['db', 'mig', 'api']);
    expect(selectServices(project, ['tool'])).toEqual(['tool']);
  });

  it('an unknown service is one line naming the services', () => {
    const { project } = load({ 'compose.yaml': FILE });
    expect(() => selectServices(project, ['nope'])).toThrow('no such service: nope');
  });
});
