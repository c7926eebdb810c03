"""Pure computations (SPEC sections 3, 4, 10, 11): DataFrames and plain values in, DataFrames or dataclasses out. No file, no clock, no Excel."""
