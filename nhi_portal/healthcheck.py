"""The web container's health check (docker-compose.yml): `python -m nhi_portal.healthcheck`.

Asks this container's gunicorn for /healthz as the reverse proxy would — with a host name the
portal serves (the first of DJANGO_ALLOWED_HOSTS) and `X-Forwarded-Proto: https` — so neither
host validation (400) nor the HTTPS redirect (301) answers instead of the view. Healthy only on
200 "ok"; a redirect is not followed. Starts no Django: it must answer in a second."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/healthz"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def served_host(allowed: str) -> str:
    for host in (h.strip() for h in allowed.split(",")):
        if host and host != "*":
            return host.lstrip(".")
    return "localhost"


def check(url: str, host: str, timeout: float = 4.0) -> str:
    """'' when healthy, else what went wrong."""
    if not url.startswith(("http://", "https://")):
        return "NHI_HEALTHCHECK_URL must be an http(s) URL"
    request = urllib.request.Request(url, headers={"Host": host, "X-Forwarded-Proto": "https"})  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(16)
            if response.status == 200 and body.strip() == b"ok":
                return ""
            return f"{response.status} {body!r}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except OSError as error:
        return str(error)


def main() -> int:
    url = os.environ.get("NHI_HEALTHCHECK_URL", DEFAULT_URL)
    problem = check(url, served_host(os.environ.get("DJANGO_ALLOWED_HOSTS", "")))
    if problem:
        print(f"unhealthy: {url}: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
