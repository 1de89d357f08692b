"""Fee tables as data, with their arithmetic beside them.

Every result is in integer fen; every intermediate is a Decimal; each printed
line is rounded half-up to the fen and a total is the sum of its printed lines,
so a receipt always adds up.
"""
