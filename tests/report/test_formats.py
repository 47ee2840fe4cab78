"""Every format has a renderer, renderers are pure, and structured formats validate."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml

from posture.report.formats import CHOICES, RENDERERS, Format, RenderOptions, render
from posture.report.model import Report


def test_every_format_has_a_renderer() -> None:
    assert set(RENDERERS) == set(Format)
    assert CHOICES[0] == "table"


@pytest.mark.parametrize("fmt", list(Format))
def test_renderers_are_pure_and_deterministic(report: Report, fmt: Format) -> None:
    first = render(report, fmt)
    assert first
    assert render(report, fmt) == first


def test_schema_is_valid_draft_2020_12(report_schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(report_schema)
    assert report_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("fmt", [Format.JSON, Format.YAML])
def test_json_and_yaml_match_the_published_schema(
    report: Report, report_schema: dict[str, Any], fmt: Format
) -> None:
    text = render(report, fmt)
    doc = json.loads(text) if fmt is Format.JSON else yaml.safe_load(text)
    jsonschema.Draft202012Validator(report_schema).validate(doc)
    assert doc["apiVersion"] == "posture.dev/v1alpha3"
    assert doc["kind"] == "PostureReport"
    assert len(doc["reach"]) == len(report.reach)


def test_schema_rejects_a_renamed_key(report: Report, report_schema: dict[str, Any]) -> None:
    doc = json.loads(render(report, Format.JSON))
    doc["findings"][0]["check_id"] = doc["findings"][0].pop("checkId")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(report_schema).validate(doc)


def test_table_colour_only_when_asked(report: Report) -> None:
    assert "\033[" not in render(report, Format.TABLE)
    assert "\033[" in render(report, Format.TABLE, RenderOptions(color=True))
    wide = render(report, Format.WIDE)
    assert "Measures" in wide
