#!/usr/bin/env python3
"""make bench: runs every benchmark of tools/bench/ and prints one table per
part (BENCHMARKS.md explains each). The programs must be built already (the
make rule does it). Tables are also written to BUILD/results.md.

usage: run.py BUILD_DIR [--update BENCHMARKS.md]
  --update  also rewrite the generated parts of BENCHMARKS.md (between its
            <!-- bench:headline --> and <!-- bench:tables --> markers)
Environment: BENCH_ARM_FLAGS_<PORT> extra arm-none-eabi flags for a port
(e.g. its include paths), BENCH_SKIP=1,4 to skip parts.
"""
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
ARGS = [a for i, a in enumerate(sys.argv[1:], 1) if not a.startswith('--') and sys.argv[i - 1] != '--update']
B = os.path.abspath(ARGS[0] if ARGS else os.path.join(ROOT, 'build', 'bench'))
UPDATE = sys.argv[sys.argv.index('--update') + 1] if '--update' in sys.argv else None
DOCS = os.path.join(B, 'docs')
SIZES = [2, 16, 100, 1000]
HEAP = os.path.join(B, 'heapcount.so')
SKIP = set((os.environ.get('BENCH_SKIP') or '').split(','))
OUT = []   # markdown of every table, for results.md


def sh(cmd, env=None, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, **kw)
    if check and r.returncode != 0:
        sys.stderr.write('failed: %s\n%s%s' % (' '.join(cmd), r.stdout, r.stderr))
        sys.exit(1)
    return r


def kv(line):
    return dict(p.split('=', 1) for p in line.split() if '=' in p)


def callgrind(cmd):
    """Instructions collected between the program's callgrind toggles, and its stdout."""
    out = os.path.join(B, 'callgrind.out')
    r = sh(['valgrind', '--tool=callgrind', '--collect-atstart=no', '--callgrind-out-file=' + out] + cmd)
    with open(out) as f:
        m = re.search(r'^totals:\s*(\d+)', f.read(), re.M)
    os.remove(out)
    return int(m.group(1)), kv(r.stdout.strip().splitlines()[-1])


def with_heap():
    env = dict(os.environ)
    env['LD_PRELOAD'] = HEAP
    return env


def table(title, header, rows, notes=()):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    fmt = lambda r: '| ' + ' | '.join(str(c).rjust(w) if i else str(c).ljust(w)
                                      for i, (c, w) in enumerate(zip(r, widths))) + ' |'
    lines = ['### ' + title, '', fmt(header), '|' + '|'.join('-' * (w + 2) for w in widths) + '|']
    lines += [fmt(r) for r in rows]
    lines += [''] + ['- ' + n for n in notes] + ([''] if notes else [])
    text = '\n'.join(lines)
    print(text + '\n', flush=True)
    OUT.append(text)


def kb(n):
    return '%.1f KB' % (n / 1024.0)


def ratio(a, b):
    if not b:
        return 'n/a'
    return ('%.2fx' if a / b < 1 else '%.1fx') % (a / b)


# --------------------------------------------------------------------------- machine

def machine():
    model = cores = '?'
    r = sh(['lscpu'], check=False)
    for line in r.stdout.splitlines():
        if line.startswith('Model name:'):
            model = line.split(':', 1)[1].strip()
        if line.startswith('CPU(s):'):
            cores = line.split(':', 1)[1].strip()
    first = lambda cmd: sh(cmd, check=False).stdout.splitlines()[0] if shutil.which(cmd[0]) else 'absent'
    pkg = lambda p: sh(['dpkg-query', '-W', '-f=${Version}', p], check=False).stdout or 'absent'
    rows = [('CPU', '%s, %s logical CPUs' % (model, cores)),
            ('OS', '%s %s' % (platform.system(), platform.release())),
            ('gcc', first(['gcc', '--version'])),
            ('g++', first(['g++', '--version'])),
            ('arm-none-eabi-gcc', first(['arm-none-eabi-gcc', '--version'])),
            ('valgrind', first(['valgrind', '--version'])),
            ('strace', first(['strace', '-V'])),
            ('libcjson-dev', pkg('libcjson-dev')),
            ('rapidjson-dev', pkg('rapidjson-dev')),
            ('libcurl4-openssl-dev', pkg('libcurl4-openssl-dev')),
            ('libjsmn-dev', pkg('libjsmn-dev'))]
    table('Machine', ['item', 'value'], rows)


# --------------------------------------------------------------------------- part 1

PARSERS = [('jsmn', 'read_bench', 'jsmn tokens only (floor)'),
           ('xbl', 'read_bench', 'xbl_mpsd into a session (roomy scratch: one walk)'),
           ('xbl2', 'read_bench', 'xbl_mpsd into a session (exact scratch: two walks)'),
           ('cjson', 'read_bench', 'cJSON parse + free'),
           ('rapidjson', 'read_bench_rapidjson', 'RapidJSON DOM parse')]


def part1():
    rows, res = [], {}
    for n in SIZES:
        doc = os.path.join(DOCS, 'doc_%d.json' % n)
        for p, prog, label in PARSERS:
            exe = os.path.join(B, prog)
            ir, info = callgrind([exe, p, doc, 'count'])
            per = ir / int(info['iters'])
            t = kv(sh([exe, p, doc, 'time']).stdout)
            m = kv(sh([exe, p, doc, 'mem'], env=with_heap()).stdout)
            size = int(m['bytes'])
            if p == 'jsmn':
                mem, memtxt = int(m['token_bytes']), '%s tokens = %d B' % (m['tokens'], int(m['token_bytes']))
            elif p in ('xbl', 'xbl2'):
                mem = int(m['scratch']) + int(m['arena'])
                memtxt = 'arena %d B + scratch %d B' % (int(m['arena']), int(m['scratch']))
            else:
                mem, memtxt = int(m['heap_peak']), 'heap peak %d B in %s allocs' % (int(m['heap_peak']), m['heap_allocs'])
            res[(n, p)] = dict(ir=per, bytes=size, mbs=float(t['mb_per_s']), mem=mem, arena=int(m.get('arena', 0)))
            rows.append([n, size, label, '%.0f' % per, '%.1f' % (per / size), t['mb_per_s'], memtxt,
                         '%.1fx' % (mem / size)])
    table('Part 1: reading a session document (per parse)',
          ['members', 'bytes', 'parser', 'instructions', 'instr/byte', 'MB/s', 'memory it needs', 'memory/bytes'],
          rows,
          ['instructions: callgrind, user space, one parse (mean of up to 100 collected parses, after a warm-up).',
           'MB/s: best of 5 wall-clock batches on this machine (noisy: shared cores); instructions are the figure to compare.',
           'xbl_mpsd: xbl_mpsd__session_load, what every *_result call runs. With scratch space to spare (at least '
           'the body\'s size past the walker state, here 8 MB) one walk checks the grammar and the schema and fills '
           '(key tables, no tokens), then the block is copied into the session arena in the two walks\' layout; '
           'with exactly the scratch the reader asks for (an async buffer of exactly xbl_mpsd_async_needed_bytes) '
           'a walk that checks and measures, then a filling walk. Same arena either way.',
           'memory: jsmn token array (20 B a token); xbl_mpsd arena and reader scratch (walker state and the '
           'structs of the measuring walk, the same for every document); cJSON/RapidJSON: peak heap '
           '(usable bytes, heapcount.so) while the tree is alive. None of them counts the document text.'])
    rows = []
    for n in SIZES:
        for p, walks in (('xbl', 'one'), ('xbl2', 'two')):
            x = res[(n, p)]
            rows.append([n, walks, ratio(x['ir'], res[(n, 'jsmn')]['ir']), ratio(x['ir'], res[(n, 'cjson')]['ir']),
                         ratio(x['ir'], res[(n, 'rapidjson')]['ir']), ratio(x['mem'], res[(n, 'cjson')]['mem']),
                         ratio(x['mem'], res[(n, 'rapidjson')]['mem'])])
    table('Part 1 ratios: xbl_mpsd / other (instructions, memory)',
          ['members', 'walks', 'instr vs jsmn', 'instr vs cJSON', 'instr vs RapidJSON', 'memory vs cJSON',
           'memory vs RapidJSON'],
          rows, ['memory of xbl_mpsd: arena + the reader\'s walker state; the one walk also needs the body\'s '
                 'size of scratch space (not counted here).'])
    return res


# --------------------------------------------------------------------------- part 2

def part2():
    rows, res = [], {}
    doc2 = os.path.join(DOCS, 'doc_2.json')
    exe = os.path.join(B, 'write_bench')
    for scen in ('join', 'properties', 'leave'):
        ir = {}
        for impl in ('xbl', 'xblbody', 'cjson'):
            total, info = callgrind([exe, impl, scen, 'count', doc2])
            ir[impl] = total / int(info['iters'])
            size = int(info['body_bytes'])
        res[scen] = ir
        rows.append([scen, size, '%.0f' % ir['xbl'], '%.0f' % ir['xblbody'], '%.0f' % ir['cjson'],
                     ratio(ir['xbl'], ir['cjson'])])
    table('Part 2: writing a request body (instructions per body)',
          ['change', 'body bytes', 'xbl_mpsd setters+body', 'xbl_mpsd body only', 'cJSON build+print+free',
           'xbl_mpsd / cJSON'],
          rows,
          ['Bodies are byte-identical (write_bench checks before measuring).',
           'join: create with init args + join active + subscription + secure device address + member custom '
           'property; properties: session custom property x2 + join restriction on a read session (the two changed '
           'custom keys written, the default; cJSON also parses the read object, as a DOM SDK keeps it); '
           'leave: members.me = null.',
           'xbl_mpsd setters validate every caller JSON text; cJSON parses the same texts with cJSON_Parse.'])
    return res


# --------------------------------------------------------------------------- part 3

def start_server():
    p = subprocess.Popen([sys.executable, os.path.join(ROOT, 'tools', 'bench', 'canned_server.py'), DOCS],
                         stdout=subprocess.PIPE, text=True)
    port = p.stdout.readline().strip()
    if not port.isdigit():
        p.kill()
        sys.exit('canned_server.py did not start')
    return p, port


def strace_counts(cmd):
    """{syscall: (calls, errors)} from strace -f -c."""
    out = os.path.join(B, 'strace.out')
    sh(['strace', '-f', '-c', '-o', out] + cmd)
    counts = {}
    with open(out) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != 'total':
                counts[parts[-1]] = (int(parts[3]), int(parts[4]) if len(parts) == 6 else 0)
    os.remove(out)
    return counts


WAITS = ('poll', 'ppoll', 'select', 'pselect6', 'epoll_wait', 'nanosleep', 'clock_nanosleep', 'futex')


def part3(server_port):
    rows, res = [], {}
    for impl, label in (('xbl', 'xbl_mpsd + POSIX port'), ('curl', 'libcurl + RapidJSON')):
        exe = os.path.join(B, 'ka_' + impl)
        total, _ = callgrind([exe, server_port, 'writes', '50'])
        per = total / 50.0
        few = strace_counts([exe, server_port, 'writes', '10'])
        many = strace_counts([exe, server_port, 'writes', '110'])
        diff = lambda k, j: (many.get(k, (0, 0))[j] - few.get(k, (0, 0))[j]) / 100.0
        delta = {k: diff(k, 0) for k in set(many) | set(few) if diff(k, 0) >= 0.005}
        # waiting: poll-like calls and calls that failed (EAGAIN recv); the rest moved bytes
        waits = sum(v for k, v in delta.items() if k in WAITS) + \
            sum(diff(k, 1) for k in delta if k not in WAITS)
        h = kv(sh([exe, server_port, 'writes', '50'], env=with_heap()).stdout)
        allocs = int(h['heap_allocs']) / 50.0
        t0 = time.time()
        sh([exe, server_port, 'writes', '200'])
        wall = (time.time() - t0) / 206.0 * 1e6
        res[impl] = dict(ir=per, sys=sum(delta.values()), allocs=allocs, work=sum(delta.values()) - waits)
        rows.append([label, '%.0f' % per, '%.2f' % sum(delta.values()), '%.2f' % (sum(delta.values()) - waits),
                     ', '.join('%s %.2f' % (k, v) for k, v in sorted(delta.items(), key=lambda kvp: -kvp[1])),
                     '%.1f' % allocs, int(h['heap_peak']), '%.0f' % wall])
    rows.append(['ratio xbl_mpsd / curl', ratio(res['xbl']['ir'], res['curl']['ir']),
                 ratio(res['xbl']['sys'], res['curl']['sys']), ratio(res['xbl']['work'], res['curl']['work']), '',
                 '%.0f vs %.0f' % (res['xbl']['allocs'], res['curl']['allocs']), '', ''])
    table('Part 3: one kept-alive write on loopback (per write)',
          ['stack', 'instructions', 'syscalls', 'moving bytes', 'syscalls by name', 'heap allocs', 'heap peak B', 'wall us (info)'],
          rows,
          ['Write = set a member custom property, PUT with If-Match (1.3 KB token), read the 200 reply '
           '(2-member document, 3.8 KB) into the session (xbl_mpsd) or into a RapidJSON Document (curl).',
           'instructions: callgrind over 50 writes after 6 warm-up writes, user space only (the kernel is not counted).',
           'syscalls: strace -f -c, (110 writes - 10 writes) / 100; moving bytes = all but poll-like waits and '
           'failed calls (EAGAIN). The waits depend on timing: the xbl_mpsd loop calls poll(2) on the socket only '
           'after a poll returned PENDING, and under strace the server has usually answered before the recv.',
           'heap: heapcount.so (LD_PRELOAD) counts malloc/calloc/realloc/memalign calls during 50 writes; '
           'heap peak: highest live heap bytes during them (xbl_mpsd: 0, every buffer is the caller\'s).',
           'wall: 200 writes against the Python canned server, informational only.'])
    return res


# --------------------------------------------------------------------------- part 4 and 5 (ARM)

ARM = ['arm-none-eabi-gcc', '-mcpu=cortex-m4', '-mthumb', '-DNDEBUG', '-std=c99', '-Wall', '-Wextra', '-ffunction-sections',
       '-fdata-sections', '-g', '-fstack-usage', '-fcallgraph-info=su']

# Header chapter (the /* ==== banner title) -> part of the SDK.
PARTS = [('JSON text', 'JSON'), ('JSON writer', 'JSON'), ('jsmn', 'JSON'),
         ('JSON reader', 'Session model'), ('Session model', 'Session model'),
         ('Session references', 'Session model'), ('Secure device address', 'Session model'),
         ('Request serializer', 'Session model'),
         ('HTTP/1.1 request', 'HTTP + client'), ('HTTP/1.1 response', 'HTTP + client'),
         ('Client and async', 'HTTP + client'), ('Public write and get', 'HTTP + client'),
         ('Config', 'Core'), ('Errors', 'Core'), ('Strings and arena', 'Core'), ('Internal contracts', 'Core')]


CORE_EXTRA = ('shared string literals', 'switch tables and unnamed constants', 'code without line info')


def chapters(path):
    """[(first line, title)] of the implementation's ==== banners."""
    out = []
    with open(path) as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        if re.match(r'^/\* =+$', line) and i + 1 < len(lines):
            t = lines[i + 1].strip()
            if ':' in t and not t.startswith('Session model'):
                t = t.split(':')[0]
            out.append((i + 1, t))
    return out


def chapter_of(chaps, line):
    title = 'unattributed'
    for first, t in chaps:
        if first <= line:
            title = t
    return title


def part_of(title):
    for key, part in PARTS:
        if title.startswith(key):
            return part
    return 'Core'


def arm_compile(src_text, name, opt, extra=()):
    d = os.path.join(B, 'arm')
    os.makedirs(d, exist_ok=True)
    src = os.path.join(d, name + '.c')
    with open(src, 'w') as f:
        f.write(src_text)
    obj = os.path.join(d, '%s_%s.o' % (name, opt.strip('-')))
    r = sh(ARM + [opt, '-I' + ROOT, '-I' + os.path.join(d, 'include')] + list(extra) + ['-c', src, '-o', obj],
           check=False)
    return obj, r


def sections(obj):
    out = {}
    for line in sh(['arm-none-eabi-size', '-A', obj]).stdout.splitlines():
        p = line.split()
        if len(p) >= 2 and p[0].startswith(('.text', '.rodata', '.data', '.bss')) and p[1].isdigit():
            out[p[0]] = int(p[1])
    return out


def attribute(obj):
    """Bytes per header chapter. Code: every instruction range of the DWARF
    line table (of the object linked at distinct addresses) counts for the
    chapter its source line is in, so code inlined into a function of
    another chapter still counts for its own. Read-only data: string
    literals (.rodata.<fn>.str1.1) with their function, named constants by
    their line."""
    chaps = chapters(os.path.join(ROOT, 'xbl_mpsd.h'))
    def title_of(path, ln):
        return 'jsmn (JSON tokenizer)' if path.endswith('jsmn.h') else chapter_of(chaps, ln)
    per = {}
    elf = obj[:-2] + '.elf'
    sh(['arm-none-eabi-gcc', '-nostdlib', '-Wl,--unresolved-symbols=ignore-all', '-Wl,-e,0', obj, '-o', elf])
    rows, code = [], 0
    for line in sh(['arm-none-eabi-objdump', '--dwarf=decodedline', elf]).stdout.splitlines():
        p = line.split()
        if len(p) >= 3 and p[2].startswith('0x'):
            rows.append((p[0], None if p[1] == '-' else int(p[1]), int(p[2], 16)))
    for (f, ln, a), (_, _, b) in zip(rows, rows[1:]):
        if ln is not None and b > a:
            t = title_of(f, ln)
            per[t] = per.get(t, 0) + b - a
            code += b - a
    where = {}
    for line in sh(['arm-none-eabi-nm', '-S', '-l', '--defined-only', obj]).stdout.splitlines():
        m = re.match(r'^[0-9a-f]+ [0-9a-f]+ \w (\S+)\s+(\S+):(\d+)$', line)
        if m:
            where[m.group(1)] = title_of(m.group(2), int(m.group(3)))
    text_total = 0
    for sec, size in sections(obj).items():
        if sec.startswith('.text'):
            text_total += size
            continue
        if size == 0:
            continue
        rest = sec[1:].partition('.')[2]
        name = re.sub(r'\.str1\.\d+$', '', rest)
        if not rest or rest.startswith('str1.'):
            title = 'shared string literals'
        else:
            title = where.get(name, 'switch tables and unnamed constants')
        per[title] = per.get(title, 0) + size
    if text_total != code:
        per['code without line info'] = text_total - code
    return per


def part4():
    inc = os.path.join(B, 'arm', 'include')
    os.makedirs(inc, exist_ok=True)
    shutil.copy('/usr/include/jsmn.h', inc)   # only these: no host libc header may leak into the ARM build
    for lib_dir in ('mbedtls', 'psa'):
        link = os.path.join(inc, lib_dir)
        if os.path.isdir('/usr/include/' + lib_dir) and not os.path.lexists(link):
            os.symlink('/usr/include/' + lib_dir, link)
    lib = '#define XBL_MPSD_IMPLEMENTATION\n#include "xbl_mpsd.h"\n'
    per_opt, totals, warn = {}, {}, ''
    for opt in ('-Os', '-O1'):
        obj, r = arm_compile(lib, 'sdk', opt)
        if r.returncode != 0:
            sys.exit('arm-none-eabi-gcc failed on the SDK:\n' + r.stderr)
        if r.stderr.strip() and not warn:
            warn = r.stderr.strip().splitlines()
        per_opt[opt] = attribute(obj)
        secs = sections(obj)
        totals[opt] = dict(text=sum(v for k, v in secs.items() if k.startswith('.text')),
                           rodata=sum(v for k, v in secs.items() if k.startswith('.rodata')),
                           data=sum(v for k, v in secs.items() if k.startswith(('.data', '.bss'))))
    titles = sorted(per_opt['-Os'], key=lambda t: -per_opt['-Os'][t])
    rows = [[part_of(t) if t not in CORE_EXTRA else 'Core', t,
             per_opt['-Os'].get(t, 0), per_opt['-O1'].get(t, 0)] for t in titles]
    rows.sort(key=lambda r: (r[0], -r[2]))
    table('Part 4a: ARM Cortex-M4 code size by header chapter (bytes, text + rodata)',
          ['part', 'chapter', '-Os', '-O1'], rows,
          ['arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -DNDEBUG -ffunction-sections -fdata-sections, the whole '
           'public API compiled (nothing garbage-collected). Code bytes count for the header chapter (==== '
           'banner) of their DWARF source line, so inlined code stays with its own chapter; string literals '
           '(.rodata.<function>.str1.1) go with their function.',
           'data + bss: %d B at -Os (the SDK has no globals).' % totals['-Os']['data']])
    parts = {}
    for opt in per_opt:
        for t, v in per_opt[opt].items():
            p = 'Core' if t in CORE_EXTRA else part_of(t)
            parts.setdefault(p, {}).setdefault(opt, 0)
            parts[p][opt] += v
    ports = port_sizes()
    rows = [[p, kb(parts[p]['-Os']), kb(parts[p]['-O1'])] for p in ('JSON', 'HTTP + client', 'Session model', 'Core')]
    total = {o: sum(parts[p][o] for p in parts) for o in ('-Os', '-O1')}
    rows.append(['xbl_mpsd total', kb(total['-Os']), kb(total['-O1'])])
    for name, res in ports:
        rows.append(['port: ' + name] + ([kb(res['-Os']), kb(res['-O1'])] if isinstance(res, dict)
                                         else ['n/a', res]))
    rows += [['coreJSON (published)', '2.5 KB', '2.9 KB'],
             ['coreHTTP (published)', '2.7 KB', '3.2 KB'],
             ['llhttp (published, coreHTTP\'s parser)', '19.6 KB', '20.8 KB'],
             ['coreHTTP + coreJSON', '5.2 KB', '6.1 KB'],
             ['coreHTTP + llhttp + coreJSON', '24.8 KB', '26.9 KB']]
    ours_jh = parts['JSON']['-Os'] + parts['HTTP + client']['-Os']
    table('Part 4b: ARM Cortex-M4 code size per part',
          ['part', '-Os', '-O1'], rows,
          ['Published -Os figures as given in the issue (coreJSON 2.5 KB, coreHTTP 2.7 KB, llhttp 19.6 KB); the -O1 '
           'column is the FreeRTOS/AWS documentation tables (core_json.c 2.9K; core_http_client.c 3.2K; llhttp '
           'api.c+http.c+llhttp.c 20.8K).',
           'Our JSON + HTTP + client at -Os: %s = %s of coreHTTP + coreJSON, %s of coreHTTP + llhttp + coreJSON; '
           'coreJSON/coreHTTP do not build a session model, which is the rest of ours.' %
           (kb(ours_jh), ratio(ours_jh / 1024.0, 5.2), ratio(ours_jh / 1024.0, 24.8)),
           'Core = error strings, number/text helpers, arena, switch tables and string literals shared by several '
           'functions.'] + (['arm-none-eabi-gcc warnings (-Wall -Wextra): ' + ' / '.join(
               l.replace(ROOT + '/', '') for l in warn if 'warning:' in l)[:600]] if warn else []))
    fam = families(lib, total['-Os'])
    return dict(total=total, parts=parts, ours_jh=ours_jh, chapters=per_opt['-Os'], **fam)


def switches():
    """The header's family switches: every XBL_MPSD_NO_<FAMILY> it tests, so
    a family added later is picked up without touching this script."""
    with open(os.path.join(ROOT, 'xbl_mpsd.h')) as f:
        text = f.read()
    return sorted(set(re.findall(r'(?:#\s*if(?:n?def)?\s+|defined\s*\(?\s*)(XBL_MPSD_NO_[A-Z0-9_]+)', text)))


def families(lib, total_os):
    """Cortex-M4 -Os bytes (text + rodata) of the minimal build (every family
    switched off) and of each family (the default build minus the build
    without it)."""
    def size_with(defs, name):
        obj, r = arm_compile(lib, name, '-Os', ['-D' + d for d in defs])
        if r.returncode != 0:
            sys.exit('arm-none-eabi-gcc failed with %s:\n%s' % (' '.join(defs), r.stderr))
        return sum(v for k, v in sections(obj).items() if k.startswith(('.text', '.rodata')))
    sw = switches()
    fams = {d[len('XBL_MPSD_NO_'):].lower(): total_os - size_with([d], 'sdk_' + d.lower()) for d in sw}
    minimal = size_with(sw, 'sdk_minimal') if sw else total_os
    rows = [['default build (every family)', total_os, kb(total_os)], ['minimal build (no optional family)', minimal,
                                                                       kb(minimal)]]
    rows += [['family: %s (XBL_MPSD_NO_%s leaves it out)' % (f, f.upper()), v, kb(v)] for f, v in sorted(fams.items())]
    table('Part 4c: ARM Cortex-M4 -Os size of the default build, the minimal build and each family',
          ['build', 'bytes', 'KB'], rows,
          ['Families are the header\'s XBL_MPSD_NO_<FAMILY> switches (found in the header: %s); a family\'s size '
           'is the default build minus the build without it; the minimal build switches every one off (the '
           'write/read path and the session model).' % (', '.join(sw) or 'none yet')])
    return dict(minimal=minimal, families=fams)


def arm_port_flags(name):
    """Bare-metal include paths and configs of tools/bench/arm/ (lwipopts.h,
    arch/cc.h, an mbedTLS user config without OS features), plus
    BENCH_ARM_FLAGS_<PORT> from the environment."""
    flags = ['-I' + os.path.join(ROOT, 'tools', 'bench', 'arm'), '-I' + os.path.join(B, 'arm', 'include'),
             '-DMBEDTLS_USER_CONFIG_FILE="bench_mbedtls_user.h"']
    if os.path.isdir('/usr/include/lwip'):
        flags.append('-I/usr/include/lwip')
    return flags + (os.environ.get('BENCH_ARM_FLAGS_' + name.upper()) or '').split()


def port_names():
    """Ports in port/ (the unfilled template skeleton is not one)."""
    out = []
    for path in sorted(os.listdir(os.path.join(ROOT, 'port'))):
        m = re.match(r'^xbl_mpsd_port_(\w+)\.h$', path)
        if m and m.group(1) != 'template':
            out.append((m.group(1), path))
    return out


def port_sizes():
    out = []
    for name, path in port_names():
        src = '#define XBL_MPSD_PORT_%s_IMPLEMENTATION\n#include "port/%s"\n' % (name.upper(), path)
        res = {}
        for opt in ('-Os', '-O1'):
            obj, r = arm_compile(src, 'port_' + name, opt, arm_port_flags(name))
            if r.returncode != 0:
                err = next((l for l in r.stderr.splitlines() if 'error' in l), 'does not compile')
                res = 'does not build for bare metal: ' + re.sub(r'^.*?error: ', '', err)[:90]
                break
            res[opt] = sum(sections(obj).values())
        out.append((name, res))
    return out


def public_structs():
    names = []
    for path in ['xbl_mpsd.h'] + ['port/' + p for _, p in port_names()]:
        with open(os.path.join(ROOT, path)) as f:
            text = f.read().split('IMPLEMENTATION */')[0]
        for m in re.finditer(r'^(?:typedef )?struct (xbl_mpsd_\w+) \{', text, re.M):
            if '__' not in m.group(1) and m.group(1) not in names:
                names.append(m.group(1))
    return names


def part5(ka_port):
    names = public_structs()
    d = os.path.join(B, 'arm')
    sizes = {}
    for arch, cc in (('x86-64', ['gcc', '-std=c99', '-D_POSIX_C_SOURCE=200809L']),
                     ('ARM', ['arm-none-eabi-gcc', '-mcpu=cortex-m4', '-mthumb', '-std=c99'] + arm_port_flags(''))):
        for unit, heads in [('sdk', ['xbl_mpsd.h'])] + [(n, ['port/' + p]) for n, p in port_names()]:
            src = os.path.join(d, 'sizeof_%s.c' % unit)
            with open(src, 'w') as f:
                f.write(''.join('#include "%s"\n' % h for h in heads) + ''.join(
                    'char sz_%s[sizeof(struct %s)];\n' % (n, n) for n in names
                    if (unit == 'sdk') == (not n.startswith('xbl_mpsd_port_')) and
                    (unit == 'sdk' or n.startswith('xbl_mpsd_port_' + unit))))
            obj = os.path.join(d, 'sizeof_%s_%s.o' % (unit, arch))
            r = sh(cc + ['-fno-common', '-I' + ROOT, '-I' + os.path.join(d, 'include'), '-c', src, '-o', obj],
                   check=False)
            if r.returncode != 0:
                continue   # that port's declarations need headers this target lacks
            nm = 'nm' if arch == 'x86-64' else 'arm-none-eabi-nm'
            for line in sh([nm, '-S', obj]).stdout.splitlines():
                p = line.split()
                if len(p) == 4 and p[3].startswith('sz_'):
                    sizes.setdefault(p[3][3:], {})[arch] = int(p[1], 16)
    rows = [[n, sizes.get(n, {}).get('x86-64', '-'), sizes.get(n, {}).get('ARM', '-')] for n in names]
    table('Part 5a: sizeof every public struct (bytes)', ['struct', 'x86-64', 'ARM Cortex-M4'], rows,
          ['Read from nm -S of `char sz_T[sizeof(struct T)]` objects compiled by gcc and arm-none-eabi-gcc.',
           'arm-none-eabi uses short enums (-fshort-enums is the bare-metal EABI default): enum members are 1 byte.',
           'Port structs with a TLS or TCP stack inside (mbedTLS contexts) depend on that stack\'s configuration: '
           'x86-64 uses Debian\'s, ARM tools/bench/arm/bench_mbedtls_user.h (Debian\'s minus OS features).'])

    rows, need = [], {}
    for n in SIZES:
        r = kv(sh([os.path.join(B, 'ka_xbl'), ka_port, 'needed', str(n)]).stdout)
        size = os.path.getsize(os.path.join(DOCS, 'doc_%d.json' % n))
        need[n] = dict(arena=int(r['arena_bytes']), asyn=int(r['async_bytes']))
        rows.append([n, size, r['arena_bytes'], r['async_bytes'], '%.2fx' % (int(r['async_bytes']) / size),
                     '%.2fx' % (int(r['arena_bytes']) / size)])
    table('Part 5b: memory a GET of each document needs (x86-64)',
          ['members', 'document bytes', 'session arena B', 'async buffer B', 'async / document', 'arena / document'],
          rows,
          ['async buffer: found with xbl_mpsd_async_needed_bytes after an XBL_MPSD_E_OUTOFMEMORY, then confirmed '
           'by a successful GET with exactly that buffer (request + 1.3 KB token + response + the reader\'s '
           'scratch: its walker state, the same size for every document).',
           'arena: xbl_mpsd session arena used after the result call.'])
    return dict(need=need, stack=stack())


def ci_graph(path):
    nodes, edges = {}, {}
    with open(path) as f:
        for line in f:
            m = re.match(r'node: \{ title: "([^"]+)" label: "([^"\\]+)(?:\\n[^"\\]*)?(?:\\n(\d+) bytes \((\w+)\))?', line)
            if m:
                nodes[m.group(1)] = (m.group(2), int(m.group(3) or 0), m.group(4) or 'builtin')
            m = re.match(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"', line)
            if m:
                edges.setdefault(m.group(1), set()).add(m.group(2))
    return nodes, edges


def worst_stack(nodes, edges, start):
    """Deepest static stack from start; a recursive cycle (the JSON scanner)
    is charged XBL_MPSD_JSON_MAX_DEPTH (32) times."""
    memo, notes = {}, set()

    def go(n, path):
        if n in path:
            cyc = path[path.index(n):]
            notes.add(sum(nodes.get(c, ('', 0, ''))[1] for c in cyc))
            return 0
        if n in memo:
            return memo[n]
        own = nodes.get(n, ('', 0, ''))[1]
        if n == '__indirect_call':
            notes.add(-1)
        best = max([go(c, path + [n]) for c in edges.get(n, ())] or [0])
        memo[n] = own + best
        return memo[n]
    title = next((t for t, v in nodes.items() if v[0] == start or t.endswith(':' + start)), None)
    if title is None:
        return None, ''
    base = go(title, [])
    cyc = max([c for c in notes if c > 0] or [0])
    return base + 31 * cyc, ('incl. recursion 32 x %d B' % cyc if cyc else '') + \
        (('; ' if cyc else '') + 'plus port/auth callbacks' if -1 in notes else '')


# The on-target test (make arm-test, tests/arm/) measures what these figures
# estimate: it prints `stack peak <entry> <bytes>` for every entry point.
ARM_TEST = os.path.join(os.path.dirname(B), 'arm-test')
STACK_ENTRIES = ['xbl_mpsd_async_poll',
                 'xbl_mpsd_write_session_async', 'xbl_mpsd_write_session_result',
                 'xbl_mpsd_write_session_by_handle_async', 'xbl_mpsd_write_session_by_handle_result',
                 'xbl_mpsd_get_session_async', 'xbl_mpsd_get_session_result',
                 'xbl_mpsd_get_session_by_handle_async', 'xbl_mpsd_get_session_by_handle_result',
                 'xbl_mpsd_session_init', 'xbl_mpsd_session_copy', 'xbl_mpsd_session_join',
                 'xbl_mpsd_session_add_member_reservation', 'xbl_mpsd_session_set_custom_property_json',
                 'xbl_mpsd_session_current_user_set_custom_property_json', 'xbl_mpsd_session_set_raw_servers_json',
                 'xbl_mpsd_session_constants_set_measurement_server_addresses_json',
                 'xbl_mpsd_session_constants_set_cloud_compute_package_json',
                 'xbl_mpsd_session_set_matchmaking_target_session_constants_json',
                 'xbl_mpsd_session_current_user_set_qos_measurements',
                 'xbl_mpsd_session_current_user_set_server_qos_measurements']


def measured_peaks():
    path = os.path.join(ARM_TEST, 'arm_test.log')
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {p[2]: int(p[3]) for p in (l.split() for l in f) if len(p) == 4 and p[:2] == ['stack', 'peak']}


def library_frames():
    """Deepest stack of each library function (libgcc, picolibc) as linked in
    the arm-test image, from its disassembly: pushes, stmdb/strd with
    writeback and sub sp of the function, plus its deepest bl/b.w callee."""
    elf = os.path.join(ARM_TEST, 'arm_test.elf')
    if not os.path.exists(elf):
        return {}
    own, calls, fn, at = {}, {}, None, {}
    for line in sh(['arm-none-eabi-objdump', '-d', elf]).stdout.splitlines():
        m = re.match(r'^([0-9a-f]+) <([^>]+)>:$', line)
        if m:
            fn = m.group(2)
            own[fn], calls[fn], at[int(m.group(1), 16)] = 0, set(), fn
            continue
        if fn is None or '\t' not in line:
            continue
        ins = line.split('\t', 2)[-1]
        m = re.match(r'(?:push|stmdb\s+sp!,)(?:\.w)?\s*\{([^}]*)\}', ins)
        if m:
            own[fn] += 4 * len(m.group(1).split(','))
        m = re.match(r'(?:vpush)\s*\{([^}]*)\}', ins)
        if m:
            own[fn] += 8 * len(m.group(1).split(','))
        m = re.match(r'(?:sub(?:\.w)?|subw)\s+sp,\s*(?:sp,\s*)?#(\d+)', ins)
        if m:
            own[fn] += int(m.group(1))
        m = re.match(r'strd\s+\S+,\s*\S+,\s*\[sp,\s*#-(\d+)\]!', ins)
        if m:
            own[fn] += int(m.group(1))
        m = re.match(r'(?:bl|b\.w|b)\s+[0-9a-f]+ <([^>+]+)>', ins)
        if m and m.group(1) != fn:
            calls[fn].add(m.group(1))
    memo = {}

    def deepest(f, seen=()):
        if f in memo:
            return memo[f]
        if f in seen or f not in own:
            return 0
        memo[f] = own[f] + max([deepest(c, seen + (f,)) for c in calls[f]] or [0])
        return memo[f]
    out = {f: deepest(f) for f in own}
    for line in sh(['arm-none-eabi-nm', elf]).stdout.splitlines():   # aliases (memcpy = __aeabi_memcpy, ...)
        p = line.split()
        if len(p) == 3 and p[1] in 'TtWw' and p[2] not in out and int(p[0], 16) & ~1 in at:
            out[p[2]] = out[at[int(p[0], 16) & ~1]]
    return out


def stack():
    rows = []
    graphs, every = {}, {}
    for opt in ('-Os', '-O1'):
        graphs['ARM ' + opt] = ci_graph(os.path.join(B, 'arm', 'sdk_%s.ci' % opt.strip('-')))
    host_ci = os.path.join(B, 'stack_x86.ci')
    sh(['gcc', '-O2', '-DNDEBUG', '-std=c99', '-fstack-usage', '-fcallgraph-info=su', '-I' + ROOT, '-c',
        os.path.join(B, 'arm', 'sdk.c'), '-o', os.path.join(B, 'stack_x86.o')])
    graphs['x86-64 -O2'] = ci_graph(host_ci)
    lib = library_frames()
    for g in ('ARM -Os', 'ARM -O1'):
        nodes, edges = graphs[g]
        for t, (label, size, kind) in list(nodes.items()):
            if kind == 'builtin':
                nodes[t] = (label, lib.get(label.replace('__builtin_', ''), lib.get(t, 0)), kind)
    measured = measured_peaks()
    over = []
    for e in STACK_ENTRIES:
        row, note = [e], ''
        for g in ('ARM -Os', 'ARM -O1', 'x86-64 -O2'):
            v, n = worst_stack(*graphs[g], e)
            row.append(v if v is not None else '-')
            note = note or n
        row.append(measured.get(e, '-'))
        if isinstance(row[1], int) and e in measured and measured[e] > row[1]:
            over.append('%s (%d measured, %d estimated)' % (e, measured[e], row[1]))
        rows.append(row + [note])
    nodes, edges = graphs['ARM -Os']
    public = sorted({v[0] for v in nodes.values() if re.match(r'^xbl_mpsd_[a-z]', v[0]) and v[2] != 'builtin'})
    for e in public:
        v, _ = worst_stack(nodes, edges, e)
        if v is not None:
            every[e] = v
    deepest = max(every, key=lambda e: every[e])
    rows.append(['deepest of all %d public entry points: %s' % (len(every), deepest), every[deepest], '', '',
                 'build/bench/results.json lists each'])
    table('Part 5c: worst-case stack depth from each entry point (bytes)',
          ['entry point', 'ARM -Os', 'ARM -O1', 'x86-64 -O2', 'ARM -Os measured', 'note'], rows,
          ['gcc -fstack-usage -fcallgraph-info=su: the deepest path of static frames through the call graph; '
           'a recursive cycle (the SDK has none now) would be charged XBL_MPSD_JSON_MAX_DEPTH times; the port '
           'and auth callbacks (indirect calls) come on top. ARM library calls (memcpy, the 64-bit division '
           '__aeabi_uldivmod, ...) are charged their deepest stack as linked by make arm-test (libgcc, picolibc; '
           '%s); on x86-64 they count 0.' % ('read from its image' if lib else 'absent: counted 0'),
           'measured: make arm-test on QEMU mps2-an386 (Cortex-M4, -Os, asserts on), the stack painted before '
           'each call and scanned after it; it includes the scripted port and auth callbacks. Setters get a '
           'value at the nesting limit, writes and gets a document nested to it; the poll figure is the '
           'deepest of every poll of those exchanges. ' + ('Measured above the estimate (a bug in the estimate): '
                                                             + '; '.join(over) + '.' if over else
                                                             'No measured peak is above its estimate.'
                                                             if measured else 'Not measured: run make arm-test first.'),
           'The result calls read the response with their walker state and the new session in the async '
           'buffer (after the body), not on the stack.'])
    return every


def headline(h):
    """The ratios quoted at the top of BENCHMARKS.md."""
    lines = []
    if 'read' in h:
        r = h['read']
        f = lambda other: ' / '.join(ratio(r[(n, 'xbl')]['ir'], r[(n, other)]['ir']) for n in SIZES)
        g = lambda other: ' / '.join(ratio(r[(n, 'xbl2')]['ir'], r[(n, other)]['ir']) for n in SIZES)
        lines.append('- Reading a session document (instructions, xbl_mpsd / other, at %s members), one walk '
                     '(scratch space to spare): vs the jsmn floor %s; vs cJSON %s; vs RapidJSON %s. Two walks '
                     '(exact async buffer): vs jsmn %s; vs RapidJSON %s.' %
                     ('/'.join(map(str, SIZES)), f('jsmn'), f('cjson'), f('rapidjson'), g('jsmn'), g('rapidjson')))
        lines.append('- Memory to hold a read document (arena + tokens vs peak heap): %s of cJSON, %s of RapidJSON '
                     '(100 members).' % (ratio(r[(100, 'xbl')]['mem'], r[(100, 'cjson')]['mem']),
                                         ratio(r[(100, 'xbl')]['mem'], r[(100, 'rapidjson')]['mem'])))
    if 'write' in h:
        w = h['write']
        lines.append('- Writing a request body (setters + serializer vs cJSON, instructions): ' + ', '.join(
            '%s %s' % (k, ratio(w[k]['xbl'], w[k]['cjson'])) for k in ('join', 'properties', 'leave')) +
            '; the serializer alone: ' + ', '.join('%s %s' % (k, ratio(w[k]['xblbody'], w[k]['cjson']))
                                                    for k in ('join', 'properties', 'leave')) + '.')
    if 'ka' in h:
        k = h['ka']
        lines.append('- A whole kept-alive write vs libcurl + RapidJSON: %s the instructions, %s the syscalls '
                     '(%.2f vs %.2f; moving bytes %.2f vs %.2f), %.0f vs %.0f heap allocations per write.' %
                     (ratio(k['xbl']['ir'], k['curl']['ir']), ratio(k['xbl']['sys'], k['curl']['sys']),
                      k['xbl']['sys'], k['curl']['sys'], k['xbl']['work'], k['curl']['work'],
                      k['xbl']['allocs'], k['curl']['allocs']))
    if 'size' in h:
        z = h['size']
        lines.append('- Code size, Cortex-M4 -Os: our JSON + HTTP/client %s = %s of coreHTTP + coreJSON (5.2 KB), '
                     '%s of coreHTTP + llhttp + coreJSON (24.8 KB); the whole SDK with its session model %s '
                     '(-O1 %s).' % (kb(z['ours_jh']), ratio(z['ours_jh'] / 1024.0, 5.2),
                                    ratio(z['ours_jh'] / 1024.0, 24.8), kb(z['total']['-Os']), kb(z['total']['-O1'])))
    text = '\n'.join(lines)
    print('### Headline\n\n' + text + '\n', flush=True)
    return text


def write_json(h, p5):
    """build/bench/results.json for scripts; keys are never renamed, only added."""
    out = {}
    if 'read' in h:
        r = h['read']
        out['read'] = [dict(members=n, bytes=r[(n, 'xbl')]['bytes'],
                            instructions={p: int(round(r[(n, p)]['ir'])) for p in ('xbl', 'jsmn', 'cjson', 'rapidjson')},
                            arena_bytes=(p5['need'][n]['arena'] if p5 else r[(n, 'xbl')].get('arena', 0)),
                            async_bytes=(p5['need'][n]['asyn'] if p5 else 0)) for n in SIZES]
        for e in out['read']:
            e['instructions']['xbl_mpsd'] = e['instructions'].pop('xbl')
            e['instructions']['xbl_mpsd_two_walks'] = int(round(r[(e['members'], 'xbl2')]['ir']))
    if 'ka' in h:
        k = h['ka']
        out['write'] = dict(instructions=dict(xbl_mpsd=int(round(k['xbl']['ir'])), curl_rapidjson=int(round(k['curl']['ir']))),
                            syscalls=dict(xbl_mpsd=round(k['xbl']['sys'], 2), curl_rapidjson=round(k['curl']['sys'], 2)),
                            # the calls that move bytes: syscalls without poll-like waits and EAGAIN answers
                            syscalls_moving_bytes=dict(xbl_mpsd=round(k['xbl']['work'], 2),
                                                       curl_rapidjson=round(k['curl']['work'], 2)),
                            heap_allocs=dict(xbl_mpsd=int(round(k['xbl']['allocs'])),
                                             curl_rapidjson=int(round(k['curl']['allocs']))))
    if 'size' in h:
        z = h['size']
        out['size_arm_os'] = dict(total=z['total']['-Os'], minimal=z['minimal'], chapters=z['chapters'],
                                  families=z['families'])
    if p5:
        out['stack_arm_os'] = p5['stack']
    with open(os.path.join(B, 'results.json'), 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write('\n')


def update_doc(path, head_text):
    with open(path) as f:
        doc = f.read()
    tables = '\n\n'.join(OUT)
    doc = re.sub(r'(<!-- bench:headline -->\n).*?(\n<!-- /bench:headline -->)',
                 lambda m: m.group(1) + head_text + m.group(2), doc, flags=re.S)
    doc = re.sub(r'(<!-- bench:tables -->\n).*?(\n<!-- /bench:tables -->)',
                 lambda m: m.group(1) + tables + m.group(2), doc, flags=re.S)
    with open(path, 'w') as f:
        f.write(doc)
    print('updated ' + path)


# --------------------------------------------------------------------------- main

def main():
    t0 = time.time()
    os.makedirs(DOCS, exist_ok=True)
    for n in SIZES:
        with open(os.path.join(DOCS, 'doc_%d.json' % n), 'w') as f:
            f.write(sh([sys.executable, os.path.join(ROOT, 'tools', 'bench', 'gen_doc.py'), str(n)]).stdout)
    machine()
    headline_data, part5_data = {}, None
    if '1' not in SKIP:
        headline_data['read'] = part1()
    if '2' not in SKIP:
        headline_data['write'] = part2()
    server, port = start_server()
    try:
        if '3' not in SKIP:
            headline_data['ka'] = part3(port)
        if '4' not in SKIP:
            headline_data['size'] = part4()
            if '5' not in SKIP:
                part5_data = part5(port)
    finally:
        server.kill()
        server.wait()
    head_text = headline(headline_data)
    write_json(headline_data, part5_data)
    with open(os.path.join(B, 'results.md'), 'w') as f:
        f.write(head_text + '\n\n' + '\n\n'.join(OUT) + '\n')
    if UPDATE:
        update_doc(UPDATE, head_text)
    print('make bench: %.0f s; tables also in %s' % (time.time() - t0, os.path.join(B, 'results.md')))


if __name__ == '__main__':
    main()
