import { describe, expect, it } from 'vitest';
import { containerLabels, containerName, LABEL } from '../../../src/compose/naming.js';
import { load } from './helpers.js';

describe('names and labels', () => {
  it('<project>-<service>-<n>, container_name overrides; compose labels win over the service\'s', () => {
    const { project } = load({ 'compose.yaml': [
      'services:', '  web:', '    image: x', `    labels: {mine: "1", "${LABEL.project}": spoofed}`, '  db:', '    image: x', '    container_name: the-db',
    ].join('\n') }, { projectName: 'shop' });
    expect(containerName('shop', project.services.web, 2)).toBe('shop-web-2');
    expect(containerName('shop', project.services.db, 1)).toBe('the-db');
    const labels = containerLabels(project, project.services.web, 2, 'h');
    expect(labels).toMatchObject({
      mine: '1', [LABEL.project]: 'shop', [LABEL.service]: 'web', [LABEL.number]: '2', [LABEL.hash]: 'h', [LABEL.oneoff]: 'False',
      [LABEL.workingDir]: project.workingDir, [LABEL.configFiles]: project.configFiles[0],
    });
  });
});
