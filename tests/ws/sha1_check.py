#!/usr/bin/python3
"""Compares the SDK's SHA-1 (ws_peer sha1) with hashlib on 3000 inputs:
every length 0..1100 (all block-boundary cases), then random lengths and
bytes from a fixed seed. usage: sha1_check.py WS_PEER_BINARY"""
import hashlib
import random
import subprocess
import sys

rng = random.Random(6455)
inputs = [bytes(rng.randrange(256) for _ in range(n)) for n in range(1101)]
inputs += [bytes(rng.randrange(256) for _ in range(rng.randrange(20000))) for _ in range(1899)]
feed = "".join(d.hex() + "\n" for d in inputs)
got = subprocess.run([sys.argv[1], "sha1"], input=feed, capture_output=True, text=True, check=True).stdout.split()
want = [hashlib.sha1(d).hexdigest() for d in inputs]
bad = [i for i, (g, w) in enumerate(zip(got, want)) if g != w]
if len(got) != len(want) or bad:
    print("sha1_check: %d of %d digests differ from hashlib (first: input %s)" % (len(bad), len(want), bad[:1]))
    sys.exit(1)
print("sha1_check: %d passed, 0 failed" % len(want))
