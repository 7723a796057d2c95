"""Baseline: losscli's own reader reading the file and nothing else.

The multiclass goal of issue 6 compares ``compute -l sparse_cce`` with "the time the
same reader needs just to read the file": this streams the file through
``losscli.io.iter_tables`` (the reader the streaming engine uses) with the same
columns and chunk size, and sums one column so that nothing is optimised away.

Usage: python read_only.py FILE [CHUNK_ROWS]
"""

import sys

from losscli.engine.streaming import default_chunk_rows
from losscli.io import iter_tables, read_header

path = sys.argv[1]
columns = read_header(path)
chunk_rows = int(sys.argv[2]) if len(sys.argv) > 2 else default_chunk_rows(len(columns))
rows = 0
total = 0.0
for table in iter_tables(path, columns=columns, chunk_rows=chunk_rows):
    rows += table.n_rows
    total += float(table.numeric(columns[-1]).sum())
print(rows, total)
