"""The central server's books: a double-entry ledger under bills, part
payments, account credit, prepaid purchases, cash and refunds (``chart``: the
accounts; ``postings``: what each uploaded record posts)."""
