/**
 * What the CLI writes for a person at a terminal, and only there: colours and progress lines. Piped or
 * redirected, every command prints plain text (no escape codes, no carriage returns). One home for the rules
 * (README, The command line), so that every command follows them alike:
 * - colour on a terminal (TTY) unless NO_COLOR is set to anything but the empty string (https://no-color.org)
 *   or TERM is `dumb`; FORCE_COLOR (as Node and most tools read it) forces colour on, even piped, or off
 *   with `0` or `false`;
 * - progress only on a terminal (TTY, TERM not `dumb`), whatever the colour settings.
 * A declaration-safe module (Node's own modules only): main.ts styles `--help` with it.
 */

/** The stream properties the rules look at (process.stdout and process.stderr have them). */
export interface TerminalStream {
  isTTY?: boolean | undefined;
  write(text: string): unknown;
}

type Environment = Readonly<Record<string, string | undefined>>;

/** Whether what is written to `stream` may be coloured (see the module's rules). */
export function colourEnabled(stream: TerminalStream, env: Environment = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !['0', 'false'].includes(force.trim().toLowerCase());
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTerminal(stream, env);
}

/** Whether `stream` is a terminal a person watches: a TTY whose TERM is not `dumb`. */
export function isTerminal(stream: TerminalStream, env: Environment = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** Text styles; each returns its text unchanged when colour is off. */
export interface Styles {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const SGR = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39] } as const;

/** The styles as ANSI SGR sequences, always: for output whose writer strips them when colour is off (commander). */
export function ansiStyles(): Styles {
  const style =
    ([open, close]: readonly [number, number]) =>
    (text: string) =>
      text === '' ? text : `\u001b[${open}m${text}\u001b[${close}m`;
  return {
    bold: style(SGR.bold),
    dim: style(SGR.dim),
    red: style(SGR.red),
    green: style(SGR.green),
    yellow: style(SGR.yellow),
  };
}

const PLAIN: Styles = { bold: (t) => t, dim: (t) => t, red: (t) => t, green: (t) => t, yellow: (t) => t };

/** The styles for text written to `stream`: ANSI SGR sequences when {@link colourEnabled}, else none. */
export function styles(stream: TerminalStream, env: Environment = process.env): Styles {
  return colourEnabled(stream, env) ? ansiStyles() : PLAIN;
}

/** A progress line redrawn in place (carriage return), ended with a newline. */
export interface Progress {
  /** Redraw the line: `done` of `total`; at `done >= total` the line ends. */
  update(done: number, total: number): void;
}

/**
 * A bar `LABEL [#####.....] done/total` on `stream`, or undefined when `stream` is not a terminal (piped,
 * redirected, TERM=dumb): the caller then reports no progress, and its output stays lines of plain text.
 */
export function progressBar(
  label: string,
  stream: TerminalStream = process.stderr,
  env: Environment = process.env,
): Progress | undefined {
  if (!isTerminal(stream, env)) return undefined;
  const width = 30;
  let ended = false;
  return {
    update(done, total) {
      if (ended) return;
      const filled = total <= 0 ? width : Math.min(width, Math.round((done / total) * width));
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
      if (done >= total) {
        stream.write('\n');
        ended = true;
      }
    },
  };
}
