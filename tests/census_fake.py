"""A requests-like session that answers Census API calls from the recordings in tests/fixtures/census."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "census"


@dataclass
class FakeResponse:
    status_code: int
    text: str = ""
    content: bytes = b""

    def json(self):
        return json.loads(self.text)


@dataclass
class RecordedCensus:
    """Answers data requests by selecting the requested columns of a recorded county table, and
    variable-definition requests from a recorded definition. ``script`` lists answers to give first
    (a status code, or an exception instance to raise) for data requests, e.g. ``[429, 503]``."""

    script: list = field(default_factory=list)
    calls: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)

    def get(self, url, params=None, timeout=None, **kwargs):
        params = params or {}
        self.calls.append((url, {k: v for k, v in params.items() if k != "key"}, "key" in params))
        if url.startswith("https://www2.census.gov/geo/tiger/GENZ"):
            name = url.rsplit("/", 1)[1]
            path = FIXTURES / name
            return FakeResponse(200, content=path.read_bytes()) if path.exists() else FakeResponse(404, "Not Found")
        m = re.match(r"https://api\.census\.gov/data/(\d{4})/acs/acs5/variables/(.+)\.json$", url)
        if m:
            name = m.group(2)
            if not re.fullmatch(r"B\d{5}[A-I]?_\d{3}[EM]", name):
                return FakeResponse(404, "unknown variable")
            definition = json.loads((FIXTURES / "variable_B01001_003E.json").read_text())
            definition["name"] = name
            return FakeResponse(200, json.dumps(definition))
        assert re.fullmatch(r"https://api\.census\.gov/data/\d{4}/acs/acs5", url), url
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
            if isinstance(step, FakeResponse):  # a recorded answer as it is (garbage included)
                return step
            if callable(step):  # an answer made from the real one, e.g. with rows cut short
                return step(self._answer(url, params))
            body = {400: (FIXTURES / "error_400.txt").read_text(), 200: (FIXTURES / "invalid_key.html").read_text()}.get(step, "")
            return FakeResponse(step, body)
        return self._answer(url, params)

    def _answer(self, url, params) -> FakeResponse:
        county = re.search(r"county:(\S+)", params["in"]).group(1)
        year = url.split("/")[4]
        table = json.loads((FIXTURES / f"acs5_{year}_41_{county}.json").read_text())
        header, rows = table[0], table[1:]
        wanted = params["get"].split(",") + ["state", "county", "tract"]
        idx = [header.index(w) for w in wanted]
        return FakeResponse(200, json.dumps([wanted] + [[r[i] for i in idx] for r in rows]))
