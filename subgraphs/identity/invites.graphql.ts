// invites: GraphQL surface of this module (filled in by its issue work).
import './builder.js';
