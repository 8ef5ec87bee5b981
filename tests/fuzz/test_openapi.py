"""Schemathesis against /openapi.json (issue #5): requests generated from the document, valid
and invalid, never get a 5xx; every response conforms to the document (status code, content
type, body schema, headers) and carries the security headers; a request the document calls
invalid is refused with a 4xx (negative data: in the suite since the request schema became
strict — before, `"seed": false` was coerced to 0 and accepted).

The app runs in-process through ASGI (no worker processes: the same runner code, in a
thread), so that the run is quick; tests/app/test_hardening.py covers the worker pool.
Budget: a fifth of CHAINRULE_FUZZ_EXAMPLES per operation.
"""

from __future__ import annotations

import schemathesis
from chainrule.app.main import create_app
from chainrule.app.settings import Settings
from hypothesis import HealthCheck, settings
from invariants import budget
from schemathesis import checks

app = create_app(Settings(workers=0))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schemathesis.check
def security_headers(ctx, response, case) -> bool | None:
    headers = {k.lower(): v for k, v in response.headers.items()}
    for name in ("content-security-policy", "x-content-type-options", "referrer-policy"):
        value = headers.get(name)
        assert value, f"{case.method} {case.path}: no {name}"
    csp = headers["content-security-policy"]
    csp = csp[0] if isinstance(csp, list) else csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, csp
    return None


CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance,
          checks.response_headers_conformance, checks.negative_data_rejection, security_headers]


@schema.parametrize()
@settings(max_examples=budget(0.2), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
def test_api_conforms_to_its_openapi_document(case) -> None:
    case.call_and_validate(checks=CHECKS)
