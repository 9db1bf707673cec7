#!/usr/bin/env sh
# prebuildify calls node-gyp ("rebuild --target=…"); this addon is built by cargo through the
# napi-rs CLI instead, into build/Release where prebuildify picks the .node file up.
exec npx napi build --release --output-dir build/Release --dts ../../lib/native/binding.d.ts
