/** GraphQL pieces the three artifact modules share: pages, their arguments, the root fields. */
import type { ArgBuilder, InputObjectRef, ObjectRef } from '@pothos/core';
import type { SchemaTypes } from '../../kernel/builder.js';
import type { Page, PageArgs } from '../../kernel/pagination.js';
import { builder } from '../builder.js';
import {
  type ArtifactKind,
  type ArtifactRow,
  type CreateArtifactInput,
  createArtifact,
  createVersion,
  deleteVersion,
  getArtifact,
  getVersion,
  latestVersionNumber,
  listArtifacts,
  listVersions,
  listVersionsOf,
  type VersionRow,
} from './versioning.js';

type Types = PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>;

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** A `{ items, nextCursor }` page type of `item`. */
export function pageOf<T>(name: string, item: ObjectRef<Types, T>, description: string) {
  return builder.objectRef<Page<T>>(name).implement({
    description,
    fields: (t) => ({
      items: t.field({ type: [item], description: 'Items of this page.', resolve: (p) => p.items }),
      nextCursor: t.exposeString('nextCursor', {
        nullable: true,
        description: 'Cursor of the next page; null on the last.',
      }),
    }),
  });
}

/** `limit` and `cursor`, the arguments of every list field. */
export function pageArgs(arg: ArgBuilder<Types>) {
  return {
    limit: arg.int({ description: 'Page size (1–100, default 50).' }),
    cursor: arg.string({ description: 'Cursor from the previous page.' }),
  };
}

/**
 * An artifact kind's object type and its page: the fields every artifact has (name, description,
 * the latest version number, the version history), over the shared versioning service.
 */
export function artifactType<A extends ArtifactRow, V extends VersionRow>(spec: {
  kind: ArtifactKind<A, V, never, unknown>;
  /** GraphQL type name (`Prompt`) and its word in descriptions (`prompt`, `runtime config`). */
  typeName: string;
  label: string;
  description: string;
  versionPage: ObjectRef<Types, Page<V>>;
}) {
  const { kind, label } = spec;
  const Label = capitalized(label);
  const ref = builder.objectRef<A>(spec.typeName).implement({
    description: spec.description,
    fields: (t) => ({
      id: t.id({ description: `${Label} id (UUID).`, resolve: (a) => a.id }),
      tenantId: t.id({ description: `Tenant the ${label} belongs to.`, resolve: (a) => a.tenantId }),
      name: t.string({ description: 'Name, unique in the tenant.', resolve: (a) => a.name }),
      description: t.string({ description: `What the ${label} is for.`, resolve: (a) => a.description }),
      latestVersion: t.int({
        nullable: true,
        description: 'Number of the newest existing version (null: no version yet).',
        resolve: (a, _args, ctx) => latestVersionNumber(ctx, kind, a),
      }),
      versions: t.field({
        type: spec.versionPage,
        description: 'Version history, newest first.',
        authScopes: { scope: 'agents:read' },
        args: pageArgs(t.arg),
        resolve: (a, args, ctx) => listVersionsOf<V>(ctx, kind, a, args),
      }),
      createdBy: t.id({
        nullable: true,
        description: 'User who created it (null: an API key).',
        resolve: (a) => a.createdBy,
      }),
      createdAt: t.field({ type: 'DateTime', description: 'Creation time.', resolve: (a) => a.createdAt }),
      updatedAt: t.field({
        type: 'DateTime',
        description: 'Last change (a new version counts).',
        resolve: (a) => a.updatedAt,
      }),
    }),
  });
  const page = pageOf(`${spec.typeName}Page`, ref, `A page of ${label}s, newest first.`);
  return { ref, page };
}

/** What the seven root fields of one artifact kind need: its names, its types, its service kind. */
export interface ArtifactFieldsSpec<A extends ArtifactRow, V extends VersionRow, Input> {
  kind: ArtifactKind<A, V, Input, unknown>;
  /** Field-name stem and plural: `prompt`/`prompts` → `createPrompt`, `promptVersions` … */
  name: string;
  plural: string;
  /** In descriptions: `prompt`, `runtime config`. */
  label: string;
  /** The artifact id argument, as the REST path names it (`promptId`, `toolId`, `configId`). */
  idArg: string;
  artifact: ObjectRef<Types, A>;
  version: ObjectRef<Types, V>;
  artifactPage: ObjectRef<Types, Page<A>>;
  versionPage: ObjectRef<Types, Page<V>>;
  createInput: InputObjectRef<Types, CreateArtifactInput<Input>>;
  versionInput: InputObjectRef<Types, Input>;
  /** Descriptions that say more than the generic ones, where a kind has more to say. */
  describe?: { list?: string; createVersion?: string };
}

/**
 * Pothos types a single-object result with a conditional type that TypeScript cannot reduce while
 * the row type is still a type parameter; the row is what the field's ref says, so hand it over as is.
 */
const settled = <T>(result: Promise<T>) => result as never;

/**
 * The root fields every artifact kind has, over the shared versioning service: create, list, get,
 * and a version's create, list, get and delete (`createPrompt`, `prompts`, `prompt`,
 * `createPromptVersion`, `promptVersions`, `promptVersion`, `deletePromptVersion`).
 */
export function artifactRootFields<A extends ArtifactRow, V extends VersionRow, Input>(
  spec: ArtifactFieldsSpec<A, V, Input>,
): void {
  const { kind, label, idArg } = spec;
  const Name = capitalized(spec.name);
  const Label = capitalized(label);
  const tenantArg = (t: { arg: ArgBuilder<Types> }) =>
    t.arg.id({ required: true, description: 'Tenant id (UUID).' });
  const idOf = (t: { arg: ArgBuilder<Types> }) =>
    t.arg.id({ required: true, description: `${Label} id (UUID).` });
  const versionIdOf = (t: { arg: ArgBuilder<Types> }) =>
    t.arg.id({ required: true, description: 'Version id (UUID).' });
  type Args = Record<string, unknown>;
  const ids = (args: Args) => [String(args.tenantId), String(args[idArg])] as const;

  builder.mutationField(`create${Name}`, (t) =>
    t.field({
      type: spec.artifact,
      description: `Creates a ${label} (owners and admins, or a key with agents:write); 409 when the name is taken.`,
      authScopes: { scope: 'agents:write' },
      args: {
        tenantId: tenantArg(t),
        input: t.arg({ type: spec.createInput, required: true, description: `The ${label}.` }),
      },
      resolve: (_root, args, ctx) =>
        settled(createArtifact<A, Input>(ctx, kind, String(args.tenantId), args.input)),
    }),
  );
  builder.queryField(spec.plural, (t) =>
    t.field({
      type: spec.artifactPage,
      description: spec.describe?.list ?? `${Label}s of a tenant, newest first.`,
      authScopes: { scope: 'agents:read' },
      args: {
        tenantId: tenantArg(t),
        ...pageArgs(t.arg),
        search: t.arg.string({ description: 'Only names containing this (any case; up to 128 characters).' }),
      },
      resolve: (_root, args, ctx) => listArtifacts<A>(ctx, kind, String(args.tenantId), args),
    }),
  );
  builder.queryField(spec.name, (t) =>
    t.field({
      type: spec.artifact,
      description: `One ${label} of a tenant.`,
      authScopes: { scope: 'agents:read' },
      args: { tenantId: tenantArg(t), [idArg]: idOf(t) },
      resolve: (_root, args, ctx) => settled(getArtifact<A>(ctx, kind, ...ids(args))),
    }),
  );
  builder.mutationField(`create${Name}Version`, (t) =>
    t.field({
      type: spec.version,
      description:
        spec.describe?.createVersion ??
        `Adds the next version of a ${label} (numbered after the last one ever created).`,
      authScopes: { scope: 'agents:write' },
      args: {
        tenantId: tenantArg(t),
        [idArg]: idOf(t),
        input: t.arg({ type: spec.versionInput, required: true, description: 'The version.' }),
      },
      resolve: (_root, args, ctx) =>
        settled(createVersion<V, Input>(ctx, kind, ...ids(args), (args as Args).input as Input)),
    }),
  );
  builder.queryField(`${spec.name}Versions`, (t) =>
    t.field({
      type: spec.versionPage,
      description: `Versions of a ${label}, newest first.`,
      authScopes: { scope: 'agents:read' },
      args: { tenantId: tenantArg(t), [idArg]: idOf(t), ...pageArgs(t.arg) },
      resolve: (_root, args, ctx) => listVersions<V>(ctx, kind, ...ids(args), args as PageArgs),
    }),
  );
  builder.queryField(`${spec.name}Version`, (t) =>
    t.field({
      type: spec.version,
      description: `One version of a ${label}.`,
      authScopes: { scope: 'agents:read' },
      args: { tenantId: tenantArg(t), [idArg]: idOf(t), versionId: versionIdOf(t) },
      resolve: (_root, args, ctx) => settled(getVersion<V>(ctx, kind, ...ids(args), String(args.versionId))),
    }),
  );
  builder.mutationField(`delete${Name}Version`, (t) =>
    t.field({
      type: 'Boolean',
      description: 'Deletes a version no binding pins; a pinned one answers 409 naming the bindings.',
      authScopes: { scope: 'agents:write' },
      args: { tenantId: tenantArg(t), [idArg]: idOf(t), versionId: versionIdOf(t) },
      resolve: (_root, args, ctx) => deleteVersion(ctx, kind, ...ids(args), String(args.versionId)),
    }),
  );
}
