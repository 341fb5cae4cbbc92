import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One sandbox (ECR emulator + moto) for the whole run; tests reach it with inject('sandboxUrl').
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // The pinned SDK supports Node 20; its notice about releases from 2027 would repeat in every test file.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
