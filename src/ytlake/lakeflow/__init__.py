"""The local Lakeflow runner: parse the pipeline's SQL files, order them by their
references, translate each for the local engine, apply expectations, refresh the tables.

On Databricks the same files run as the Lakeflow pipeline; locally they are translated,
never rewritten by hand.
"""

from ytlake.lakeflow.parse import (
    Dataset,
    Expectation,
    LakeflowParseError,
    parse_dataset,
    parse_file,
)
from ytlake.lakeflow.runner import (
    ExpectationFailedError,
    PipelineResult,
    discover,
    order_datasets,
    run_pipeline,
)

__all__ = [
    "Dataset",
    "Expectation",
    "ExpectationFailedError",
    "LakeflowParseError",
    "PipelineResult",
    "discover",
    "order_datasets",
    "parse_dataset",
    "parse_file",
    "run_pipeline",
]
