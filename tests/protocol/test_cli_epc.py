"""`tagtrail epc` through the real command-line entry point."""

from __future__ import annotations

import io
import json
import sys

import pytest

from tagtrail.cli import main

SGTIN = "3074257BF7194E4000001A85"  # TDS E.3: urn:epc:tag:sgtin-96:3.0614141.812345.6789
SSCC = "3174257BF4499602D2000000"  # TDS E.3: urn:epc:tag:sscc-96:3.0614141.1234567890
GRAI = "3374257BF40C0E400000162E"  # TDS E.3: (8003)006141411234525678


def test_prints_one_line_per_epc(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["epc", SGTIN, SSCC.lower()]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(SGTIN)
    for part in (
        "sgtin-96",
        "GTIN 80614141123458",
        "filter 3",
        "urn:epc:id:sgtin:0614141.812345.6789",
        "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
    ):
        assert part in lines[0]
    assert lines[1].startswith(SSCC)
    assert "SSCC 106141412345678908" in lines[1]
    assert err == ""


def test_json_prints_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["epc", "--json", GRAI, "E2801160600002000000000A"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0]["scheme"] == "grai-96"
    assert rows[0]["gs1_key"] == "006141411234525678"
    assert rows[0]["element_string"] == "(8003)006141411234525678"
    assert rows[0]["tag_uri"] == "urn:epc:tag:grai-96:3.0614141.12345.5678"
    assert rows[1]["status"] == "unknown-header"
    assert rows[1]["hex"] == "E2801160600002000000000A"
    assert rows[1]["header"] == 0xE2
    assert rows[1]["bits"] == 96


def test_malformed_epc_reported_others_still_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["epc", SGTIN, "3074257BF7194E4000001A8", "nothex", SSCC]) == 2
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()] == [SGTIN, SSCC]
    errors = err.splitlines()
    assert len(errors) == 2
    assert "3074257BF7194E4000001A8" in errors[0]
    assert "odd number" in errors[0]
    assert "'nothex'" in errors[1]


def test_reads_stdin_when_no_arguments(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        sys, "stdin", io.StringIO(f"{SGTIN}\n\n  {SSCC}  \n307C257BF7194E4000001A85\n")
    )
    assert main(["epc", "--json"]) == 2
    out, err = capsys.readouterr()
    assert [json.loads(line)["gs1_key"] for line in out.splitlines()] == [
        "80614141123458",
        "106141412345678908",
    ]
    assert "307C257BF7194E4000001A85" in err
    assert "partition value 7" in err


def test_unknown_header_line_is_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["epc", "35000000019010061A8F0000"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("35000000019010061A8F0000")
    assert "unknown-header" in out
    assert "0x35" in out
