"""The hub's engines: DuckDB (embedded, the default) and Spark (the optional extra ``sijill[spark]``).

Everything that differs between them lives here: how a table of encodings reaches the engine, how the
exact stage's SQL is run, and which Splink database API the model runs on. The SQL itself (the exact stage,
the comparisons) is written once, in what both engines share.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

ENGINES = ("duckdb", "spark")
SPARK_MISSING = "the spark engine needs PySpark: pip install 'sijill[spark]'"
_SCRATCH = "sijill-spark-"


# DuckDB's own memory (joins, the candidate pairs, scoring), beyond which it spills to a scratch folder;
# its default, 80 % of the machine, lets a national run take more than the Python side needs.
DUCKDB_MEMORY = os.environ.get("SIJILL_DUCKDB_MEMORY", "4GB")


class DuckDBEngine:
    """Embedded DuckDB, ``SIJILL_DUCKDB_MEMORY`` (default 4GB) of memory, spilling beyond it to a scratch folder."""

    name = "duckdb"

    def __init__(self) -> None:
        self.scratch = tempfile.mkdtemp(prefix="sijill-duckdb-")

    def _connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(config={"memory_limit": DUCKDB_MEMORY, "temp_directory": self.scratch})

    def rows(self, sql: str, tables: dict[str, pa.Table]) -> list[tuple]:
        con = self._connect()
        for name, table in tables.items():
            con.register(name, table)
        return con.execute(sql).fetchall()

    def linker(self, tables: dict[str, pa.Table], settings: Any) -> Linker:
        db = DuckDBAPI(connection=self._connect())
        # Splink's settings validation only logs what it finds (at ERROR, nothing) and reads every column's
        # SQL: about a second a linker at 1M records. Our settings are generated, and tested in tests/linkage.
        return Linker([db.register(t, dataset_display_name=n) for n, t in tables.items()], settings, log_level="ERROR",
                      validate_settings=False)

    def count(self, frame: Any) -> int:
        return frame.as_duckdbpyrelation().count("*").fetchall()[0][0]

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


class SparkEngine:
    """Spark through the active session, or as ``spark-submit`` configured it (a cluster), else a local one:
    ``SIJILL_SPARK_MASTER`` (default ``local[2]``), few shuffle partitions, no UI, scratch in temporary
    folders. No jar is fetched: the model needs none of Splink's Scala functions."""

    name = "spark"

    def __init__(self) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError as e:
            raise ImportError(SPARK_MISSING) from e
        self.scratch = tempfile.mkdtemp(prefix=_SCRATCH)
        spark = SparkSession.getActiveSession()
        if spark is None and "PYSPARK_GATEWAY_PORT" in os.environ:  # under spark-submit: configured there
            spark = SparkSession.builder.appName("sijill-match").getOrCreate()
        if spark is None:
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers run this interpreter, not python3
            spark = (SparkSession.builder.appName("sijill-match")
                     .master(os.environ.get("SIJILL_SPARK_MASTER", "local[2]"))
                     .config("spark.sql.shuffle.partitions", "4")
                     .config("spark.ui.enabled", "false")
                     .config("spark.ui.showConsoleProgress", "false")
                     .config("spark.local.dir", tempfile.mkdtemp(prefix="sijill-spark-local-"))
                     .config("spark.driver.host", "127.0.0.1")
                     .config("spark.driver.bindAddress", "127.0.0.1")
                     .getOrCreate())
            spark.sparkContext.setLogLevel("ERROR")
        checkpoints = spark.sparkContext.getCheckpointDir()
        if checkpoints is None or _SCRATCH in checkpoints:  # Splink writes intermediate tables there
            spark.sparkContext.setCheckpointDir(os.path.join(self.scratch, "checkpoints"))
        self.spark = spark
        self._frames: dict[int, tuple[pa.Table, Any]] = {}

    def frame(self, table: pa.Table) -> Any:
        """The Arrow table as a Spark DataFrame (once per table). Spark 4 takes Arrow directly (no pandas);
        Spark 3 reads it back from Parquet in the scratch folder."""
        key = id(table)
        if key not in self._frames:
            if int(self.spark.version.split(".")[0]) >= 4:
                df = self.spark.createDataFrame(table)
            else:
                import pyarrow.parquet as pq

                path = os.path.join(self.scratch, f"input_{len(self._frames)}.parquet")
                pq.write_table(table, path)
                df = self.spark.read.parquet(path)
            self._frames[key] = (table, df)  # the table is held so that its id is not reused
        return self._frames[key][1]

    def rows(self, sql: str, tables: dict[str, pa.Table]) -> list[tuple]:
        for name, table in tables.items():
            self.frame(table).createOrReplaceTempView(name)
        return [tuple(row) for row in self.spark.sql(sql).collect()]

    def linker(self, tables: dict[str, pa.Table], settings: Any) -> Linker:
        from splink import SparkAPI

        db = SparkAPI(spark_session=self.spark, register_udfs_automatically=False)
        # views live as long as the session: each linker registers its inputs under fresh names
        inputs = [db.register(self.frame(t), dataset_display_name=n, table_name=f"{n}_{uuid.uuid4().hex[:12]}")
                  for n, t in tables.items()]
        return Linker(inputs, settings, log_level="ERROR", validate_settings=False)

    def count(self, frame: Any) -> int:
        return frame.as_spark_dataframe().count()

    def close(self) -> None:
        for _, df in self._frames.values():
            df.unpersist()
        self._frames.clear()
        shutil.rmtree(self.scratch, ignore_errors=True)


Engine = DuckDBEngine | SparkEngine


def open_engine(name: str) -> Engine:
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        return SparkEngine()
    raise ValueError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
