from __future__ import annotations

import html as html_lib
import re


def text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def stat(page: str, label: str) -> str:
    """The figure of a `stats` item by its label: "4件" for <dt>作成したケース</dt><dd>4<small>件</small></dd>."""
    found = re.search(rf"<dt>{re.escape(label)}</dt><dd>(.*?)</dd>", page, re.S)
    assert found, f"no figure labelled {label}"
    return text(found.group(1)).replace(" ", "")


def section(page: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by the heading with this id."""
    start = page.index(f'aria-labelledby="{heading_id}"')
    return page[start : page.index("</section>", start)]
