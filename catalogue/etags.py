"""ETags and If-Match: optimistic concurrency for every editable object."""

from __future__ import annotations

from catalogue.problems import Problem


def etag(kind: str, key: object, version: int) -> str:
    return f'"{kind}:{key}:{version}"'


def expected_version(kind: str, key: object, header: str | None) -> int:
    """The version the client last read, from If-Match. 428 when the header is missing or is ``*``
    (which would skip the check it exists for); 412 when no entity tag in it belongs to this object."""
    if header is None or not header.strip():
        raise Problem(428, "Send If-Match with the ETag from your last read.",
                      errors=[{"field": "If-Match", "message": "required"}])
    value = header.strip()
    if value == "*":
        raise Problem(428, "Send If-Match with the ETag from your last read, not *.",
                      errors=[{"field": "If-Match", "message": "an entity tag is required, not *"}])
    prefix = f"{kind}:{key}:"
    for candidate in value.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if len(candidate) >= 2 and candidate[0] == candidate[-1] == '"':
            inner = candidate[1:-1]
            if inner.startswith(prefix) and inner[len(prefix):].isdigit():
                return int(inner[len(prefix):])
    raise stale(kind)


def stale(kind: str) -> Problem:
    return Problem(412, f"The {kind} has changed since you read it. Fetch it again and retry.",
                   errors=[{"field": "If-Match", "message": "does not match the current version"}])
