import * as z from 'zod';

/**
 * The one home for which links an alert may carry and a rendering may show. A link reaches people as a Slack
 * button or mrkdwn link, so a `javascript:` or look-alike host must never pass; both the alert document schema
 * (what notify-slack accepts) and the renderers (what they draw) ask these predicates.
 */

/** Longest link kept: Slack's limit for a button URL. https://docs.slack.dev/reference/block-kit/block-elements/button-element */
export const LINK_MAX = 3000;

/**
 * Hosts of the AWS Management Console: the global `console.aws.amazon.com` and its Regional endpoints
 * `REGION.console.aws.amazon.com` (https://docs.aws.amazon.com/general/latest/gr/mgmt-console.html), and the
 * consoles of the other partitions, which live on their own domains: AWS GovCloud (US)
 * `console.amazonaws-us-gov.com` (https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/accessing-govcloud.html)
 * and China `console.amazonaws.cn` (https://docs.amazonaws.cn/en_us/aws/latest/userguide/endpoints-arns.html),
 * each also with a Region label in front. Nothing else: no look-alike host, no other port, no http.
 */
const CONSOLE_HOST = /^(?:[a-z0-9-]+\.)?console\.(?:aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)$/;

/**
 * The URL a raw string denotes, or undefined when it is not one to show anyone: whitespace or control
 * characters (which the URL parser would silently drop), credentials, or longer than {@link LINK_MAX}.
 */
function parseLink(text: string): URL | undefined {
  if (text.length > LINK_MAX || /[\s\p{Cc}]/u.test(text)) return undefined;
  try {
    const url = new URL(text);
    return url.username || url.password ? undefined : url;
  } catch {
    return undefined;
  }
}

/** An http(s) link to show as is (finding links: NVD, distribution trackers…). */
export function isWebLink(text: string): boolean {
  const url = parseLink(text);
  return url !== undefined && (url.protocol === 'https:' || url.protocol === 'http:');
}

/** An https link into the AWS Management Console, on its default port. */
export function isConsoleUrl(text: string): boolean {
  const url = parseLink(text);
  return url !== undefined && url.protocol === 'https:' && url.port === '' && CONSOLE_HOST.test(url.hostname);
}

/** A finding link in an alert document: {@link isWebLink}, the error naming what was expected. */
export const webLinkSchema = z
  .string()
  .refine(
    isWebLink,
    `expected an http(s) URL of at most ${LINK_MAX} characters, without spaces or credentials`,
  );

/** The console link of an alert document: {@link isConsoleUrl}, the error naming what was expected. */
export const consoleUrlSchema = z
  .string()
  .refine(
    isConsoleUrl,
    'expected an https URL of the AWS console (console.aws.amazon.com, console.amazonaws-us-gov.com, console.amazonaws.cn or a Regional host of one)',
  );

/**
 * A console URL that fits: as is when it does, else its console's front page (a cut URL would point nowhere).
 * For an alert whose fields are too large to send; the link still opens the right console and Region.
 */
export function fittedConsoleUrl(text: string, max: number): string {
  if (text.length <= max && isConsoleUrl(text)) return text;
  const url = parseLink(text.slice(0, Math.min(text.length, LINK_MAX)));
  if (url && isConsoleUrl(url.origin)) return `${url.origin}/`;
  return 'https://console.aws.amazon.com/';
}
