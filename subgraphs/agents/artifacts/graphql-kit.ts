/** GraphQL pieces the three artifact modules share: pages and their arguments. */
import type { ArgBuilder, ObjectRef } from '@pothos/core';
import type { SchemaTypes } from '../../kernel/builder.js';
import type { Page } from '../../kernel/pagination.js';
import { builder } from '../builder.js';

type Types = PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>;

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
