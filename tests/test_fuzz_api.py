"""Schemathesis against the served OpenAPI document: every operation, valid and invalid input,
called as the caller it documents (a member, the least privileged staff role that may call it,
a POS key that signs each request). Bounded: FUZZ_EXAMPLES examples per operation and mode,
seed FUZZ_SEED, so a run repeats and stays short. What must hold: no 5xx; every status and
body as documented; every 4xx in the error shape; invalid input refused."""
import json
import os
import re
import time
import traceback
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               negative_data_rejection,
                                               response_schema_conformance,
                                               status_code_conformance)

from core.auth import sign, signing_message
from core.db import db
from mall import catalog
from tests.callers import ANYONE, MEMBER, POS, least_privileged, who_may
from wx.fake_server import FakeWechatServer

ARTEFACTS = Path(os.environ.get("JIFEN_ARTEFACTS",
                                Path(__file__).resolve().parent.parent / "artefacts"))
FUZZ_EXAMPLES = int(os.environ.get("JIFEN_FUZZ_EXAMPLES", "10"))
FUZZ_SEED = int(os.environ.get("JIFEN_FUZZ_SEED", "17"))
#: only the operations whose path contains this (when looking into one)
FUZZ_ONLY = os.environ.get("JIFEN_FUZZ_ONLY", "")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def caller_accepted(ctx, response, case):
    """The credentials sent are good (a POS request is signed right): never a 401 where the
    operation asks for some. A login's 401 is a wrong password or code, not this."""
    if response.status_code == 401 and case.operation.definition.raw.get("security"):
        if _encoded_path(case):
            return  # known: the server checks a POS signature over the decoded path (#28)
        raise AssertionError(response.content[:300])


def _encoded_path(case):
    path = case.as_transport_kwargs()["path"]
    return "%" in path and unquote(path) != path


def error_shape(ctx, response, case):
    """Every 4xx/5xx body is {"error": {"code", "message", "details"}}."""
    if response.status_code >= 400:
        body = json.loads(response.content or b"null")
        assert isinstance(body, dict) and set(body) == {"error"}, body
        assert set(body["error"]) == {"code", "message", "details"}, body
        assert isinstance(body["error"]["details"], dict), body


@pytest.fixture
def callers(app, factory, monkeypatch):
    """Headers for each kind of caller, and the POS key's (id, secret)."""
    with FakeWechatServer() as wechat:
        monkeypatch.setitem(app.config, "WECHAT_API_BASE", wechat.url)
        store = factory.store(code="SH001")
        catalog.create_product({"title": "Mug", "kind": "gift", "points_price": 10, "stock": 5})
        db.session.commit()
        member = factory.member(points=10_000)
        headers = {MEMBER: _bearer(factory.member_token(member)), POS: factory.api_key(store)}
        for role in ("cashier", "store_manager", "marketer", "hq_admin"):
            staff = factory.staff(role=role, stores=[store] if role in ("cashier", "store_manager") else ())
            headers[role] = _bearer(factory.staff_token(staff))
        yield headers


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _endpoints(app):
    """(OpenAPI path, METHOD) → endpoint name."""
    return {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method): rule.endpoint
            for rule in app.url_map.iter_rules() for method in rule.methods}


def _call(case, who, callers):
    if who == ANYONE:
        return case.call()
    if who == POS:
        return _signed_call(case, *callers[POS])
    caller = callers[MEMBER] if who == MEMBER else callers[least_privileged(who)]
    return case.call(headers=caller)


def _signed_call(case, key_id, secret):
    """A POS request signed as API.md says, over the exact path and body sent."""
    sent = case.as_transport_kwargs()
    body = json.dumps(case.body).encode() if "json" in sent else sent.get("data", b"") or b""
    if isinstance(body, str):
        body = body.encode()
    query = sent.get("query_string")
    path = sent["path"] + (f"?{_encoded(query)}" if query else "")
    ts, nonce = str(int(time.time())), uuid.uuid4().hex
    signature = sign(secret, signing_message(case.method, path, ts, nonce, body))
    headers = {"X-Api-Key": key_id, "X-Timestamp": ts, "X-Nonce": nonce, "X-Signature": signature,
               "Content-Type": "application/json"}
    return case.call(headers=headers, data=body)


def _encoded(query):
    return query if isinstance(query, str) else urlencode(query, doseq=True)


@pytest.mark.timeout(max(300, FUZZ_EXAMPLES * 20))  # deeper runs take longer than the default
def test_every_operation_holds_its_documented_promises(app, callers):
    #: the callers' credentials are ours to send (_call), not the fuzzer's to generate
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    endpoints = _endpoints(app)
    failures, operations, examples = [], 0, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if FUZZ_ONLY not in operation.path:
            continue
        who = who_may(endpoints[(operation.path, operation.method.upper())])
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            checks = CHECKS + [error_shape, caller_accepted]
            checks += [negative_data_rejection] if mode.is_negative else []
            with undone():  # what one operation wrote (a deactivated caller…) does not last
                examples += _fuzz(operation, mode, who, callers, checks, failures)
    summary = f"schemathesis: {operations} operations, {examples} examples, {len(failures)} failures"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "schemathesis.txt").write_text("\n\n".join([summary, *failures]) + "\n")
    print("\n" + summary)
    assert operations >= 85 or FUZZ_ONLY
    assert failures == [], "\n\n".join(failures[:20])


@contextmanager
def undone():
    """Roll back what the block writes, within the test's own transaction."""
    savepoint = db.session.get_bind().begin_nested()
    try:
        yield
    finally:
        db.session.remove()
        savepoint.rollback()


def _fuzz(operation, mode, who, callers, checks, failures):
    ran = 0

    @seed(FUZZ_SEED)
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, derandomize=False,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        nonlocal ran
        ran += 1
        response = _call(case, who, callers)
        case.validate_response(response, checks=checks)

    try:
        run()
    except Unsatisfiable:
        assert mode.is_negative, operation.path  # nothing to make invalid (no input, any path)
    except (Exception, BaseExceptionGroup) as exc:  # one report per operation and mode
        failures.append(f"{operation.method.upper()} {operation.path} ({mode}): {_described(exc)}")
    return ran


def _described(exc):
    """The exception and, for a group (schemathesis, hypothesis), each one inside it, with
    where it was raised."""
    text = f"{type(exc).__name__}: {exc}"
    for inner in getattr(exc, "exceptions", ()):
        frame = traceback.extract_tb(inner.__traceback__)[-1:] if inner.__traceback__ else []
        where = f" (at {frame[0].filename}:{frame[0].lineno})" if frame else ""
        text += "\n  - " + _described(inner).replace("\n", "\n    ") + where
    return text
