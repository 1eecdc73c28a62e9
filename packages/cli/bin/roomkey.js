#!/usr/bin/env node
// The `roomkey` command. A plain file, so that package managers can link it before the build.
import '../dist/bin.js';
