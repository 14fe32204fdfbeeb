import { defineConfig } from 'vitest/config';

// Inside the systemd-host lane (test/integration/900-systemd-host.test.ts runs `npm test` in a
// Debian 12 OS container with systemd as PID 1) the integration tests are the lane's set; the
// lane itself does not run there again. See docs/testing.md.
const systemdHostLane = process.env.RACKER_TEST_LANE === 'systemd-host';
const LANE_FILES = ['020-run', '035-run-input', '050-boot', '060-lifecycle', '065-orphans',
  '100-network', '105-run-network', '110-volume', '125-compose', '126-compose-spec', '077-cp', '155-prune', '140-run-parity', '910-machined']
  .map(f => `test/integration/${f}.test.ts`);

export default defineConfig({
  test: {
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // two cores: integration files mount, unpack and boot; two at a time is plenty
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: systemdHostLane ? 'integration (systemd host)' : 'integration',
          include: systemdHostLane ? LANE_FILES : ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
