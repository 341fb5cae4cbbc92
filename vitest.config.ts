import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    // The pinned SDK supports Node 20; its notice about releases from 2027 would repeat in every test file.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        // Pure code, no sandbox: `npm run test:unit` runs these in seconds without starting moto.
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/**/*.int.test.ts'] },
      },
      {
        // Against one sandbox (ECR emulator + moto) for the whole run; tests reach it with inject('sandboxUrl').
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
