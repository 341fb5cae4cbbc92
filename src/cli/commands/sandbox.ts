/**
 * `ecr-sentinel sandbox`: the command as `--help` shows it, and its option parsing. What it does is in
 * sandbox-actions.ts, loaded when it runs: the sandbox, moto's launcher and the local Lambda runtime.
 */
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT } from '../../sandbox/defaults.ts';
import { isLoopbackAddress } from '../../sandbox/edge/guard.ts';
import { LOG_FORMATS, type LogFormat } from '../../sandbox/runtime/log-format.ts';
import { helpAfter } from '../../shared/cli-options.ts';
import { CONFIG_FILE, SERVERLESS_FILE } from '../../shared/project-root.ts';

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A listen port from the command line, or an error message. */
export function parsePort(value: string): number | string {
  if (!/^\d+$/.test(value.trim())) return `--port must be a whole number from 1 to 65535, got "${value}"`;
  const port = Number(value);
  if (port < 1 || port > 65535) return `--port must be from 1 to 65535, got ${value}`;
  return port;
}

/** A listen address from the command line, or an error message. */
export function parseHost(value: string): string | { error: string } {
  const host = value.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0 || HOSTNAME.test(host)) return host;
  return { error: `--host must be an IP address or host name such as 127.0.0.1 or 0.0.0.0, got "${value}"` };
}

/**
 * The function log format: the one asked for, else `pretty` when logs go to a terminal and `json` when they are
 * piped or redirected (a program reading them gets the lines as the functions printed them); or an error message.
 */
export function parseLogFormat(value: string | undefined, terminal: boolean): LogFormat | { error: string } {
  if (value === undefined) return terminal ? 'pretty' : 'json';
  const format = value.trim().toLowerCase();
  if ((LOG_FORMATS as readonly string[]).includes(format)) return format as LogFormat;
  return { error: `--log-format must be one of ${LOG_FORMATS.join(', ')}, got "${value}"` };
}

/** The warning printed when the sandbox listens on `host`, or undefined for a loopback address. */
export function exposureWarning(host: string, port: number): string | undefined {
  if (isLoopbackAddress(host)) return undefined;
  return `sandbox: warning: listening on ${host}, which is not a loopback address: anyone who can reach this machine on port ${port} can use the admin API (reset, faults, outboxes) and every emulated service; use --host 127.0.0.1 unless that is what you want`;
}

const HELP = `
The sandbox is one endpoint for every AWS service the project uses:
  ECR                   the built-in emulator (X-Amz-Target AmazonEC2ContainerRegistry_V20150921.*)
  everything else       proxied to moto (DynamoDB, SNS, SQS, EventBridge, SSM, ...), started as a child
                        process: python3 -m moto.server (needs: pip install 'moto[server]>=5')

Point clients at it:
  export AWS_ENDPOINT_URL=http://127.0.0.1:4566          (AWS SDKs)
  aws --endpoint-url http://127.0.0.1:4566 ecr describe-repositories      (AWS CLI)
  any credentials work and act in account 123456789012; the Region is the one requests are signed for. Keys
  from STS AssumeRole (through the sandbox) act in the role's account: ECR keeps one registry per account and
  Region, and another account's repository is reachable only when its repository policy allows the caller.

Admin API (JSON; every POST needs content-type: application/json), under http://HOST:PORT/_sandbox/:
  GET  health                     status, moto pid, event counts
  POST reset                      empty every service, outbox, fault, counter; clock back to real time
  GET|DELETE requests             request counts per service and action
  GET|POST clock                  {"now":"<ISO-8601>"} | {"advanceSeconds":N} | {"reset":true}
  GET|POST|DELETE faults          {"service":"ecr","action":"PutImage","rate":0.2,"error":"ThrottlingException"}
                                  "nth":N fails only the Nth matching request, "times":N the first N (both:
                                  N from the nth on); GET shows each rule's "seen" and "fired" counts
  GET|POST findings               what the next scan of an image reports
  GET|DELETE outbox/email         what SNS email/email-json subscriptions would have received
  GET|DELETE outbox/slack         what was posted to the stand-in Slack webhook
  POST webhooks/slack             the stand-in Slack incoming webhook (use it as the webhook URL)
  GET  functions                  the local Lambda runtime's functions, stats and recent invocations
  POST invoke                     {"function":"onImagePushed","event":{...}} (or: ecr-sentinel invoke)
  POST idle                       wait until the functions have handled every queued event
  GET  iam/principals             the functions' credentials and roles the edge holds their calls to
  GET|DELETE iam/denials          the calls a function's role did not allow

Requests a web page could have sent are refused with 403, on every path: a Host other than localhost, an IP
address or --host (DNS rebinding), another site's Origin or Sec-Fetch-Site. A --host other than a loopback
address exposes the admin API and every service to the network (a warning is printed).

Local Lambda runtime (on unless --no-runtime): the functions of serverless.yml run in-process on the same
code that is deployed. Their EventBridge rules, schedules, SNS/SQS sources and resources (tables, queues,
topics) are created in moto for --stage; a failed async invocation is retried twice, then sent to the
function's onFailure queue. Each invocation's log lines are printed to stderr with the function name:
--log-format pretty (the default on a terminal) prints time, function, level, message and the line's own
keys, e.g. "07:41:03.120 onScanCompleted INFO  scan event handled status=PASS"; --log-format json (the default
when stderr is piped or redirected) prints each line as the function printed it (Powertools' JSON), after
"[functionName] ". NO_COLOR turns the pretty format's colours off.
The sandbox clock (POST clock) is the functions' clock too: inside an invocation, the time the handlers read
is the sandbox's, so e.g. a CVE exception's expiry is tested by moving the clock.
IAM (on unless --no-iam): each function runs with credentials of its own, and every call it makes is held to
its execution role from serverless.yml (action and resource ARN, Allow/Deny, wildcards, conditions): a call
the role does not allow is refused with AccessDeniedException as AWS would, and listed at iam/denials.
Calls with other credentials (yours, the AWS CLI's) are not checked.
--config's alerts wire the alerts: its alerts.email addresses are subscribed to the alerts topic (their mail
lands in outbox/email) and its alerts.slack.webhookParameter is seeded (SSM SecureString) with the stand-in
webhook's URL, so notify-slack's posts land in outbox/slack.

State: in memory by default. --state-dir keeps ECR state (repositories, images, blobs) across restarts;
moto's state (DynamoDB, SNS, SQS, EventBridge) is never persisted.

Environment:
  ECR_SENTINEL_PYTHON   Python interpreter that has moto (default python3)

Prints "sandbox ready on http://HOST:PORT" on stdout once it accepts requests; logs go to stderr.
Runs until SIGINT (Ctrl-C) or SIGTERM, then stops moto and exits 0. With --exit-with-parent it also stops
(and stops moto) when the process that started it is gone, however it ended (kill -9 included): when its
stdin, if a pipe (Node's spawn default; it reaches through npx and shells), reaches end of file, or when its
parent process changes. For programs that start a sandbox for themselves; a terminal doesn't need it.
Exit codes: 0 stopped cleanly, 2 bad option, port in use, or Python/moto missing.`;

/** The options of `sandbox`, as commander parses them. */
export interface SandboxCommandOptions {
  host: string;
  port: string;
  stateDir?: string;
  runtime: boolean;
  iam: boolean;
  serverlessFile: string;
  config: string;
  stage: string;
  scanDelayMs: string;
  verbose?: boolean;
  logFormat?: string;
  exitWithParent?: boolean;
}

/** `ecr-sentinel sandbox [--host 127.0.0.1] [--port 4566] [--state-dir DIR] [--verbose]`. */
export function registerSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('Run the local AWS sandbox (ECR emulator + moto) on one endpoint, in the foreground')
    .option('--host <host>', 'address to listen on', DEFAULT_HOST)
    .option('--port <port>', 'port to listen on (1-65535)', String(DEFAULT_PORT))
    .option('--state-dir <dir>', 'load and save ECR state in this directory (moto state stays in memory)')
    .option('--scan-delay-ms <ms>', 'milliseconds an image scan takes to complete', '1000')
    .option('--verbose', 'log every request (service action status ms) to stderr')
    .option(
      '--log-format <format>',
      "functions' logs: pretty (time, function, level, message, keys) or json (as printed); default pretty on a terminal, else json",
    )
    .option(
      '--exit-with-parent',
      'stop (and stop moto) when the process that started it dies or closes its stdin pipe',
    )
    .option('--no-runtime', "don't run serverless.yml's functions (the local Lambda runtime)")
    .option('--no-iam', "don't hold the functions' calls to their execution roles")
    .option('--serverless-file <file>', 'serverless.yml whose functions the runtime runs', SERVERLESS_FILE)
    .option(
      '--stage <stage>',
      'stage the local functions and resources are named for (as serverless --stage)',
      'dev',
    )
    .option(
      '-c, --config <file>',
      'sentinel.config.yml the functions run with (email subscriptions, Slack webhook parameter)',
      CONFIG_FILE,
    )
    .addHelpText('after', helpAfter(HELP))
    .action(async (options: SandboxCommandOptions) =>
      (await import('./sandbox-actions.ts')).sandboxCommand(options),
    );
}
