import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type Router } from 'express';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/** Browser assets served from npm packages, so the playground works with no internet access. */
const ASSETS: Record<string, string> = {
  'react.js': join(packageDir('react'), 'umd/react.production.min.js'),
  'react-dom.js': join(packageDir('react-dom'), 'umd/react-dom.production.min.js'),
  'graphiql.js': join(packageDir('graphiql'), 'graphiql.min.js'),
  'graphiql.css': join(packageDir('graphiql'), 'graphiql.min.css'),
  'graphql-ws.js': join(packageDir('graphql-ws'), 'umd/graphql-ws.min.js'),
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Agent Platform · GraphQL playground</title>
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <link rel="stylesheet" href="/graphql/assets/graphiql.css" />
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading the playground…</div>
  <script src="/graphql/assets/react.js"></script>
  <script src="/graphql/assets/react-dom.js"></script>
  <script src="/graphql/assets/graphql-ws.js"></script>
  <script src="/graphql/assets/graphiql.js"></script>
  <script>
    const url = new URL('/graphql', location.href).toString();
    const wsUrl = url.replace(/^http/, 'ws');
    // Headers typed in the editor (e.g. Authorization) also authenticate subscriptions.
    let wsHeaders = {};
    const wsClient = graphqlWs.createClient({ url: wsUrl, lazy: true, connectionParams: () => wsHeaders });
    const base = GraphiQL.createFetcher({ url, wsClient });
    const fetcher = (params, options) => {
      const headers = (options && options.headers) || {};
      if (JSON.stringify(headers) !== JSON.stringify(wsHeaders)) {
        wsHeaders = { authorization: headers.Authorization || headers.authorization };
        wsClient.terminate();
      }
      return base(params, options);
    };
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true, shouldPersistHeaders: true }),
    );
  </script>
</body>
</html>`;

/** GET /graphql from a browser answers the GraphiQL page; GraphQL GET requests (with ?query) pass through. */
export function playgroundRouter(): Router {
  const router = express.Router();
  router.get('/graphql/assets/:name', (req, res) => {
    const file = ASSETS[req.params.name];
    if (!file) {
      res.status(404).end();
      return;
    }
    res.sendFile(file, { maxAge: '1d' });
  });
  router.get('/graphql', (req, res, next) => {
    if (req.query.query !== undefined || !req.accepts('html') || req.accepts(['html', 'json']) !== 'html') {
      next();
      return;
    }
    res.type('html').send(PAGE);
  });
  return router;
}
