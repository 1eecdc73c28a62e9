import { createServer } from 'node:http';
import { issueTokens } from '@roomkey/express';
import express from 'express';
import { announce, RAW_HEADERS, rawTokenResponse, tokenOptions } from './common.mjs';

const app = express();
app.disable('x-powered-by');
app.post('/bare', (_req, res) => res.json({ ok: true }));
app.post('/raw', async (req, res) => {
  const [status, body] = await rawTokenResponse(req);
  // With its Content-Length, as roomkey's adapter writes it (else Node would send it chunked).
  res.writeHead(status, { ...RAW_HEADERS, 'content-length': Buffer.byteLength(body) }).end(body);
});
app.all('/tokens', issueTokens(tokenOptions((req) => req.headers.authorization)));

announce(createServer(app));
