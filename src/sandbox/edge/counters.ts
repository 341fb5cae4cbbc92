/** Requests made per service and action (faulted requests included). */
export class RequestCounters {
  private readonly counts = new Map<string, Map<string, number>>();

  record(service: string, action: string): void {
    let actions = this.counts.get(service);
    if (!actions) {
      actions = new Map();
      this.counts.set(service, actions);
    }
    actions.set(action, (actions.get(action) ?? 0) + 1);
  }

  /** `{"ecr":{"DescribeImages":3},"dynamodb":{"PutItem":2}}`, services and actions sorted by name. */
  snapshot(): Record<string, Record<string, number>> {
    const result: Record<string, Record<string, number>> = {};
    for (const service of [...this.counts.keys()].sort()) {
      const actions = this.counts.get(service) ?? new Map<string, number>();
      result[service] = Object.fromEntries([...actions.entries()].sort(([a], [b]) => a.localeCompare(b)));
    }
    return result;
  }

  clear(): void {
    this.counts.clear();
  }
}
