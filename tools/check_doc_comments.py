#!/usr/bin/env python3
"""Every public function of xbl_mpsd.h has a comment at its declaration.

The public part (before the IMPLEMENTATION banner) is cut into blocks at
blank lines; a block that declares a function (a line starting with a return
type and xbl_mpsd_<name>() must hold a comment before its first declaration.
Declarations grouped in one block share that comment. Exit status 1 and the
list of undocumented functions otherwise.
usage: check_doc_comments.py [header]"""
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


def main(argv):
    path = argv[1] if len(argv) > 1 else 'xbl_mpsd.h'
    with open(path, encoding='utf-8') as f:
        missing, found = undocumented(f.read())
    if missing:
        print('%s: %d of %d public functions have no comment at their declaration:' % (path, len(missing), found))
        for name in missing:
            print('  ' + name)
        return 1
    print('doc-check: all %d public functions of %s are documented' % (found, path))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
