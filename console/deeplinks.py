"""`incident-console://` links: what they point at, parsed without Qt.

`incident-console://incident/<n>` opens incident n and `incident-console://alert/<n>` alert n
in the running console (emails, Slack replies and notes carry them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCHEME = "incident-console"
_LINK = re.compile(rf"^{SCHEME}://(incident|alert)/#?(\d{{1,12}})/?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DeepLink:
    """A link to one incident or alert."""

    kind: str  # "incident" or "alert"
    iid: int


def parse(text: str) -> DeepLink | None:
    """The target of an `incident-console://` link, or None when it is not one we open."""
    match = _LINK.match(text.strip())
    if match is None:
        return None
    return DeepLink(match.group(1).lower(), int(match.group(2)))


def incident_link(iid: int) -> str:
    """The link that opens incident `iid`."""
    return f"{SCHEME}://incident/{iid}"
