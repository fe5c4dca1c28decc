import { legacyEnum } from '../../kernel/builder.js';
import { builder } from '../builder.js';
import { artifactVersionDiff, type FieldChange, type VersionDiff } from './diff.service.js';
import type { DiffLine } from './line-diff.js';

const ArtifactKindEnum = legacyEnum(
  builder,
  'ArtifactKind',
  ['prompt', 'tool', 'runtime_config'] as const,
  'The versioned artifacts of an agent.',
);

const DiffOpEnum = legacyEnum(
  builder,
  'DiffOp',
  ['equal', 'added', 'removed'] as const,
  'A line of a line diff: in both texts, only in the newer, only in the older.',
);

const FieldChangeRef = builder.objectRef<FieldChange>('ArtifactFieldChange').implement({
  description: 'A field whose value differs between two versions.',
  fields: (t) => ({
    field: t.exposeString('field', { description: 'GraphQL name of the field (e.g. template, maxTurns).' }),
    from: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Value in the older version.',
      resolve: (c) => c.from,
    }),
    to: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Value in the newer version.',
      resolve: (c) => c.to,
    }),
  }),
});

const DiffLineRef = builder.objectRef<DiffLine>('DiffLine').implement({
  description: 'One line of a line diff.',
  fields: (t) => ({
    op: t.field({ type: DiffOpEnum, description: 'Kept, added or removed.', resolve: (l) => l.op }),
    text: t.exposeString('text', { description: 'The line, without its newline.' }),
    fromLine: t.exposeInt('fromLine', { nullable: true, description: 'Line number in the older text.' }),
    toLine: t.exposeInt('toLine', { nullable: true, description: 'Line number in the newer text.' }),
  }),
});

const VersionDiffRef = builder.objectRef<VersionDiff>('ArtifactVersionDiff').implement({
  description: 'What changed between two versions of one prompt, tool or runtime config.',
  fields: (t) => ({
    kind: t.field({ type: ArtifactKindEnum, description: 'The kind of artifact.', resolve: (d) => d.kind }),
    artifactId: t.exposeID('artifactId', { description: 'The prompt, tool or runtime config.' }),
    fromVersionId: t.exposeID('fromVersionId', { description: 'The version compared from.' }),
    toVersionId: t.exposeID('toVersionId', { description: 'The version compared to.' }),
    fromVersion: t.exposeInt('fromVersion', { description: 'Number of the version compared from.' }),
    toVersion: t.exposeInt('toVersion', { description: 'Number of the version compared to.' }),
    changes: t.field({
      type: [FieldChangeRef],
      description: 'Fields that differ.',
      resolve: (d) => d.changes,
    }),
    templateDiff: t.field({
      type: [DiffLineRef],
      description: 'Line diff of the prompt template (empty for tools and runtime configs).',
      resolve: (d) => d.templateDiff,
    }),
  }),
});

builder.queryField('artifactVersionDiff', (t) =>
  t.field({
    type: VersionDiffRef,
    description:
      'Compares two versions of one prompt, tool or runtime config: changed fields, and a line diff of a prompt template.',
    authScopes: { scope: 'agents:read' },
    args: {
      tenantId: t.arg.id({ required: true, description: 'Tenant id (UUID).' }),
      fromVersionId: t.arg.id({ required: true, description: 'The older version (UUID).' }),
      toVersionId: t.arg.id({ required: true, description: 'The newer version (UUID).' }),
    },
    resolve: (_root, args, ctx) =>
      artifactVersionDiff(ctx, String(args.tenantId), String(args.fromVersionId), String(args.toVersionId)),
  }),
);
