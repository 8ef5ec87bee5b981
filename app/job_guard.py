"""The failure answers every worker job shares beside a trace (app/compare_job.py,
app/fd_check_job.py): the program too long, refused or stopped, out of memory or nesting, or an
engine bug — each a clear answer, never an exception that takes the worker down."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from chainrule.app.runner import error_answer, limit_response, refuse_long_source
from chainrule.engine.errors import ChainruleError
from chainrule.engine.limits import Limits

Answer = tuple[int, bytes]


def guarded(work: Callable[[], Any], source: str, limits: Limits, *, what: str,
            log: logging.Logger, internal: Callable[[BaseException], Answer]
            ) -> tuple[Any, Answer | None]:
    """(what `work()` returned, None), or (None, the answer for how it failed). `what` names
    the job in messages ("the check"); `internal` answers an engine bug, after it is logged."""
    try:
        refuse_long_source(source, limits)
        return work(), None
    except ChainruleError as e:   # refused, or stopped before the job could finish
        return None, error_answer(e)
    except (MemoryError, RecursionError):
        return None, limit_response(f"{what} needed more memory or nesting than this server "
                                    "allows", limits)
    except Exception as e:   # an engine bug: answer, log, keep the worker
        log.error("internal error in %s", what, exc_info=e)
        return None, internal(e)
