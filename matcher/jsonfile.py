"""Reading a JSON data file with one readable error for each way it can fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_json(path: Path, *, kind: str, error: type[ValueError]) -> Any:
    """The parsed contents of ``path``; a missing, unreadable or malformed file raises ``error``
    with a one-line message naming the file (``kind`` names what it should be: "catalogue file")."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: no such {kind}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise error(f"{path}: not valid JSON ({exc})") from None
    except OSError as exc:  # a directory, no permission
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None
