/** The GraphQL of prompts, tools and runtime configs, and the version diff they share. */
import '../prompts/prompt.graphql.js';
import '../tools/tool.graphql.js';
import '../runtime-configs/runtime-config.graphql.js';
import './diff.graphql.js';
