"""Gateway config: every error names the key and its line; the CLI refuses a bad file clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import ConfigError, parse_config
from tagtrail.cli import main

GOOD = """\
site: dc1
gateway: gw1
readers:
  - name: r1
    host: 10.0.0.1
    antennas: {1: d1-out, 2: d1-in}
zones:
  - {name: d1-out, door: d1, side: outside}
  - {name: d1-in, door: d1, side: inside}
"""


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "gw.yaml")
    return str(caught.value)


def test_good_config_loads() -> None:
    config = parse_config(GOOD)
    assert config.readers[0].antennas == {1: "d1-out", 2: "d1-in"}
    assert config.mqtt.port == 1883


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    host: 10.0.0.1\n", "    host: 10.0.0.1\n    colour: red\n"),
            "gw.yaml:6: readers.0.colour: Extra inputs",
        ),
        (
            ("    antennas: {1: d1-out, 2: d1-in}\n", "    antennas: {1: d1-out, 99: d1-in}\n"),
            "antenna ports must be 1-64",
        ),
        (
            ("    antennas: {1: d1-out, 2: d1-in}\n", "    antennas: {1: d1-out, 2: dock9}\n"),
            "gw.yaml:6: readers.0.antennas.2: unknown zone dock9",
        ),
        (("site: dc1\n", "site: dc/1\n"), "gw.yaml:1: site"),
        (("side: inside}", "side: outside}"), "gw.yaml:8: zones.0.door: door d1 has no inside"),
        (("name: d1-in,", "name: d1-out,"), "gw.yaml:9: zones.1.name: duplicate name d1-out"),
        (("gateway: gw1\n", "gateway: gw1\nportal: {quiet_ms: 5}\n"), "gw.yaml:3: portal.quiet_ms"),
        (("gateway: gw1\n", ""), "gw.yaml:1: gateway: Field required"),
    ],
)
def test_each_error_names_its_key_and_line(change: tuple[str, str], expected: str) -> None:
    assert expected in error_of(GOOD.replace(*change))


def test_yaml_syntax_error_is_reported_with_the_file() -> None:
    assert error_of("site: [unclosed\n").startswith("gw.yaml: not valid YAML")


def test_cli_refuses_a_bad_config_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(GOOD.replace("site: dc1\n", "site: dc1\nsitee: typo\n"))
    assert main(["edge", "--config", str(path), "--check"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2: sitee: Extra inputs are not permitted" in err


def test_cli_check_accepts_a_good_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(GOOD)
    assert main(["edge", "--config", str(path), "--check"]) == 0
    assert "1 readers, 2 zones" in capsys.readouterr().out
