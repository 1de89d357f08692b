"""Settings, embedded defaults and fee tables with their arithmetic.

Imports nothing of the project: the kiosk and the central server both use it.
Amounts here are integers of minor units (fen); unit prices are ``Decimal``.
"""
