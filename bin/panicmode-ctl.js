#!/usr/bin/env node
// `panicmode-ctl list` is `panicmode ctl list`: the name PanicMode's users already type.
process.argv.splice(2, 0, 'ctl');
await import('./panicmode.js');
