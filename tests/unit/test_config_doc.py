"""docs/configuration.md is the rendering of the schema, and lists every option."""

from __future__ import annotations

from pathlib import Path

from adjutant.config import doc
from adjutant.config.schema import all_options

REPO = Path(__file__).resolve().parent.parent.parent


def test_configuration_doc_is_up_to_date() -> None:
    committed = (REPO / doc.DOC_PATH).read_text(encoding="utf-8")

    assert committed == doc.render(), (
        "docs/configuration.md is stale: run `python -m adjutant.config.doc` and commit it"
    )


def test_doc_has_one_row_per_option_with_its_variable_and_default() -> None:
    text = doc.render()

    for info in all_options():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{info.key}` |"))
        assert f"`{info.env_var}`" in row
    assert "| `maxjobs` | `KOJI_ADJUTANT_KOJID_MAXJOBS` | integer >= 1 | `10` |" in text
    assert "| `server` | `KOJI_ADJUTANT_KOJID_SERVER` | URL (http, https) | required |" in text
    assert (
        "| `worker_name` | `KOJI_ADJUTANT_WORKER_NAME` | string, not empty | this host's name |"
        in text
    )
    assert (
        "| `password` | `KOJI_ADJUTANT_KOJID_PASSWORD` | string, optional (secret) | (none) |"
        in text
    )
    assert "`plugins` is accepted as another spelling of `plugin`." in text


def test_main_writes_the_rendering(tmp_path: Path) -> None:
    target = tmp_path / "configuration.md"

    assert doc.main([str(target)]) == 0

    assert target.read_text(encoding="utf-8") == doc.render()
