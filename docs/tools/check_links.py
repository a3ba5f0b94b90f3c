#!/usr/bin/env python3
"""Checks the links and code quotes of docs/*.md against the code, so the teaching pages cannot drift silently.

1. Every relative link must point to an existing file; a #Lx or #Lx-Ly anchor must lie inside that file.
2. A fenced code block whose preceding line holds exactly one link with a line anchor is a QUOTE of those lines:
   each non-blank line of the block (whitespace-trimmed) must appear, in order, among the linked lines.
   A line that is just "..." (or "// ...") in the block stands for omitted lines.

Usage: python3 docs/tools/check_links.py          (from anywhere; exit status 1 lists every problem)
       python3 docs/tools/check_links.py --fix    also re-anchors each quote whose lines moved: it finds the
                                                  quoted lines (in order) in the linked file and rewrites #Lx-Ly
Run it after any change to a file the docs link to: line numbers move when code is edited. --fix cannot repair
a quote whose code changed, nor an anchor in running text without a quote below it: those stay listed.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, "docs")
LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
ANCHOR = re.compile(r"^L(\d+)(?:-L(\d+))?$")


def md_files():
    for d, _, files in os.walk(DOCS):
        for f in sorted(files):
            if f.endswith(".md"):
                yield os.path.join(d, f)


def resolve(md, target):
    path, _, anchor = target.partition("#")
    if re.match(r"^[a-z]+:", path):          # http:, mailto: ...: not checked
        return None, None, None
    full = os.path.normpath(os.path.join(os.path.dirname(md), path)) if path else md
    return full, anchor, path


FIX = "--fix" in sys.argv


def main():
    problems = []
    checked_links = checked_quotes = 0
    for md in md_files():
        rel = os.path.relpath(md, ROOT)
        lines = open(md, encoding="utf-8").read().split("\n")
        in_code = False
        for i, line in enumerate(lines):
            if line.lstrip().startswith("```"):
                in_code = not in_code
                if in_code:
                    quote = quoted_range(md, lines, i)
                    if quote:
                        checked_quotes += 1
                        found = check_quote(rel, i + 1, lines, i, *quote)
                        if found and FIX and relocate(md, lines, i, quote[0]):
                            found = check_quote(rel, i + 1, lines, i, *quoted_range(md, lines, i))
                        problems += found
                continue
            if in_code:
                continue
            for m in LINK.finditer(line):
                full, anchor, path = resolve(md, m.group(2))
                if full is None:
                    continue
                checked_links += 1
                if not os.path.exists(full):
                    problems.append(f"{rel}:{i + 1}: link to a missing file: {m.group(2)}")
                    continue
                a = ANCHOR.match(anchor or "")
                if a and os.path.isfile(full):
                    n = sum(1 for _ in open(full, encoding="utf-8"))
                    lo, hi = int(a.group(1)), int(a.group(2) or a.group(1))
                    if not (1 <= lo <= hi <= n):
                        problems.append(f"{rel}:{i + 1}: {m.group(2)}: lines {lo}-{hi} outside the file's {n} lines")
        if FIX:
            new = "\n".join(lines)
            if new != open(md, encoding="utf-8").read():
                open(md, "w", encoding="utf-8").write(new)
                print(f"re-anchored quotes in {rel}")
    for p in problems:
        print(p)
    print(f"checked {checked_links} links and {checked_quotes} code quotes in {DOCS}: {len(problems)} problems")
    return 1 if problems else 0


def quoted_range(md, lines, fence):
    j = fence - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if j < 0:
        return None
    anchored = []
    for m in LINK.finditer(lines[j]):
        full, anchor, _ = resolve(md, m.group(2))
        a = ANCHOR.match(anchor or "") if full else None
        if a and os.path.isfile(full):
            anchored.append((full, int(a.group(1)), int(a.group(2) or a.group(1))))
    return anchored[0] if len(anchored) == 1 else None


def quote_lines(lines, fence):
    out = []
    k = fence + 1
    while k < len(lines) and not lines[k].lstrip().startswith("```"):
        q = lines[k].strip()
        k += 1
        if q and q not in ("...", "// ..."):
            out.append(q)
    return out


def relocate(md, lines, fence, full):
    """Rewrites the anchor above the quote at `fence` to the first in-order match in `full`; True if it did."""
    want = quote_lines(lines, fence)
    src = [l.strip() for l in open(full, encoding="utf-8").read().split("\n")]
    if not want:
        return False
    for start in range(len(src)):
        if src[start] != want[0]:
            continue
        at, ok = start, True
        for q in want[1:]:
            try:
                at = src.index(q, at + 1, min(len(src), start + 200))
            except ValueError:
                ok = False
                break
        if ok:
            j = fence - 1
            while not lines[j].strip():
                j -= 1
            anchor = f"#L{start + 1}" if at == start else f"#L{start + 1}-L{at + 1}"
            lines[j] = re.sub(r"#L\d+(?:-L\d+)?", anchor, lines[j])
            return True
    return False


def check_quote(rel, lineno, lines, fence, full, lo, hi):
    src = [l.strip() for l in open(full, encoding="utf-8").read().split("\n")[lo - 1:hi]]
    k = fence + 1
    at = 0
    out = []
    while k < len(lines) and not lines[k].lstrip().startswith("```"):
        q = lines[k].strip()
        k += 1
        if not q or q in ("...", "// ..."):
            continue
        try:
            at = src.index(q, at) + 1
        except ValueError:
            out.append(f"{rel}:{lineno}: quoted line not found (in order) in {os.path.relpath(full, ROOT)}#L{lo}-L{hi}: {q}")
    return out


if __name__ == "__main__":
    sys.exit(main())
