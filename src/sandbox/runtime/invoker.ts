/**
 * Running one handler invocation in-process, the way the Lambda Node.js runtime does: the function's
 * environment set before its module is first imported (handlers build clients at module scope) and again before
 * each invocation, a Lambda-like context, the function timeout, START/END/REPORT lines, and every line the handler
 * logs (console or Powertools Logger on stdout) printed with the function name.
 *
 * All functions share this process, so their environments share `process.env`: variables that differ between
 * functions are switched before each import and invocation. Concurrent invocations of *different* functions
 * therefore see the environment of whichever started last; handlers that read configuration at module scope
 * (the convention here) are unaffected. A timed-out handler is reported as failed but keeps running in the
 * background: in-process code can't be killed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import type { Context } from 'aws-lambda';
import { installTimeSource } from '../../shared/clock.ts';
import type { FunctionModel } from './config.ts';

export interface InvocationError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export type InvocationResult = { ok: true; result: unknown } | { ok: false; error: InvocationError };

type Handler = (
  event: unknown,
  context: Context,
  callback?: (error?: unknown, result?: unknown) => void,
) => unknown;

interface LogScope {
  /** A line the function printed, as the runtime's log prints it (with the function name). */
  line: (text: string) => string;
  sink: (line: string) => void;
  /** The invoked function's environment: what `process.env` reads inside the invocation (see envOverlay). */
  env?: Record<string, string>;
  /** The runtime's clock: what `systemClock` (src/shared/clock.ts) answers inside the invocation. */
  now?: () => Date;
}

const scope = new AsyncLocalStorage<LogScope>();
let captureUsers = 0;
let restoreCapture: (() => void) | undefined;

function emit(text: string): void {
  const current = scope.getStore();
  if (!current) return;
  const lines = text.replace(/\n$/, '').split('\n');
  scope.exit(() => {
    for (const line of lines) current.sink(current.line(line));
  });
}

/** Route console and stdout/stderr writes made inside an invocation to the runtime's log, prefixed. */
function installCapture(): void {
  captureUsers++;
  if (captureUsers > 1) return;
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const originals = methods.map((method) => console[method]);
  methods.forEach((method, index) => {
    const original = originals[index] as (...args: unknown[]) => void;
    console[method] = (...args: unknown[]) => {
      if (scope.getStore()) emit(format(...args));
      else original.apply(console, args);
    };
  });
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write);
  streams.forEach((stream, index) => {
    const original = writes[index] as typeof stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (scope.getStore()) {
        emit(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
        const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }
      return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof stream.write;
  });
  restoreCapture = () => {
    methods.forEach((method, index) => {
      console[method] = originals[index] as (...args: unknown[]) => void;
    });
    streams.forEach((stream, index) => {
      stream.write = writes[index] as typeof stream.write;
    });
  };
}

function uninstallCapture(): void {
  captureUsers = Math.max(0, captureUsers - 1);
  if (captureUsers === 0) {
    restoreCapture?.();
    restoreCapture = undefined;
  }
}

let clockUsers = 0;
let uninstallClock: (() => void) | undefined;

/**
 * Make `systemClock.now()` answer, inside an invocation, with the clock of the runtime that invoked it (the
 * sandbox clock), and with the wall clock everywhere else in the process.
 */
function installClock(): void {
  clockUsers++;
  if (clockUsers > 1) return;
  uninstallClock = installTimeSource(() => scope.getStore()?.now?.());
}

function releaseClock(): void {
  clockUsers = Math.max(0, clockUsers - 1);
  if (clockUsers === 0) {
    uninstallClock?.();
    uninstallClock = undefined;
  }
}

let overlayUsers = 0;
let realEnv: NodeJS.ProcessEnv | undefined;

/**
 * Make `process.env` answer, inside an invocation, with that function's environment. Switching the shared
 * environment before each invocation is not enough once several functions run at once: the SDK reads its
 * credentials (one set per function, so the sandbox can tell callers apart) at the first request, inside the
 * invocation, from whatever `process.env` holds then. Outside invocations `process.env` is the real one.
 */
function installEnvOverlay(): void {
  overlayUsers++;
  if (overlayUsers > 1) return;
  const target = process.env;
  realEnv = target;
  const local = () => scope.getStore()?.env;
  process.env = new Proxy(target, {
    get: (env, key) => {
      const own = local();
      return typeof key === 'string' && own && Object.hasOwn(own, key) ? own[key] : Reflect.get(env, key);
    },
    set: (env, key, value) => {
      const own = local();
      if (typeof key === 'string' && own) own[key] = String(value);
      else Reflect.set(env, key, value);
      return true;
    },
    has: (env, key) => {
      const own = local();
      return (
        (typeof key === 'string' && own !== undefined && Object.hasOwn(own, key)) || Reflect.has(env, key)
      );
    },
    deleteProperty: (env, key) => {
      const own = local();
      if (typeof key === 'string' && own && Object.hasOwn(own, key)) delete own[key];
      else Reflect.deleteProperty(env, key);
      return true;
    },
    ownKeys: (env) => {
      const own = local();
      return own ? [...new Set([...Reflect.ownKeys(env), ...Object.keys(own)])] : Reflect.ownKeys(env);
    },
    getOwnPropertyDescriptor: (env, key) => {
      const own = local();
      if (typeof key === 'string' && own && Object.hasOwn(own, key)) {
        return { value: own[key], writable: true, enumerable: true, configurable: true };
      }
      return Reflect.getOwnPropertyDescriptor(env, key);
    },
  });
}

function uninstallEnvOverlay(): void {
  overlayUsers = Math.max(0, overlayUsers - 1);
  if (overlayUsers === 0 && realEnv) {
    process.env = realEnv;
    realEnv = undefined;
  }
}

/** Turn whatever a handler threw into Lambda's error shape. */
export function toInvocationError(error: unknown): InvocationError {
  if (error instanceof Error) {
    const errorType = error.name && error.name !== 'Error' ? error.name : error.constructor?.name || 'Error';
    return {
      errorType,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n').filter((line) => line.trim() !== ''),
    };
  }
  return {
    errorType: 'Error',
    errorMessage: typeof error === 'string' ? error : JSON.stringify(error),
    trace: [],
  };
}

const CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

/** The temporary credentials Lambda hands a function for its execution role. */
export interface FunctionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface InvokerOptions {
  projectRoot: string;
  endpoint: string;
  region: string;
  accountId: string;
  log: (line: string) => void;
  /** The function's own credentials (the sandbox knows its role by them); default: the process's. */
  credentialsOf?: (fn: FunctionModel) => FunctionCredentials | undefined;
  /** The time the functions see through `systemClock` (the sandbox clock); default: the wall clock. */
  now?: () => Date;
  /** How a line a function printed is logged (default `[functionName] line`; see log-format.ts). */
  formatLine?: (functionName: string, line: string) => string;
}

export class Invoker {
  /**
   * Warm "containers" per function. Lambda runs one invocation per container at a time, each container with
   * its own module state (clients, logger context, cold start); here each container is its own instance of
   * the handler module (a distinct import URL), so concurrent invocations never share module-scope state.
   */
  private readonly containers = new Map<string, Array<{ handler: Promise<Handler>; busy: boolean }>>();
  private readonly originalEnv = new Map<string, string | undefined>();
  private appliedKeys = new Set<string>();
  private appliedFor: string | undefined;
  private capturing = false;
  /** Settles when every handler import started so far has finished. */
  private importsDone: Promise<void> = Promise.resolve();

  /** Tells this runtime's module instances apart from another runtime's in the same process. */
  private readonly id = randomUUID().slice(0, 8);

  constructor(private readonly options: InvokerOptions) {}

  start(): void {
    if (!this.capturing) {
      installCapture();
      installEnvOverlay();
      installClock();
      this.capturing = true;
    }
  }

  /** Restore the process environment and console. */
  stop(): void {
    for (const [key, value] of this.originalEnv) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    this.originalEnv.clear();
    this.appliedKeys.clear();
    this.appliedFor = undefined;
    if (this.capturing) {
      uninstallCapture();
      uninstallEnvOverlay();
      releaseClock();
      this.capturing = false;
    }
  }

  /** The environment a function runs with (its own, plus what the Lambda runtime sets). */
  environmentOf(fn: FunctionModel): Record<string, string> {
    const { region, endpoint } = this.options;
    const own = this.options.credentialsOf?.(fn);
    const credentials: Record<string, string> = own
      ? {
          AWS_ACCESS_KEY_ID: own.accessKeyId,
          AWS_SECRET_ACCESS_KEY: own.secretAccessKey,
          AWS_SESSION_TOKEN: own.sessionToken,
        }
      : {
          AWS_ACCESS_KEY_ID: realEnv?.AWS_ACCESS_KEY_ID ?? process.env.AWS_ACCESS_KEY_ID ?? 'sandbox',
          AWS_SECRET_ACCESS_KEY:
            realEnv?.AWS_SECRET_ACCESS_KEY ?? process.env.AWS_SECRET_ACCESS_KEY ?? 'sandbox',
        };
    return {
      ...credentials,
      ...fn.environment,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ENDPOINT_URL: endpoint,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs_local',
      _HANDLER: fn.handler,
    };
  }

  private applyEnvironment(fn: FunctionModel): void {
    if (this.appliedFor === fn.name) return;
    const next = this.environmentOf(fn);
    if (this.options.credentialsOf?.(fn)) {
      // A function's own credentials live only in its invocations' overlay: in the shared environment they
      // would sign the requests of everything else in this process (tests, the CLI) as that function.
      for (const key of CREDENTIAL_VARIABLES) delete next[key];
    }
    for (const key of this.appliedKeys) {
      if (!(key in next)) {
        const original = this.originalEnv.get(key);
        if (original === undefined) delete process.env[key];
        else process.env[key] = original;
      }
    }
    for (const [key, value] of Object.entries(next)) {
      if (!this.originalEnv.has(key)) this.originalEnv.set(key, process.env[key]);
      process.env[key] = value;
    }
    this.appliedKeys = new Set(Object.keys(next));
    this.appliedFor = fn.name;
  }

  /** `handlers/x.handler` → the module file under projectRoot and the export name. */
  resolveHandler(fn: FunctionModel): { file: string; exportName: string } {
    const dot = fn.handler.lastIndexOf('.');
    if (dot <= 0) {
      throw new Error(`function ${fn.key}: handler "${fn.handler}" must look like path/to/file.exportName`);
    }
    const base = join(this.options.projectRoot, fn.handler.slice(0, dot));
    const exportName = fn.handler.slice(dot + 1);
    for (const extension of ['.ts', '.mts', '.js', '.mjs']) {
      if (existsSync(base + extension)) return { file: base + extension, exportName };
    }
    throw new Error(
      `function ${fn.key}: handler file ${fn.handler.slice(0, dot)}(.ts|.mts|.js|.mjs) not found under ${this.options.projectRoot}`,
    );
  }

  /**
   * Import one more instance of the handler module (with the function's environment in place). Imports are
   * asynchronous (the module graph loads before the handler's module scope runs and reads process.env), so
   * they run one at a time and invocations wait for them ({@link importsDone}) before switching the
   * environment: otherwise a cold start of one function could read another function's variables.
   */
  private loadInstance(fn: FunctionModel, instance: number): Promise<Handler> {
    const load = async () => {
      const { file, exportName } = this.resolveHandler(fn);
      this.applyEnvironment(fn);
      // Each runtime's containers are module instances of their own: two runtimes in one process (a test
      // running a function with two templates) must not share module-scope clients, credentials or config.
      const url = `${pathToFileURL(file).href}?runtime=${this.id}&container=${instance}`;
      const module = (await import(url)) as Record<string, unknown>;
      const handler = module[exportName];
      if (typeof handler !== 'function') {
        throw new Error(`function ${fn.key}: ${file} has no exported function "${exportName}"`);
      }
      return handler as Handler;
    };
    const loaded = this.importsDone.then(load);
    this.importsDone = loaded.then(
      () => {},
      () => {},
    );
    return loaded;
  }

  /** Take an idle container of the function, starting a new one (a cold start) when all are busy. */
  private acquire(fn: FunctionModel): { handler: Promise<Handler>; release: (discard?: boolean) => void } {
    const pool = this.containers.get(fn.name) ?? [];
    this.containers.set(fn.name, pool);
    let container = pool.find((c) => !c.busy);
    if (!container) {
      container = { handler: this.loadInstance(fn, pool.length), busy: false };
      const created = container;
      pool.push(created);
      // A module that failed to load is not a container: the next invocation tries again.
      created.handler.catch(() => pool.splice(pool.indexOf(created), 1));
    }
    container.busy = true;
    const taken = container;
    return {
      handler: taken.handler,
      release: (discard = false) => {
        taken.busy = false;
        // Lambda throws away a container whose invocation timed out; the code may still be running here.
        if (discard && pool.includes(taken)) pool.splice(pool.indexOf(taken), 1);
      },
    };
  }

  /** Load the handler once (e.g. to surface import errors at start); the container stays warm. */
  load(fn: FunctionModel): Promise<Handler> {
    const { handler, release } = this.acquire(fn);
    return handler.finally(release);
  }

  private context(fn: FunctionModel, requestId: string, deadline: number): Context {
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: String(fn.memorySize),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName: `${day}/[$LATEST]${randomUUID().replace(/-/g, '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => {},
      fail: () => {},
      succeed: () => {},
    };
  }

  /** One invocation: START, the handler under its timeout, END and REPORT. Never throws. */
  async invoke(
    fn: FunctionModel,
    event: unknown,
    requestId: string = randomUUID(),
  ): Promise<InvocationResult> {
    const { log } = this.options;
    const format = this.options.formatLine ?? ((name: string, text: string) => `[${name}] ${text}`);
    const line = (text: string) => format(fn.key, text);
    const started = performance.now();
    log(line(`START RequestId: ${requestId} Version: $LATEST`));
    let outcome: InvocationResult;
    let timer: NodeJS.Timeout | undefined;
    const container = this.acquire(fn);
    let timedOut = false;
    try {
      const handler = await container.handler;
      await this.importsDone;
      this.applyEnvironment(fn);
      const timeoutMs = fn.timeoutSeconds * 1000;
      const deadline = Date.now() + timeoutMs;
      const context = this.context(fn, requestId, deadline);
      const invocationScope: LogScope = { line, sink: log, env: this.environmentOf(fn) };
      if (this.options.now) invocationScope.now = this.options.now;
      const run = scope.run(invocationScope, () => {
        if (handler.length >= 3) {
          return new Promise<unknown>((resolve, reject) => {
            const maybe = handler(event, context, (error, result) =>
              error ? reject(error) : resolve(result),
            );
            if (maybe && typeof (maybe as Promise<unknown>).then === 'function') {
              (maybe as Promise<unknown>).then(resolve, reject);
            }
          });
        }
        return Promise.resolve().then(() => handler(event, context));
      });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new Error(`Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`);
          error.name = 'Sandbox.Timedout';
          timedOut = true;
          reject(error);
        }, timeoutMs);
      });
      outcome = { ok: true, result: await Promise.race([run, timeout]) };
    } catch (error) {
      outcome = { ok: false, error: toInvocationError(error) };
      log(line(`ERROR RequestId: ${requestId} ${outcome.error.errorType}: ${outcome.error.errorMessage}`));
    } finally {
      if (timer) clearTimeout(timer);
      container.release(timedOut);
    }
    const duration = performance.now() - started;
    log(line(`END RequestId: ${requestId}`));
    log(
      line(
        `REPORT RequestId: ${requestId} Duration: ${duration.toFixed(2)} ms Memory Size: ${fn.memorySize} MB${outcome.ok ? '' : ' Status: error'}`,
      ),
    );
    return outcome;
  }
}
