/**
 * Who may drive the sandbox. Any web page the developer opens can send requests to 127.0.0.1: cross-origin
 * "simple" requests (text/plain POSTs, no-cors GETs) need no CORS grant, and a page whose own host name is
 * re-pointed at 127.0.0.1 (DNS rebinding) even reads the answers as same-origin. Browsers give such requests
 * away: a rebound page's requests carry the attacker's name in `Host`, a cross-origin request carries its page's
 * `Origin`, and modern browsers add `Sec-Fetch-Site` to every request. AWS SDKs, the AWS CLI, the runtime's own
 * calls and the tests carry `Host` = the endpoint's host and neither of the other two, so they are unaffected.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';

/** The host name of a `Host` header (brackets of an IPv6 literal, the port and a final dot removed), lowercased. */
export function hostnameOf(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  const name = value.startsWith('[')
    ? value.slice(1, value.indexOf(']') === -1 ? undefined : value.indexOf(']'))
    : value.replace(/:\d*$/, '');
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** `localhost` and its subdomains, which resolve to loopback (RFC 6761) and so can't be rebound. */
function isLocalhostName(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost');
}

/**
 * Whether the sandbox listening on `address` (an IP address or host name, IPv6 with or without brackets) is
 * reachable only from this machine: 127.0.0.0/8, ::1, localhost. Anything else may expose it to the network.
 */
export function isLoopbackAddress(address: string): boolean {
  const host = hostnameOf(address.includes(':') && !address.startsWith('[') ? `[${address}]` : address);
  if (isLocalhostName(host)) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(host);
}

/**
 * Whether a request's `Host` may reach the sandbox bound to `boundHost`: a localhost name, any IP literal, or
 * the name the sandbox was bound to. DNS rebinding needs a name the attacker's DNS answers for, so an IP literal
 * is never a rebinding; allowing every IP (not only loopback and the bound one) keeps `--host 0.0.0.0` usable
 * from another machine or a container, which reaches the sandbox by an address it was not bound to. The port is
 * not compared: a port mapping (docker -p) changes the port a client sees, and the attack is the name.
 */
export function isAllowedHost(hostHeader: string, boundHost: string): boolean {
  const hostname = hostnameOf(hostHeader);
  if (hostname === '') return false;
  return isLocalhostName(hostname) || isIP(hostname) !== 0 || hostname === hostnameOf(boundHost);
}

/**
 * Why a request must be refused (403), or undefined when it may proceed. Applied to every request at the edge,
 * not only to the admin API: moto answers every CORS preflight with "any origin allowed", so without this a page
 * could read and write DynamoDB, SQS, SNS and SSM through the edge; and a rebound page could call ECR.
 */
export function refusal(headers: IncomingHttpHeaders, boundHost: string): string | undefined {
  const host = headers.host;
  // Browsers always send Host; a client without it (HTTP/1.0) is a program, not a page.
  if (host !== undefined && !isAllowedHost(host, boundHost)) {
    return `Host "${host}" is not this sandbox (use localhost, an IP address or ${boundHost}); requests naming another host are refused so that a web page cannot reach the sandbox by DNS rebinding`;
  }
  const origin = headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${(host ?? '').toLowerCase()}`) {
    return `Origin "${origin}" is not this sandbox's own (http://${host ?? ''}); cross-origin requests from web pages are refused`;
  }
  // A browser's no-cors GET (an <img>, a link) carries no Origin, but every current browser marks it so.
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `Sec-Fetch-Site "${site}": requests from other web sites are refused`;
  }
  return undefined;
}

/**
 * Why an admin POST must be refused (415), or undefined when it says it is JSON. A browser can't send
 * `content-type: application/json` cross-origin without a CORS preflight, which the sandbox never grants.
 */
export function nonJsonRefusal(
  method: string,
  path: string,
  contentType: string | undefined,
): string | undefined {
  if (method !== 'POST') return undefined;
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/json') return undefined;
  return `POST ${path} needs the header "content-type: application/json" (got ${contentType === undefined ? 'none' : `"${contentType}"`})`;
}
