import { createServer } from 'node:http';
import Router from '@koa/router';
import { issueTokens } from '@roomkey/koa';
import Koa from 'koa';
import { announce, RAW_HEADERS, rawTokenResponse, tokenOptions } from './common.mjs';

const app = new Koa();
const router = new Router();
router.post('/bare', (ctx) => {
  ctx.body = { ok: true };
});
router.post('/raw', async (ctx) => {
  const [status, body] = await rawTokenResponse(ctx.req);
  ctx.status = status;
  ctx.set(RAW_HEADERS);
  ctx.body = body;
});
router.all('/tokens', issueTokens(tokenOptions((ctx) => ctx.headers.authorization)));
app.use(router.routes());

announce(createServer(app.callback()));
