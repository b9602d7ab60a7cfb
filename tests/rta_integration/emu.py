"""The emulator's admin API for tests/rta_integration/it_rta.c.

usage: emu.py GET PATH [EXPR]     prints EXPR evaluated with d = the JSON answer
       emu.py POST PATH JSON      prints the JSON answer
MPSD_PORT names the port; with MPSD_CA_FILE set the emulator is reached over
HTTPS, trusting that CA (the emulator serves its admin API on its one port)."""
import json
import os
import ssl
import sys
import urllib.request


def main():
    method, path = sys.argv[1], sys.argv[2]
    ca = os.environ.get('MPSD_CA_FILE')
    scheme, ctx = ('https', ssl.create_default_context(cafile=ca)) if ca else ('http', None)
    url = '%s://127.0.0.1:%s%s' % (scheme, os.environ['MPSD_PORT'], path)
    data = sys.argv[3].encode() if method == 'POST' else None
    req = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(req, context=ctx) as r:
        d = json.load(r)
    if method == 'GET' and len(sys.argv) > 3:
        d = eval(sys.argv[3], {'d': d})  # a test's own expression over the answer
    print(d if isinstance(d, (str, int)) else json.dumps(d))


main()
