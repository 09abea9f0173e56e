"""The rule that keeps the ISA data out of notices, pinned in the code itself: nothing in the
notice package, its templates or its template tag names an ISA record or a match decision."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

FORBIDDEN = re.compile(r"IsaRecord|isa_record|MatchDecision|linked_resident|\braw_|\.decision\b")


def sources() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return [
        *sorted((base / "enrollment" / "notices").glob("*.py")),
        base / "enrollment" / "models" / "notices.py",
        base / "enrollment" / "templatetags" / "notices.py",
        *sorted((base / "templates" / "enrollment" / "notices").glob("*.html")),
    ]


def test_the_notice_code_never_reads_isa_records():
    found = []
    for path in sources():
        text = path.read_text(encoding="utf-8")
        # The module docstrings name the rule itself ("never reads an ISA record"); code may not.
        code = "\n".join(line for line in text.splitlines() if "IsaRecord or MatchDecision" not in line)
        found += [f"{path.name}: {m.group()}" for m in FORBIDDEN.finditer(code)]
    assert len(sources()) > 10
    assert not found, found
