#!/usr/bin/env python3
"""Every public function of xbl_mpsd.h has a comment at its declaration,
and what a user reads (the header's public part, the READMEs, the port
headers' manuals, examples) cites no file the user does not have.

The public part (before the IMPLEMENTATION banner) is cut into blocks at
blank lines; a block that declares a function (a line starting with a return
type and xbl_mpsd_<name>() must hold a comment before its first declaration.
Declarations grouped in one block share that comment. Exit status 1 and the
list of undocumented functions otherwise.
usage: check_doc_comments.py [header]   (with a header: that file alone)"""
import re
import sys

DECL = re.compile(r'^(?:const\s+)?[a-z_0-9]+(?:\s+\*?|\s*\*\s*)(xbl_mpsd_[a-z0-9_]+)\(')


def undocumented(text):
    # after the manual (one big comment), up to the implementation banner
    public = text.split('#define XBL_MPSD_H', 1)[1]
    public = re.split(r'/\*\s+IMPLEMENTATION\s+\*/', public, maxsplit=1)[0]
    missing, found = [], 0
    for block in re.split(r'\n\s*\n', public):
        lines = block.split('\n')
        seen_comment = False
        for line in lines:
            if line.lstrip().startswith('/*') or line.lstrip().startswith('*'):
                seen_comment = True
            m = DECL.match(line)
            if m:
                found += 1
                if not seen_comment:
                    missing.append(m.group(1))
    return missing, found


FOREIGN = re.compile(r'spec/|\b(?:API|TRANSPORT|MPSD|DESIGN|HANDLES|RTA)\.md\b|\u00a7')
USER_FILES = ['README.md', 'port/README.md', 'port/xbl_mpsd_port_posix.h', 'port/xbl_mpsd_port_mbedtls.h',
              'port/xbl_mpsd_port_lwip.h', 'port/xbl_mpsd_port_template.h', 'examples/example_common.h']


def foreign_citations(path, text):
    """Lines that cite the project's internal specs (file names or section signs)."""
    return ['%s:%d: %s' % (path, n, line.strip()) for n, line in enumerate(text.split('\n'), 1)
            if FOREIGN.search(line)]


def main(argv):
    path = argv[1] if len(argv) > 1 else 'xbl_mpsd.h'
    with open(path, encoding='utf-8') as f:
        missing, found = undocumented(f.read())
    rc = 0
    if missing:
        print('%s: %d of %d public functions have no comment at their declaration:' % (path, len(missing), found))
        for name in missing:
            print('  ' + name)
        rc = 1
    with open(path, encoding='utf-8') as f:
        cites = foreign_citations(path, re.split(r'/\*\s+IMPLEMENTATION\s+\*/', f.read(), maxsplit=1)[0])
    for other in USER_FILES if len(argv) <= 1 else []:
        with open(other, encoding='utf-8') as f:
            text = f.read()
        if other.startswith('port/xbl_mpsd_port_'):
            text = text.split('*/', 1)[0]   # the manual at the top
        cites += foreign_citations(other, text)
    if cites:
        print('files a user reads cite files the user does not have:')
        for c in cites:
            print('  ' + c)
        rc = 1
    if rc:
        return rc
    print('doc-check: all %d public functions of %s are documented' % (found, path))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
