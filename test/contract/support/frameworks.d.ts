// The root installs Express and Koa under version aliases; their types are those of the
// unaliased packages (@types/express, @types/koa), whose APIs used here are the same in both majors.
declare module 'express4' {
  import express = require('express');
  export = express;
}

declare module 'express5' {
  import express = require('express');
  export = express;
}

declare module 'koa2' {
  import Koa = require('koa');
  export = Koa;
}

declare module 'koa3' {
  import Koa = require('koa');
  export = Koa;
}
