import { createServer } from 'node:http';
import { issueTokens } from '@roomkey/express';
import express from 'express';
import { announce, RAW_HEADERS, rawTokenResponse, tokenOptions } from './common.mjs';

const app = express();
app.disable('x-powered-by');
app.post('/bare', (_req, res) => res.json({ ok: true }));
app.post('/raw', async (req, res) => res.writeHead(200, RAW_HEADERS).end(await rawTokenResponse(req)));
app.all('/tokens', issueTokens(tokenOptions((req) => req.headers.authorization)));

announce(createServer(app));
