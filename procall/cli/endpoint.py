"""Checking a model endpoint before a conversation relies on it."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from .errors import CLIError

if TYPE_CHECKING:  # only annotates: importing the settings (pydantic) would slow `procall --help`
    from ..config import Settings


def check_endpoint(settings: Settings, timeout: float = 5.0) -> None:
    if not settings.openai_api_key and not settings.openai_base_url:
        raise CLIError("--nlu llm needs OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server)")
    base = (settings.openai_base_url or "https://api.openai.com/v1").rstrip("/")
    request = urllib.request.Request(f"{base}/models",
                                     headers={"Authorization": f"Bearer {settings.openai_api_key or 'none'}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise CLIError(f"the model endpoint {base} refused the API key (HTTP {exc.code})") from None
        return  # reachable; some compatible servers have no /models
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CLIError(f"cannot reach the model endpoint {base} ({reason}); check OPENAI_BASE_URL, "
                       "or use --nlu local") from None
