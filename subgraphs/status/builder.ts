import { createBuilder } from '../kernel/builder.js';

export const builder = createBuilder();
