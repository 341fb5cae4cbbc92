import { describe, expect, it } from 'vitest';
import { checkConfigText } from '../../src/config/load.ts';
import { didYouMean, editDistance, knownKeysAt } from '../../src/config/messages.ts';
import { sentinelConfigSchema } from '../../src/config/schema.ts';

const NOW = new Date('2026-11-28T00:00:00Z');

function errorsOf(text: string) {
  return checkConfigText(text, NOW).errors;
}

/** zod's own wording, which must never reach a user. */
const ZOD_WORDS = /Invalid input|received|Too small|Too big|Unrecognized key|Invalid option|Invalid string/;

describe('configuration problems in the project’s words', () => {
  it.each([
    [
      'a number where text is expected',
      'version: 1\nenvironments:\n  - name: dev\n    region: 5\n',
      'environments[0].region',
      4,
      'expected text, found the number 5',
    ],
    [
      'text where true or false is expected',
      'version: 1\nenvironments:\n  - name: dev\n    requiresApproval: maybe\n',
      'environments[0].requiresApproval',
      4,
      'expected true or false, found text "maybe"',
    ],
    [
      'a missing required key',
      'version: 1\nrepositoryGroups:\n  - name: g\n',
      'repositoryGroups[0].repositories',
      3,
      'required: expected a list',
    ],
    [
      'an empty list',
      'version: 1\nrepositoryGroups:\n  - name: g\n    repositories: []\n',
      'repositoryGroups[0].repositories',
      4,
      'expected at least one item',
    ],
    [
      'a negative threshold',
      'version: 1\nscanGate:\n  defaults:\n    thresholds: { HIGH: -1 }\n',
      'scanGate.defaults.thresholds.HIGH',
      4,
      'expected at least 0, found the number -1',
    ],
    [
      'a misspelt choice',
      'version: 1\nscanGate:\n  defaults:\n    alertOn: chnage\n',
      'scanGate.defaults.alertOn',
      4,
      'expected one of "change", "always", found text "chnage"; did you mean "change"?',
    ],
    [
      'a mapping where a list is expected',
      'version: 1\napplications: { name: a }\n',
      'applications',
      2,
      'expected a list, found a mapping',
    ],
  ])('says what is expected for %s, at its line', (_, text, path, line, message) => {
    const errors = errorsOf(text);

    expect(errors).toEqual([expect.objectContaining({ path, line, message })]);
    expect(errors[0]?.message).not.toMatch(ZOD_WORDS);
  });

  it.each([
    [
      'requiresAproval',
      'version: 1\nenvironments:\n  - name: dev\n    requiresAproval: true\n',
      'environments[0].requiresAproval',
      'requiresApproval',
    ],
    ['scanGat', 'version: 1\nscanGat: {}\n', 'scanGat', 'scanGate'],
    [
      'enforcment',
      'version: 1\nscanGate:\n  defaults:\n    enforcment: untag\n',
      'scanGate.defaults.enforcment',
      'enforcement',
    ],
    [
      'thresholds',
      'version: 1\nscanGate:\n  environments:\n    prod: { treshold: {} }\n',
      'scanGate.environments.prod.treshold',
      'thresholds',
    ],
    ['dryrun', 'version: 1\ncleanup:\n  dryrun: true\n', 'cleanup.dryrun', 'dryRun'],
  ])(
    'suggests the key a misspelt %s probably meant, from the keys known at that place',
    (_, text, path, meant) => {
      const errors = errorsOf(text);

      expect(errors).toEqual([
        expect.objectContaining({ path, message: expect.stringContaining(`; did you mean "${meant}"?`) }),
      ]);
    },
  );

  it('suggests nothing for a key unlike any known one', () => {
    expect(errorsOf('version: 1\nfrobnicate: 1\n')[0]?.message).toBe('unknown key "frobnicate"');
  });

  it('reports every problem in one pass, duplicates and schema alike, sorted by line, each at its key', () => {
    const text = [
      'version: 1',
      'scanGate:',
      '  defaults:',
      '    alertOn: sometimes',
      'environments:',
      '  - name: dev',
      '    requiresApproval: maybe',
      '    colour: blue',
      'version: 1',
    ].join('\n');

    const errors = errorsOf(text);

    expect(errors.map((e) => [e.line, e.column, e.path])).toEqual([
      [4, 5, 'scanGate.defaults.alertOn'],
      [7, 5, 'environments[0].requiresApproval'],
      [8, 5, 'environments[0].colour'],
      [9, 1, 'version'],
    ]);
    for (const error of errors) expect(error.message).not.toMatch(ZOD_WORDS);
  });

  it('reports each of several unknown keys in one mapping at its own line', () => {
    const errors = errorsOf('version: 1\nalerts:\n  emial: []\n  slak: {}\n');

    expect(errors.map((e) => [e.line, e.message])).toEqual([
      [3, 'unknown key "emial"; did you mean "email"?'],
      [4, 'unknown key "slak"; did you mean "slack"?'],
    ]);
  });
});

describe('did you mean', () => {
  it.each([
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['dryRun', 'dryRun', 0],
    ['enforcment', 'enforcement', 1],
  ])('measures %s → %s as %i edits', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });

  it.each([
    ['dryrun', ['dryRun', 'noticeDays'], '; did you mean "dryRun"?'],
    ['x', ['y', 'version'], '; did you mean "y"?'],
    ['colour', ['name', 'region'], ''],
  ])('suggests for %s among %j: %s', (given, candidates, expected) => {
    expect(didYouMean(given, candidates)).toBe(expected);
  });

  it('knows the keys of each place in the schema, through lists, records and defaults', () => {
    expect(knownKeysAt(sentinelConfigSchema, [])).toContain('repositoryGroups');
    expect(knownKeysAt(sentinelConfigSchema, ['environments', 0])).toContain('requiresApproval');
    expect(knownKeysAt(sentinelConfigSchema, ['scanGate', 'groups', 'services'])).toContain('thresholds');
  });
});
