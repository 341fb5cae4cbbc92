import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';

/** Install advice printed whenever moto can't be started. */
export const MOTO_INSTALL_ADVICE =
  "The sandbox needs Python 3 with moto's server: pip install 'moto[server]>=5' " +
  '(set ECR_SENTINEL_PYTHON to choose the interpreter; default python3).';

/** Python or moto is missing (or too old): the CLI maps this to exit code 2. */
export class MotoUnavailableError extends Error {
  override readonly name = 'MotoUnavailableError';
}

/** moto started but did not answer in time, or died while starting. */
export class MotoStartError extends Error {
  override readonly name = 'MotoStartError';
}

/**
 * Runs `moto.server` on 127.0.0.1:PORT, quiet, and makes sure it cannot outlive us: it exits when its stdin
 * (a pipe from this process) reaches EOF or its parent pid changes, which both happen even if we are SIGKILLed.
 * It runs in its own process group so a terminal's Ctrl-C reaches only us; we stop it ourselves.
 */
const WRAPPER = `
import os, sys, threading, time, logging
parent = int(sys.argv[2])
def _stdin_watch():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except Exception:
        pass
    os._exit(0)
def _ppid_watch():
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)
threading.Thread(target=_stdin_watch, daemon=True).start()
threading.Thread(target=_ppid_watch, daemon=True).start()
try:
    import moto
    import moto.server
except ImportError as error:
    sys.stderr.write("MOTO_MISSING: %s\\n" % error)
    sys.exit(3)
major = int((getattr(moto, "__version__", "0").split(".") or ["0"])[0] or 0)
if major < 5:
    sys.stderr.write("MOTO_TOO_OLD: moto %s\\n" % getattr(moto, "__version__", "?"))
    sys.exit(3)
logging.getLogger("werkzeug").setLevel(logging.WARNING)
# moto keeps nothing worth flushing: exit at once on SIGTERM instead of unwinding the server threads.
moto.server.signal_handler = lambda signum, frame: os._exit(0)
moto.server.main(["-H", "127.0.0.1", "-p", sys.argv[1]])
`;

/** A running moto server child. */
export interface MotoServer {
  url: string;
  port: number;
  pid: number;
  /** True while the child runs. */
  running(): boolean;
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ping(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${url}/moto-api/`, { method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** The Python interpreter to run moto with: `ECR_SENTINEL_PYTHON` or `python3`. */
export function pythonInterpreter(env: NodeJS.ProcessEnv = process.env): string {
  return env.ECR_SENTINEL_PYTHON?.trim() || 'python3';
}

async function launchOnce(python: string, port: number, timeoutMs: number): Promise<MotoServer> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(python, ['-c', WRAPPER, String(port), String(process.pid)], {
    stdio: ['pipe', 'ignore', 'pipe'],
    detached: true,
    env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8192);
  });
  // Keep the pipe open (it is the child's lifeline) but never let it keep our event loop alive.
  child.stdin?.on('error', () => {});
  const killOnExit = () => {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);

  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  const failure = (): Promise<never> => {
    process.off('exit', killOnExit);
    killOnExit();
    return Promise.reject(new MotoStartError(`moto did not answer on ${url} within ${timeoutMs} ms`));
  };
  for (;;) {
    const outcome = await Promise.race([
      spawnError.then((error) => ({ kind: 'error' as const, error })),
      exited.then((code) => ({ kind: 'exit' as const, code })),
      new Promise<{ kind: 'tick' }>((resolve) => setTimeout(() => resolve({ kind: 'tick' }), 50)),
    ]);
    if (outcome.kind === 'error') {
      process.off('exit', killOnExit);
      const code = (outcome.error as NodeJS.ErrnoException).code;
      throw new MotoUnavailableError(
        code === 'ENOENT'
          ? `Python interpreter "${python}" was not found. ${MOTO_INSTALL_ADVICE}`
          : `Could not run "${python}" (${outcome.error.message}). ${MOTO_INSTALL_ADVICE}`,
      );
    }
    if (outcome.kind === 'exit') {
      process.off('exit', killOnExit);
      // Give the stderr pipe a moment to deliver what the child wrote.
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (stderr.includes('MOTO_MISSING') || stderr.includes('MOTO_TOO_OLD')) {
        const detail = stderr.match(/MOTO_(?:MISSING|TOO_OLD): (.*)/)?.[1] ?? 'moto is not installed';
        throw new MotoUnavailableError(
          `moto is not available to "${python}" (${detail}). ${MOTO_INSTALL_ADVICE}`,
        );
      }
      if (outcome.code === 127 || /not found|No such file/i.test(stderr)) {
        throw new MotoUnavailableError(
          `Python interpreter "${python}" could not run. ${MOTO_INSTALL_ADVICE}`,
        );
      }
      throw new MotoStartError(
        `moto exited while starting (code ${outcome.code}): ${stderr.trim().slice(-2000)}`,
      );
    }
    if (await ping(url)) break;
    if (Date.now() > deadline) return failure();
  }

  const pid = child.pid ?? -1;
  return {
    url,
    port,
    pid,
    running: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      if (!(await waitExit(child, 3000))) {
        child.kill('SIGKILL');
        await waitExit(child, 2000);
      }
      child.stdin?.destroy();
      child.stderr?.destroy();
    },
  };
}

/**
 * Start `python -m moto.server` on a free loopback port and wait until it answers.
 * @throws MotoUnavailableError when Python or moto (>= 5) is missing
 */
export async function startMoto(options: { python?: string; timeoutMs?: number } = {}): Promise<MotoServer> {
  const python = options.python ?? pythonInterpreter();
  const timeoutMs = options.timeoutMs ?? 30_000;
  let lastError: unknown;
  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launchOnce(python, await freePort(), timeoutMs);
    } catch (error) {
      if (!(error instanceof MotoStartError) || !/Address already in use/i.test(error.message)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}
