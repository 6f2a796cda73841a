#!/usr/bin/env python3
"""Differential check of diagnostics between two `leadscore` binaries.

Mutates the bundled model files token by token (a token deleted, a word inserted
or substituted, the file cut short), runs `leadscore check` on each mutant with
both binaries, and reports any difference in exit code, stdout or stderr. Use it
when changing the grammar: the language and its error messages should not move.

    python3 scripts/diag-diff.py OLD_BINARY NEW_BINARY [CASES]
"""
import glob
import os
import random
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORDS = ['and', 'or', 'not', 'is', 'in', 'when', 'where', 'between', 'known', 'missing', 'twice',
         'at', 'least', 'times', 'within', 'the', 'last', 'days', 'max', 'each', '(', ')', '"x"',
         '->', '+5', '=', '>=', '#', ',', '[', ']', '{', '}', '\n', '"', 'matches', 'starts',
         'with', 'of', 'list', 'group', 'stage', 'title', 'visited']
TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|->|→|[<>!=]=?|\w+(?:\.\w+)*|\S')


def main():
    old, new = sys.argv[1], sys.argv[2]
    cases = int(sys.argv[3]) if len(sys.argv) > 3 else 400
    random.seed(7)
    files = sorted(glob.glob(f'{ROOT}/rules/**/*.rules', recursive=True)
                   + glob.glob(f'{ROOT}/tests/diagnostics/*.rules')
                   + glob.glob(f'{ROOT}/benches/model/*.rules'))
    texts = [open(f).read() for f in files]
    invalid = differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(cases):
            text = random.choice(texts)
            spans = [(m.start(), m.end()) for m in TOKEN.finditer(text)]
            if not spans:
                continue
            s, e = random.choice(spans)
            kind = random.randrange(4)
            if kind == 0:
                mutant = text[:s] + text[e:]
            elif kind == 1:
                mutant = text[:s] + random.choice(WORDS) + ' ' + text[s:]
            elif kind == 2:
                mutant = text[:s] + random.choice(WORDS) + text[e:]
            else:
                mutant = text[:e]
            path = os.path.join(tmp, f'm{i}.rules')
            with open(path, 'w') as f:
                f.write(mutant)
            a = subprocess.run([old, 'check', path], capture_output=True, text=True)
            b = subprocess.run([new, 'check', path], capture_output=True, text=True)
            invalid += a.returncode != 0
            if (a.returncode, a.stdout, a.stderr) != (b.returncode, b.stdout, b.stderr):
                differ += 1
                if differ <= 5:
                    print(f'--- case {i}: exit {a.returncode} vs {b.returncode}\n{mutant}\n'
                          f'--- old\n{a.stderr}\n--- new\n{b.stderr}')
    print(f'{cases} mutants ({invalid} invalid): {differ} differ')
    sys.exit(1 if differ else 0)


if __name__ == '__main__':
    main()
