import type { ContainerRecord, ContainerState } from '../../src/model/container.js';

/** A stored record of a small app container in the given state, for tests of pure lifecycle logic. */
export const containerRecord = (state: ContainerState): ContainerRecord => ({
  id: 'e'.repeat(64), name: 'web', image: `sha256:${'c'.repeat(64)}`, imageName: 'busybox', layers: [], argv: ['sh'],
  created: '2026-01-01T00:00:00Z', autoRemove: false, state,
  spec: {
    mode: 'app', image: `sha256:${'c'.repeat(64)}`, imageName: 'busybox', command: ['sh'], env: [], volumes: [],
    tty: false, interactive: false, autoRemove: false, stopTimeout: 10, bootTimeout: 60,
  },
});
