/**
 * AWS's paging on top of moto, which ignores `maxResults` / `nextToken` (ECS) and `MaxItems` / `Marker`
 * (Lambda) and answers every item at once, and ignores ListTaskDefinitions' `sort`. An SDK middleware on a test's
 * client cuts each answer into pages of `pageSize` items with a token, in the order AWS would give, so an adapter's
 * paging runs against real sandbox data. AWS may return fewer items than asked with a token; so does this.
 */

/** How one listing pages: the item field of its output, its token fields in and out. */
export interface Listing {
  readonly items: string;
  readonly tokenIn: string;
  readonly tokenOut: string;
}

/** ECS List* calls the signals use. */
export const ECS_LISTINGS: Readonly<Record<string, Listing>> = {
  ListClustersCommand: { items: 'clusterArns', tokenIn: 'nextToken', tokenOut: 'nextToken' },
  ListServicesCommand: { items: 'serviceArns', tokenIn: 'nextToken', tokenOut: 'nextToken' },
  ListTasksCommand: { items: 'taskArns', tokenIn: 'nextToken', tokenOut: 'nextToken' },
  ListTaskDefinitionFamiliesCommand: { items: 'families', tokenIn: 'nextToken', tokenOut: 'nextToken' },
  ListTaskDefinitionsCommand: { items: 'taskDefinitionArns', tokenIn: 'nextToken', tokenOut: 'nextToken' },
};

/** Lambda List* calls the signals use. */
export const LAMBDA_LISTINGS: Readonly<Record<string, Listing>> = {
  ListFunctionsCommand: { items: 'Functions', tokenIn: 'Marker', tokenOut: 'NextMarker' },
  ListVersionsByFunctionCommand: { items: 'Versions', tokenIn: 'Marker', tokenOut: 'NextMarker' },
};

interface Stack {
  middlewareStack: {
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware types differ per client; this is test glue.
    add(middleware: any, options: { step: 'initialize'; name: string }): void;
  };
}

/** The calls a client made: every command with its input (a listing once per page read). */
export class CallLog {
  readonly entries: Array<{ command: string; input: Record<string, unknown> }> = [];

  /** How many `command`s were sent (whose input passes `where`, when given). */
  count(command: string, where: (input: Record<string, unknown>) => boolean = () => true): number {
    return this.entries.filter((e) => e.command === command && where(e.input)).length;
  }

  clear(): void {
    this.entries.length = 0;
  }
}

/**
 * Page `client`'s listings like AWS. Returns the log of the calls made (every command, listings once per page
 * read), to prove an adapter read more than one page or described something once.
 */
export function pageLikeAws(client: Stack, listings: Readonly<Record<string, Listing>>, pageSize = 2) {
  const calls = new CallLog();
  client.middlewareStack.add(
    (
      next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>,
      context: { commandName?: string },
    ) =>
      async (args: { input: Record<string, unknown> }) => {
        const name = context.commandName ?? '';
        calls.entries.push({ command: name, input: { ...args.input } });
        const listing = listings[name];
        if (listing === undefined) return next(args);
        const token = args.input[listing.tokenIn];
        const start = typeof token === 'string' ? Number(token) : 0;
        const result = await next({ ...args, input: { ...args.input, [listing.tokenIn]: undefined } });
        let items = (result.output[listing.items] as unknown[] | undefined) ?? [];
        // moto lists task definitions oldest first whatever `sort` says.
        if (args.input.sort === 'DESC') items = [...items].reverse();
        const end = start + pageSize;
        return {
          ...result,
          output: {
            ...result.output,
            [listing.items]: items.slice(start, end),
            [listing.tokenOut]: end < items.length ? String(end) : undefined,
          },
        };
      },
    { step: 'initialize', name: 'pageLikeAws' },
  );
  return calls;
}
