import { serve } from '@hono/node-server';
import { runServer } from '@roomkey/example-shared';
import { createApp } from './app.js';

// runServer listens with app.listen(port, host, callback), as Express and Koa apps do.
runServer((options) => {
  const app = createApp(options);
  return { listen: (port, hostname, listening) => serve({ fetch: app.fetch, port, hostname }, listening) };
}, 'Hono');
