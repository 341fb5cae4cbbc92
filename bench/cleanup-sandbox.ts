/**
 * Part (b) of the cleanup benchmark (bench/cleanup.ts): ours (planCleanup + applyRepositoryPlan) against the usual
 * script (list untagged images, delete them one per `batch-delete-image` call) on a sandbox seeded with
 * repositories × images. Seeding goes through the emulator's persisted state (`startSandbox({stateDir})` loads
 * `ecr-state.json`): no push, no PUSH event, seconds instead of an hour of PutImage. Each side gets a fresh
 * sandbox started from its own copy of the same state.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchDeleteImageCommand, ECRClient, paginateDescribeImages } from '@aws-sdk/client-ecr';
import * as z from 'zod';
import { applyRepositoryPlan } from '../src/cleanup/apply-cleanup.ts';
import { composeCleanup } from '../src/cleanup/compose.ts';
import { cleanupConfigShape } from '../src/cleanup/config-schema.ts';
import { planCleanup } from '../src/cleanup/plan-cleanup.ts';
import { SANDBOX_ACCOUNT_ID, SANDBOX_REGION, type Sandbox, startSandbox } from '../src/sandbox/server.ts';
import { createSentinelTable } from '../test/support/table.ts';
import { digestOf, random } from './cleanup-data.ts';

const DAY_MS = 86_400_000;
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const EXPIRE_AFTER_DAYS = 14;
const POLICY_TEXT = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: `expire untagged images pushed more than ${EXPIRE_AFTER_DAYS} days ago`,
      selection: {
        tagStatus: 'untagged',
        countType: 'sinceImagePushed',
        countUnit: 'days',
        countNumber: EXPIRE_AFTER_DAYS,
      },
      action: { type: 'expire' },
    },
  ],
});

interface SeededRepository {
  name: string;
  digests: string[];
  /** What the policy (and the script) should delete. */
  expected: Set<string>;
}

type Counters = Record<string, Record<string, number>>;

/**
 * The emulator's state file: `repositories` × `perRepository` images, 80% untagged (ages up to a year, none within
 * a day of the 14-day line so both sides, run minutes apart, see the same set), 20% tagged.
 */
function seedState(repositories: number, perRepository: number, now: number) {
  const rnd = random(2500);
  const seeded: SeededRepository[] = [];
  const persisted = [];
  for (let r = 0; r < repositories; r++) {
    const name = `bench-cleanup/app-${String(r).padStart(2, '0')}`;
    const images = [];
    const repo: SeededRepository = { name, digests: [], expected: new Set() };
    for (let j = 0; j < perRepository; j++) {
      const untagged = rnd() < 0.8;
      let ageDays = rnd() * 365;
      if (Math.abs(ageDays - EXPIRE_AFTER_DAYS) < 1) ageDays += 2;
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          size: 2,
          digest: digestOf(`config ${name} ${j}`),
        },
        layers: [],
        annotations: { 'org.opencontainers.image.ref.name': `${name}#${j}` },
      });
      const digest = digestOf(manifest);
      const pushedAt = Math.floor(now - ageDays * DAY_MS);
      images.push({
        seq: j + 1,
        digest,
        manifest,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactMediaType: 'application/vnd.oci.image.config.v1+json',
        children: [],
        blobs: [],
        size: 10_000_000 + Math.floor(rnd() * 200_000_000),
        tags: untagged ? [] : [`1.${r}.${j}`],
        pushedAt,
        storageClass: 'STANDARD',
        imageStatus: 'ACTIVE',
      });
      repo.digests.push(digest);
      if (untagged && ageDays > EXPIRE_AFTER_DAYS) repo.expected.add(digest);
    }
    seeded.push(repo);
    persisted.push({
      name,
      createdAt: now - 400 * DAY_MS,
      imageTagMutability: 'MUTABLE',
      exclusionFilters: [],
      scanOnPush: false,
      encryption: { encryptionType: 'AES256' },
      resourceTags: [],
      lifecyclePolicy: { text: POLICY_TEXT },
      blobs: [],
      nextImageSeq: perRepository + 1,
      images,
    });
  }
  const state = JSON.stringify({
    version: 2,
    registries: [
      {
        accountId: SANDBOX_ACCOUNT_ID,
        region: SANDBOX_REGION,
        settings: { scanType: 'BASIC', scanningRules: [], replicationRules: [] },
        catalogue: [],
        repositories: persisted,
      },
    ],
  });
  return { seeded, state };
}

async function freshSandbox(dir: string, state: string): Promise<Sandbox> {
  mkdirSync(join(dir, 'blobs'), { recursive: true });
  writeFileSync(join(dir, 'ecr-state.json'), state);
  return startSandbox({ port: 0, quiet: true, stateDir: dir });
}

async function admin<T>(sandbox: Sandbox, path: string, method = 'GET'): Promise<T> {
  const response = await fetch(`${sandbox.url}/_sandbox/${path}`, { method });
  return (await response.json()) as T;
}

/** Waits until the events the deletions emitted (ECR Image Action DELETE) have reached moto; returns ms waited. */
async function drainEvents(sandbox: Sandbox): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < 300_000) {
    const health = await admin<{ events?: { pending: number } }>(sandbox, 'health');
    if ((health.events?.pending ?? 0) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return performance.now() - started;
}

function ecrClient(sandbox: Sandbox): ECRClient {
  return new ECRClient({ endpoint: sandbox.url, region: SANDBOX_REGION, credentials: CREDENTIALS });
}

/** Digests deleted from each repository: seeded minus what is left. */
async function deletedSets(
  sandbox: Sandbox,
  seeded: readonly SeededRepository[],
): Promise<Map<string, Set<string>>> {
  const ecr = ecrClient(sandbox);
  const result = new Map<string, Set<string>>();
  for (const repo of seeded) {
    const left = new Set<string>();
    const pages = paginateDescribeImages({ client: ecr, pageSize: 1000 }, { repositoryName: repo.name });
    for await (const page of pages) for (const d of page.imageDetails ?? []) left.add(d.imageDigest ?? '');
    result.set(repo.name, new Set(repo.digests.filter((d) => !left.has(d))));
  }
  ecr.destroy();
  return result;
}

function sameSets(a: Map<string, Set<string>>, b: Map<string, Set<string>>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, set] of a) {
    const other = b.get(name);
    if (!other || other.size !== set.size) return false;
    for (const d of set) if (!other.has(d)) return false;
  }
  return true;
}

function settings(protectionsOn: boolean) {
  const inUse = protectionsOn ? {} : { ecs: false, lambda: false, inspector: false };
  return z.object(cleanupConfigShape).parse({
    cleanup: {
      dryRun: false,
      maxDeletions: { images: 1_000_000, percent: 100 },
      defaults: { protect: { minAgeDays: 7, inUse, ...(protectionsOn ? {} : { promoted: false }) } },
    },
  }).cleanup;
}

function compose(sandbox: Sandbox, protectionsOn: boolean, tableName: string) {
  return composeCleanup({
    config: {
      cleanup: settings(protectionsOn),
      repositoryGroups: [],
      applications: protectionsOn ? [{ name: 'orders-api' }] : [],
    },
    base: { region: SANDBOX_REGION, endpoint: sandbox.url, credentials: CREDENTIALS },
    registry: { accountId: SANDBOX_ACCOUNT_ID, region: SANDBOX_REGION },
    tableName,
    offline: false,
  });
}

/** `aws ARGS` against the sandbox (AWS CLI as installed), timed. */
function aws(sandbox: Sandbox, args: string[]): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    execFile(
      'aws',
      [...args, '--endpoint-url', sandbox.url, '--region', SANDBOX_REGION],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_PAGER: '',
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`aws ${args.join(' ')}: ${stderr || error.message}`));
        else resolve({ ms: performance.now() - started, stdout });
      },
    );
  });
}

const ecrCounts = (c: Counters) => c.ecr ?? {};
const fmtCounts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';
const sec = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const median = (values: readonly number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

export async function sandboxBench(options: {
  dir: string;
  repositories: number;
  perRepository: number;
  cliSample: number;
}): Promise<string[]> {
  const lines: string[] = [];
  const seedStarted = performance.now();
  const { seeded, state } = seedState(options.repositories, options.perRepository, Date.now());
  const total = options.repositories * options.perRepository;
  const expectedTotal = seeded.reduce((n, r) => n + r.expected.size, 0);
  const expectedMap = new Map(seeded.map((r) => [r.name, r.expected]));
  const seedMs = performance.now() - seedStarted;
  const log = (line: string) => process.stderr.write(`${line}\n`);

  // ---- ours ------------------------------------------------------------------------------------------------
  let sandbox = await freshSandbox(join(options.dir, 'state-ours'), state);
  let ours: {
    ms: number;
    planMs: number;
    counters: Counters;
    deleted: Map<string, Set<string>>;
    drainMs: number;
  };
  let signalLines: string[];
  try {
    const composed = compose(sandbox, false, 'ecr-sentinel-bench');
    await admin(sandbox, 'requests', 'DELETE');
    const started = performance.now();
    const plan = await planCleanup(composed.deps, { now: new Date() });
    const planMs = performance.now() - started;
    const runId = `bench-${Date.now()}`;
    const failures: string[] = [];
    for (const entry of plan.repositories) {
      const outcome = await applyRepositoryPlan({ remover: composed.remover }, entry.plan, {
        runId,
        dryRun: false,
        now: () => new Date(),
      });
      if (outcome.status !== 'cleaned' || outcome.failures.length > 0)
        failures.push(`${outcome.repositoryName}: ${outcome.status} ${outcome.reason ?? ''}`);
    }
    const ms = performance.now() - started;
    const counters = await admin<Counters>(sandbox, 'requests');
    composed.destroy();
    if (failures.length > 0) throw new Error(`ours did not clean everything: ${failures.join('; ')}`);
    log(`ours: ${sec(ms)}; waiting for the DELETE events to reach moto...`);
    const drainMs = await drainEvents(sandbox);
    const deleted = await deletedSets(sandbox, seeded);
    ours = { ms, planMs, counters, deleted, drainMs };

    // The protection signals, read once per plan: what they cost on their own (an empty account: the minimum).
    signalLines = await signalCalls(sandbox, seeded);
  } finally {
    await sandbox.stop();
  }

  // ---- baseline ----------------------------------------------------------------------------------------------
  sandbox = await freshSandbox(join(options.dir, 'state-baseline'), state);
  let cli: { listMs: number; deleteMs: number[]; listed: number; counters: Counters };
  let sdk: { ms: number; counters: Counters; drainMs: number };
  let baselineDeleted: Map<string, Set<string>>;
  try {
    const cutoff = Date.now() - EXPIRE_AFTER_DAYS * DAY_MS;
    // (1) The AWS CLI on a sample: one listing of repository 0, then `cliSample` deletions, one process each.
    const first = seeded[0] as SeededRepository;
    await admin(sandbox, 'requests', 'DELETE');
    const listing = await aws(sandbox, [
      'ecr',
      'describe-images',
      '--repository-name',
      first.name,
      '--filter',
      'tagStatus=UNTAGGED',
      '--query',
      `imageDetails[?imagePushedAt<\`${cutoff / 1000}\`].imageDigest`,
      '--output',
      'text',
    ]);
    const listed = listing.stdout.split(/\s+/).filter((d) => d.startsWith('sha256:'));
    const deleteMs: number[] = [];
    for (const digest of listed.slice(0, options.cliSample)) {
      const run = await aws(sandbox, [
        'ecr',
        'batch-delete-image',
        '--repository-name',
        first.name,
        '--image-ids',
        `imageDigest=${digest}`,
      ]);
      deleteMs.push(run.ms);
    }
    cli = {
      listMs: listing.ms,
      deleteMs,
      listed: listed.length,
      counters: await admin<Counters>(sandbox, 'requests'),
    };
    log(
      `CLI sample: listing ${sec(listing.ms)}, ${deleteMs.length} deletions, median ${median(deleteMs).toFixed(0)} ms each`,
    );

    // (2) The same script with the SDK, one image per call, over every repository (what the CLI left included).
    await admin(sandbox, 'requests', 'DELETE');
    const ecr = ecrClient(sandbox);
    const started = performance.now();
    for (const repo of seeded) {
      const digests: string[] = [];
      const pages = paginateDescribeImages(
        { client: ecr },
        { repositoryName: repo.name, filter: { tagStatus: 'UNTAGGED' } },
      );
      for await (const page of pages)
        for (const d of page.imageDetails ?? [])
          if ((d.imagePushedAt?.getTime() ?? Number.POSITIVE_INFINITY) < cutoff)
            digests.push(d.imageDigest ?? '');
      for (const imageDigest of digests)
        await ecr.send(
          new BatchDeleteImageCommand({ repositoryName: repo.name, imageIds: [{ imageDigest }] }),
        );
    }
    const ms = performance.now() - started;
    const counters = await admin<Counters>(sandbox, 'requests');
    ecr.destroy();
    log(`SDK one per call: ${sec(ms)}; waiting for the DELETE events to reach moto...`);
    sdk = { ms, counters, drainMs: await drainEvents(sandbox) };
    baselineDeleted = await deletedSets(sandbox, seeded);
  } finally {
    await sandbox.stop();
  }

  // ---- report ------------------------------------------------------------------------------------------------
  const oursEcr = ecrCounts(ours.counters);
  const expectedDescribe = seeded.length * Math.ceil(options.perRepository / 1000);
  const expectedDelete = seeded.reduce((n, r) => n + Math.ceil(r.expected.size / 100), 0);
  const cliMs = cli.listMs * seeded.length + median(cli.deleteMs) * expectedTotal;
  lines.push(
    `(b) sandbox: ${seeded.length} repositories x ${options.perRepository} images = ${total} (seeded through the emulator's state file in ${sec(seedMs)}); each repository's lifecycle policy expires untagged images older than ${EXPIRE_AFTER_DAYS} days: ${expectedTotal} to delete`,
    '',
    `    ours (planCleanup + applyRepositoryPlan per repository; ECS/Lambda/Inspector/promotion signals off): ${sec(ours.ms)} (plan ${sec(ours.planMs)}, apply ${sec(ours.ms - ours.planMs)})`,
    `      ECR calls: ${fmtCounts(oursEcr)}`,
    `      DescribeImages: expected ${expectedDescribe} (sum of ceil(${options.perRepository}/1000) per repository), actual ${oursEcr.DescribeImages ?? 0}: ${expectedDescribe === (oursEcr.DescribeImages ?? 0) ? 'ok' : 'MISMATCH'}`,
    `      BatchDeleteImage: expected ${expectedDelete} (sum of ceil(deletions/100) per repository), actual ${oursEcr.BatchDeleteImage ?? 0}: ${expectedDelete === (oursEcr.BatchDeleteImage ?? 0) ? 'ok' : 'MISMATCH'}`,
    `      also: DescribeRepositories (the repository list) and one GetLifecyclePolicy per repository (its own policy); other services: ${fmtCounts(
      Object.fromEntries(
        Object.entries(ours.counters)
          .filter(([s]) => s !== 'ecr')
          .map(([s, a]) => [s, Object.values(a).reduce((x, y) => x + y, 0)]),
      ),
    )}`,
    ...signalLines,
    '',
    `    baseline, AWS CLI ${'(sample, measured)'}: 1 describe-images --filter tagStatus=UNTAGGED --query '…imagePushedAt<cutoff…' of ${first3(seeded)} (${cli.listed} digests) ${sec(cli.listMs)}; ${cli.deleteMs.length} x batch-delete-image (one image each) median ${median(cli.deleteMs).toFixed(0)} ms (${Math.min(...cli.deleteMs).toFixed(0)}-${Math.max(...cli.deleteMs).toFixed(0)})`,
    `      ECR calls of the sample: ${fmtCounts(ecrCounts(cli.counters))}`,
    `      EXTRAPOLATED to the full set: ${seeded.length} listings x ${sec(cli.listMs)} + ${expectedTotal} deletions x ${median(cli.deleteMs).toFixed(0)} ms = ${sec(cliMs)} (~${(cliMs / 3_600_000).toFixed(1)} h)`,
    `    baseline, SDK one image per BatchDeleteImage call (measured, full set, after the CLI sample): ${sec(sdk.ms)}`,
    `      ECR calls: ${fmtCounts(ecrCounts(sdk.counters))} (+ the CLI sample's above)`,
    '',
    `    same images deleted: ours ${count(ours.deleted)}, baseline (CLI sample + SDK) ${count(baselineDeleted)}, expected ${expectedTotal}: ${sameSets(ours.deleted, baselineDeleted) && sameSets(ours.deleted, expectedMap) ? 'identical sets' : 'DIFFERENT'}`,
    `    ECR calls: ours ${sum(oursEcr)} vs baseline ${sum(ecrCounts(cli.counters)) + sum(ecrCounts(sdk.counters))} (x${((sum(ecrCounts(cli.counters)) + sum(ecrCounts(sdk.counters))) / sum(oursEcr)).toFixed(0)})`,
    `    wall time ratio vs the CLI script (extrapolated): x${(cliMs / ours.ms).toFixed(0)}  [target >= 100x: ${cliMs / ours.ms >= 100 ? 'met' : 'MISSED'}]`,
    // The issue's baseline is the script (the AWS CLI, one process per call); one SDK call per image is printed
    // beside it for what batching alone buys when every call answers in milliseconds, as the sandbox's do.
    `    wall time ratio vs the SDK one per call (measured): x${(sdk.ms / ours.ms).toFixed(1)}  (a reference: batching alone, with the sandbox answering in milliseconds; the target is against the script above)`,
    `    (not timed: each deletion emits an ECR Image Action DELETE event that the sandbox forwards to moto; draining them took ${sec(ours.drainMs)} after ours, ${sec(sdk.drainMs)} after the SDK baseline)`,
  );
  return lines;
}

function first3(seeded: readonly SeededRepository[]): string {
  return seeded[0]?.name ?? '?';
}

function count(sets: Map<string, Set<string>>): number {
  let n = 0;
  for (const s of sets.values()) n += s.size;
  return n;
}

function sum(c: Record<string, number>): number {
  return Object.values(c).reduce((a, b) => a + b, 0);
}

/** Reads each protection signal once (as a plan does) with every signal on, and reports the calls they make. */
async function signalCalls(sandbox: Sandbox, seeded: readonly SeededRepository[]): Promise<string[]> {
  const tableName = 'ecr-sentinel-bench';
  let tableNote = '';
  try {
    const dynamo = new DynamoDBClient({
      endpoint: sandbox.url,
      region: SANDBOX_REGION,
      credentials: CREDENTIALS,
    });
    await createSentinelTable(dynamo, tableName);
    dynamo.destroy();
  } catch (error) {
    tableNote = ` (promotion table not created: ${(error as Error).message}; the promotions signal doubts)`;
  }
  const composed = compose(sandbox, true, tableName);
  await admin(sandbox, 'requests', 'DELETE');
  const started = performance.now();
  const repositories = seeded.map((r) => r.name);
  const results: string[] = [];
  for (const signal of composed.deps.signals) {
    try {
      const report = await signal.read({ repositories, now: new Date() });
      results.push(`${signal.name}: ${report.uses.length} uses, ${report.doubts.length} doubts`);
    } catch (error) {
      results.push(`${signal.name}: threw ${(error as Error).name}`);
    }
  }
  const ms = performance.now() - started;
  const counters = await admin<Counters>(sandbox, 'requests');
  composed.destroy();
  return [
    `      protection signals on (read once per plan, whatever the number of images; an account with no clusters, functions or promotions): ${sec(ms)}${tableNote}`,
    `        calls: ${Object.entries(counters)
      .map(([service, actions]) => `${service}: ${fmtCounts(actions)}`)
      .join('; ')}`,
    `        ${results.join('; ')}`,
  ];
}
