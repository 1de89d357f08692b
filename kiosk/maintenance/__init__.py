"""The maintenance menu's logic, free of Qt: roles, PINs and lockout, the
cashbox from the journal, diagnostics, and the technician's actions."""
