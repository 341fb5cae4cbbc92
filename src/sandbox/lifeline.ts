/**
 * `ecr-sentinel sandbox --exit-with-parent`: the sandbox's tie to the process that started it, so a program that
 * spawns it (a test runner, an editor, a script) can't leave it, and moto with it, running on its port when that
 * program dies, however it dies (kill -9 included: no code of the parent's runs, so the child must notice).
 * moto's launcher ties moto to the sandbox the same way (moto/launcher.ts).
 *
 * Two signs that the parent is gone, either one enough:
 * - stdin, when it is a pipe or a socket (Node's `spawn` default), reaches end of file: the kernel closes the
 *   parent's end when it dies. This reaches through wrappers that keep running themselves (`npx`, `npm exec`, a
 *   shell), which share that stdin. What arrives on it is read and ignored.
 * - the parent process changes (the sandbox is re-parented to init or a subreaper): checked every `intervalMs`.
 * A terminal's stdin (a TTY) and /dev/null are not watched; the parent check still is.
 */
import { fstatSync, readFileSync } from 'node:fs';

export interface LifelineOptions {
  /** Called once, when the parent is found gone. */
  onParentGone: (why: string) => void;
  /** How often the parent pid is checked (default 500 ms). */
  intervalMs?: number;
  /** The stream whose end means the parent is gone (default process.stdin, when it is a pipe or socket). */
  stdin?: NodeJS.ReadableStream & { destroy?: () => void };
  /** The parent pid at start (default process.ppid). */
  parentPid?: number;
  /** The current parent pid (default: read from /proc on Linux; elsewhere whether `parentPid` still lives). */
  currentParentPid?: () => number | undefined;
}

/** True when file descriptor 0 is a pipe or a socket (not a terminal, a file or /dev/null). */
export function stdinIsPipe(): boolean {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

/**
 * This process's parent pid as the kernel says now (`process.ppid` is read once, at start), from
 * /proc/self/stat (Linux); undefined where there is no /proc.
 */
export function livePpid(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so count from the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Watch for the parent's end; returns the function that stops watching (and lets stdin go), for a sandbox that
 * stops for another reason. `onParentGone` is called at most once.
 */
export function watchParent(options: LifelineOptions): () => void {
  const parent = options.parentPid ?? process.ppid;
  const current =
    options.currentParentPid ??
    (() => {
      const live = livePpid();
      if (live !== undefined) return live;
      return alive(parent) ? parent : undefined;
    });
  let done = false;
  const gone = (why: string) => {
    if (done) return;
    stop();
    options.onParentGone(why);
  };

  const timer = setInterval(() => {
    const now = current();
    if (now !== parent) gone(`parent process ${parent} is gone`);
  }, options.intervalMs ?? 500);
  timer.unref();

  const stdin = options.stdin ?? (stdinIsPipe() ? process.stdin : undefined);
  const onEnd = () => gone('stdin closed');
  const ignore = () => {};
  if (stdin) {
    stdin.on('data', ignore);
    stdin.on('end', onEnd);
    stdin.on('error', onEnd);
    stdin.resume();
  }

  function stop(): void {
    if (done) return;
    done = true;
    clearInterval(timer);
    if (stdin) {
      stdin.off('data', ignore);
      stdin.off('end', onEnd);
      stdin.off('error', onEnd);
      // A pipe being read keeps the event loop alive: let it go so a normal stop can exit.
      stdin.pause();
      stdin.destroy?.();
    }
  }
  return stop;
}

/**
 * Writes to stdout/stderr after the parent is gone fail with EPIPE (the reader is dead); without a listener that
 * error would end the process before it stops moto and frees its port. Returns the function that removes them.
 */
export function ignoreBrokenPipes(): () => void {
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
  return () => {
    process.stdout.off('error', onError);
    process.stderr.off('error', onError);
  };
}
