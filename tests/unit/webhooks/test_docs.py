"""The receiver example in docs/webhooks.md works against deliveries we sign."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conveyor.webhooks import signing

DOC = Path(__file__).parents[3] / "docs" / "webhooks.md"
Handle = Callable[[bytes, dict[str, str], set[str]], int]


@pytest.fixture
def example() -> tuple[dict[str, object], Handle]:
    """The doc's Python example, run with a fresh secret in place of its placeholder."""
    [code] = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    namespace: dict[str, object] = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    namespace["SECRET"] = signing.generate_secret()
    handle = namespace["handle"]
    assert callable(handle)
    return namespace, handle


def test_the_doc_example_accepts_a_delivery_once_and_acknowledges_its_retry(
    example: tuple[dict[str, object], Handle],
) -> None:
    namespace, handle = example
    body, seen = b'{"lead_id": "L-1"}', set[str]()
    first = signing.headers([str(namespace["SECRET"])], "msg_1", int(time.time()), body)
    retry = signing.headers([str(namespace["SECRET"])], "msg_1", int(time.time()) + 5, body)
    assert handle(body, first, seen) == 200
    assert handle(body, retry, seen) == 200
    assert seen == {"msg_1"}


def test_the_doc_example_refuses_a_delivery_signed_with_another_secret(
    example: tuple[dict[str, object], Handle],
) -> None:
    _, handle = example
    body = b'{"lead_id": "L-1"}'
    forged = signing.headers([signing.generate_secret()], "msg_2", int(time.time()), body)
    seen = set[str]()
    assert handle(body, forged, seen) == 400
    assert seen == set()
