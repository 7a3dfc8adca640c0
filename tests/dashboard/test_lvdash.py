"""The AI/BI dashboard file: well formed, and every dataset query runs on the real Gold marts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ytlake.lakehouse.translate import to_duckdb

ROOT = Path(__file__).resolve().parents[2]
DOC = json.loads((ROOT / "dashboards" / "youtube_analytics.lvdash.json").read_text())
DATASETS = {d["name"]: "".join(d["queryLines"]) for d in DOC["datasets"]}
#: Datasets with rows only when the token may read revenue (the runs here may not): their
#: queries must still run and have the columns the widgets use.
MONETARY_ONLY = {"video_revenue", "ad_types"}


def _widgets():
    for page in DOC["pages"]:
        for item in page["layout"]:
            yield item["widget"]


def test_the_pages():
    assert [p["displayName"] for p in DOC["pages"]] == [
        "YouTube channel",
        "Audience and reach",
        "Engagement",
        "Revenue",
    ]


def test_structure_names_and_references():
    names = [d["name"] for d in DOC["datasets"]]
    assert len(names) == len(set(names))
    widgets = list(_widgets())
    assert len({w["name"] for w in widgets}) == len(widgets)
    for w in widgets:
        query = w["queries"][0]["query"]
        assert query["datasetName"] in DATASETS, w["name"]
        fields = {f["name"] for f in query["fields"]}
        for enc in w["spec"]["encodings"].values():
            assert enc["fieldName"] in fields, (w["name"], enc["fieldName"])


@pytest.mark.slow
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_every_dataset_query_runs_on_gold(built, dataset):
    [sql] = to_duckdb(DATASETS[dataset], "youtube_analytics").statements
    import duckdb

    con = duckdb.connect(str(built.lakehouse))
    try:
        rel = con.sql(sql)
        columns, rows = rel.columns, rel.fetchall()
    finally:
        con.close()
    assert rows or dataset in MONETARY_ONLY, dataset
    used = {
        f["expression"].split("`")[1]
        for w in _widgets()
        for f in w["queries"][0]["query"]["fields"]
        if w["queries"][0]["query"]["datasetName"] == dataset
    }
    assert used <= set(columns), (dataset, used - set(columns))
