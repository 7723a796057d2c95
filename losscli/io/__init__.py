"""Reading targets and predictions: CSV (any delimiter, gzip/bz2/xz, any encoding, stdin)
and Parquet, into :class:`Table` objects of float64 and string columns.

Public interface (other layers code against these names):

- :class:`Table` - named 1-D columns, ``numeric(col)``, ``line_of(row)``, ``take(rows)``;
- :func:`read_header`, :func:`read_table`, :func:`iter_tables` (streaming, flat memory);
- :func:`select_columns` - names, comma lists and globs;
- :func:`pair_tables` - targets with predictions by row order or joined on an id;
- :func:`expand_paths`, :func:`file_size`.

polars is imported only when a file is actually read.
"""

from losscli.io.columns import select_columns
from losscli.io.pairing import pair_tables
from losscli.io.readers import iter_tables, read_header, read_table
from losscli.io.sources import expand_paths, file_size
from losscli.io.table import Table, concat_tables

__all__ = [
    "Table",
    "concat_tables",
    "expand_paths",
    "file_size",
    "iter_tables",
    "pair_tables",
    "read_header",
    "read_table",
    "select_columns",
]
