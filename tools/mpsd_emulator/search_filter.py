"""The search-handle filter language: parse once, then test each handle.

Grammar (operators and keywords are lower case, as in OData):

    filter     := conj [ 'or' conj ]          one 'or' at most, at the root only
    conj       := unary { 'and' unary }       'and' binds tighter than 'or'
    unary      := '(' conj ')' | lambda | comparison
    lambda     := COLLECTION '/any(' VAR ':' conj ')'
    comparison := operand OP operand          OP: eq ne gt ge lt le
    operand    := 'string' | number | 'tolower(' operand ')' | VAR
                | 'strings/' NAME | 'numbers/' NAME

COLLECTION is tags, session/memberXuids or session/ownerXuids (segments match
without regard to case); VAR is the lambda's variable and is only valid inside
its body. Both operands of a comparison have the same type (string or number);
tolower takes a string. An attribute the handle does not have is null: eq and
the order operators are false for it, ne is true. Attribute names match
without regard to case; string values keep their case.
"""

import re

OPS = ('eq', 'ne', 'gt', 'ge', 'lt', 'le')
COLLECTIONS = {'tags': 'tags', 'session/memberxuids': 'memberXuids',
               'session/ownerxuids': 'ownerXuids'}
TOKEN_RE = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')"
                      r"|(?P<num>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
                      r"|(?P<word>[A-Za-z_][A-Za-z0-9_.-]*(?:/[A-Za-z_][A-Za-z0-9_.-]*)*)"
                      r"|(?P<punct>[():]))")


class FilterError(ValueError):
    pass


def tokenize(text):
    out = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if m is None:
            raise FilterError('unexpected character %r at offset %d' % (text[pos], pos))
        kind = m.lastgroup
        val = m.group(kind)
        if kind == 'str':
            val = val[1:-1].replace("''", "'")
        elif kind == 'num':
            val = float(val)
        out.append((kind, val, m.start(kind)))
        pos = m.end()
    out.append(('end', None, len(text)))
    return out


class Parser:
    def __init__(self, text):
        self.toks = tokenize(text)
        self.i = 0
        self.var = None

    def peek(self):
        return self.toks[self.i]

    def take(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def fail(self, what, tok=None):
        tok = tok or self.peek()
        shown = 'the end' if tok[0] == 'end' else repr(tok[1])
        raise FilterError('%s, found %s at offset %d' % (what, shown, tok[2]))

    def expect(self, kind, val=None):
        t = self.peek()
        if t[0] != kind or (val is not None and t[1] != val):
            self.fail('expected %s' % (repr(val) if val is not None else kind))
        return self.take()

    def is_word(self, val):
        t = self.peek()
        return t[0] == 'word' and t[1] == val

    def parse(self):
        node = self.conj()
        if self.is_word('or'):
            self.take()
            node = ('or', node, self.conj())
            if self.is_word('or'):
                self.fail("only one 'or' is allowed")
        if self.peek()[0] != 'end':
            self.fail("expected 'and', 'or' or the end")
        return node

    def conj(self):
        node = self.unary()
        while self.is_word('and'):
            self.take()
            node = ('and', node, self.unary())
        return node

    def unary(self):
        t = self.peek()
        if t[0] == 'punct' and t[1] == '(':
            self.take()
            node = self.conj()
            if self.is_word('or'):
                self.fail("'or' is only allowed at the root of the filter")
            self.expect('punct', ')')
            return node
        if t[0] == 'word' and t[1].lower().endswith('/any'):
            return self.lambda_()
        return self.comparison()

    def lambda_(self):
        t = self.take()
        coll = COLLECTIONS.get(t[1][:-len('/any')].lower())
        if coll is None:
            self.fail('unknown collection', t)
        if self.var is not None:
            self.fail('lambdas do not nest', t)
        self.expect('punct', '(')
        var = self.expect('word')[1]
        if '/' in var or var in OPS or var in ('and', 'or', 'tolower'):
            self.fail('expected a lambda variable', self.toks[self.i - 1])
        self.expect('punct', ':')
        self.var = var
        body = self.conj()
        if self.is_word('or'):
            self.fail("'or' is only allowed at the root of the filter")
        self.var = None
        self.expect('punct', ')')
        return ('any', coll, body)

    def comparison(self):
        left = self.operand()
        t = self.peek()
        if t[0] != 'word' or t[1] not in OPS:
            self.fail('expected a comparison operator (%s)' % ' '.join(OPS))
        op = self.take()[1]
        right = self.operand()
        if left[1] != right[1]:
            self.fail('cannot compare a %s with a %s' % (left[1], right[1]),
                      self.toks[self.i - 1])
        return ('cmp', op, left, right)

    def operand(self):
        """Returns (node, type)."""
        t = self.take()
        kind, val = t[0], t[1]
        if kind == 'str':
            return (('lit', val), 'string')
        if kind == 'num':
            return (('lit', val), 'number')
        if kind != 'word':
            self.fail('expected an operand', t)
        if val == 'tolower':
            self.expect('punct', '(')
            inner = self.operand()
            if inner[1] != 'string':
                self.fail('tolower takes a string', t)
            self.expect('punct', ')')
            return (('lower', inner[0]), 'string')
        if self.var is not None and val == self.var:
            return (('var',), 'string')
        head, sep, name = val.partition('/')
        if sep and '/' not in name and head.lower() in ('strings', 'numbers'):
            typ = 'string' if head.lower() == 'strings' else 'number'
            return (('attr', head.lower(), name.lower()), typ)
        self.fail('expected an operand', t)


def compile_filter(text):
    """Parse a filter; raises FilterError with a readable reason."""
    if not isinstance(text, str):
        raise FilterError('the filter must be a string')
    if not text.strip():
        return None
    return Parser(text).parse()


def value(node, env, var):
    kind = node[0]
    if kind == 'lit':
        return node[1]
    if kind == 'var':
        return var
    if kind == 'lower':
        v = value(node[1], env, var)
        return v.lower() if isinstance(v, str) else None
    return env[node[1]].get(node[2])


def compare(op, a, b):
    if a is None or b is None or type(a) is not type(b):
        return op == 'ne'
    return {'eq': a == b, 'ne': a != b, 'gt': a > b, 'ge': a >= b,
            'lt': a < b, 'le': a <= b}[op]


def matches(node, env, var=None):
    """env: {'strings': {name: str}, 'numbers': {name: float}, 'tags': [...],
    'memberXuids': [...], 'ownerXuids': [...]}, names lower-cased."""
    if node is None:
        return True
    kind = node[0]
    if kind == 'or':
        return matches(node[1], env, var) or matches(node[2], env, var)
    if kind == 'and':
        return matches(node[1], env, var) and matches(node[2], env, var)
    if kind == 'any':
        return any(matches(node[2], env, item) for item in env[node[1]])
    return compare(node[1], value(node[2][0], env, var), value(node[3][0], env, var))
