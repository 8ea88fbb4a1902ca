#!/usr/bin/env bash
# The README's error catalogue (section "Errors") and src/errors.cpp agree:
# every constructor of pp::errors has a README message with its SQLSTATE.
#
# From errors.cpp: each constructor's ERRCODE_ macro, turned into its
# 5-character SQLSTATE through PostgreSQL's utils/errcodes.h, and its message
# format, where %s stands for any text and %d for a number (the README writes
# values as 3, "x", <uuid>, <where> or …). From the README: each `message` of
# the Errors tables with its row's SQLSTATE (a row "42P01 / 42703 | `a` / `b`"
# pairs them in order). Each constructor must match a README message of its
# own: one constructor, one message, so a missing row fails even when a
# similar message of another constructor remains (person <uuid> does not
# exist, media <uuid> does not exist). A constructor that only returns
# another one (no Error(...) of its own) has nothing to match.
# Needs no cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."

errcodes="$(pg_config --includedir-server)/utils/errcodes.h"
[ -f "$errcodes" ] || { echo "t_error_catalogue: $errcodes not found"; exit 1; }

python3 - "$errcodes" src/errors.cpp README.md <<'PY'
import re
import sys

errcodes_h, errors_cpp, readme = sys.argv[1:]
problems = []

# ERRCODE_X -> SQLSTATE
sqlstate = {}
for m in re.finditer(r"#define\s+ERRCODE_(\w+)\s+MAKE_SQLSTATE\('(.)',\s*'(.)',\s*'(.)',\s*'(.)',\s*'(.)'\)",
                     open(errcodes_h).read()):
    sqlstate[m.group(1)] = "".join(m.group(2, 3, 4, 5, 6))
if len(sqlstate) < 100:
    sys.exit(f"t_error_catalogue: read only {len(sqlstate)} codes from {errcodes_h}")

C_STRING = r'"(?:[^"\\]|\\.)*"'


def c_literals(text):
    """The value of adjacent C string literals at the start of text."""
    m = re.match(rf"\s*((?:{C_STRING}\s*)+)", text)
    if not m:
        return None
    parts = re.findall(C_STRING, m.group(1))
    return "".join(re.sub(r"\\(.)", r"\1", p[1:-1]) for p in parts)


def pattern(fmt):
    """A message format as a regular expression for README messages."""
    out = []
    for piece in re.split(r"(%.)", fmt):
        if piece == "%s":
            out.append(r".+")
        elif piece == "%d":
            out.append(r"(?:-?[0-9]+|<[^<>]+>|…)")
        elif piece == "%%":
            out.append("%")
        elif piece.startswith("%") and len(piece) == 2:
            problems.append(f"format {fmt!r}: conversion {piece} unknown to this test")
        else:
            out.append(re.escape(piece))
    return re.compile("".join(out))


# Constructors: "Error name(...) {" ... "}" at the start of lines.
source = open(errors_cpp).read()
constructors = []  # (name, sqlstate, format, regex)
names = re.findall(r"^Error (\w+)\(", source, re.M)
for m in re.finditer(r"^Error (\w+)\([^)]*\)\s*\{(.*?)^\}", source, re.M | re.S):
    name, body = m.group(1), m.group(2)
    built = re.search(r"\bError\(\s*ERRCODE_(\w+)\s*,\s*(format\()?", body)
    if not built:
        if re.search(r"\breturn\s+(%s)\(" % "|".join(names), body):
            continue  # returns another constructor's error
        problems.append(f"{name}: no Error(ERRCODE_..., message) found")
        continue
    code = sqlstate.get(built.group(1))
    fmt = c_literals(body[built.end():])
    if code is None:
        problems.append(f"{name}: ERRCODE_{built.group(1)} is not in errcodes.h")
    elif fmt is None:
        problems.append(f"{name}: message is not a string literal")
    else:
        constructors.append((name, code, fmt, pattern(fmt)))
if len(names) != len(set(names)) or not constructors:
    problems.append(f"read {len(constructors)} constructors of {len(names)} definitions")

# README messages: (sqlstate, message, line) from the tables of "## Errors".
messages = []
in_errors = False
for number, line in enumerate(open(readme, encoding="utf-8"), 1):
    if line.startswith("## "):
        in_errors = line.strip() == "## Errors"
        continue
    if not in_errors or not line.startswith("|"):
        continue
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) != 3:
        problems.append(f"README.md:{number}: expected 3 cells: {line.strip()}")
        continue
    if cells[1] == "SQLSTATE" or set(cells[1]) <= set("-: "):
        continue
    codes = [c.strip() for c in cells[1].split("/")]
    texts = re.findall(r"`([^`]*)`", cells[2])
    if not all(re.fullmatch(r"[0-9A-Z]{5}", c) for c in codes):
        problems.append(f"README.md:{number}: not a SQLSTATE: {cells[1]}")
    elif len(codes) == 1:
        messages += [(codes[0], t, number) for t in texts]
    elif len(codes) == len(texts):
        messages += [(c, t, number) for c, t in zip(codes, texts)]
    elif texts:
        problems.append(f"README.md:{number}: {len(codes)} SQLSTATEs for {len(texts)} messages")
if not messages:
    problems.append("README.md: no messages found in section Errors")

# One README message per constructor (bipartite matching, augmenting paths).
fits = [[i for i, (code, text, _) in enumerate(messages) if code == c[1] and c[3].fullmatch(text)]
        for c in constructors]
owner = {}  # message index -> constructor index


def claim(k, seen):
    for i in fits[k]:
        if i not in seen:
            seen.add(i)
            if i not in owner or claim(owner[i], seen):
                owner[i] = k
                return True
    return False


for k, (name, code, fmt, regex) in enumerate(constructors):
    if claim(k, set()):
        continue
    other = [f"README.md:{n} has `{t}` as {c}" for c, t, n in messages if regex.fullmatch(t) and c != code]
    taken = [f"README.md:{messages[i][2]} `{messages[i][1]}` went to {constructors[owner[i]][0]}, which matches"
             " it too: one of the two has no row of its own" for i in fits[k]]
    problems.append(f"{name} ({code}, \"{fmt}\"): no README row of its own"
                    + "".join(f"\n       {x}" for x in other + taken))

for k, (name, code, fmt, _) in enumerate(constructors):
    found = [messages[i] for i, owned in owner.items() if owned == k]
    if found:
        print(f"ok   - {name}: {code} `{found[0][1]}` (README.md:{found[0][2]})")
for p in problems:
    print(f"FAIL - {p}")
if problems:
    sys.exit(f"t_error_catalogue: {len(problems)} problem(s)")
print(f"t_error_catalogue: all {len(constructors)} constructors of src/errors.cpp have their README row"
      f" ({len(messages)} README messages read)")
PY
