#!/bin/sh
# The planted bug, caught by a sweep, shrunk to its smallest fault plan, and replayed exactly.
set -e
rm -rf out && mkdir out
npx dst list
npx dst run ping-pong --seed 1
# A sweep of the broken variant fails (exit 1) and writes a counterexample per failing seed.
if npx dst sweep ping-pong --seeds 1..30 --variant skip-fsync --workers 2 --no-progress --counterexamples out; then
  echo "the sweep did not catch the planted bug" >&2
  exit 1
fi
first=$(ls out/*.counterexample.json | head -1)
npx dst shrink "$first" --out out/minimal.json
# The minimal counterexample fails again, exactly (exit 1: its violation reproduced).
npx dst replay out/minimal.json || [ $? -eq 1 ]
npx dst view out/minimal.json -o out/minimal.html
echo "demo: caught, shrunk, replayed; open out/minimal.html to see it"
