"""System checks run by `bangfu check --deploy`."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register

from bangfu.core.protect import data_key_is_configured


@register(Tags.security, deploy=True)
def data_key_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Personal data must be encrypted with a key of the operator's own, not the fallback."""
    if data_key_is_configured():
        return []
    return [
        Error(
            "BANGFU_DATA_KEY is not set: ID numbers and bank accounts would be encrypted with a "
            "key derived from the secret key.",
            hint='Set it to the output of: python -c "from bangfu.core.protect import '
            'generate_data_key; print(generate_data_key())" — and back it up.',
            id="bangfu.E001",
        )
    ]
