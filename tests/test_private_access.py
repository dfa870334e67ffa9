"""No module reads or writes the private attributes of an object that another package owns."""

from __future__ import annotations

import re
from pathlib import Path

import astromorph_nb

PACKAGE = Path(astromorph_nb.__file__).parent
#: A name that holds another package's object → the package whose code may use its privates.
OWNERS = {"session": "session", "job": "train", "trainer": "train"}
ACCESS = re.compile(r"\b(session|job|trainer)\._[a-z]\w*")


def private_accesses(text: str, layer: str) -> list[str]:
    """``"line: access"`` for each private access in ``text`` that ``layer`` does not own."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in ACCESS.finditer(line):
            if OWNERS[match.group(1)] != layer:
                found.append(f"{number}: {match.group(0)}")
    return found


def test_no_module_touches_privates_of_an_object_it_does_not_own():
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        layer = relative.parts[0] if len(relative.parts) > 1 else relative.stem
        hits += [f"{relative}:{hit}" for hit in private_accesses(path.read_text(), layer)]
    assert hits == []


def test_the_scan_sees_an_access():
    # A positive control, so that the scan cannot pass by matching nothing.
    text = "value = session._images\nok = self._images\nseconds = trainer._elapsed()\n"
    assert private_accesses(text, "widgets") == ["1: session._images", "3: trainer._elapsed"]
    assert private_accesses(text, "session") == ["3: trainer._elapsed"]
