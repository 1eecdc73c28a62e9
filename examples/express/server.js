import { runServer } from '@roomkey/example-shared';
import { createApp } from './app.js';

runServer(createApp, 'Express');
