import { runServer } from '@roomkey/example-shared';
import { createApp } from './app.js';

// runServer listens the way Node's http.Server does (Express, Koa); Fastify starts with its own
// listen(), once every plugin has loaded.
runServer((options) => {
  const app = createApp(options);
  return {
    listen(port, host, onListening) {
      app.listen({ port, host }).then(onListening, (error) => app.server.emit('error', error));
      return app.server;
    },
  };
}, 'Fastify');
