"""Native frames in and out of the engine's Narwhals code: the caller's kind is kept.

Every engine function takes a native frame (Polars ``DataFrame`` or ``LazyFrame``, PySpark
``DataFrame``, or a Narwhals frame), works on a Narwhals LazyFrame, and answers in the kind it
was given: an eager frame in gives an eager (collected) frame out, a lazy one a lazy plan.
"""

from __future__ import annotations

from typing import Any

import narwhals as nw


def lazy(frame: Any) -> tuple[nw.LazyFrame[Any], bool]:
    """The frame as a Narwhals LazyFrame, and whether the caller gave an eager frame."""
    nw_frame = nw.from_native(frame)
    if isinstance(nw_frame, nw.DataFrame):
        return nw_frame.lazy(), True
    return nw_frame, False


def finish(result: nw.LazyFrame[Any], eager: bool) -> Any:
    """The result in the caller's kind (see ``lazy``)."""
    return result.collect().to_native() if eager else result.to_native()
