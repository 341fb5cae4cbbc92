import * as esbuild from 'esbuild';
const ext = ['@aws-sdk/credential-provider-ini','@aws-sdk/credential-provider-sso','@aws-sdk/credential-provider-process','@aws-sdk/credential-provider-web-identity','@aws-sdk/token-providers','@aws-sdk/nested-clients','@aws-sdk/credential-provider-http','@aws-sdk/credential-provider-login'];
for (const h of ['notify-slack','on-image-pushed','on-scan-completed']) {
const r = await esbuild.build({ entryPoints: [`handlers/${h}.ts`], bundle: true, minify: false, mainFields: ['module','main'], platform: 'node', format: 'esm', target: 'node22', write: false, metafile: true, outfile: '/tmp/out.mjs', external: ext });
const text = r.outputFiles[0].text;
const stat = [...text.matchAll(/^import[^\n]*from\s*"(@aws-sdk\/[^"]+)"/gm)].map(m=>m[1]);
const dyn = [...text.matchAll(/import\("(@aws-sdk\/[^"]+)"\)/g)].map(m=>m[1]);
console.log(h, 'static:', stat, 'dynamic:', [...new Set(dyn)]);
}
